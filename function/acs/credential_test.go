package acs

import (
	"fmt"
	"strings"
	"testing"
)

func TestParseConnectionString(t *testing.T) {
	const key = "pw=="
	tests := []struct {
		name, in, endpoint, err string
	}{
		{"portal form", "endpoint=https://r.communication.azure.com/;accesskey=pw==",
			"https://r.communication.azure.com", ""},
		{"keys in any case", "Endpoint=https://r.communication.azure.com/;AccessKey=pw==",
			"https://r.communication.azure.com", ""},
		{"upper case, no slash", "ENDPOINT=https://r.communication.azure.com;ACCESSKEY=pw==",
			"https://r.communication.azure.com", ""},
		{"reversed order, spaces, trailing ;",
			" accesskey=pw== ; endpoint=https://r.communication.azure.com/ ;",
			"https://r.communication.azure.com", ""},
		{"no endpoint", "accesskey=pw==", "", "acs: connection string has no endpoint"},
		{"no accesskey", "endpoint=https://r.communication.azure.com/", "",
			"acs: connection string has no accesskey"},
		{"empty accesskey", "endpoint=https://r.communication.azure.com/;accesskey=", "",
			"acs: connection string has no accesskey"},
		{"bad base64", "endpoint=https://r.communication.azure.com/;accesskey=p@w!secret", "",
			"acs: connection string: access key is not valid base64"},
		{"empty", "", "", "acs: connection string has no endpoint"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			endpoint, k, err := ParseConnectionString(tt.in)
			if tt.err != "" {
				if err == nil || err.Error() != tt.err {
					t.Fatalf("err = %v; want %q", err, tt.err)
				}
				if strings.Contains(err.Error(), "secret") {
					t.Errorf("error echoes the key: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if endpoint != tt.endpoint {
				t.Errorf("endpoint = %q; want %q", endpoint, tt.endpoint)
			}
			if len(k.key) != 1 || k.key[0] != 0xa7 {
				t.Errorf("key = %x; want a7 (base64 %s decoded)", k.key, key)
			}
		})
	}
}

func TestKeyCredentialNeverPrintsTheKey(t *testing.T) {
	k, err := NewKeyCredential("c2VjcmV0LWtleS1ieXRlcw==") // "secret-key-bytes"
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{fmt.Sprint(k), fmt.Sprintf("%v %+v %#v %s", k, k, k, k)} {
		if strings.Contains(s, "secret") || strings.Contains(s, "c2VjcmV0") {
			t.Errorf("printed credential leaks the key: %s", s)
		}
	}
}

func TestNewKeyCredentialRefusesEmptyKey(t *testing.T) {
	if _, err := NewKeyCredential("  "); err == nil || err.Error() != "acs: access key is empty" {
		t.Errorf("err = %v", err)
	}
}
