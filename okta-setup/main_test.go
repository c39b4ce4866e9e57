package main

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"

	"okta-acs-sms/okta-setup/internal/oktatest"
)

// The tests here run the real binary, which has no way to trust a server other than the
// system certificate pool: the fake Okta's certificate reaches it through SSL_CERT_FILE.

var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "okta-setup-bin")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "okta-setup")
	gobin, err := exec.LookPath("go")
	if err != nil {
		gobin = filepath.Join(runtime.GOROOT(), "bin", "go")
	}
	if out, err := exec.Command(gobin, "build", "-o", binary, ".").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "build okta-setup: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

const (
	apiToken   = "00e2eApiToken"
	hookURL    = "https://func-acs-sms.azurewebsites.net/api/telephony"
	basicValue = "Basic b2t0YTpzM2NyZXQ=" // okta:s3cret
	pulumiJSON = `{"appName":"func-acs-sms","hookUrl":"` + hookURL +
		`","hookAuthorization":"` + basicValue + `","oktaUser":"okta"}`
)

type run struct {
	code           int
	stdout, stderr string
}

// runBinary runs okta-setup with exactly env (plus HOME) and stdin.
func runBinary(t *testing.T, env []string, stdin string, args ...string) run {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Dir = t.TempDir()
	cmd.Env = append([]string{"HOME=" + t.TempDir()}, env...)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return run{code: code, stdout: out.String(), stderr: errOut.String()}
}

func TestBinaryTrustsOktaOnlyThroughSystemCertificatePool(t *testing.T) {
	srv := oktatest.New(t, apiToken)
	env := []string{"OKTA_ORG_URL=" + srv.URL, "OKTA_API_TOKEN=" + apiToken}

	untrusted := runBinary(t, env, "", "status")
	trusted := runBinary(t, append(env, "SSL_CERT_FILE="+srv.CertFile(t)), "", "status")

	if untrusted.code != 1 || !strings.Contains(untrusted.stderr,
		"x509: certificate signed by unknown authority") {
		t.Errorf("without SSL_CERT_FILE: exit %d, stderr %q; want a TLS verification failure",
			untrusted.code, untrusted.stderr)
	}
	want := srv.URL + " has no telephony hook: Okta sends SMS through its own providers\n"
	if trusted.code != 0 || trusted.stdout != want {
		t.Errorf("with SSL_CERT_FILE: exit %d, stdout %q, stderr %q", trusted.code,
			trusted.stdout, trusted.stderr)
	}
	if n := len(srv.Requests()); n != 1 {
		t.Errorf("server saw %d requests; want only the trusted run's list", n)
	}
}

// TestBinaryIgnoresOktaSDKConfigFilesAndEnvironment plants the settings the Okta SDK
// would read on its own (~/.okta/okta.yaml, OKTA_CLIENT_*, OKTA_DEBUG): none may change
// where the tool connects, how it authenticates, or what it prints.
func TestBinaryIgnoresOktaSDKConfigFilesAndEnvironment(t *testing.T) {
	srv := oktatest.New(t, apiToken)
	home := t.TempDir()
	yaml := "okta:\n  client:\n    orgUrl: https://evil.invalid\n    token: yaml-token\n" +
		"    authorizationMode: Bearer\n    proxy:\n      host: 127.0.0.1\n      port: 9\n" +
		"  testing:\n    disableHttpsCheck: true\ndebug: true\n"
	if err := os.MkdirAll(filepath.Join(home, ".okta"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(home, ".okta", "okta.yaml"), []byte(yaml),
		0o600); err != nil {
		t.Fatal(err)
	}
	env := []string{"HOME=" + home, "SSL_CERT_FILE=" + srv.CertFile(t),
		"OKTA_ORG_URL=" + srv.URL, "OKTA_API_TOKEN=" + apiToken,
		"OKTA_CLIENT_ORGURL=https://evil.invalid", "OKTA_CLIENT_TOKEN=env-token",
		"OKTA_CLIENT_AUTHORIZATIONMODE=Bearer", "OKTA_CLIENT_PROXY_HOST=127.0.0.1",
		"OKTA_CLIENT_PROXY_PORT=9", "OKTA_CLIENT_CACHE_ENABLED=not-a-bool", "OKTA_DEBUG=true",
		"OKTA_TESTING_DISABLE_HTTPS_CHECK=true"}

	r := runBinary(t, env, pulumiJSON, "register", "--from-pulumi", "-")

	want := "created telephony hook \"Azure ACS SMS (func-acs-sms)\"\n  id:     cal0001TEST\n" +
		"  url:    " + hookURL + "\n  status: ACTIVE\n"
	if r.code != 0 || r.stdout != want || r.stderr != "" {
		t.Fatalf("exit %d\nstdout %q\nstderr %q;\nwant stdout %q", r.code, r.stdout, r.stderr,
			want)
	}
	for _, req := range srv.Requests() {
		if req.Authorization != "SSWS "+apiToken {
			t.Errorf("%s %s: Authorization %q", req.Method, req.Path, req.Authorization)
		}
	}
}

func TestBinaryRegistersWithServiceAppKeyFile(t *testing.T) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	keyFile := filepath.Join(t.TempDir(), "okta-setup.pem")
	block := &pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(block), 0o600); err != nil {
		t.Fatal(err)
	}
	srv := oktatest.New(t, "")
	srv.ClientID, srv.PublicKey, srv.KeyID = "0oaOktaSetup", &key.PublicKey, "kid-e2e"
	srv.GrantedScopes = []string{"okta.inlineHooks.manage"}
	env := []string{"SSL_CERT_FILE=" + srv.CertFile(t), "OKTA_ORG_URL=" + srv.URL,
		"OKTA_CLIENT_ID=0oaOktaSetup", "OKTA_PRIVATE_KEY=" + keyFile,
		"OKTA_PRIVATE_KEY_ID=kid-e2e", "OKTA_USER=okta", "OKTA_BASIC_SECRET=s3cret"}

	r := runBinary(t, env, "", "register", "--hook-url", hookURL)

	if r.code != 0 {
		t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
	}
	want := []string{"POST /oauth2/v1/token", "GET /api/v1/inlineHooks",
		"POST /api/v1/inlineHooks"}
	if got := srv.Calls(); !reflect.DeepEqual(got, want) {
		t.Fatalf("calls = %q; want %q", got, want)
	}
	for _, req := range srv.Requests()[1:] {
		if !strings.HasPrefix(req.Authorization, "Bearer fake-at-") {
			t.Errorf("%s %s: Authorization %q", req.Method, req.Path, req.Authorization)
		}
	}
}

func TestBinaryWaitsOutRateLimitThenSucceeds(t *testing.T) {
	srv := oktatest.New(t, apiToken)
	srv.FailNext("GET", "/api/v1/inlineHooks", oktatest.Fault{Status: 429,
		Code: "E0000047", Summary: "API call exceeded rate limit due to too many requests."})
	env := []string{"SSL_CERT_FILE=" + srv.CertFile(t), "OKTA_ORG_URL=" + srv.URL,
		"OKTA_API_TOKEN=" + apiToken}

	r := runBinary(t, env, "", "status")

	if r.code != 0 || len(srv.Requests()) != 2 {
		t.Errorf("exit %d, %d requests, stderr %q; want 0 after one retry", r.code,
			len(srv.Requests()), r.stderr)
	}
}

func TestBinaryDryRunFromPulumiStdinSendsNothing(t *testing.T) {
	srv := oktatest.New(t, apiToken)
	env := []string{"OKTA_ORG_URL=" + srv.URL}

	r := runBinary(t, env, pulumiJSON, "register", "--from-pulumi", "-", "--dry-run")

	if r.code != 0 || len(srv.Requests()) != 0 || strings.Contains(r.stdout, "b2t0YTpz") ||
		!strings.Contains(r.stdout, `"value": "[REDACTED]"`) {
		t.Errorf("exit %d, %d requests, stdout:\n%s", r.code, len(srv.Requests()), r.stdout)
	}
}
