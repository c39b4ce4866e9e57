package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"encoding/pem"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"okta-acs-sms/function/acs/acstest"
	"okta-acs-sms/function/hookauth/hookauthtest"
	"okta-acs-sms/function/outbox"
)

// handlerBin is the real binary, built once by TestMain.
var handlerBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "handler-bin")
	if err != nil {
		panic(err)
	}
	handlerBin = filepath.Join(dir, "handler")
	build := exec.Command("go", "build", "-o", handlerBin, ".")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		panic("build handler: " + err.Error())
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// freePort returns a loopback TCP port that was free a moment ago. The handler refuses port
// 0 (the Functions host could not find it), so tests reserve one and pass it on.
func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
}

// startHandler starts the binary in dir with the given settings on a free port and returns
// its base URL once its start-up line says it listens.
func startHandler(t *testing.T, dir string, settings ...string) (*exec.Cmd, string) {
	t.Helper()
	cmd, base, _ := startHandlerLine(t, dir, settings...)
	return cmd, base
}

// startHandlerLine is startHandler that also returns the start-up log line, decoded.
func startHandlerLine(t *testing.T, dir string, settings ...string) (
	*exec.Cmd, string, map[string]any) {
	t.Helper()
	cmd := exec.Command(handlerBin)
	cmd.Dir = dir
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"),
		"FUNCTIONS_CUSTOMHANDLER_PORT=" + freePort(t)}, settings...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })

	lines := bufio.NewScanner(stdout)
	for lines.Scan() {
		var l map[string]any
		if json.Unmarshal(lines.Bytes(), &l) == nil && l["msg"] == "handler: listening" {
			go io.Copy(io.Discard, stdout) // keep the pipe drained
			addr, _ := l["addr"].(string)
			return cmd, "http://" + addr, l
		}
	}
	t.Fatalf("handler exited before listening: %v", lines.Err())
	return nil, "", nil
}

// TestHandlerStartUpLineNamesTheHookAuthenticationModes checks the start-up line's auth
// field for Basic only, OAuth only and both. Starting makes no call to the issuer.
func TestHandlerStartUpLineNamesTheHookAuthenticationModes(t *testing.T) {
	oauth := []string{"OKTA_HOOK_ISSUER=https://127.0.0.1:1/oauth2/default",
		"OKTA_HOOK_AUDIENCE=api://default", "OKTA_HOOK_SCOPE=okta.telephony"}
	basic := []string{"OKTA_USER=okta", "OKTA_BASIC_SECRET=s"}
	tests := []struct {
		name     string
		settings []string
		want     string
	}{
		{"basic", basic, "basic"},
		{"oauth", oauth, "oauth"},
		{"both", append(append([]string{}, basic...), oauth...), "basic+oauth"},
	}
	for _, tt := range tests {
		_, _, line := startHandlerLine(t, t.TempDir(), tt.settings...)
		if line["auth"] != tt.want {
			t.Errorf("%s: start-up line auth = %v; want %q (%v)", tt.name, line["auth"],
				tt.want, line)
		}
	}
}

func TestHandlerStopsAtStartOnAnUnresolvedKeyVaultReference(t *testing.T) {
	cmd := exec.Command(handlerBin)
	cmd.Env = []string{
		"FUNCTIONS_CUSTOMHANDLER_PORT=0", "OKTA_USER=okta", "OKTA_BASIC_SECRET=s",
		"ACS_CONNECTION_STRING=@Microsoft.KeyVault(SecretUri=https://kv.vault.azure.net/" +
			"secrets/acs-connection-string/)",
		"ACS_SENDER=+18005550100",
	}
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()

	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 2 {
		t.Fatalf("exit = %v; want exit status 2", err)
	}
	want := "handler: configuration: ACS_CONNECTION_STRING: unresolved Key Vault reference: " +
		"the app could not read the secret (check the reference and the identity's access " +
		"to the vault)\n"
	if stderr.String() != want || stdout.String() != "" {
		t.Errorf("stderr %q, stdout %q; want stderr %q", stderr.String(), stdout.String(), want)
	}
}

func TestHandlerAnswersTheReadinessProbeAndShutsDownOnSIGTERM(t *testing.T) {
	cmd, base := startHandler(t, t.TempDir(), "OKTA_USER=okta", "OKTA_BASIC_SECRET=s")
	resp, err := http.Get(base + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("GET / = %d; want 200", resp.StatusCode)
	}
	resp, err = http.Get(base + "/api/telephony")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("GET /api/telephony = %d; want 405", resp.StatusCode)
	}

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("exit after SIGTERM = %v; want 0", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("handler still running 5s after SIGTERM")
	}
}

// TestCurlTestPassesAgainstTheLocalHandler is the README's local loop: the binary as
// `make run` starts it (no Azure settings, so the outbox) and scripts/curl-test.sh.
func TestCurlTestPassesAgainstTheLocalHandler(t *testing.T) {
	for _, tool := range []string{"bash", "curl", "python3"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not installed: %v", tool, err)
		}
	}
	dir := t.TempDir()
	_, base := startHandler(t, dir, "OKTA_USER=okta", "OKTA_BASIC_SECRET=local-dev-secret")

	script, err := filepath.Abs("../../../scripts/curl-test.sh")
	if err != nil {
		t.Fatal(err)
	}
	run := exec.Command(script, "-p", "+44 20 7946 0958", base+"/api/telephony")
	run.Env = []string{"PATH=" + os.Getenv("PATH")} // the local defaults apply
	out, err := run.CombinedOutput()
	if err != nil || !strings.Contains(string(out), `"status":"SUCCESSFUL"`) {
		t.Fatalf("curl-test.sh: %v\n%s", err, out)
	}

	b, err := os.ReadFile(filepath.Join(dir, outbox.DefaultFile))
	if err != nil {
		t.Fatal(err)
	}
	var line outbox.Line
	if err := json.Unmarshal(b, &line); err != nil || strings.Count(string(b), "\n") != 1 {
		t.Fatalf("outbox = %q (%v); want one JSON line", b, err)
	}
	if line.To != "+442079460958" || line.Body != "Your code is 123456" ||
		!strings.HasPrefix(line.Tag, "curl-test-") ||
		!strings.Contains(string(out), "transactionId "+line.MessageID) {
		t.Errorf("outbox line %+v; script output:\n%s", line, out)
	}

	// A wrong secret is refused, and the script says so with a non-zero exit.
	bad := exec.Command(script, base+"/api/telephony")
	bad.Env = []string{"PATH=" + os.Getenv("PATH"), "OKTA_USER=okta", "OKTA_BASIC_SECRET=x"}
	if out, err := bad.CombinedOutput(); err == nil || !strings.Contains(string(out), "HTTP 401") {
		t.Errorf("curl-test.sh with a wrong secret: %v\n%s", err, out)
	}
}

// TestCurlTestWaitDeliveryFollowsTheTextToItsDeliveryReport runs curl-test.sh
// --wait-delivery against the local binary and, while the script polls, delivers the text's
// report the way the Functions host does (an Event Grid invocation to /deliveryreport). The
// script ends with the report's status, and exits 0 only for Delivered.
func TestCurlTestWaitDeliveryFollowsTheTextToItsDeliveryReport(t *testing.T) {
	for _, tool := range []string{"bash", "curl", "python3"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not installed: %v", tool, err)
		}
	}
	tests := []struct {
		status, details string
		ok              bool
		final           string
	}{
		{"Delivered", "No error.", true,
			"curl-test: delivery Delivered, code 2000 Delivered successfully"},
		{"Failed", "4007: Recipient opted out", false,
			"curl-test: delivery Failed, code 4007 Recipient opted out (STOP) " +
				"(action: stop-sending-to-number)"},
	}
	_, base := startHandler(t, t.TempDir(), "OKTA_USER=okta",
		"OKTA_BASIC_SECRET=local-dev-secret")
	for _, tt := range tests {
		t.Run(tt.status, func(t *testing.T) {
			out, err := waitDelivery(t, base, func(txid string) {
				postDeliveryReport(t, base, txid, tt.status, tt.details)
			})
			if tt.ok != (err == nil) {
				t.Errorf("curl-test.sh --wait-delivery = %v; want ok=%v\n%s", err, tt.ok, out)
			}
			if !strings.Contains(out, "\n"+tt.final+"\n") {
				t.Errorf("output lacks %q:\n%s", tt.final, out)
			}
		})
	}
}

// waitDelivery runs curl-test.sh --wait-delivery against base, polling every second, and
// calls report with the transactionId once the script says it is waiting for the report.
// It returns the script's output and exit error; the script is killed after 30 s.
func waitDelivery(t *testing.T, base string, report func(txid string)) (string, error) {
	t.Helper()
	script, err := filepath.Abs("../../../scripts/curl-test.sh")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	run := exec.CommandContext(ctx, script, "--wait-delivery", base+"/api/telephony")
	run.Env = []string{"PATH=" + os.Getenv("PATH"), "DELIVERY_WAIT=20", "DELIVERY_POLL=1"}
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	run.Stdout, run.Stderr = w, w
	if err := run.Start(); err != nil {
		t.Fatal(err)
	}
	w.Close()

	var out strings.Builder
	txid, reported := "", false
	lines := bufio.NewScanner(r)
	for lines.Scan() {
		l := lines.Text()
		out.WriteString(l + "\n")
		if id, ok := strings.CutPrefix(l, "curl-test: SUCCESSFUL, transactionId "); ok {
			txid = id
		}
		if txid != "" && !reported && strings.Contains(l, "waiting for its delivery report") {
			report(txid)
			reported = true
		}
	}
	r.Close()
	err = run.Wait()
	if !reported {
		t.Errorf("the script never waited for a report (transactionId %q)", txid)
	}
	return out.String(), err
}

// postDeliveryReport posts an SMSDeliveryReportReceived event for messageID to
// /deliveryreport in the Functions host's payload mode and checks the 200 answer.
func postDeliveryReport(t *testing.T, base, messageID, status, details string) {
	t.Helper()
	at := time.Now().UTC()
	event := map[string]any{
		"id": "report-" + messageID,
		"topic": "/subscriptions/x/resourceGroups/g/providers/" +
			"microsoft.communication/communicationservices/acs",
		"subject":     "/phonenumber/15555551212",
		"eventType":   "Microsoft.Communication.SMSDeliveryReportReceived",
		"dataVersion": "1.0", "metadataVersion": "1",
		"eventTime": at.Format(time.RFC3339Nano),
		"data": map[string]any{
			"messageId": messageID, "from": "18005550100", "to": "+15555551212",
			"deliveryStatus": status, "deliveryStatusDetails": details,
			"receivedTimestamp": at.Format(time.RFC3339Nano),
			"deliveryAttempts": []any{map[string]any{
				"timestamp":         at.Add(-time.Second).Format(time.RFC3339Nano),
				"segmentsSucceeded": 1, "segmentsFailed": 0,
			}},
		},
	}
	body, err := json.Marshal(map[string]any{
		"Data":     map[string]any{"eventGridEvent": event},
		"Metadata": map[string]any{"sys": map[string]any{"MethodName": "deliveryreport"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	client := &http.Client{Timeout: 5 * time.Second}
	resp, err := client.Post(base+"/deliveryreport", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("POST /deliveryreport = %d; want 200", resp.StatusCode)
	}
}

// TestHandlerSendsThroughACSWithAConnectionString runs the binary in access-key mode against
// the fake ACS, which checks every HMAC signature. The binary trusts the fake's TLS
// certificate through SSL_CERT_FILE, as it would trust any CA.
func TestHandlerSendsThroughACSWithAConnectionString(t *testing.T) {
	for _, tool := range []string{"bash", "curl", "python3"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not installed: %v", tool, err)
		}
	}
	fake := acstest.NewServer(t)
	certFile := filepath.Join(t.TempDir(), "fake-acs.pem")
	writeServerCert(t, strings.TrimPrefix(fake.Endpoint(), "https://"), certFile)

	dir := t.TempDir()
	_, base := startHandler(t, dir, "OKTA_USER=okta", "OKTA_BASIC_SECRET=s3cret",
		"ACS_CONNECTION_STRING="+fake.ConnectionString(), "ACS_SENDER=+18005550100",
		"SSL_CERT_FILE="+certFile)

	script, err := filepath.Abs("../../../scripts/curl-test.sh")
	if err != nil {
		t.Fatal(err)
	}
	run := exec.Command(script, base+"/api/telephony")
	run.Env = []string{"PATH=" + os.Getenv("PATH"), "OKTA_USER=okta", "OKTA_BASIC_SECRET=s3cret"}
	out, err := run.CombinedOutput()
	if err != nil {
		t.Fatalf("curl-test.sh: %v\n%s", err, out)
	}
	texts := fake.Texts()
	if len(texts) != 1 || texts[0].To != "+15555551212" || texts[0].From != "+18005550100" ||
		!strings.Contains(string(out), `"provider":"ACS","transactionId":"`+texts[0].MessageID) {
		t.Errorf("texts %+v; script output:\n%s", texts, out)
	}
	if _, err := os.Stat(filepath.Join(dir, outbox.DefaultFile)); !os.IsNotExist(err) {
		t.Errorf("the outbox was used in ACS mode: %v", err)
	}
}

// writeServerCert writes the certificate the TLS server at addr presents, as PEM.
func writeServerCert(t *testing.T, addr, file string) {
	t.Helper()
	conn, err := tls.Dial("tcp", addr, &tls.Config{InsecureSkipVerify: true})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	cert := conn.ConnectionState().PeerCertificates[0]
	b := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Raw})
	if err := os.WriteFile(file, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestHandlerAcceptsOktaOAuthTokensAndBasicTogether runs the binary with both hook
// authentication modes against a loopback Okta authorization server: a minted access token
// and the Basic secret both pass, a token for another audience does not.
func TestHandlerAcceptsOktaOAuthTokensAndBasicTogether(t *testing.T) {
	for _, tool := range []string{"bash", "curl", "python3"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not installed: %v", tool, err)
		}
	}
	iss := hookauthtest.NewIssuer(t)
	certFile := filepath.Join(t.TempDir(), "issuer.pem")
	host := strings.TrimPrefix(strings.TrimSuffix(iss.URL, hookauthtest.ServerPath), "https://")
	writeServerCert(t, host, certFile)
	_, base := startHandler(t, t.TempDir(), "OKTA_USER=okta", "OKTA_BASIC_SECRET=s3cret",
		"OKTA_HOOK_ISSUER="+iss.URL, "OKTA_HOOK_AUDIENCE="+hookauthtest.Audience,
		"OKTA_HOOK_SCOPE="+hookauthtest.Scope, "OKTA_HOOK_CLIENT_ID="+hookauthtest.ClientID,
		"SSL_CERT_FILE="+certFile)
	script, err := filepath.Abs("../../../scripts/curl-test.sh")
	if err != nil {
		t.Fatal(err)
	}

	wrongAud := iss.Claims(time.Now())
	wrongAud["aud"] = "api://other"
	tests := []struct {
		name string
		env  string
		ok   bool
	}{
		{"okta access token", "HOOK_AUTHORIZATION=Bearer " + iss.Mint(t, iss.Claims(time.Now())),
			true},
		{"basic secret", "OKTA_BASIC_SECRET=s3cret", true},
		{"token for another audience", "HOOK_AUTHORIZATION=Bearer " + iss.Mint(t, wrongAud),
			false},
	}
	for _, tt := range tests {
		run := exec.Command(script, base+"/api/telephony")
		run.Env = []string{"PATH=" + os.Getenv("PATH"), "OKTA_USER=okta", tt.env}
		out, err := run.CombinedOutput()
		if (err == nil) != tt.ok {
			t.Errorf("%s: curl-test.sh = %v; want ok=%v\n%s", tt.name, err, tt.ok, out)
		}
		if !tt.ok && !strings.Contains(string(out), "HTTP 401") {
			t.Errorf("%s: want a 401:\n%s", tt.name, out)
		}
	}
	if iss.KeyFetches() == 0 {
		t.Error("the handler never fetched the issuer's keys")
	}
}

// TestHandlerStopsAtStartOnAnOutboxPathThatIsNotARegularFile checks that a bad OUTBOX_FILE
// stops the binary before it listens, naming the setting, instead of failing every text.
func TestHandlerStopsAtStartOnAnOutboxPathThatIsNotARegularFile(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "elsewhere.jsonl")
	if err := os.WriteFile(target, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link.jsonl")
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	tests := []struct{ name, path, want string }{
		{"symbolic link", link, "handler: configuration: OUTBOX_FILE: outbox: open " + link +
			": a symbolic link, not a regular file; the outbox holds codes and writes only " +
			"to a regular file it can make private (0600)\n"},
		{"directory", dir, "handler: configuration: OUTBOX_FILE: outbox: open " + dir +
			": a directory, not a regular file; the outbox holds codes and writes only " +
			"to a regular file it can make private (0600)\n"},
		{"missing directory", filepath.Join(dir, "no", "outbox.jsonl"),
			"handler: configuration: OUTBOX_FILE: outbox: open " +
				filepath.Join(dir, "no", "outbox.jsonl") + ": no such file or directory\n"},
	}
	for _, tt := range tests {
		cmd := exec.Command(handlerBin)
		cmd.Dir = dir
		cmd.Env = []string{"FUNCTIONS_CUSTOMHANDLER_PORT=" + freePort(t), "OKTA_USER=okta",
			"OKTA_BASIC_SECRET=s", "OUTBOX_FILE=" + tt.path}
		var stdout, stderr strings.Builder
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		done := make(chan error, 1)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		go func() { done <- cmd.Wait() }()
		var err error
		select {
		case err = <-done:
		case <-ctx.Done():
			_ = cmd.Process.Kill()
			err = <-done
		}
		cancel()

		var exit *exec.ExitError
		if !errors.As(err, &exit) || exit.ExitCode() != 2 {
			t.Errorf("%s: exit = %v; want exit status 2 (stdout %s)", tt.name, err, stdout.String())
		}
		if stderr.String() != tt.want || stdout.String() != "" {
			t.Errorf("%s: stderr %q, stdout %q; want stderr %q", tt.name, stderr.String(),
				stdout.String(), tt.want)
		}
	}
	if b, _ := os.ReadFile(target); len(b) != 0 {
		t.Errorf("the link's target was written: %q", b)
	}
}

// TestHandlerMakesAnExistingOutboxPrivateAtStart checks that a world-readable outbox left
// from an earlier run is 0600 once the handler listens, before any text.
func TestHandlerMakesAnExistingOutboxPrivateAtStart(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, outbox.DefaultFile)
	if err := os.WriteFile(path, []byte("{}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, 0o644); err != nil { // not left to the umask
		t.Fatal(err)
	}
	startHandler(t, dir, "OKTA_USER=okta", "OKTA_BASIC_SECRET=s")
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode() != 0o600 {
		t.Errorf("outbox mode after start = %v; want -rw-------", fi.Mode())
	}
	if b, _ := os.ReadFile(path); string(b) != "{}\n" {
		t.Errorf("outbox content changed at start: %q", b)
	}
}

// TestCurlTestKeepsEveryCredentialOffTheCommandLine runs curl-test.sh through a curl wrapper
// that records its arguments (what `ps` shows) against a loopback stand-in for the hook:
// the Authorization header and the function key must arrive as headers, and neither may
// appear among curl's arguments.
func TestCurlTestKeepsEveryCredentialOffTheCommandLine(t *testing.T) {
	for _, tool := range []string{"bash", "curl", "python3"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not installed: %v", tool, err)
		}
	}
	realCurl, _ := exec.LookPath("curl")
	type seen struct{ auth, key string }
	got := make(chan seen, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got <- seen{r.Header.Get("Authorization"), r.Header.Get("X-Functions-Key")}
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"commands":[{"type":"com.okta.telephony.action","value":[`+
			`{"status":"SUCCESSFUL","provider":"ACS","transactionId":"Outgoing_1"}]}]}`)
	}))
	defer srv.Close()

	bin := t.TempDir()
	argv := filepath.Join(bin, "argv.log")
	wrapper := "#!/bin/sh\nprintf '%s\\n' \"$@\" >> " + argv + "\nexec " + realCurl + " \"$@\"\n"
	if err := os.WriteFile(filepath.Join(bin, "curl"), []byte(wrapper), 0o700); err != nil {
		t.Fatal(err)
	}
	script, err := filepath.Abs("../../../scripts/curl-test.sh")
	if err != nil {
		t.Fatal(err)
	}
	const auth, key = "Basic b2t0YTpzM2NyZXQ=", `fk-s3"cr\et_Key==` // quote, backslash
	run := exec.Command(script, srv.URL+"/api/telephony")
	run.Env = []string{"PATH=" + bin + ":" + os.Getenv("PATH"), "HOOK_AUTHORIZATION=" + auth,
		"HOOK_FUNCTION_KEY=" + key}
	if out, err := run.CombinedOutput(); err != nil {
		t.Fatalf("curl-test.sh: %v\n%s", err, out)
	}

	if s := <-got; s.auth != auth || s.key != key {
		t.Errorf("hook saw Authorization %q, x-functions-key %q; want %q, %q", s.auth, s.key,
			auth, key)
	}
	args, err := os.ReadFile(argv)
	if err != nil {
		t.Fatal(err)
	}
	// The body holds a phone number and a code: it goes through a file too.
	for _, secret := range []string{auth, "b2t0YTpzM2NyZXQ=", key, "+15555551212", "otpCode"} {
		if strings.Contains(string(args), secret) {
			t.Errorf("curl's command line holds %q:\n%s", secret, args)
		}
	}
}
