package acs

import (
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
)

// KeyCredential holds an ACS access key, already base64-decoded into the bytes that key the
// HMAC. It never prints the key: fmt verbs show a placeholder.
type KeyCredential struct {
	key []byte
}

// NewKeyCredential decodes an ACS access key as the Azure portal shows it (standard base64).
// The error never contains the key.
func NewKeyCredential(accessKeyBase64 string) (*KeyCredential, error) {
	s := strings.TrimSpace(accessKeyBase64)
	if s == "" {
		return nil, errors.New("acs: access key is empty")
	}
	key, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		// NOTE: do not wrap err, base64.CorruptInputError only holds an offset today, but
		// any future detail of it would be a piece of the key.
		return nil, errors.New("acs: access key is not valid base64")
	}
	return &KeyCredential{key: key}, nil
}

// String hides the key so that a credential logged by mistake leaks nothing.
func (k *KeyCredential) String() string { return "acs.KeyCredential{REDACTED}" }

// GoString hides the key from %#v as well.
func (k *KeyCredential) GoString() string { return k.String() }

// ParseConnectionString splits an ACS connection string,
// "endpoint=https://<resource>.communication.azure.com/;accesskey=<base64 key>", into the
// endpoint (without its trailing slash) and the decoded key. Keys are matched
// case-insensitively and may come in any order; unknown keys are ignored. Errors name the
// problem and never echo the key.
func ParseConnectionString(s string) (endpoint string, key *KeyCredential, err error) {
	var access string
	var haveAccess bool
	for part := range strings.SplitSeq(s, ";") {
		name, value, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			continue
		}
		switch strings.ToLower(strings.TrimSpace(name)) {
		case "endpoint":
			endpoint = strings.TrimRight(strings.TrimSpace(value), "/")
		case "accesskey":
			// Cut at the first "=" only: base64 padding keeps its own "=" signs.
			access, haveAccess = value, true
		}
	}

	if endpoint == "" {
		return "", nil, errors.New("acs: connection string has no endpoint")
	}
	if !haveAccess || strings.TrimSpace(access) == "" {
		return "", nil, errors.New("acs: connection string has no accesskey")
	}
	key, err = NewKeyCredential(access)
	if err != nil {
		return "", nil, fmt.Errorf("acs: connection string: %w", errors.Unwrap(err))
	}
	return endpoint, key, nil
}
