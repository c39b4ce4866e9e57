package hookauth

import (
	"net/http/httptest"
	"testing"
)

func TestBasicHeader(t *testing.T) {
	if got, want := BasicHeader("okta", "s3cret"), "Basic b2t0YTpzM2NyZXQ="; got != want {
		t.Fatalf("BasicHeader = %q; want %q", got, want)
	}
}

func TestBasicAuthenticate(t *testing.T) {
	a := NewBasic("okta", "current", "", "next")
	tests := []struct {
		name   string
		header string
		reason Reason
	}{
		{"current secret", BasicHeader("okta", "current"), ""},
		{"next secret", BasicHeader("okta", "next"), ""},
		{"missing", "", ReasonMissing},
		{"wrong secret", BasicHeader("okta", "old"), ReasonMismatch},
		{"wrong user", BasicHeader("admin", "current"), ReasonMismatch},
		{"no prefix", BasicHeader("okta", "current")[len("Basic "):], ReasonMismatch},
		{"lower-case prefix", "basic b2t0YTpjdXJyZW50", ReasonMismatch},
		{"empty secret never matches", BasicHeader("okta", ""), ReasonMismatch},
	}
	for _, tt := range tests {
		r := httptest.NewRequest("POST", "/api/telephony", nil)
		if tt.header != "" {
			r.Header.Set("Authorization", tt.header)
		}
		err := a.Authenticate(r)
		if got := ReasonOf(err); got != tt.reason || (tt.reason == "") != (err == nil) {
			t.Errorf("%s: Authenticate = %v; want reason %q", tt.name, err, tt.reason)
		}
	}
}
