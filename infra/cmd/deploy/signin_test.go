package main

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// These tests check which sign-in the ARM_* settings choose; none builds a credential, so
// nothing ever reaches Entra ID or a metadata endpoint.
func TestSignInFollowsPulumisARMSettings(t *testing.T) {
	cases := []struct {
		name string
		env  map[string]string
		want signIn
	}{
		{"nothing set: default chain with the stack's tenant", nil,
			signIn{kind: signInDefault, tenantID: "stack-tenant"}},
		{"service principal secret", map[string]string{"ARM_CLIENT_ID": "app",
			"ARM_CLIENT_SECRET": "pw", "ARM_TENANT_ID": "t1"},
			signIn{kind: signInSecret, tenantID: "t1", clientID: "app", secret: "pw"}},
		{"secret without ARM_TENANT_ID is not a service principal sign-in",
			map[string]string{"ARM_CLIENT_ID": "app", "ARM_CLIENT_SECRET": "pw"},
			signIn{kind: signInDefault, tenantID: "stack-tenant"}},
		{"oidc token", map[string]string{"ARM_USE_OIDC": "true", "ARM_CLIENT_ID": "app",
			"ARM_TENANT_ID": "t1", "ARM_OIDC_TOKEN": "jwt"},
			signIn{kind: signInOIDC, tenantID: "t1", clientID: "app", oidcToken: "jwt"}},
		{"oidc token file, stack tenant", map[string]string{"ARM_USE_OIDC": "1",
			"ARM_CLIENT_ID": "app", "ARM_OIDC_TOKEN_FILE_PATH": "/var/run/token"},
			signIn{kind: signInOIDC, tenantID: "stack-tenant", clientID: "app",
				oidcTokenFile: "/var/run/token"}},
		{"oidc wins over a secret", map[string]string{"ARM_USE_OIDC": "true",
			"ARM_CLIENT_ID": "app", "ARM_TENANT_ID": "t1", "ARM_OIDC_TOKEN": "jwt",
			"ARM_CLIENT_SECRET": "pw"},
			signIn{kind: signInOIDC, tenantID: "t1", clientID: "app", oidcToken: "jwt"}},
		{"system-assigned managed identity", map[string]string{"ARM_USE_MSI": "true"},
			signIn{kind: signInMSI, tenantID: "stack-tenant"}},
		{"user-assigned managed identity", map[string]string{"ARM_USE_MSI": "true",
			"ARM_CLIENT_ID": "uami"},
			signIn{kind: signInMSI, tenantID: "stack-tenant", clientID: "uami"}},
		{"msi off", map[string]string{"ARM_USE_MSI": "false"},
			signIn{kind: signInDefault, tenantID: "stack-tenant"}},
	}
	for _, c := range cases {
		got, err := chooseSignIn(env(c.env), "stack-tenant")
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s:\n got %+v\nwant %+v", c.name, got, c.want)
		}
	}
}

func TestSignInRefusesSettingsItCannotHonour(t *testing.T) {
	cases := []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"ARM_USE_OIDC": "true", "ARM_CLIENT_ID": "app",
			"ARM_OIDC_REQUEST_URL": "https://ci/token", "ARM_OIDC_REQUEST_TOKEN": "x"},
			"ARM_USE_OIDC: the deploy step needs ARM_OIDC_TOKEN"},
		{map[string]string{"ARM_USE_OIDC": "true", "ARM_OIDC_TOKEN": "jwt"},
			"ARM_USE_OIDC: needs ARM_CLIENT_ID"},
		{map[string]string{"ARM_USE_OIDC": "yes please"}, "ARM_USE_OIDC: want true or false"},
		{map[string]string{"ARM_USE_MSI": "maybe"}, "ARM_USE_MSI: want true or false"},
		{map[string]string{"ARM_CLIENT_ID": "app", "ARM_TENANT_ID": "t1",
			"ARM_CLIENT_CERTIFICATE_PATH": "/c.pfx"}, "ARM_CLIENT_CERTIFICATE_PATH: "},
	}
	for _, c := range cases {
		s, err := chooseSignIn(env(c.env), "stack-tenant")
		if err == nil || !strings.HasPrefix(err.Error(), c.want) {
			t.Errorf("env %v: sign-in %+v, error %v, want %q", c.env, s.kind, err, c.want)
		}
	}
}

func TestOIDCAssertionRereadsTheTokenFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "token")
	s := signIn{kind: signInOIDC, oidcTokenFile: path}
	for _, tok := range []string{"first-jwt", "rotated-jwt"} {
		if err := os.WriteFile(path, []byte(tok+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		got, err := s.assertion(context.Background())
		if err != nil || got != tok {
			t.Errorf("assertion = %q, %v; want %q", got, err, tok)
		}
	}
	if got, err := (signIn{oidcToken: "fixed"}).assertion(context.Background()); err != nil ||
		got != "fixed" {
		t.Errorf("assertion = %q, %v", got, err)
	}
	if _, err := (signIn{oidcTokenFile: path + ".missing"}).assertion(
		context.Background()); err == nil {
		t.Error("a missing token file gave no error")
	}
}
