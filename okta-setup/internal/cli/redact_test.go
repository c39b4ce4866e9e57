package cli

import (
	"fmt"
	"strings"
	"testing"

	"okta-acs-sms/okta-setup/internal/oktatest"
)

const (
	// keyedURL carries an Azure function key in its query, as Azure's portal hands it out.
	keyedURL = hookURL + "?code=QSECRET"
	// printedKeyedURL is keyedURL as every command prints it.
	printedKeyedURL = hookURL + "?code=***"
)

// noQuerySecret fails t if any output shows the function key of keyedURL.
func noQuerySecret(t *testing.T, r result) {
	t.Helper()
	if strings.Contains(r.stdout+r.stderr, "QSECRET") {
		t.Errorf("output shows the function key:\nstdout %q\nstderr %q", r.stdout, r.stderr)
	}
}

func TestRegisterSendsKeyedHookURLButPrintsItRedacted(t *testing.T) {
	srv := oktatest.New(t, apiToken)

	r := runCLI(t, srv, baseEnv(srv), "", "register", "--hook-url", keyedURL)

	want := "created telephony hook \"Azure ACS SMS\"\n  id:     cal0001TEST\n" +
		"  url:    " + printedKeyedURL + "\n  status: ACTIVE\n"
	if r.code != ExitOK || r.stdout != want || r.stderr != "" {
		t.Errorf("exit %d, stdout %q, stderr %q;\nwant 0, %q", r.code, r.stdout, r.stderr,
			want)
	}
	noQuerySecret(t, r)
	if _, cfg := config(t, srv.Hooks()[0]); cfg["uri"] != keyedURL {
		t.Errorf("Okta got uri %v; want %s intact", cfg["uri"], keyedURL)
	}
}

func TestDryRunPrintsHookURLWithQueryValuesRedacted(t *testing.T) {
	srv := oktatest.New(t, apiToken)

	r := runCLI(t, srv, baseEnv(srv), "", "register", "--hook-url", keyedURL, "--dry-run")

	if r.code != ExitOK || !strings.Contains(r.stdout, "\n"+`      "uri": "`+
		printedKeyedURL+`"`+"\n") {
		t.Errorf("exit %d, stderr %q, stdout:\n%s", r.code, r.stderr, r.stdout)
	}
	noQuerySecret(t, r)
}

func TestStatusPrintsURLsReadFromOktaRedacted(t *testing.T) {
	srv := oktatest.New(t, apiToken)
	id := srv.AddHook("ACS", "ACTIVE", "https://user:pw@x.net/api/telephony?code=QSECRET")

	r := runCLI(t, srv, baseEnv(srv), "", "status")

	url := "https://***@x.net/api/telephony?code=***"
	want := srv.URL + ": active telephony hook \"ACS\" (" + id + ")\n" +
		fmt.Sprintf("%-8s%-13s%-6s%-9s%-*s%s\n", "STATUS", "ID", "NAME", "CHANNEL",
			len(url)+2, "URL", "AUTH") +
		fmt.Sprintf("%-8s%-13s%-6s%-9s%-*s%s\n", "ACTIVE", id, "ACS", "HTTP", len(url)+2, url,
			"HEADER Authorization")
	if r.code != ExitOK || r.stdout != want {
		t.Errorf("exit %d, stderr %q, stdout:\n%s\nwant:\n%s", r.code, r.stderr, r.stdout, want)
	}
	if strings.Contains(r.stdout, "pw") {
		t.Errorf("status shows the URL's password:\n%s", r.stdout)
	}
	noQuerySecret(t, r)
}

func TestTestCommandPrintsHookURLRedacted(t *testing.T) {
	srv := oktatest.New(t, apiToken)
	id := srv.AddHook("Azure ACS SMS", "ACTIVE", keyedURL)
	srv.SetExecuteAnswer(200, `{"commands":[{"type":"com.okta.telephony.action","value":`+
		`[{"status":"SUCCESSFUL","provider":"ACS","transactionId":"msg-1"}]}]}`)

	r := runCLI(t, srv, baseEnv(srv), "", "test", "--phone", "+15555551234", "--yes")

	want := "sending a real SMS to +1555***1234 through \"Azure ACS SMS\" (" + id + ", " +
		printedKeyedURL + "), eventId "
	if r.code != ExitOK || !strings.HasPrefix(r.stdout, want) {
		t.Errorf("exit %d, stderr %q, stdout %q;\nwant prefix %q", r.code, r.stderr,
			r.stdout, want)
	}
	noQuerySecret(t, r)
}

func TestOktaErrorQuotingHookURLIsPrintedRedacted(t *testing.T) {
	srv := oktatest.New(t, apiToken)
	srv.FailNext("POST", "/api/v1/inlineHooks", oktatest.Fault{Status: 400,
		Code: "E0000001", Summary: "Api validation failed: channel",
		Causes: []string{"uri " + keyedURL + " is not reachable"}})

	r := runCLI(t, srv, baseEnv(srv), "", "register", "--hook-url", keyedURL)

	want := "okta-setup register: create hook: Okta answered 400 E0000001: Api validation " +
		"failed: channel (uri " + printedKeyedURL + " is not reachable) [request id " +
		"req-fake-2]\n"
	if r.code != ExitFail || r.stderr != want {
		t.Errorf("exit %d, stderr %q;\nwant 1, %q", r.code, r.stderr, want)
	}
	noQuerySecret(t, r)
}

func TestRegisterRefusesUserinfoInHookURLAndRedactsTheURLItPrints(t *testing.T) {
	tests := []struct{ name, url, want string }{
		{"userinfo", "https://user:pw@x.net/api/telephony?code=QSECRET", `hook URL ` +
			`"https://***@x.net/api/telephony?code=***": must not contain user:password@; ` +
			"Okta sends the hook secret in the Authorization header"},
		{"user only", "https://user@x.net/api/telephony", `hook URL ` +
			`"https://***@x.net/api/telephony": must not contain user:password@; ` +
			"Okta sends the hook secret in the Authorization header"},
		{"http with key", "http://x.net/api?code=QSECRET",
			`hook URL "http://x.net/api?code=***": must be an https:// URL`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			refusedInOneLine(t, nil, "", []string{"register", "--hook-url", tt.url}, tt.want,
				"QSECRET", "pw@")
		})
	}
}

// refusedInOneLine runs okta-setup with baseEnv changed by set and checks that it sends
// nothing, exits 2 with the one line want, and shows none of secrets.
func refusedInOneLine(t *testing.T, set map[string]string, stdin string, args []string,
	want string, secrets ...string) {
	t.Helper()
	srv := oktatest.New(t, apiToken)
	env := baseEnv(srv)
	for k, v := range set {
		env[k] = v
	}

	r := runCLI(t, srv, env, stdin, args...)

	want = "okta-setup " + args[0] + ": " + want + "\n"
	if r.code != ExitUsage || r.stderr != want {
		t.Errorf("exit %d, stderr %q;\nwant 2, %q", r.code, r.stderr, want)
	}
	if n := len(srv.Requests()); n != 0 {
		t.Errorf("sent %d requests", n)
	}
	for _, secret := range secrets {
		if strings.Contains(r.stdout+r.stderr, secret) {
			t.Errorf("output shows %q: stdout %q, stderr %q", secret, r.stdout, r.stderr)
		}
	}
}

func TestRegisterHelpPrefersFunctionKeyHeaderOverQuery(t *testing.T) {
	r := runCLI(t, nil, map[string]string{}, "", "register", "-h")

	want := "  -hook-url string\n    \tthe function's telephony URL, https (default hookUrl " +
		"of --from-pulumi); a ?code=<function key> query is accepted and printed as " +
		"?code=***, but --header x-functions-key=... or --header-env is preferred\n"
	if r.code != ExitOK || !strings.Contains(r.stdout, want) {
		t.Errorf("exit %d, stdout:\n%s\nlacks:\n%s", r.code, r.stdout, want)
	}
}
