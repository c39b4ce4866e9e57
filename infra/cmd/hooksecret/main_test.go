package main

import (
	"encoding/base64"
	"testing"
)

func TestNewSecretIs32RandomBytesInBase64URL(t *testing.T) {
	a, b := newSecret(), newSecret()
	if len(a) != 43 {
		t.Fatalf("len = %d, want 43", len(a))
	}
	raw, err := base64.RawURLEncoding.DecodeString(a)
	if err != nil || len(raw) != 32 {
		t.Fatalf("decode = %d bytes, %v; want 32 bytes", len(raw), err)
	}
	if a == b {
		t.Fatal("two secrets are equal")
	}
}
