package acs_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	azlog "github.com/Azure/azure-sdk-for-go/sdk/azcore/log"
	"github.com/google/uuid"

	"okta-acs-sms/function/acs"
	"okta-acs-sms/function/acs/acstest"
	"okta-acs-sms/function/sms"
)

const (
	sender    = "+18005550100"
	recipient = "+14255550123"
	code      = "123456"
)

var text = sms.Message{To: recipient, Body: "Your code is " + code, Tag: "evt-1",
	IdempotencyKey: "evt-1"}

// fast returns options with millisecond backoff so that retry tests take milliseconds.
func fast() *acs.ClientOptions {
	return &acs.ClientOptions{RetryDelay: time.Millisecond, MaxRetryDelay: 200 * time.Millisecond}
}

// send calls c.Send under a deadline and measures how long it took.
func send(c *acs.Client, deadline time.Duration, m sms.Message) (sms.Receipt, error,
	time.Duration) {
	ctx, cancel := context.WithTimeout(context.Background(), deadline)
	defer cancel()
	start := time.Now()
	r, err := c.Send(ctx, m)
	return r, err, time.Since(start)
}

// sameBytesEveryAttempt checks that every request carried the same body and content hash.
func sameBytesEveryAttempt(t *testing.T, reqs []acstest.Request) {
	t.Helper()
	for i, r := range reqs[1:] {
		if !bytes.Equal(r.Body, reqs[0].Body) {
			t.Errorf("attempt %d body differs:\n%s\n%s", i+2, r.Body, reqs[0].Body)
		}
		for _, h := range []string{"x-ms-content-sha256", "x-ms-client-request-id"} {
			if a, b := r.Header.Get(h), reqs[0].Header.Get(h); a != b || a == "" {
				t.Errorf("attempt %d %s %q, first %q", i+2, h, a, b)
			}
		}
	}
}

// leaksNothing checks that an error holds no code, message text, full number or key.
func leaksNothing(t *testing.T, err error, key string) {
	t.Helper()
	s := fmt.Sprintf("%v %+v", err, err)
	for _, secret := range []string{code, text.Body, recipient, key} {
		if secret != "" && strings.Contains(s, secret) {
			t.Errorf("error %q contains %q", s, secret)
		}
	}
}

func TestSendSignsAndSendsTheExactBody(t *testing.T) {
	first := time.Date(2022, 4, 3, 18, 9, 12, 451e6, time.UTC)
	srv := acstest.NewServer(t, acstest.WithMaxClockSkew(0))
	opts := fast()
	opts.Now = func() time.Time { return first }
	c := srv.NewClient(t, sender, opts)

	r, err, _ := send(c, 2*time.Second, text)
	if err != nil {
		t.Fatal(err)
	}
	texts := srv.Texts()
	if r != (sms.Receipt{MessageID: texts[0].MessageID, Provider: "ACS", Attempts: 1}) {
		t.Errorf("receipt = %+v", r)
	}
	if !strings.HasPrefix(r.MessageID, "Outgoing_") || !strings.HasSuffix(r.MessageID, "_noam") {
		t.Errorf("message id = %q", r.MessageID)
	}

	ns := uuid.MustParse("6b1f3c52-8e0a-4d7b-9c2e-51a403d86f17")
	id := uuid.NewSHA1(ns, []byte("evt-1\n"+recipient)).String()
	want := `{"from":"+18005550100","smsRecipients":[{"to":"+14255550123",` +
		`"repeatabilityRequestId":"` + id + `",` +
		`"repeatabilityFirstSent":"Sun, 03 Apr 2022 18:09:12 GMT"}],` +
		`"message":"Your code is 123456",` +
		`"smsSendOptions":{"enableDeliveryReport":true,"tag":"evt-1"}}`
	req := srv.Requests()[0]
	if string(req.Body) != want {
		t.Errorf("body =\n%s\nwant\n%s", req.Body, want)
	}
	for name, v := range map[string]string{
		"Content-Type": "application/json",
		"Accept":       "application/json",
		"x-ms-date":    "Sun, 03 Apr 2022 18:09:12 GMT",
	} {
		if got := req.Header.Get(name); got != v {
			t.Errorf("%s = %q; want %q", name, got, v)
		}
	}
	if req.RequestURI != "/sms?api-version=2021-03-07" || req.Method != http.MethodPost {
		t.Errorf("request line = %s %s", req.Method, req.RequestURI)
	}
}

func TestSendRetriesTransientFailuresWithTheSameBytesAndSendsOneText(t *testing.T) {
	tests := []struct {
		name   string
		faults []acstest.Fault
	}{
		{"500", []acstest.Fault{acstest.InternalError()}},
		{"503 twice", []acstest.Fault{acstest.Unavailable(), acstest.Unavailable()}},
		{"429 retry-after-ms", []acstest.Fault{acstest.ThrottledMillis(30)}},
		{"per-recipient 503", []acstest.Fault{acstest.RecipientFailed(503, "ServiceUnavailable")}},
		{"connection reset", []acstest.Fault{acstest.Reset()}},
		{"non-JSON 502", []acstest.Fault{acstest.NonJSON(http.StatusBadGateway)}},
		{"all kinds", []acstest.Fault{acstest.Reset(), acstest.ThrottledMillis(5),
			acstest.RecipientFailed(503, "ServiceUnavailable")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := acstest.NewServer(t)
			c := srv.NewClient(t, sender, fast())
			srv.Fail(tt.faults...)

			r, err, _ := send(c, 2*time.Second, text)
			if err != nil {
				t.Fatalf("Send: %v", err)
			}
			if want := len(tt.faults) + 1; r.Attempts != want {
				t.Errorf("attempts = %d; want %d", r.Attempts, want)
			}
			if n := srv.TextsSent(); n != 1 {
				t.Errorf("texts sent = %d; want 1", n)
			}
			reqs := srv.Requests()
			if len(reqs) != len(tt.faults)+1 {
				t.Fatalf("fake saw %d requests", len(reqs))
			}
			sameBytesEveryAttempt(t, reqs)
		})
	}
}

func TestSendHonoursRetryAfterMillis(t *testing.T) {
	srv := acstest.NewServer(t)
	c := srv.NewClient(t, sender, fast())
	srv.Fail(acstest.ThrottledMillis(150))

	r, err, elapsed := send(c, 2*time.Second, text)
	if err != nil || r.Attempts != 2 {
		t.Fatalf("Send = %+v, %v", r, err)
	}
	if elapsed < 150*time.Millisecond {
		t.Errorf("retried after %v; the server asked for 150ms", elapsed)
	}
}

// failure is what a failed send must return.
type failure struct {
	kind     sms.Kind
	status   int
	code     string
	msg      string // substring of the error message
	attempts int
}

func TestSendMapsFailuresToKinds(t *testing.T) {
	items400 := acstest.RecipientFailed(400, "Invalid To phone number format.")
	rejected := acstest.Respond(202, nil, `{"value":[{"to":"+14255550123","httpStatusCode":400,`+
		`"repeatabilityResult":"rejected","errorMessage":"Request sent with Invalid DateTime `+
		`value for repeatability-first-sent.","successful":false}]}`)
	noItem := acstest.Respond(202, nil, `{"value":[]}`)
	tests := []struct {
		name   string
		faults []acstest.Fault
		want   failure
	}{
		{"400 envelope", []acstest.Fault{acstest.BadRequestEnvelope()},
			failure{sms.KindRejected, 400, "BadRequest", "Invalid from phone number format.", 1}},
		{"400 dictionary", []acstest.Fault{acstest.BadRequestDictionary()},
			failure{sms.KindRejected, 400, "", "From: Invalid from phone number format.", 1}},
		{"400 problem details", []acstest.Fault{acstest.BadRequestProblem()},
			failure{sms.KindRejected, 400, "", "One or more validation errors occurred.; " +
				"Message: The Message field is required.", 1}},
		{"401 denied", []acstest.Fault{acstest.Denied()},
			failure{sms.KindAuth, 401, "Denied", "Denied by the fake.", 1}},
		{"404 unowned sender", []acstest.Fault{acstest.NotFound()},
			failure{sms.KindAuth, 404, "", "sender may not belong to this", 1}},
		{"per-recipient 400", []acstest.Fault{items400},
			failure{sms.KindRejected, 400, "", "Invalid To phone number format.", 1}},
		{"repeatability rejected", []acstest.Fault{rejected},
			failure{sms.KindRejected, 400, "RepeatabilityRejected", "repeatability-first-sent", 1}},
		{"202 not JSON", []acstest.Fault{acstest.NonJSON(202)},
			failure{sms.KindUnavailable, 202, "", "not the expected JSON", 1}},
		{"202 without our item", []acstest.Fault{noItem},
			failure{sms.KindUnavailable, 202, "", "answer has no item for the recipient", 1}},
		{"500 every time", repeat(acstest.InternalError(), 4),
			failure{sms.KindUnavailable, 500, "InternalServerError",
				"gave up after 4 attempts", 4}},
		{"per-recipient 503 every time",
			repeat(acstest.RecipientFailed(503, "ServiceUnavailable"), 4),
			failure{sms.KindUnavailable, 503, "", "ServiceUnavailable; gave up after 4", 4}},
		{"reset every time", repeat(acstest.Reset(), 4),
			failure{sms.KindUnavailable, 0, "", "gave up after 4 attempts", 4}},
		{"429 asking longer than allowed", []acstest.Fault{acstest.Throttled("5")},
			failure{sms.KindUnavailable, 429, "TooManyRequests", "server asked to wait 5s", 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := acstest.NewServer(t)
			c := srv.NewClient(t, sender, fast())
			srv.Fail(tt.faults...)

			_, err, elapsed := send(c, 2*time.Second, text)
			checkFailure(t, err, tt.want)
			leaksNothing(t, err, srv.AccessKey())
			if n := srv.TextsSent(); n != 0 {
				t.Errorf("texts sent = %d", n)
			}
			if elapsed > time.Second {
				t.Errorf("took %v", elapsed)
			}
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

func checkFailure(t *testing.T, err error, want failure) {
	t.Helper()
	var e *sms.Error
	if !errors.As(err, &e) {
		t.Fatalf("err = %v (%T); want *sms.Error", err, err)
	}
	if e.Kind != want.kind || e.Status != want.status || e.Code != want.code ||
		e.Attempts != want.attempts || !strings.Contains(e.Message, want.msg) {
		t.Errorf("err = %+v\nwant %+v", *e, want)
	}
}

func TestSendStopsAtOnceWhenRetryAfterDoesNotFitTheDeadline(t *testing.T) {
	srv := acstest.NewServer(t)
	c := srv.NewClient(t, sender, nil) // default MaxRetryDelay 2s: 1s would be honoured
	srv.Fail(acstest.Throttled("1"), acstest.Throttled("1"))

	_, err, elapsed := send(c, 800*time.Millisecond, text)
	checkFailure(t, err, failure{sms.KindUnavailable, 429, "TooManyRequests",
		"a retry after 1s would not fit", 1})
	if elapsed > 200*time.Millisecond {
		t.Errorf("took %v; it should give up at once", elapsed)
	}
	if n := len(srv.Requests()); n != 1 {
		t.Errorf("fake saw %d requests", n)
	}
}

func TestSendReturnsAtTheDeadlineWhenACSHangs(t *testing.T) {
	srv := acstest.NewServer(t)
	c := srv.NewClient(t, sender, nil) // the request is written: waited for until the deadline
	srv.Fail(acstest.Hang())

	const deadline = 300 * time.Millisecond
	_, err, elapsed := send(c, deadline, text)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("err = %v; want it to wrap context.DeadlineExceeded", err)
	}
	checkFailure(t, err, failure{sms.KindUnavailable, 0, "", "deadline passed", 1})
	if elapsed < deadline || elapsed > deadline+100*time.Millisecond {
		t.Errorf("returned after %v; deadline %v", elapsed, deadline)
	}
	t.Logf("returned %v after the deadline", elapsed-deadline)
}

func TestSendRetriesOnANewConnectionWhenTheHandshakeHangs(t *testing.T) {
	srv := acstest.NewServer(t)
	opts := fast()
	opts.TryTimeout = 100 * time.Millisecond
	c := srv.NewClient(t, sender, opts)
	srv.HangHandshakes(1)

	// The first attempt never gets its request out, so nothing reached ACS: it is abandoned
	// after the try timeout and retried on a new connection.
	r, err, elapsed := send(c, time.Second, text)
	if err != nil || r.Attempts != 2 {
		t.Fatalf("Send = %+v, %v; want success at the second attempt", r, err)
	}
	if elapsed < 100*time.Millisecond || elapsed > 600*time.Millisecond {
		t.Errorf("took %v; want the hung handshake cut at 100ms, then a quick retry", elapsed)
	}
	if n, conns, texts := len(srv.Requests()), srv.Connections(), srv.TextsSent(); n != 1 ||
		conns != 2 || texts != 1 {
		t.Errorf("%d requests over %d connections, %d texts; want 1 over 2, 1 text", n,
			conns, texts)
	}
}

func TestSendFailsBeforeTheDeadlineWhenEveryHandshakeHangs(t *testing.T) {
	srv := acstest.NewServer(t)
	opts := fast()
	opts.TryTimeout = 100 * time.Millisecond
	c := srv.NewClient(t, sender, opts)
	srv.HangHandshakes(4)

	const deadline = 350 * time.Millisecond
	_, err, elapsed := send(c, deadline, text)
	if !errors.Is(err, context.DeadlineExceeded) || sms.KindOf(err) != sms.KindUnavailable {
		t.Errorf("err = %v; want unavailable, wrapping context.DeadlineExceeded", err)
	}
	if elapsed > deadline+100*time.Millisecond {
		t.Errorf("returned after %v; deadline %v", elapsed, deadline)
	}
	if n, conns := len(srv.Requests()), srv.Connections(); n != 0 || conns < 3 ||
		conns != sms.AttemptsOf(err) {
		t.Errorf("%d requests over %d connections, %d attempts; want none over one "+
			"connection per attempt, at least 3", n, conns, sms.AttemptsOf(err))
	}
}

func TestSendWaitsForAWrittenRequestPastTheTryTimeout(t *testing.T) {
	srv := acstest.NewServer(t)
	opts := fast()
	opts.TryTimeout = 100 * time.Millisecond
	c := srv.NewClient(t, sender, opts)
	srv.Fail(acstest.Slow(800 * time.Millisecond))

	// ACS has the request: its answer, 200ms before the deadline, is the text.
	r, err, elapsed := send(c, time.Second, text)
	if err != nil || r.Attempts != 1 {
		t.Fatalf("Send = %+v, %v; want success at the first attempt", r, err)
	}
	if n, texts := len(srv.Requests()), srv.Texts(); n != 1 || len(texts) != 1 ||
		texts[0].MessageID != r.MessageID {
		t.Errorf("%d requests, texts %+v; want 1 request for the one text %s", n, texts,
			r.MessageID)
	}
	if elapsed < 800*time.Millisecond || elapsed >= time.Second {
		t.Errorf("took %v; want the 800ms answer", elapsed)
	}
}

func TestSendDoesNotRetryARequestACSHoldsPastTheTryTimeout(t *testing.T) {
	srv := acstest.NewServer(t)
	opts := fast()
	opts.TryTimeout = 100 * time.Millisecond
	c := srv.NewClient(t, sender, opts)
	srv.Fail(repeat(acstest.Hang(), 4)...)

	const deadline = 600 * time.Millisecond
	_, err, elapsed := send(c, deadline, text)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("err = %v; want it to wrap context.DeadlineExceeded", err)
	}
	checkFailure(t, err, failure{sms.KindUnavailable, 0, "", "deadline passed", 1})
	if n := len(srv.Requests()); n != 1 {
		t.Errorf("fake saw %d requests; want 1", n)
	}
	if elapsed < deadline || elapsed > deadline+100*time.Millisecond {
		t.Errorf("returned after %v; deadline %v", elapsed, deadline)
	}
}

func TestSendWithTheSameIdempotencyKeyTwiceSendsOneText(t *testing.T) {
	// The two sends happen at different wall-clock times (another instance, a restart),
	// and only the message's FirstSent ties them together.
	srv := acstest.NewServer(t)
	opts := fast()
	opts.Now = acstest.SteppingClock(time.Now(), 7*time.Second)
	c := srv.NewClient(t, sender, opts)
	m := text
	m.FirstSent = time.Now().Add(-30 * time.Second)

	a, errA, _ := send(c, 2*time.Second, m)
	b, errB, _ := send(c, 2*time.Second, m)
	if errA != nil || errB != nil || a.MessageID != b.MessageID {
		t.Fatalf("sends = %+v %v, %+v %v", a, errA, b, errB)
	}
	if n := srv.TextsSent(); n != 1 {
		t.Errorf("texts sent = %d; want 1", n)
	}
	want := `"repeatabilityFirstSent":"` + m.FirstSent.UTC().Format(http.TimeFormat) + `"`
	for i, r := range srv.Requests() {
		if !strings.Contains(string(r.Body), want) {
			t.Errorf("request %d body %s lacks %s", i+1, r.Body, want)
		}
	}

	other := m
	other.IdempotencyKey = "evt-2"
	if _, err, _ := send(c, 2*time.Second, other); err != nil {
		t.Fatal(err)
	}
	if n := srv.TextsSent(); n != 2 {
		t.Errorf("texts sent = %d; want 2", n)
	}
}

func TestSendWithAWrongKeyIsAnAuthFailure(t *testing.T) {
	srv := acstest.NewServer(t)
	key, _ := acs.NewKeyCredential("d3Jvbmcta2V5LXdyb25nLWtleQ==")
	c, err := acs.NewClientWithKey(srv.Endpoint(), sender, key, srv.ClientOptions(fast()))
	if err != nil {
		t.Fatal(err)
	}
	_, err, _ = send(c, 2*time.Second, text)
	checkFailure(t, err, failure{sms.KindAuth, 401, "Denied", "signature does not match", 1})
}

func TestSendInEntraModeSendsABearerTokenAndNoHMACHeaders(t *testing.T) {
	srv := acstest.NewServer(t, acstest.WithBearer("token-abc"))
	cred := srv.Credential()
	c, err := acs.NewClient(srv.Endpoint(), sender, cred, srv.ClientOptions(fast()))
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if _, err, _ := send(c, 2*time.Second, text); err != nil {
			t.Fatal(err)
		}
	}
	for _, r := range srv.Requests() {
		if a := r.Header.Get("Authorization"); a != "Bearer token-abc" {
			t.Errorf("Authorization = %q", a)
		}
		if r.Header.Get("x-ms-content-sha256") != "" || r.Header.Get("x-ms-date") != "" {
			t.Errorf("HMAC headers sent in Entra mode: %v", r.Header)
		}
	}
	if n := cred.Calls(); n != 1 {
		t.Errorf("token requested %d times; want 1 (cached)", n)
	}
}

func TestSendInEntraModeWithAFailingCredentialIsAnAuthFailure(t *testing.T) {
	srv := acstest.NewServer(t, acstest.WithBearer("token-abc"))
	cred := &acstest.Credential{Err: errors.New("managed identity unavailable")}
	c, err := acs.NewClient(srv.Endpoint(), sender, cred, srv.ClientOptions(fast()))
	if err != nil {
		t.Fatal(err)
	}
	_, err, _ = send(c, 2*time.Second, text)
	checkFailure(t, err, failure{sms.KindAuth, 0, "", "Entra ID token", 1})
	if n := len(srv.Requests()); n != 0 {
		t.Errorf("fake saw %d requests", n)
	}
}

func TestSendInEntraModeWithAWrongTokenIsAnAuthFailure(t *testing.T) {
	srv := acstest.NewServer(t, acstest.WithBearer("token-abc"))
	c, err := acs.NewClient(srv.Endpoint(), sender, &acstest.Credential{Token: "stale"},
		srv.ClientOptions(fast()))
	if err != nil {
		t.Fatal(err)
	}
	_, err, _ = send(c, 2*time.Second, text)
	checkFailure(t, err, failure{sms.KindAuth, 401, "Denied", "Bearer token", 1})
}

func TestSendRefusesANonE164RecipientWithoutARequest(t *testing.T) {
	srv := acstest.NewServer(t)
	c := srv.NewClient(t, sender, fast())
	m := text
	m.To = "4255550123"
	_, err, _ := send(c, time.Second, m)
	checkFailure(t, err, failure{sms.KindRejected, 0, "", "not an E.164 number", 0})
	if n := len(srv.Requests()); n != 0 {
		t.Errorf("fake saw %d requests", n)
	}
}

func TestSendWithAnExpiredContextMakesNoRequest(t *testing.T) {
	srv := acstest.NewServer(t)
	c := srv.NewClient(t, sender, fast())
	ctx, cancel := context.WithTimeout(context.Background(), -time.Second)
	defer cancel()
	_, err := c.Send(ctx, text)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("err = %v; want it to wrap context.DeadlineExceeded", err)
	}
	checkFailure(t, err, failure{sms.KindUnavailable, 0, "", "before the send started", 0})
	if n := len(srv.Requests()); n != 0 {
		t.Errorf("fake saw %d requests", n)
	}
}

func TestSendReusesOneConnection(t *testing.T) {
	srv := acstest.NewServer(t)
	c := srv.NewClient(t, sender, fast())
	for i := range 10 {
		m := text
		m.IdempotencyKey = fmt.Sprint("evt-", i)
		if _, err, _ := send(c, 2*time.Second, m); err != nil {
			t.Fatal(err)
		}
	}
	if n := srv.Connections(); n != 1 {
		t.Errorf("connections = %d; want 1", n)
	}
}

func TestSendIsSafeForConcurrentUse(t *testing.T) {
	srv := acstest.NewServer(t)
	c := srv.NewClient(t, sender, fast())
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 5 {
				m := text
				m.IdempotencyKey = fmt.Sprintf("evt-%d-%d", g, i)
				if _, err, _ := send(c, 5*time.Second, m); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	if n := srv.TextsSent(); n != 40 {
		t.Errorf("texts sent = %d; want 40", n)
	}
}

func TestSendOverPlainHTTPNeedsTheOptIn(t *testing.T) {
	srv := acstest.NewServer(t, acstest.WithPlainHTTP())
	_, err := acs.NewClientFromConnectionString(srv.ConnectionString(), sender, nil)
	if err == nil || !strings.Contains(err.Error(), "endpoint must be https://") {
		t.Errorf("http endpoint without opt-in: err = %v", err)
	}
	c := srv.NewClient(t, sender, fast()) // sets InsecureAllowCredentialWithHTTP
	if _, err, _ := send(c, 2*time.Second, text); err != nil {
		t.Fatal(err)
	}

	bearer := acstest.NewServer(t, acstest.WithPlainHTTP(), acstest.WithBearer("tok"))
	if _, err := acs.NewClient(bearer.Endpoint(), sender, bearer.Credential(), nil); err == nil {
		t.Error("http endpoint in Entra mode accepted without opt-in")
	}
	c = bearer.NewClient(t, sender, fast())
	if _, err, _ := send(c, 2*time.Second, text); err != nil {
		t.Fatal(err)
	}
}

func TestNewClientValidatesItsArguments(t *testing.T) {
	key, _ := acs.NewKeyCredential("pw==")
	const ep = "https://r.communication.azure.com/"
	tests := []struct {
		name, endpoint, from, err string
	}{
		{"ok", ep, sender, ""},
		{"short code", ep, "12345", ""},
		{"http", "http://r.communication.azure.com", sender, "acs: endpoint must be https://..."},
		{"no scheme", "r.communication.azure.com", sender, "acs: endpoint must be https://"},
		{"ftp", "ftp://r.communication.azure.com", sender, "acs: endpoint must be https://..."},
		{"query", ep + "?x=1", sender, "acs: endpoint must have no user info, query"},
		{"sender without +", ep, "18005550100", "acs: sender \"18005550100\" is neither"},
		{"alphanumeric sender", ep, "CONTOSO", "acs: sender \"CONTOSO\" is neither"},
		{"empty sender", ep, "", "acs: sender \"\" is neither"},
	}
	for _, tt := range tests {
		_, err := acs.NewClientWithKey(tt.endpoint, tt.from, key, nil)
		switch {
		case tt.err == "" && err != nil:
			t.Errorf("%s: %v", tt.name, err)
		case tt.err != "" && (err == nil || !strings.HasPrefix(err.Error(), tt.err)):
			t.Errorf("%s: err = %v; want prefix %q", tt.name, err, tt.err)
		}
	}
	if _, err := acs.NewClientWithKey(ep, sender, nil, nil); err == nil {
		t.Error("nil key accepted")
	}
	if _, err := acs.NewClient(ep, sender, nil, nil); err == nil {
		t.Error("nil credential accepted")
	}
}

func TestAzcoreLogsHoldNoCodeNumberKeyOrToken(t *testing.T) {
	var mu sync.Mutex
	var logs strings.Builder
	azlog.SetListener(func(_ azlog.Event, msg string) {
		mu.Lock()
		defer mu.Unlock()
		logs.WriteString(msg + "\n")
	})
	defer azlog.SetListener(nil)

	hmacSrv := acstest.NewServer(t)
	hmacSrv.Fail(acstest.InternalError(), acstest.RecipientFailed(503, "ServiceUnavailable"))
	bearerSrv := acstest.NewServer(t, acstest.WithBearer("token-secret-xyz"))
	bearerSrv.Fail(acstest.Denied())
	for _, c := range []*acs.Client{hmacSrv.NewClient(t, sender, fast()),
		bearerSrv.NewClient(t, sender, fast())} {
		send(c, 2*time.Second, text)
	}

	mu.Lock()
	defer mu.Unlock()
	out := logs.String()
	if !strings.Contains(out, "/sms") {
		t.Fatalf("azcore logged nothing about the requests:\n%s", out)
	}
	sig := hmacSrv.Requests()[0].Header.Get("Authorization")
	for _, secret := range []string{code, recipient, hmacSrv.AccessKey(), "token-secret-xyz",
		sig[strings.Index(sig, "Signature=")+10:]} {
		if strings.Contains(out, secret) {
			t.Errorf("azcore log holds %q:\n%s", secret, out)
		}
	}
}

func BenchmarkSend(b *testing.B) {
	srv := acstest.NewServer(b)
	c := srv.NewClient(b, sender, nil)
	ctx := context.Background()
	m := text
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		m.IdempotencyKey = fmt.Sprint("evt-", i)
		if _, err := c.Send(ctx, m); err != nil {
			b.Fatal(err)
		}
	}
}

func TestSendAcceptsTheOnlyItemWhenACSWritesToWithoutThePlus(t *testing.T) {
	const id = "Outgoing_2026120417000012345678-1234-4321-8765-123456789abc_noam"
	srv := acstest.NewServer(t)
	c := srv.NewClient(t, sender, fast())
	srv.Fail(acstest.Respond(http.StatusAccepted,
		http.Header{"Content-Type": {"application/json; charset=utf-8"}},
		`{"value":[{"to":"14255550123","messageId":"`+id+`","httpStatusCode":202,`+
			`"repeatabilityResult":"accepted","successful":true}]}`))

	r, err, _ := send(c, 2*time.Second, text)
	if err != nil || r != (sms.Receipt{MessageID: id, Provider: acs.Provider, Attempts: 1}) {
		t.Errorf("Send = %+v, %v; want the receipt for %s", r, err, id)
	}
}

// TestSendErrorsNeverQuoteTheTextOrRecipientEvenWithAShortCode plays an ACS whose errors
// quote the message and the number. A 4-digit code is too short for digit-run redaction
// alone; the client hides the exact body, recipient and the body's digit runs.
func TestSendErrorsNeverQuoteTheTextOrRecipientEvenWithAShortCode(t *testing.T) {
	m := text
	m.Body = "Your code is 1234"
	jsonCT := http.Header{"Content-Type": {"application/json; charset=utf-8"}}
	tests := []struct {
		name  string
		fault acstest.Fault
		want  failure
	}{
		{"envelope", acstest.Respond(400, jsonCT, `{"error":{"code":"InvalidMessage",`+
			`"message":"Message too long: Your code is 1234 (to +14255550123)"}}`),
			failure{sms.KindRejected, 400, "InvalidMessage",
				"Message too long: *** (to ***)", 1}},
		{"recipient item", acstest.RecipientFailed(400,
			"Message 'Your code is 1234' cannot go to 14255550123"),
			failure{sms.KindRejected, 400, "", "Message '***' cannot go to ***", 1}},
		{"dictionary quoting the code alone", acstest.Respond(400, jsonCT,
			`{"Message":["Code 1234 is not allowed."]}`),
			failure{sms.KindRejected, 400, "", "Message: Code *** is not allowed.", 1}},
		{"HTML", acstest.Respond(400, http.Header{"Content-Type": {"text/html"}},
			"<p>Refused: Your code is 1234</p>"),
			failure{sms.KindRejected, 400, "", `starts "<p>Refused: ***</p>"`, 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := acstest.NewServer(t)
			c := srv.NewClient(t, sender, fast())
			srv.Fail(tt.fault)

			_, err, _ := send(c, 2*time.Second, m)
			checkFailure(t, err, tt.want)
			s := fmt.Sprintf("%v %+v", err, err)
			for _, secret := range []string{"Your code is", "1234", "4255550123"} {
				if strings.Contains(s, secret) {
					t.Errorf("error %q contains %q", s, secret)
				}
			}
		})
	}
}

// TestSendReadsAtMost64KiBOfAnAnswer plays answers far larger than any real one (an answer
// for one recipient is under 1 KiB): the client reads 64 KiB at most and gives up on the
// rest, whatever the status, so a broken or hostile endpoint cannot fill the memory.
func TestSendReadsAtMost64KiBOfAnAnswer(t *testing.T) {
	const size = 48 << 20
	tests := []struct {
		name   string
		faults []acstest.Fault
		want   failure // zero kind: the send succeeds after a retry
	}{
		{"202", []acstest.Fault{acstest.Huge(202, size)},
			failure{sms.KindUnavailable, 202, "", "larger than 64 KiB", 1}},
		{"400", []acstest.Fault{acstest.Huge(400, size)},
			failure{sms.KindRejected, 400, "", "larger than 64 KiB", 1}},
		{"500 then accepted", []acstest.Fault{acstest.Huge(500, size)}, failure{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := acstest.NewServer(t)
			c := srv.NewClient(t, sender, fast())
			srv.Fail(tt.faults...)

			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			r, err, _ := send(c, 5*time.Second, text)
			runtime.ReadMemStats(&after)

			if tt.want.kind == 0 {
				if err != nil || r.Attempts != 2 {
					t.Errorf("Send = %+v, %v; want success on the second attempt", r, err)
				}
			} else {
				checkFailure(t, err, tt.want)
			}
			if n := len(srv.Requests()); n != len(tt.faults)+btoi(tt.want.kind == 0) {
				t.Errorf("fake saw %d requests", n)
			}
			if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 8<<20 {
				t.Errorf("allocated %d MiB reading a %d MiB answer", alloc>>20, size>>20)
			}
		})
	}
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// TestSendDoesNotRetryAnUntrustedCertificate points a client that does not trust the fake's
// certificate at it: a configuration problem (a wrong endpoint, an intercepting proxy), not
// a passing one, so one attempt and an auth failure, the kind an operator is paged for.
func TestSendDoesNotRetryAnUntrustedCertificate(t *testing.T) {
	srv := acstest.NewServer(t)
	c, err := acs.NewClientFromConnectionString(srv.ConnectionString(), sender, fast())
	if err != nil {
		t.Fatal(err)
	}
	_, err, _ = send(c, 2*time.Second, text)
	checkFailure(t, err, failure{sms.KindAuth, 0, "", "ACS certificate was not trusted", 1})
	if n := srv.Connections(); n != 1 {
		t.Errorf("connections = %d; want 1 (no retry)", n)
	}
}
