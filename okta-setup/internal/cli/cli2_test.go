package cli

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"okta-acs-sms/okta-setup/internal/oktatest"
)

func TestDryRunSendsNothingAndRedactsSecrets(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want []string // lines the output must contain
	}{
		{"register basic", []string{"register", "--hook-url", hookURL, "--force",
			"--header", "x-functions-key=fk-secret-1"},
			[]string{`"value": "[REDACTED]"`, `"uri": "` + hookURL + `"`,
				"/lifecycle/deactivate   # for every other ACTIVE telephony hook"}},
		{"register oauth", []string{"register", "--auth", "oauth", "--hook-url", hookURL,
			"--client-id", "0oa1", "--client-secret", "oauth-secret-1",
			"--token-url", "https://acme.okta.com/oauth2/default/v1/token", "--scope", "s"},
			[]string{`"clientSecret": "[REDACTED]"`, `"authType": "client_secret_post"`}},
		{"deactivate", []string{"deactivate", "--name", "ACS"},
			[]string{`/api/v1/inlineHooks/{id of "ACS"}/lifecycle/deactivate   # no body`}},
		{"remove", []string{"remove", "--id", "cal123"},
			[]string{"DELETE ", "/api/v1/inlineHooks/cal123   # only if INACTIVE"}},
		{"test", []string{"test", "--phone", "+15555551234"},
			[]string{`"phoneNumber": "+1555***1234"`, `"otpCode": "[REDACTED]"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := oktatest.New(t, apiToken)
			env := baseEnv(srv)
			delete(env, "OKTA_API_TOKEN") // a dry run needs no management credentials

			r := runCLI(t, srv, env, "", append(tt.args, "--dry-run")...)

			if r.code != ExitOK {
				t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
			}
			if n := len(srv.Requests()); n != 0 {
				t.Errorf("dry run sent %d requests: %q", n, srv.Calls())
			}
			if !strings.HasPrefix(r.stdout, "dry run: nothing is sent to "+srv.URL) {
				t.Errorf("stdout starts %q", r.stdout)
			}
			for _, secret := range []string{"s3cret", "b2t0YTpzM2NyZXQ", "fk-secret-1",
				"oauth-secret-1", "+15555551234"} {
				if strings.Contains(r.stdout, secret) {
					t.Errorf("stdout shows secret %q:\n%s", secret, r.stdout)
				}
			}
			for _, w := range tt.want {
				if !strings.Contains(r.stdout, w) {
					t.Errorf("stdout lacks %q:\n%s", w, r.stdout)
				}
			}
		})
	}
}

func TestMissingOrContradictoryInputIsOneLineAndExit2(t *testing.T) {
	pulumiSecret := writeFile(t, "o.json", `{"hookUrl":"`+hookURL+
		`","hookAuthorization":"[secret]"}`)
	pulumiOther := writeFile(t, "p.json", `{"hookUrl":"https://other.example.net/api/x",`+
		`"hookAuthorization":"Basic b3RoZXI6eA==","oktaUser":"okta"}`)
	tests := []struct {
		name  string
		unset []string
		set   map[string]string
		args  []string
		want  string
	}{
		{"no org", []string{"OKTA_ORG_URL"}, nil, []string{"status"},
			"missing Okta org: set --org-url or OKTA_ORG_URL"},
		{"http org", nil, nil, []string{"status", "--org-url", "http://acme.okta.com"},
			`org URL "http://acme.okta.com": must start with https://`},
		{"no management auth", []string{"OKTA_API_TOKEN"}, nil, []string{"status"},
			"missing management auth: set OKTA_API_TOKEN, or OKTA_CLIENT_ID and " +
				"OKTA_PRIVATE_KEY (service app with okta.inlineHooks.manage/read)"},
		{"token and service app", nil, map[string]string{"OKTA_CLIENT_ID": "0oa1"},
			[]string{"status"}, "contradictory management auth: OKTA_API_TOKEN and " +
				"OKTA_CLIENT_ID/OKTA_PRIVATE_KEY are both set; keep one"},
		{"service app without key", []string{"OKTA_API_TOKEN"},
			map[string]string{"OKTA_CLIENT_ID": "0oa1"}, []string{"status"},
			"missing OKTA_PRIVATE_KEY for service app OKTA_CLIENT_ID"},
		{"no hook url", nil, nil, []string{"register"},
			"missing hook URL: set --hook-url or --from-pulumi"},
		{"no secret", []string{"OKTA_USER", "OKTA_BASIC_SECRET"}, nil,
			[]string{"register", "--hook-url", hookURL}, "missing hook secret: set OKTA_USER " +
				"and OKTA_BASIC_SECRET, or --from-pulumi with hookAuthorization"},
		{"user without secret", []string{"OKTA_BASIC_SECRET"}, nil,
			[]string{"register", "--hook-url", hookURL},
			"missing OKTA_BASIC_SECRET for OKTA_USER"},
		{"http hook url", nil, nil, []string{"register", "--hook-url", "http://x.net/a"},
			`hook URL "http://x.net/a": must be an https:// URL`},
		{"pulumi without --show-secrets", nil, nil, []string{"register", "--from-pulumi",
			pulumiSecret}, "--from-pulumi: hookAuthorization is hidden as [secret]; run " +
			"'pulumi stack output --json --show-secrets'"},
		{"hook url differs from pulumi", []string{"OKTA_USER", "OKTA_BASIC_SECRET"}, nil,
			[]string{"register", "--from-pulumi", pulumiOther, "--hook-url", hookURL},
			"contradictory --hook-url: --hook-url and hookUrl of --from-pulumi differ; give one"},
		{"secret differs from pulumi", nil, nil, []string{"register", "--from-pulumi",
			pulumiOther}, "contradictory hook secret: OKTA_USER/OKTA_BASIC_SECRET and " +
			"hookAuthorization of --from-pulumi differ; use one"},
		{"oauth flags with basic", nil, nil, []string{"register", "--hook-url", hookURL,
			"--client-id", "0oa1"}, "contradictory: OAuth flags given with --auth basic; " +
			"add --auth oauth"},
		{"oauth without client id", nil, nil, []string{"register", "--auth", "oauth",
			"--hook-url", hookURL}, "missing OAuth client id: set --client-id or " +
			"OKTA_HOOK_CLIENT_ID"},
		{"oauth secret and key", nil, nil, []string{"register", "--auth", "oauth",
			"--hook-url", hookURL, "--client-id", "0oa1", "--scope", "s", "--token-url",
			"https://a.okta.com/oauth2/default/v1/token", "--client-secret", "x",
			"--hook-key-id", "HKY1"}, "contradictory OAuth client auth: give only one of " +
			"--client-secret, --hook-key-id, --hook-key-name"},
		{"oauth org authorization server", nil, nil, []string{"register", "--auth", "oauth",
			"--hook-url", hookURL, "--client-id", "0oa1", "--scope", "s", "--token-url",
			"https://a.okta.com/oauth2/v1/token", "--client-secret", "x"},
			`--token-url "https://a.okta.com/oauth2/v1/token": must be a custom authorization ` +
				"server's, e.g. https://<org>/oauth2/default/v1/token"},
		{"test without phone", nil, nil, []string{"test"},
			"missing --phone: the number that will receive a real test SMS"},
		{"test not confirmed", nil, nil, []string{"test", "--phone", "+15555551234"},
			"test sends a real SMS to +1555***1234: confirm with --yes (stdin is not a terminal)"},
		{"unknown flag", nil, nil, []string{"status", "--verbose"},
			"flag provided but not defined: -verbose"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := oktatest.New(t, apiToken)
			env := baseEnv(srv)
			for _, k := range tt.unset {
				delete(env, k)
			}
			for k, v := range tt.set {
				env[k] = v
			}

			r := runCLI(t, srv, env, "", tt.args...)

			want := "okta-setup " + tt.args[0] + ": " + tt.want + "\n"
			if r.code != ExitUsage || r.stderr != want {
				t.Errorf("exit %d, stderr %q;\nwant 2, %q", r.code, r.stderr, want)
			}
			if n := len(srv.Requests()); n != 0 {
				t.Errorf("sent %d requests", n)
			}
		})
	}
}

func TestTestCommandReportsHookAnswer(t *testing.T) {
	tests := []struct {
		name         string
		answer       string
		code         int
		stdout, errs string
	}{
		{"successful", `{"commands":[{"type":"com.okta.telephony.action","value":[{"status":` +
			`"SUCCESSFUL","provider":"ACS","transactionId":"msg-1"}]}]}`, ExitOK,
			"hook answered SUCCESSFUL: provider ACS, transactionId msg-1\n", ""},
		{"failed", `{"commands":[{"type":"com.okta.telephony.action","value":[{"status":` +
			`"FAILED","provider":"ACS","transactionMetadata":"E.164 rejected"}]}]}`, ExitFail,
			"hook answered FAILED: provider ACS, transactionId (none), transactionMetadata " +
				"E.164 rejected\n", "okta-setup test: the SMS was not delivered; Okta would " +
				"fall back to its own providers\n"},
		{"error object", `{"error":{"errorSummary":"Failed to deliver SMS OTP","errorCauses":` +
			`[{"errorSummary":"ACS unavailable","reason":"PROVIDER_UNAVAILABLE"}]}}`, ExitFail,
			"", "okta-setup test: the hook answered with an error: Failed to deliver SMS OTP " +
				"(ACS unavailable (PROVIDER_UNAVAILABLE)); Okta would fall back to its own " +
				"providers\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := oktatest.New(t, apiToken)
			id := srv.AddHook("Azure ACS SMS", "ACTIVE", hookURL)
			srv.SetExecuteAnswer(200, tt.answer)

			r := runCLI(t, srv, baseEnv(srv), "", "test", "--phone", "+15555551234", "--yes")

			lines := strings.SplitN(r.stdout, "\n", 2)
			wantFirst := "sending a real SMS to +1555***1234 through \"Azure ACS SMS\" (" + id +
				", " + hookURL + "), eventId "
			if r.code != tt.code || !strings.HasPrefix(lines[0], wantFirst) ||
				lines[1] != tt.stdout || r.stderr != tt.errs {
				t.Errorf("exit %d\nstdout %q\nstderr %q;\nwant %d %q %q", r.code, r.stdout,
					r.stderr, tt.code, tt.stdout, tt.errs)
			}
		})
	}
}

func TestTestCommandAsksOnTerminal(t *testing.T) {
	for _, tt := range []struct {
		answer string
		code   int
		calls  int
	}{{"yes\n", ExitOK, 2}, {"no\n", ExitFail, 0}} {
		srv := oktatest.New(t, apiToken)
		srv.AddHook("Azure ACS SMS", "ACTIVE", hookURL)
		e := baseEnv(srv)
		r := runTerminal(t, srv, e, tt.answer, "test", "--phone", "+15555551234")
		if r.code != tt.code || len(srv.Requests()) != tt.calls ||
			!strings.HasPrefix(r.stderr, "This sends a real SMS to +1555***1234. Type yes") {
			t.Errorf("answer %q: exit %d, %d calls, stderr %q", tt.answer, r.code,
				len(srv.Requests()), r.stderr)
		}
	}
}

func TestOktaErrorsShowCodeSummaryAndRequestID(t *testing.T) {
	tests := []struct {
		name  string
		token string
		fault *oktatest.Fault
		want  string
	}{
		{"401", "00revoked", nil, "okta-setup status: list telephony hooks: Okta answered 401 " +
			"E0000011: Invalid token provided [request id req-fake-1]\n"},
		{"403", apiToken, &oktatest.Fault{Status: 403, Code: "E0000006",
			Summary: "You do not have permission to perform the requested action"},
			"okta-setup status: list telephony hooks: Okta answered 403 E0000006: You do not " +
				"have permission to perform the requested action [request id req-fake-1]\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := oktatest.New(t, apiToken)
			if tt.fault != nil {
				srv.FailNext("GET", "/api/v1/inlineHooks", *tt.fault)
			}
			env := baseEnv(srv)
			env["OKTA_API_TOKEN"] = tt.token

			r := runCLI(t, srv, env, "", "status")

			if r.code != ExitFail || r.stderr != tt.want {
				t.Errorf("exit %d, stderr %q;\nwant 1, %q", r.code, r.stderr, tt.want)
			}
		})
	}
}

func TestRateLimitedRegisterWaitsForResetThenSucceeds(t *testing.T) {
	srv := oktatest.New(t, apiToken)
	srv.FailNext("POST", "/api/v1/inlineHooks", oktatest.Fault{Status: 429,
		Code: "E0000047", Summary: "API call exceeded rate limit due to too many requests.",
		ResetIn: 3 * time.Second})

	r := runCLI(t, srv, baseEnv(srv), "", "register", "--hook-url", hookURL)

	if r.code != ExitOK || !reflect.DeepEqual(r.waits, []time.Duration{3250 * time.Millisecond}) {
		t.Fatalf("exit %d, waits %v, stderr %q; want 0, [3.25s]", r.code, r.waits, r.stderr)
	}
	reqs := srv.Requests()
	if got := srv.Calls(); !reflect.DeepEqual(got, []string{"GET /api/v1/inlineHooks",
		"POST /api/v1/inlineHooks", "POST /api/v1/inlineHooks"}) {
		t.Errorf("calls = %q", got)
	}
	if string(reqs[1].Body) != string(reqs[2].Body) {
		t.Error("the retried create did not resend the same body")
	}
}

func TestRemoveRefusesActiveHook(t *testing.T) {
	srv := oktatest.New(t, apiToken)
	id := srv.AddHook("Azure ACS SMS", "ACTIVE", hookURL)

	r := runCLI(t, srv, baseEnv(srv), "", "remove")

	want := "okta-setup remove: remove hook \"Azure ACS SMS\" (" + id + "): hook is active " +
		"(status ACTIVE); deactivate it first\n"
	if r.code != ExitFail || r.stderr != want {
		t.Errorf("exit %d, stderr %q;\nwant 1, %q", r.code, r.stderr, want)
	}
	if got := srv.Calls(); !reflect.DeepEqual(got, []string{"GET /api/v1/inlineHooks"}) {
		t.Errorf("calls = %q; want no DELETE", got)
	}
}

func TestDeactivateThenRemove(t *testing.T) {
	srv := oktatest.New(t, apiToken)
	id := srv.AddHook("Azure ACS SMS", "ACTIVE", hookURL)

	d := runCLI(t, srv, baseEnv(srv), "", "deactivate")
	r := runCLI(t, srv, baseEnv(srv), "", "remove", "--id", id)

	wantD := "deactivated \"Azure ACS SMS\" (" + id + "), status INACTIVE: until a telephony " +
		"hook is active, Okta sends SMS through its own providers\n"
	if d.code != ExitOK || d.stdout != wantD {
		t.Errorf("deactivate: exit %d, stdout %q, stderr %q", d.code, d.stdout, d.stderr)
	}
	if r.code != ExitOK || r.stdout != "removed \"Azure ACS SMS\" ("+id+")\n" ||
		len(srv.Hooks()) != 0 {
		t.Errorf("remove: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
}

func TestStatusListsHooksWithoutSecrets(t *testing.T) {
	srv := oktatest.New(t, apiToken)
	old := srv.AddHook("Twilio BYOT", "INACTIVE", "https://twilio.example.net/otp")
	runCLI(t, srv, baseEnv(srv), "", "register", "--hook-url", hookURL,
		"--header", "x-functions-key=fk-secret-1")

	r := runCLI(t, srv, baseEnv(srv), "", "status")

	row := func(st, id, name, url, auth string) string {
		return fmt.Sprintf("%-10s%-13s%-15s%-9s%-54s%s\n", st, id, name, "HTTP", url, auth)
	}
	want := srv.URL + ": active telephony hook \"Azure ACS SMS\" (cal0002TEST)\n" +
		fmt.Sprintf("%-10s%-13s%-15s%-9s%-54s%s\n", "STATUS", "ID", "NAME", "CHANNEL", "URL",
			"AUTH") +
		row("INACTIVE", old, "Twilio BYOT", "https://twilio.example.net/otp",
			"HEADER Authorization") +
		row("ACTIVE", "cal0002TEST", "Azure ACS SMS", hookURL,
			"HEADER Authorization; headers x-functions-key")
	if r.code != ExitOK || r.stdout != want {
		t.Errorf("exit %d, stderr %q, stdout:\n%s\nwant:\n%s", r.code, r.stderr, r.stdout, want)
	}
	if strings.Contains(r.stdout, "fk-secret-1") || strings.Contains(r.stdout, "b2t0YT") {
		t.Error("status shows a secret")
	}
}

func TestStatusWithServiceAppKeyAsPEMTextAsksOnlyReadScope(t *testing.T) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	srv := oktatest.New(t, "")
	srv.ClientID, srv.PublicKey = "0oaReader", &key.PublicKey
	srv.GrantedScopes = []string{"okta.inlineHooks.read"}
	env := map[string]string{"OKTA_ORG_URL": srv.URL, "OKTA_CLIENT_ID": "0oaReader",
		"OKTA_PRIVATE_KEY": string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY",
			Bytes: der}))}

	r := runCLI(t, srv, env, "", "status")

	if r.code != ExitOK {
		t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
	}
	form, _ := url.ParseQuery(string(srv.Requests()[0].Body))
	if got := form.Get("scope"); got != "okta.inlineHooks.read" {
		t.Errorf("requested scope %q; want okta.inlineHooks.read only", got)
	}
}
