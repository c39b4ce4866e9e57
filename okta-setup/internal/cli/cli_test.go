package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"okta-acs-sms/okta-setup/hooks"
	"okta-acs-sms/okta-setup/internal/oktatest"
)

const (
	apiToken = "00testApiToken"
	hookURL  = "https://func-acs-sms.azurewebsites.net/api/telephony"
	// basicValue is "Basic " + base64("okta:s3cret").
	basicValue = "Basic b2t0YTpzM2NyZXQ="
)

type result struct {
	code           int
	stdout, stderr string
	waits          []time.Duration
}

// runCLI runs okta-setup in-process against srv. Only the tests inject the HTTP client
// that trusts srv; the binary has no such option (see main_test.go for the real thing).
func runCLI(t *testing.T, srv *oktatest.Server, env map[string]string, stdin string,
	args ...string) result {
	t.Helper()
	var out, errOut bytes.Buffer
	var res result
	e := Env{
		Args:            args,
		Stdin:           strings.NewReader(stdin),
		StdinIsTerminal: terminalStdin,
		Stdout:          &out, Stderr: &errOut,
		Getenv: func(k string) string { return env[k] },
		Now:    func() time.Time { return time.Date(2026, 12, 4, 17, 0, 0, 0, time.UTC) },
		rateLimit: hooks.RateLimit{Sleep: func(_ context.Context, d time.Duration) error {
			res.waits = append(res.waits, d)
			return nil
		}},
	}
	if srv != nil {
		e.httpClient = srv.Client()
	}
	res.code = Run(context.Background(), e)
	res.stdout, res.stderr = out.String(), errOut.String()
	return res
}

// baseEnv is an API-token setup with the function's Basic secret.
func baseEnv(srv *oktatest.Server) map[string]string {
	return map[string]string{"OKTA_ORG_URL": srv.URL, "OKTA_API_TOKEN": apiToken,
		"OKTA_USER": "okta", "OKTA_BASIC_SECRET": "s3cret", "FUNC_KEY": "fk-secret-1"}
}

func config(t *testing.T, h oktatest.Hook) (channelType string, cfg map[string]interface{}) {
	t.Helper()
	ch, ok := h.Body["channel"].(map[string]interface{})
	if !ok {
		t.Fatalf("hook %s has no channel: %v", h.ID, h.Body)
	}
	cfg, _ = ch["config"].(map[string]interface{})
	return ch["type"].(string), cfg
}

func TestRegisterCreatesActiveHookWithBasicSecretAndFunctionKey(t *testing.T) {
	srv := oktatest.New(t, apiToken)

	r := runCLI(t, srv, baseEnv(srv), "", "register", "--hook-url", hookURL,
		"--header-env", "x-functions-key=FUNC_KEY")

	if r.code != ExitOK {
		t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
	}
	want := "created telephony hook \"Azure ACS SMS\"\n  id:     cal0001TEST\n" +
		"  url:    " + hookURL + "\n  status: ACTIVE\n"
	if r.stdout != want {
		t.Errorf("stdout = %q; want %q", r.stdout, want)
	}
	hs := srv.Hooks()
	typ, cfg := config(t, hs[0])
	wantCfg := map[string]interface{}{"uri": hookURL, "method": "POST",
		"authScheme": map[string]interface{}{"type": "HEADER", "key": "Authorization",
			"value": basicValue},
		"headers": []interface{}{map[string]interface{}{"key": "x-functions-key",
			"value": "fk-secret-1"}}}
	if typ != "HTTP" || !reflect.DeepEqual(cfg, wantCfg) || hs[0].Status != "ACTIVE" {
		t.Errorf("stored %s %s %v; want HTTP ACTIVE %v", typ, hs[0].Status, cfg, wantCfg)
	}
	for _, req := range srv.Requests() {
		if req.Authorization != "SSWS "+apiToken {
			t.Errorf("%s %s sent Authorization %q", req.Method, req.Path, req.Authorization)
		}
	}
}

func TestRegisterReplacesSameNamedHookAndResendsSecret(t *testing.T) {
	srv := oktatest.New(t, apiToken)
	id := srv.AddHook("Azure ACS SMS", "ACTIVE", "https://old.example.net/api/telephony")

	r := runCLI(t, srv, baseEnv(srv), "", "register", "--hook-url", hookURL)

	if r.code != ExitOK || !strings.HasPrefix(r.stdout, "replaced telephony hook") {
		t.Fatalf("exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	if got := srv.Calls(); !reflect.DeepEqual(got, []string{"GET /api/v1/inlineHooks",
		"PUT /api/v1/inlineHooks/" + id}) {
		t.Errorf("calls = %q", got)
	}
	_, cfg := config(t, srv.Hooks()[0])
	as := cfg["authScheme"].(map[string]interface{})
	if as["value"] != basicValue || cfg["uri"] != hookURL {
		t.Errorf("replaced config = %v; want the secret re-sent and the new URI", cfg)
	}
}

func TestRegisterRefusesWhileAnotherHookIsActive(t *testing.T) {
	srv := oktatest.New(t, apiToken)
	other := srv.AddHook("Twilio BYOT", "ACTIVE", "https://twilio.example.net/otp")

	r := runCLI(t, srv, baseEnv(srv), "", "register", "--hook-url", hookURL)

	want := "okta-setup register: another telephony hook is active: \"Twilio BYOT\" (" + other +
		"); Okta allows only one active telephony hook per org; rerun with --force to " +
		"deactivate it first\n"
	if r.code != ExitFail || r.stderr != want {
		t.Errorf("exit %d, stderr %q; want 1, %q", r.code, r.stderr, want)
	}
	if got := srv.Calls(); !reflect.DeepEqual(got, []string{"GET /api/v1/inlineHooks"}) {
		t.Errorf("calls = %q; want only the list", got)
	}
}

func TestRegisterWithForceDeactivatesTheOtherHookFirst(t *testing.T) {
	srv := oktatest.New(t, apiToken)
	other := srv.AddHook("Twilio BYOT", "ACTIVE", "https://twilio.example.net/otp")

	r := runCLI(t, srv, baseEnv(srv), "", "register", "--hook-url", hookURL, "--force")

	want := "deactivated \"Twilio BYOT\" (" + other + "): Okta allows one active telephony " +
		"hook\ncreated telephony hook \"Azure ACS SMS\"\n  id:     cal0002TEST\n" +
		"  url:    " + hookURL + "\n  status: ACTIVE\n"
	if r.code != ExitOK || r.stdout != want {
		t.Errorf("exit %d, stdout %q, stderr %q; want %q", r.code, r.stdout, r.stderr, want)
	}
	wantCalls := []string{"GET /api/v1/inlineHooks",
		"POST /api/v1/inlineHooks/" + other + "/lifecycle/deactivate",
		"POST /api/v1/inlineHooks"}
	if got := srv.Calls(); !reflect.DeepEqual(got, wantCalls) {
		t.Errorf("calls = %q; want %q", got, wantCalls)
	}
}

const pulumiJSON = `{"appName":"func-acs-sms-prod","hookUrl":"` + hookURL + `",` +
	`"hookAuthorization":"` + basicValue + `","oktaUser":"okta",` +
	`"resourceGroupName":"rg-acs-sms","keyVaultName":"kv-acs-sms"}`

func TestRegisterFromPulumiOutputs(t *testing.T) {
	for _, source := range []string{"file", "stdin"} {
		t.Run(source, func(t *testing.T) {
			srv := oktatest.New(t, apiToken)
			env := map[string]string{"OKTA_ORG_URL": srv.URL, "OKTA_API_TOKEN": apiToken}
			arg, stdin := writeFile(t, "outputs.json", pulumiJSON), ""
			if source == "stdin" {
				arg, stdin = "-", pulumiJSON
			}

			r := runCLI(t, srv, env, stdin, "register", "--from-pulumi", arg)

			want := "created telephony hook \"Azure ACS SMS (func-acs-sms-prod)\"\n" +
				"  id:     cal0001TEST\n  url:    " + hookURL + "\n  status: ACTIVE\n"
			if r.code != ExitOK || r.stdout != want {
				t.Fatalf("exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
			}
			_, cfg := config(t, srv.Hooks()[0])
			if as := cfg["authScheme"].(map[string]interface{}); as["value"] != basicValue {
				t.Errorf("authScheme = %v", as)
			}
		})
	}
}

func TestRegisterWithOAuthClientSecret(t *testing.T) {
	srv := oktatest.New(t, apiToken)
	env := map[string]string{"OKTA_ORG_URL": srv.URL, "OKTA_API_TOKEN": apiToken,
		"OKTA_HOOK_CLIENT_ID": "0oaHookClient", "OKTA_HOOK_CLIENT_SECRET": "hook-client-secret"}
	pulumi := `{"hookUrl":"` + hookURL + `","appName":"func-x",` +
		`"hookIssuer":"https://acme.okta.com/oauth2/default",` +
		`"hookAudience":"api://default","hookScope":"okta.telephony.hook"}`

	r := runCLI(t, srv, env, pulumi, "register", "--auth", "oauth", "--from-pulumi", "-")

	if r.code != ExitOK {
		t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
	}
	typ, cfg := config(t, srv.Hooks()[0])
	want := map[string]interface{}{"uri": hookURL, "method": "POST",
		"authType": "client_secret_post", "clientId": "0oaHookClient",
		"clientSecret": "hook-client-secret",
		"tokenUrl":     "https://acme.okta.com/oauth2/default/v1/token",
		"scope":        "okta.telephony.hook"}
	if typ != "OAUTH" || !reflect.DeepEqual(cfg, want) {
		t.Errorf("stored %s %v;\nwant OAUTH %v", typ, cfg, want)
	}
}

func TestRegisterWithOAuthHookKeyID(t *testing.T) {
	srv := oktatest.New(t, apiToken)
	keyID := srv.AddKey("acs-sms-hook")
	env := map[string]string{"OKTA_ORG_URL": srv.URL, "OKTA_API_TOKEN": apiToken}

	r := runCLI(t, srv, env, "", "register", "--auth", "oauth", "--hook-url", hookURL,
		"--client-id", "0oaHookClient", "--hook-key-id", keyID,
		"--token-url", "https://acme.okta.com/oauth2/aus1/v1/token", "--scope", "sms.hook")

	if r.code != ExitOK {
		t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
	}
	_, cfg := config(t, srv.Hooks()[0])
	want := map[string]interface{}{"uri": hookURL, "method": "POST",
		"authType": "private_key_jwt", "clientId": "0oaHookClient", "hookKeyId": keyID,
		"tokenUrl": "https://acme.okta.com/oauth2/aus1/v1/token", "scope": "sms.hook"}
	if !reflect.DeepEqual(cfg, want) {
		t.Errorf("stored %v;\nwant %v", cfg, want)
	}

	st := runCLI(t, srv, env, "", "status")
	wantAuth := "OAUTH private_key_jwt client 0oaHookClient scope sms.hook token " +
		"https://acme.okta.com/oauth2/aus1/v1/token hook key " + keyID + "\n"
	if st.code != ExitOK || !strings.HasSuffix(st.stdout, wantAuth) {
		t.Errorf("status exit %d, stdout %q; want a line ending %q", st.code, st.stdout,
			wantAuth)
	}
}

// TestRegisterReplacingOAuthHookResendsItsCredentials re-runs register on an OAuth hook of
// the same name. Okta never returns clientSecret on read, so a replace body built from a
// read would drop it and Okta would refuse it (or the hook would stop getting tokens).
func TestRegisterReplacingOAuthHookResendsItsCredentials(t *testing.T) {
	const tokenURL = "https://acme.okta.com/oauth2/aus1/v1/token"
	cases := []struct {
		name    string
		hookKey bool // --hook-key-id instead of OKTA_HOOK_CLIENT_SECRET
		want    map[string]interface{}
	}{
		{"client secret", false, map[string]interface{}{"uri": hookURL, "method": "POST",
			"authType": "client_secret_post", "clientId": "0oaHookClient",
			"clientSecret": "hook-client-secret", "tokenUrl": tokenURL, "scope": "sms.hook"}},
		// hookKeyId set and no clientSecret key at all (reference §3.2: it must be null).
		{"hook key", true, map[string]interface{}{"uri": hookURL, "method": "POST",
			"authType": "private_key_jwt", "clientId": "0oaHookClient",
			"hookKeyId": "HKY0001TEST", "tokenUrl": tokenURL, "scope": "sms.hook"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			srv := oktatest.New(t, apiToken)
			env := map[string]string{"OKTA_ORG_URL": srv.URL, "OKTA_API_TOKEN": apiToken}
			args := []string{"register", "--auth", "oauth", "--hook-url", hookURL,
				"--client-id", "0oaHookClient", "--token-url", tokenURL, "--scope", "sms.hook"}
			if c.hookKey {
				args = append(args, "--hook-key-id", srv.AddKey("acs-sms-hook"))
			} else {
				env["OKTA_HOOK_CLIENT_SECRET"] = "hook-client-secret"
			}

			first := runCLI(t, srv, env, "", args...)
			before := len(srv.Requests())
			second := runCLI(t, srv, env, "", args...)

			if first.code != ExitOK || second.code != ExitOK ||
				!strings.HasPrefix(second.stdout, "replaced telephony hook") {
				t.Fatalf("exits %d/%d, stdout %q, stderr %q %q", first.code, second.code,
					second.stdout, first.stderr, second.stderr)
			}
			typ, cfg := onePutConfig(t, srv.Requests()[before:])
			if typ != "OAUTH" || !reflect.DeepEqual(cfg, c.want) {
				t.Errorf("PUT channel %s config %v;\nwant OAUTH %v", typ, cfg, c.want)
			}
		})
	}
}

// onePutConfig decodes channel.type and channel.config of the one PUT among reqs.
func onePutConfig(t *testing.T, reqs []oktatest.Request) (string, map[string]interface{}) {
	t.Helper()
	var puts []oktatest.Request
	for _, r := range reqs {
		if r.Method == "PUT" {
			puts = append(puts, r)
		}
	}
	if len(puts) != 1 {
		t.Fatalf("%d PUT requests, want 1", len(puts))
	}
	var body struct {
		Channel struct {
			Type   string                 `json:"type"`
			Config map[string]interface{} `json:"config"`
		} `json:"channel"`
	}
	if err := json.Unmarshal(puts[0].Body, &body); err != nil {
		t.Fatalf("PUT body: %v", err)
	}
	return body.Channel.Type, body.Channel.Config
}

func TestRegisterWithOAuthCreatesHookKeyOnceThenReusesIt(t *testing.T) {
	srv := oktatest.New(t, apiToken)
	env := map[string]string{"OKTA_ORG_URL": srv.URL, "OKTA_API_TOKEN": apiToken,
		"OKTA_HOOK_CLIENT_ID": "0oaHookClient",
		"OKTA_HOOK_ISSUER":    "https://acme.okta.com/oauth2/default",
		"OKTA_HOOK_SCOPE":     "sms.hook"}
	args := []string{"register", "--auth", "oauth", "--hook-url", hookURL,
		"--hook-key-name", "acs-sms-hook"}

	first := runCLI(t, srv, env, "", args...)
	second := runCLI(t, srv, env, "", args...)

	keys := srv.Keys()
	if first.code != ExitOK || second.code != ExitOK || len(keys) != 1 {
		t.Fatalf("exits %d/%d, %d keys; stderr %q %q", first.code, second.code, len(keys),
			first.stderr, second.stderr)
	}
	wantFirst := "created hook key \"acs-sms-hook\": id " + keys[0].ID + ", kid " +
		keys[0].KeyID + "\n  the OAuth client 0oaHookClient must trust its public key: GET " +
		srv.URL + "/api/v1/hook-keys/public/" + keys[0].KeyID + "\n"
	if !strings.HasPrefix(first.stdout, wantFirst) ||
		!strings.HasPrefix(second.stdout, "using hook key") {
		t.Errorf("stdout:\n%s\n%s", first.stdout, second.stdout)
	}
	if _, cfg := config(t, srv.Hooks()[0]); cfg["hookKeyId"] != keys[0].ID {
		t.Errorf("hookKeyId = %v; want %s", cfg["hookKeyId"], keys[0].ID)
	}
	wantCalls := []string{"GET /api/v1/hook-keys", "POST /api/v1/hook-keys",
		"GET /api/v1/inlineHooks", "POST /api/v1/inlineHooks",
		"GET /api/v1/hook-keys", "GET /api/v1/inlineHooks", "PUT /api/v1/inlineHooks/" +
			srv.Hooks()[0].ID}
	if got := srv.Calls(); !reflect.DeepEqual(got, wantCalls) {
		t.Errorf("calls = %q;\nwant %q", got, wantCalls)
	}
}
