package hookauth

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestAnyDispatchesBySchemeWithBothModes(t *testing.T) {
	h := newHarness(t, nil)
	a := Any(NewBasic("okta", "current", "next"), h.oauth)
	tests := []struct {
		name, header string
		reason       Reason
	}{
		{"basic current", BasicHeader("okta", "current"), ""},
		{"basic next", BasicHeader("okta", "next"), ""},
		{"basic wrong secret", BasicHeader("okta", "old"), ReasonMismatch},
		{"basic lower-case scheme", "basic " + strings.TrimPrefix(
			BasicHeader("okta", "current"), "Basic "), ReasonMismatch},
		{"missing", "", ReasonMissing},
		{"other scheme", "Digest username=\"okta\"", ReasonWrongScheme},
		{"no scheme", "b2t0YTpjdXJyZW50", ReasonWrongScheme},
	}
	for _, tt := range tests {
		wantReason(t, tt.name, authHeader(a, tt.header), tt.reason)
	}
	h.counts(t, 0, 0) // no Basic request may touch the issuer

	wantReason(t, "bearer valid", authHeader(a, "Bearer "+h.valid(t)), "")
	claims := h.iss.Claims(h.clk.Now())
	claims["aud"] = "api://other"
	wantReason(t, "bearer wrong audience", authHeader(a, "Bearer "+h.iss.Mint(t, claims)),
		ReasonWrongAudience)
	wantReason(t, "bearer carrying the basic secret", authHeader(a, "Bearer "+strings.TrimPrefix(
		BasicHeader("okta", "current"), "Basic ")), ReasonMalformed)
	h.counts(t, 1, 1)
}

func TestAnyRefusesTheSchemeOfAnUnconfiguredMode(t *testing.T) {
	h := newHarness(t, nil)
	basicOnly := Any(NewBasic("okta", "current"), nil)
	wantReason(t, "bearer to basic-only, untyped nil", authHeader(basicOnly, "Bearer x"),
		ReasonWrongScheme)
	var noOAuth *OAuth
	basicOnly = Any(NewBasic("okta", "current"), noOAuth)
	oauthOnly := Any(nil, h.oauth)

	wantReason(t, "bearer to basic-only", authHeader(basicOnly, "Bearer "+h.valid(t)),
		ReasonWrongScheme)
	wantReason(t, "basic to oauth-only", authHeader(oauthOnly, BasicHeader("okta", "current")),
		ReasonWrongScheme)
	h.counts(t, 0, 0)
	wantReason(t, "basic to basic-only", authHeader(basicOnly, BasicHeader("okta", "current")),
		"")
	wantReason(t, "bearer to oauth-only", authHeader(oauthOnly, "Bearer "+h.valid(t)), "")

	none := Any()
	wantReason(t, "nothing configured", authHeader(none, BasicHeader("okta", "current")),
		ReasonWrongScheme)
	wantReason(t, "nothing configured, no header", authHeader(none, ""), ReasonMissing)
}

func TestAnyPanicsOnWiringMistakes(t *testing.T) {
	tests := []struct {
		name  string
		auths []Authenticator
		want  string
	}{
		{"two basics", []Authenticator{NewBasic("a", "b"), NewBasic("c", "d")},
			`hookauth: Any: two authenticators for scheme "Basic"`},
		{"no scheme", []Authenticator{schemeless{}},
			"hookauth: Any: hookauth.schemeless does not name its scheme"},
	}
	for _, tt := range tests {
		func() {
			defer func() {
				if got := recover(); got != tt.want {
					t.Errorf("%s: Any panicked with %v; want %q", tt.name, got, tt.want)
				}
			}()
			Any(tt.auths...)
		}()
	}
}

type schemeless struct{}

func (schemeless) Authenticate(*http.Request) error { return nil }

func authHeader(a Authenticator, header string) error {
	r := httptest.NewRequest(http.MethodPost, "/api/telephony", nil)
	if header != "" {
		r.Header.Set("Authorization", header)
	}
	return a.Authenticate(r)
}
