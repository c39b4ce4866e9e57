package main

import (
	"context"
	"errors"
	"log/slog"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
)

func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestOptionsComeFromTheEnvironmentThePulumiStackSets(t *testing.T) {
	o, err := parseOptions(nil, env(map[string]string{
		"DEPLOY_SCM_HOST":  "func-x.scm.azurewebsites.net",
		"DEPLOY_PACKAGE":   "../dist/function.zip",
		"DEPLOY_TENANT_ID": "tenant",
		"DEPLOY_APP_ID":    "/subscriptions/s/resourceGroups/r/providers/Microsoft.Web/sites/x",
		"DEPLOY_FUNCTIONS": "telephony, deliveryreport",
		"DEPLOY_PROBE_URL": "https://func-x.azurewebsites.net/api/telephony",
	}))
	if err != nil {
		t.Fatal(err)
	}
	want := &options{
		scmHost:   "func-x.scm.azurewebsites.net",
		pkg:       "../dist/function.zip",
		tenantID:  "tenant",
		appID:     "/subscriptions/s/resourceGroups/r/providers/Microsoft.Web/sites/x",
		functions: []string{"telephony", "deliveryreport"},
		probeURL:  "https://func-x.azurewebsites.net/api/telephony",
		timeout:   20 * time.Minute,
	}
	if !reflect.DeepEqual(o, want) {
		t.Errorf("options = %+v, want %+v", o, want)
	}
}

func TestFlagsOverrideTheEnvironment(t *testing.T) {
	o, err := parseOptions([]string{"-scm-host", "b.scm.azurewebsites.net", "-timeout", "5m"},
		env(map[string]string{"DEPLOY_SCM_HOST": "a.scm.azurewebsites.net",
			"DEPLOY_PACKAGE": "p.zip"}))
	if err != nil {
		t.Fatal(err)
	}
	if o.scmHost != "b.scm.azurewebsites.net" || o.timeout != 5*time.Minute {
		t.Errorf("options = %+v", o)
	}
}

func TestBadOptionsAreRefused(t *testing.T) {
	cases := []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"DEPLOY_PACKAGE": "p.zip"}, "scm-host"},
		{map[string]string{"DEPLOY_SCM_HOST": "https://x.scm.azurewebsites.net",
			"DEPLOY_PACKAGE": "p.zip"}, "scm-host"},
		{map[string]string{"DEPLOY_SCM_HOST": "x.scm.azurewebsites.net"}, "package"},
		{map[string]string{"DEPLOY_SCM_HOST": "x.scm.azurewebsites.net",
			"DEPLOY_PACKAGE": "p.zip", "DEPLOY_FUNCTIONS": "telephony"}, "app-id"},
		{map[string]string{"DEPLOY_SCM_HOST": "x.scm.azurewebsites.net",
			"DEPLOY_PACKAGE": "p.zip", "DEPLOY_TIMEOUT": "soon"}, "timeout"},
		{map[string]string{"DEPLOY_SCM_HOST": "x.scm.azurewebsites.net",
			"DEPLOY_PACKAGE": "p.zip", "DEPLOY_PROBE_URL": "http://x/api/telephony"},
			"probe-url"},
	}
	for _, c := range cases {
		if _, err := parseOptions(nil, env(c.env)); err == nil ||
			!strings.HasPrefix(err.Error(), c.want) {
			t.Errorf("env %v: error %v, want it about %s", c.env, err, c.want)
		}
	}
}

func TestRunStopsBeforeSigningInWhenThePackageIsMissing(t *testing.T) {
	signedIn := false
	cred := func(string) (azcore.TokenCredential, error) {
		signedIn = true
		return nil, errors.New("unused")
	}
	o := &options{scmHost: "x.scm.azurewebsites.net",
		pkg: filepath.Join(t.TempDir(), "missing.zip"), timeout: time.Minute}

	err := run(context.Background(), o, slog.New(slog.DiscardHandler), cred)
	if err == nil || !strings.Contains(err.Error(), "read package") || signedIn {
		t.Fatalf("error = %v, signed in %v", err, signedIn)
	}
}
