package hooks

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"net/url"
	"strings"
	"testing"

	"okta-acs-sms/okta-setup/internal/oktatest"
)

func TestOrgURLAcceptsOnlyHTTPSOrigins(t *testing.T) {
	tests := []struct{ in, want, err string }{
		{"https://acme.okta.com", "https://acme.okta.com", ""},
		{"https://acme.okta.com/", "https://acme.okta.com", ""},
		{"https://127.0.0.1:8443", "https://127.0.0.1:8443", ""},
		{"http://acme.okta.com", "", "must start with https://"},
		{"acme.okta.com", "", "must start with https://"},
		{"https://acme.okta.com/oauth2/default", "", "must have no path"},
		{"https://user@acme.okta.com", "", "must be just https://host"},
		{"https://", "", "has no host"},
	}
	for _, tt := range tests {
		got, err := OrgURL(tt.in)
		if got != tt.want || (tt.err == "") != (err == nil) ||
			(err != nil && !strings.Contains(err.Error(), tt.err)) {
			t.Errorf("OrgURL(%q) = %q, %v; want %q, %q", tt.in, got, err, tt.want, tt.err)
		}
	}
}

func testKeyPEM(t *testing.T) (*rsa.PrivateKey, string) {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return key, string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
}

func TestServiceAppGetsBearerTokenWithSignedAssertion(t *testing.T) {
	key, pemKey := testKeyPEM(t)
	srv := oktatest.New(t, "")
	srv.ClientID, srv.PublicKey, srv.KeyID = "0oaServiceApp", &key.PublicKey, "kid-1"
	srv.GrantedScopes = []string{ScopeRead, ScopeManage}
	c, err := New(Options{OrgURL: srv.URL, HTTPClient: srv.Client(), Credentials: Credentials{
		ClientID: "0oaServiceApp", PrivateKey: pemKey, PrivateKeyID: "kid-1"}})
	if err != nil {
		t.Fatal(err)
	}

	if _, err := c.Register(context.Background(), basicSpec("ACS SMS"), false); err != nil {
		t.Fatal(err)
	}

	reqs := srv.Requests()
	if len(reqs) != 3 || reqs[0].Path != "/oauth2/v1/token" {
		t.Fatalf("calls = %q; want token, list, create", srv.Calls())
	}
	form, err := url.ParseQuery(string(reqs[0].Body))
	if err != nil {
		t.Fatal(err)
	}
	if got := form.Get("scope"); got != ScopeRead+" "+ScopeManage {
		t.Errorf("scope = %q", got)
	}
	for _, r := range reqs[1:] {
		if !strings.HasPrefix(r.Authorization, "Bearer fake-at-") {
			t.Errorf("%s %s: Authorization = %q; want the bearer token", r.Method, r.Path,
				r.Authorization)
		}
	}
}

func TestServiceAppTokenRefusalNamesOktaReason(t *testing.T) {
	key, pemKey := testKeyPEM(t)
	srv := oktatest.New(t, "")
	srv.ClientID, srv.PublicKey = "0oaServiceApp", &key.PublicKey
	srv.GrantedScopes = []string{ScopeRead} // manage not granted
	c, err := New(Options{OrgURL: srv.URL, HTTPClient: srv.Client(), Credentials: Credentials{
		ClientID: "0oaServiceApp", PrivateKey: pemKey}})
	if err != nil {
		t.Fatal(err)
	}

	_, err = c.List(context.Background())

	want := "list telephony hooks: get access token: /oauth2/v1/token answered 400 " +
		"invalid_scope: The following scopes are not allowed: okta.inlineHooks.manage " +
		"[request id req-fake-1]"
	if err == nil || err.Error() != want {
		t.Errorf("err = %v;\nwant %s", err, want)
	}
}

func TestServiceAppWithWrongKeyIsRefused(t *testing.T) {
	key, _ := testKeyPEM(t)
	_, otherPEM := testKeyPEM(t)
	srv := oktatest.New(t, "")
	srv.ClientID, srv.PublicKey = "0oaServiceApp", &key.PublicKey
	srv.GrantedScopes = []string{ScopeRead, ScopeManage}
	c, err := New(Options{OrgURL: srv.URL, HTTPClient: srv.Client(), Credentials: Credentials{
		ClientID: "0oaServiceApp", PrivateKey: otherPEM}})
	if err != nil {
		t.Fatal(err)
	}

	_, err = c.List(context.Background())

	want := "list telephony hooks: get access token: /oauth2/v1/token answered 401 " +
		"invalid_client: The client_assertion signature is invalid. [request id req-fake-1]"
	if err == nil || err.Error() != want {
		t.Errorf("err = %v;\nwant %s", err, want)
	}
}

func TestNewRefusesBadCredentials(t *testing.T) {
	tests := []struct {
		name string
		cred Credentials
		want string
	}{
		{"none", Credentials{}, "no API token and no service app client id"},
		{"both", Credentials{APIToken: "t", ClientID: "c"}, "not both"},
		{"no key", Credentials{ClientID: "c"}, "service app has no private key"},
		{"not PEM", Credentials{ClientID: "c", PrivateKey: "abc"}, "no PEM block found"},
	}
	for _, tt := range tests {
		_, err := New(Options{OrgURL: "https://acme.okta.com", Credentials: tt.cred})
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: err = %v; want %q", tt.name, err, tt.want)
		}
	}
}
