package acs

import (
	"encoding/base64"
	"errors"
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
	key, problem := decodeKey(accessKeyBase64)
	if problem != "" {
		return nil, errors.New("acs: " + problem)
	}
	return &KeyCredential{key: key}, nil
}

// decodeKey returns the key bytes, or what is wrong with the key in words that never
// include any of it.
func decodeKey(accessKeyBase64 string) ([]byte, string) {
	s := strings.TrimSpace(accessKeyBase64)
	if s == "" {
		return nil, "access key is empty"
	}
	key, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		// NOTE: err is dropped on purpose: today it only holds an offset, but any future
		// detail in it would be a piece of the key.
		return nil, "access key is not valid base64"
	}
	return key, ""
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
	b, problem := decodeKey(access)
	if problem != "" {
		return "", nil, errors.New("acs: connection string: " + problem)
	}
	return endpoint, &KeyCredential{key: b}, nil
}
