package hook

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"okta-acs-sms/function/acs"
	"okta-acs-sms/function/acs/acstest"
	"okta-acs-sms/function/hookauth"
	"okta-acs-sms/function/okta"
	"okta-acs-sms/function/sms"
)

const testFrom = "+18005550100"

// e2e is the real handler behind a real HTTP server, sending through the real ACS client to
// the fake ACS, which verifies every HMAC signature (or bearer token) like ACS does.
type e2e struct {
	acs  *acstest.Server
	hook *httptest.Server
	logs *syncBuffer
}

func newE2E(t *testing.T, deadline time.Duration, opts ...acstest.Option) *e2e {
	t.Helper()
	fake := acstest.NewServer(t, opts...)
	client := fake.NewClient(t, testFrom, nil)
	h, logs := newHandler(t, client, func(o *Options) { o.Deadline = deadline })
	mux := http.NewServeMux()
	mux.Handle("POST /api/telephony", h)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return &e2e{acs: fake, hook: srv, logs: logs}
}

// call posts body with the hook's auth and returns the status, body and time taken.
func (e *e2e) call(t *testing.T, body string) (int, []byte, time.Duration) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, e.hook.URL+"/api/telephony",
		strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", testAuth)
	start := time.Now()
	resp, err := e.hook.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, b, time.Since(start)
}

func TestHookSendsThroughACSWithAVerifiedSignature(t *testing.T) {
	e := newE2E(t, DefaultDeadline)
	status, body, _ := e.call(t, sample(t, nil, nil))

	a := action(t, body)
	texts := e.acs.Texts()
	if status != 200 || a.Status != okta.StatusSuccessful || a.Provider != acs.Provider ||
		len(texts) != 1 || a.TransactionID != texts[0].MessageID {
		t.Fatalf("status %d, action %+v, texts %+v", status, a, texts)
	}
	want := acstest.Text{MessageID: a.TransactionID, From: testFrom, To: "+15555551212",
		Message: "Your code is 123456", Tag: "uS5871kJThSsU8qlA1LTcg"}
	if texts[0] != want {
		t.Errorf("text %+v; want %+v", texts[0], want)
	}
	if !strings.HasPrefix(e.acs.Requests()[0].Header.Get("Authorization"),
		"HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256&Signature=") {
		t.Errorf("request not HMAC-signed: %v", e.acs.Requests()[0].Header)
	}

	// Okta repeats the event: the first answer again, no second request to ACS.
	_, again, _ := e.call(t, sample(t, nil, nil))
	if string(again) != string(body) || len(e.acs.Requests()) != 1 {
		t.Errorf("repeat: %s, %d ACS requests", again, len(e.acs.Requests()))
	}
}

func TestHookSendsThroughACSWithAnEntraToken(t *testing.T) {
	e := newE2E(t, DefaultDeadline, acstest.WithBearer("test-token-1"))
	_, body, _ := e.call(t, sample(t, nil, nil))
	if a := action(t, body); a.Status != okta.StatusSuccessful || e.acs.TextsSent() != 1 {
		t.Fatalf("action %+v, %d texts", a, e.acs.TextsSent())
	}
	if got := e.acs.Requests()[0].Header.Get("Authorization"); got != "Bearer test-token-1" {
		t.Errorf("Authorization = %q", got)
	}
}

func TestHookAnswersEachACSFaultCorrectlyWithinTheDeadline(t *testing.T) {
	tests := []struct {
		name     string
		deadline time.Duration
		faults   []acstest.Fault
		status   string
		meta     string // regexp for transactionMetadata
		requests int    // requests ACS saw
		texts    int
	}{
		{"429 with Retry-After then accepted", DefaultDeadline,
			[]acstest.Fault{acstest.Throttled("1")},
			"SUCCESSFUL", `^attempts=2;latencyMs=(1\d{3}|2[0-4]\d\d)$`, 2, 1},
		{"429 asking longer than the deadline", DefaultDeadline,
			[]acstest.Fault{acstest.Throttled("30")},
			"FAILED", `^reason=unavailable;attempts=1;latencyMs=\d+;status=429$`, 1, 0},
		{"500 then accepted", DefaultDeadline, []acstest.Fault{acstest.InternalError()},
			"SUCCESSFUL", `^attempts=2;latencyMs=\d+$`, 2, 1},
		{"500 on every attempt", DefaultDeadline, repeat(acstest.InternalError(), 4),
			"FAILED", `^reason=unavailable;attempts=4;latencyMs=\d+;status=500$`, 4, 0},
		{"recipient 400", DefaultDeadline,
			[]acstest.Fault{acstest.RecipientFailed(400, "Invalid To phone number format.")},
			"FAILED", `^reason=rejected;attempts=1;latencyMs=\d+;status=400$`, 1, 0},
		{"recipient 503 then accepted", DefaultDeadline,
			[]acstest.Fault{acstest.RecipientFailed(503, "ServiceUnavailable")},
			"SUCCESSFUL", `^attempts=2;latencyMs=\d+$`, 2, 1},
		// A request ACS has read may be a text on its way: it is waited for until the
		// deadline, never abandoned and sent again (the retry could only race it, and a late
		// answer to the first would leave the retry, and Okta, with FAILED and a second
		// text). So a hang after ACS read the request is FAILED with the one request, even
		// if ACS would have answered a second one at once.
		{"hang once, then fast: the request is not sent again", DefaultDeadline,
			[]acstest.Fault{acstest.Hang()},
			"FAILED", `^reason=deadline;attempts=1;latencyMs=2[0-4]\d\d$`, 1, 0},
		{"hang on every attempt", DefaultDeadline, repeat(acstest.Hang(), 4),
			"FAILED", `^reason=deadline;attempts=1;latencyMs=2[0-4]\d\d$`, 1, 0},
		{"hang with a short deadline", 600 * time.Millisecond, []acstest.Fault{acstest.Hang()},
			"FAILED", `^reason=deadline;attempts=1;latencyMs=[45]\d\d$`, 1, 0},
		{"connection reset then accepted", DefaultDeadline, []acstest.Fault{acstest.Reset()},
			"SUCCESSFUL", `^attempts=2;latencyMs=\d+$`, 2, 1},
		{"connection reset every attempt", DefaultDeadline, repeat(acstest.Reset(), 4),
			"FAILED", `^reason=unavailable;attempts=4;latencyMs=\d+$`, 4, 0},
		{"non-JSON 502 then accepted", DefaultDeadline, []acstest.Fault{acstest.NonJSON(502)},
			"SUCCESSFUL", `^attempts=2;latencyMs=\d+$`, 2, 1},
		{"non-JSON 502 every attempt", DefaultDeadline, repeat(acstest.NonJSON(502), 4),
			"FAILED", `^reason=unavailable;attempts=4;latencyMs=\d+;status=502$`, 4, 0},
		{"401 denied", DefaultDeadline, []acstest.Fault{acstest.Denied()},
			"FAILED", `^reason=provider_auth;attempts=1;latencyMs=\d+;status=401$`, 1, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newE2E(t, tt.deadline)
			e.acs.Fail(tt.faults...)
			status, body, took := e.call(t, sample(t, nil, nil))

			a := action(t, body)
			if status != 200 || a.Status != tt.status ||
				!regexp.MustCompile(tt.meta).MatchString(a.TransactionMetadata) {
				t.Errorf("%d %+v; want %s with metadata %s", status, a, tt.status, tt.meta)
			}
			if took >= tt.deadline {
				t.Errorf("answered after %v; want within %v", took, tt.deadline)
			}
			if n := len(e.acs.Requests()); n != tt.requests {
				t.Errorf("ACS saw %d requests; want %d", n, tt.requests)
			}
			if n := e.acs.TextsSent(); n != tt.texts {
				t.Errorf("%d texts sent; want %d", n, tt.texts)
			}
			t.Logf("%s after %v, %d ACS requests", a.Status, took, len(e.acs.Requests()))
		})
	}
}

// TestHookRetriesOnlyWhenTheRequestNeverReachedACS plays ACS connections that hang in the
// TLS handshake: no request left the client, so after the 1s try timeout the attempt is
// abandoned and retried on a new connection, which cannot make a second text.
func TestHookRetriesOnlyWhenTheRequestNeverReachedACS(t *testing.T) {
	tests := []struct {
		name        string
		hangs       int
		status      string
		meta        string // regexp for transactionMetadata
		connections int
		texts       int
	}{
		{"handshake hangs once", 1,
			"SUCCESSFUL", `^attempts=2;latencyMs=1[0-5]\d\d$`, 2, 1},
		// 1s per attempt: the second ends at about 2.2s, and a third would not fit.
		{"handshake hangs on every connection", 4,
			"FAILED", `^reason=deadline;attempts=2;latencyMs=2[0-4]\d\d$`, 2, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newE2E(t, DefaultDeadline)
			e.acs.HangHandshakes(tt.hangs)
			status, body, took := e.call(t, sample(t, nil, nil))

			a := action(t, body)
			if status != 200 || a.Status != tt.status ||
				!regexp.MustCompile(tt.meta).MatchString(a.TransactionMetadata) {
				t.Errorf("%d %+v; want %s with metadata %s", status, a, tt.status, tt.meta)
			}
			if took >= DefaultDeadline {
				t.Errorf("answered after %v; want within %v", took, DefaultDeadline)
			}
			texts := e.acs.Texts()
			if n := e.acs.Connections(); n != tt.connections || len(texts) != tt.texts {
				t.Errorf("%d ACS connections, %d texts; want %d and %d", n, len(texts),
					tt.connections, tt.texts)
			}
			if tt.texts == 1 && (len(e.acs.Requests()) != 1 ||
				a.TransactionID != texts[0].MessageID) {
				t.Errorf("%d requests, answer %s, text %+v; want one request for the text",
					len(e.acs.Requests()), a.TransactionID, texts[0])
			}
			t.Logf("%s after %v, %d ACS connections", a.Status, took, e.acs.Connections())
		})
	}
}

func repeat(f acstest.Fault, n int) []acstest.Fault {
	out := make([]acstest.Fault, n)
	for i := range out {
		out[i] = f
	}
	return out
}

// BenchmarkHookFullPathAgainstFakeACS measures one hook call over loopback HTTP: auth,
// parse, dedupe, the HMAC-signed ACS request to the fake and the answer. Each iteration
// uses a new eventId, so every call really sends.
func BenchmarkHookFullPathAgainstFakeACS(b *testing.B) {
	fake := acstest.NewServer(b)
	h, err := New(Options{
		Auth:     hookauth.NewBasic(testUser, testSecret),
		Sender:   fake.NewClient(b, testFrom, nil),
		Provider: acs.Provider,
	})
	if err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	client := srv.Client()
	body0 := sample(b, nil, nil)

	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		body := strings.Replace(body0, `"eventId":"`, `"eventId":"`+strconv.Itoa(i)+`-`, 1)
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/api/telephony",
			strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", testAuth)
		resp, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		out, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if !strings.Contains(string(out), `"SUCCESSFUL"`) {
			b.Fatalf("answer %s", out)
		}
	}
}

// BenchmarkHookHandlerOnly measures the time the handler itself adds (ACS excluded): the
// sender answers at once, and the request never leaves the process.
func BenchmarkHookHandlerOnly(b *testing.B) {
	h, err := New(Options{
		Auth:     hookauth.NewBasic(testUser, testSecret),
		Sender:   instantSender{},
		Provider: acs.Provider,
	})
	if err != nil {
		b.Fatal(err)
	}
	body0 := sample(b, nil, nil)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		body := strings.Replace(body0, `"eventId":"`, `"eventId":"`+strconv.Itoa(i)+`-`, 1)
		w := post(h, body, testAuth)
		if w.Code != 200 {
			b.Fatal(w.Body)
		}
	}
}

// instantSender accepts every text at once and keeps nothing.
type instantSender struct{}

func (instantSender) Send(context.Context, sms.Message) (sms.Receipt, error) {
	return sms.Receipt{MessageID: "Outgoing_bench", Provider: acs.Provider, Attempts: 1}, nil
}

// TestHookRepeatOnAnotherInstanceSendsOneText plays Okta repeating an event to a second
// instance of the function (its own eventId store, its own clock a few seconds later): the
// first-sent time both give ACS comes from the event, so ACS sends one text.
func TestHookRepeatOnAnotherInstanceSendsOneText(t *testing.T) {
	fake := acstest.NewServer(t)
	now := time.Now()
	body := sample(t, nil, map[string]any{
		"eventTime": now.Add(-2 * time.Second).UTC().Format("2006-01-02T15:04:05.000Z")})

	var answers []okta.Action
	for i, offset := range []time.Duration{0, 5 * time.Second} {
		client := fake.NewClient(t, testFrom, &acs.ClientOptions{
			Now: func() time.Time { return time.Now().Add(offset) }})
		h, _ := newHandler(t, client, func(o *Options) { o.Store = NewMemoryStore(16) })
		w := post(h, body, testAuth)
		if w.Code != http.StatusOK {
			t.Fatalf("instance %d: %d %s", i+1, w.Code, w.Body)
		}
		answers = append(answers, action(t, w.Body.Bytes()))
	}

	if n := fake.TextsSent(); n != 1 {
		t.Errorf("texts sent = %d; want 1", n)
	}
	if n := len(fake.Requests()); n != 2 {
		t.Errorf("ACS requests = %d; want 2 (one per instance)", n)
	}
	a, b := answers[0], answers[1]
	if a.Status != okta.StatusSuccessful || b.Status != okta.StatusSuccessful ||
		a.TransactionID == "" || a.TransactionID != b.TransactionID {
		t.Errorf("answers %+v and %+v; want both SUCCESSFUL with one messageId", a, b)
	}
}

// TestHookLogLineHoldsNoPersonalDataOnACSFailures drives each kind of ACS failure whose body
// could quote the request through the real client and handler: the log line says what
// failed but holds no full number, no code and no message text.
func TestHookLogLineHoldsNoPersonalDataOnACSFailures(t *testing.T) {
	jsonCT := http.Header{"Content-Type": {"application/json; charset=utf-8"}}
	tests := []struct {
		name    string
		fault   acstest.Fault
		outcome string
		detail  string
	}{
		{"202 that is not JSON",
			acstest.Respond(202, jsonCT, `{"value":[{"to":"15555551212","message":"Your code is`),
			"failed_unavailable", "body is not the expected JSON (53 bytes, " +
				`Content-Type "application/json; charset=utf-8")`},
		{"recipient 400 quoting the number",
			acstest.RecipientFailed(400, "Invalid To phone number +15555551212."),
			"failed_rejected", "Invalid To phone number ***."},
		{"400 dictionary quoting the number and text",
			acstest.Respond(400, jsonCT,
				`{"To":["+1 555 555 1212 cannot receive 'Your code is 123456'."]}`),
			"failed_rejected", "To: +*** cannot receive '***'."},
		{"502 HTML quoting the number",
			acstest.Respond(502, http.Header{"Content-Type": {"text/html"}},
				"<p>no route to 15555551212</p>"),
			"failed_unavailable", `starts "<p>no route to ***</p>"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newE2E(t, DefaultDeadline)
			e.acs.Fail(repeat(tt.fault, 4)...)
			e.call(t, sample(t, nil, nil))

			l := e.logs.lines(t)
			if len(l) != 1 || l[0]["outcome"] != tt.outcome {
				t.Fatalf("log lines %v; want one with outcome %s", l, tt.outcome)
			}
			if d, _ := l[0]["detail"].(string); !strings.Contains(d, tt.detail) {
				t.Errorf("detail %q; want it to contain %q", d, tt.detail)
			}
			all := e.logs.String()
			for _, secret := range []string{"5555551212", "555 555 1212", "123456",
				"Your code is 1"} {
				if strings.Contains(all, secret) {
					t.Errorf("log holds %q: %s", secret, all)
				}
			}
		})
	}
}

// failingStore is an eventId store that is down: every Claim fails at once.
type failingStore struct{}

func (failingStore) Claim(context.Context, string, time.Duration) (Answer, bool, error) {
	return Answer{}, false, errors.New("store unreachable")
}

func (failingStore) Complete(string, Answer) {}

// TestHookRepeatWhileTheStoreFailsSendsOneText checks the path a failing eventId store
// takes: each repeat is sent again, and only the first-sent time taken from eventTime keeps
// ACS from sending a second text, though the second send comes seconds later.
func TestHookRepeatWhileTheStoreFailsSendsOneText(t *testing.T) {
	fake := acstest.NewServer(t)
	client := fake.NewClient(t, testFrom, &acs.ClientOptions{
		Now: acstest.SteppingClock(time.Now(), 4*time.Second)})
	h, _ := newHandler(t, client, func(o *Options) { o.Store = failingStore{} })
	body := sample(t, nil, map[string]any{
		"eventTime": time.Now().Add(-time.Second).UTC().Format(time.RFC3339)})

	first := action(t, post(h, body, testAuth).Body.Bytes())
	second := action(t, post(h, body, testAuth).Body.Bytes())
	if n := len(fake.Requests()); n != 2 {
		t.Errorf("ACS requests = %d; want 2 (the store cannot deduplicate)", n)
	}
	if n := fake.TextsSent(); n != 1 {
		t.Errorf("texts sent = %d; want 1", n)
	}
	if first.Status != okta.StatusSuccessful || first.TransactionID != second.TransactionID {
		t.Errorf("answers %+v and %+v; want both SUCCESSFUL with one messageId", first, second)
	}
}

// TestHookWaitsForASlowACSAndSendsOneText plays an ACS that answers, but late: the hook must
// wait for the answer (it is the text) rather than give up, retry and answer FAILED, which
// makes Okta send a second text through its own provider. However slow ACS is, a request it
// has read is waited for until the deadline (2.3s for the send with the default 2.5s), and
// never sent again.
func TestHookWaitsForASlowACSAndSendsOneText(t *testing.T) {
	tests := []struct {
		name   string
		faults []acstest.Fault
	}{
		{"1.05s every time", repeat(acstest.Slow(1050*time.Millisecond), 4)},
		{"1.5s every time", repeat(acstest.Slow(1500*time.Millisecond), 4)},
		{"1.9s every time", repeat(acstest.Slow(1900*time.Millisecond), 4)},
		{"2.1s every time", repeat(acstest.Slow(2100*time.Millisecond), 4)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newE2E(t, DefaultDeadline)
			e.acs.Fail(tt.faults...)
			status, body, took := e.call(t, sample(t, nil, nil))

			a := action(t, body)
			texts := e.acs.Texts()
			if status != 200 || a.Status != okta.StatusSuccessful || len(texts) != 1 ||
				a.TransactionID != texts[0].MessageID {
				t.Errorf("%d %+v, texts %+v; want SUCCESSFUL with the one text's id",
					status, a, texts)
			}
			if n := len(e.acs.Requests()); n != 1 {
				t.Errorf("ACS requests = %d; want 1", n)
			}
			if took >= DefaultDeadline {
				t.Errorf("answered after %v; want within %v", took, DefaultDeadline)
			}
			t.Logf("%s (%s) after %v, %d ACS requests", a.Status, a.TransactionMetadata,
				took, len(e.acs.Requests()))
		})
	}
}

// TestHookLogLineHoldsNoShortCodeWhenACSQuotesTheText checks the whole path for a 4-digit
// code, too short for digit-run redaction: ACS's error quotes the text and the number, and
// the log line's detail says what failed without either.
func TestHookLogLineHoldsNoShortCodeWhenACSQuotesTheText(t *testing.T) {
	e := newE2E(t, DefaultDeadline)
	e.acs.Fail(acstest.Respond(400,
		http.Header{"Content-Type": {"application/json; charset=utf-8"}},
		`{"error":{"code":"InvalidMessage","message":"Message too long: Your code is 4321 `+
			`for 15555551212"}}`))
	e.call(t, sample(t, map[string]any{"otpCode": "4321", "msgTemplate": "Your code is 4321"},
		nil))

	l := e.logs.lines(t)
	want := "sms: rejected (status 400) InvalidMessage: Message too long: *** for ***"
	if len(l) != 1 || l[0]["outcome"] != "failed_rejected" || l[0]["detail"] != want {
		t.Fatalf("log lines %v; want one failed_rejected with detail %q", l, want)
	}
	for _, secret := range []string{"4321", "Your code is", "5555551212"} {
		if all := e.logs.String(); strings.Contains(all, secret) {
			t.Errorf("log holds %q: %s", secret, all)
		}
	}
}

// TestHookSendsTheDefaultTextForATemplateTooLongForACS sends a template of 2047 characters
// but 4087 UTF-16 code units, which ACS (counting the .NET way) refuses: the hook sends the
// default text instead, and ACS takes it.
func TestHookSendsTheDefaultTextForATemplateTooLongForACS(t *testing.T) {
	e := newE2E(t, DefaultDeadline)
	_, body, _ := e.call(t, sample(t, map[string]any{
		"msgTemplate": strings.Repeat("😀", 2040) + " 123456"}, nil))
	texts := e.acs.Texts()
	if a := action(t, body); a.Status != okta.StatusSuccessful || len(texts) != 1 ||
		texts[0].Message != "Your verification code is 123456" {
		t.Errorf("action %+v, texts %+v; want SUCCESSFUL with the default text", a, texts)
	}
}
