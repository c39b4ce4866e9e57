package acs

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httptrace"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
)

func TestRetryAfterReadsEveryHeaderForm(t *testing.T) {
	now := time.Date(2026, 12, 4, 17, 0, 0, 0, time.UTC)
	tests := []struct {
		name   string
		header http.Header
		want   time.Duration
	}{
		{"none", http.Header{}, 0},
		{"seconds", http.Header{"Retry-After": {"3"}}, 3 * time.Second},
		{"http date", http.Header{"Retry-After": {"Fri, 04 Dec 2026 17:00:02 GMT"}},
			2 * time.Second},
		{"date in the past", http.Header{"Retry-After": {"Fri, 04 Dec 2026 16:59:00 GMT"}}, 0},
		{"retry-after-ms", http.Header{"Retry-After-Ms": {"250"}}, 250 * time.Millisecond},
		{"x-ms-retry-after-ms", http.Header{"X-Ms-Retry-After-Ms": {"40"}},
			40 * time.Millisecond},
		{"ms wins over seconds", http.Header{"Retry-After": {"9"}, "Retry-After-Ms": {"10"}},
			10 * time.Millisecond},
		{"garbage", http.Header{"Retry-After": {"soon"}}, 0},
		{"zero", http.Header{"Retry-After": {"0"}}, 0},
		{"negative", http.Header{"Retry-After": {"-5"}}, 0},
	}
	for _, tt := range tests {
		if got := retryAfter(tt.header, now); got != tt.want {
			t.Errorf("%s: retryAfter = %v; want %v", tt.name, got, tt.want)
		}
	}
}

func TestBackoffGrowsWithJitterAndCap(t *testing.T) {
	p := &retryPolicy{baseDelay: 100 * time.Millisecond, maxDelay: 300 * time.Millisecond}
	bounds := []struct {
		attempt  int
		min, max time.Duration
	}{
		{1, 50 * time.Millisecond, 100 * time.Millisecond},
		{2, 100 * time.Millisecond, 200 * time.Millisecond},
		{3, 150 * time.Millisecond, 300 * time.Millisecond}, // capped at 300ms
		{60, 150 * time.Millisecond, 300 * time.Millisecond},
	}
	for _, b := range bounds {
		for range 200 {
			if d := p.backoff(b.attempt); d < b.min || d >= b.max {
				t.Fatalf("backoff(%d) = %v; want in [%v, %v)", b.attempt, d, b.min, b.max)
			}
		}
	}
}

func TestTooLongRefusesWaitsPastTheDeadline(t *testing.T) {
	p := &retryPolicy{maxDelay: 2 * time.Second}
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	if why := p.tooLong(ctx, 100*time.Millisecond, false); why != "" {
		t.Errorf("100ms wait in 500ms refused: %s", why)
	}
	if why := p.tooLong(ctx, 480*time.Millisecond, true); !strings.Contains(why, "not fit") {
		t.Errorf("480ms wait + %v try in <500ms accepted: %q", minUsefulTry, why)
	}
	if why := p.tooLong(context.Background(), 3*time.Second, true); !strings.Contains(why,
		"more than the 2s allowed") {
		t.Errorf("server wait over the cap accepted: %q", why)
	}
}

func TestSendTimerAbandonsOnlyAnAttemptWhoseRequestIsNotWritten(t *testing.T) {
	conn := func(s *sendTimer) { s.getConn("acs.example:443") }
	wrote := func(s *sendTimer) { s.wroteRequest(httptrace.WroteRequestInfo{}) }
	failed := func(s *sendTimer) {
		s.wroteRequest(httptrace.WroteRequestInfo{Err: errors.New("broken pipe")})
	}
	fire := func(s *sendTimer) {
		s.mu.Lock()
		started := s.t != nil
		s.mu.Unlock()
		if started {
			s.fire() // what the timer does when it runs out
		}
	}
	tests := []struct {
		name      string
		steps     []func(*sendTimer)
		abandoned bool
	}{
		{"timeout while connecting", []func(*sendTimer){conn, fire}, true},
		{"request written, then the timeout", []func(*sendTimer){conn, wrote, fire}, false},
		{"writing failed, then the timeout", []func(*sendTimer){conn, failed, fire}, true},
		{"timeout, then the request written after all",
			[]func(*sendTimer){conn, fire, wrote}, true},
		{"request written, never a timeout", []func(*sendTimer){conn, wrote}, false},
		{"no connection asked for yet (signing, token)", []func(*sendTimer){fire}, false},
		{"asked twice (net/http retrying), written", []func(*sendTimer){conn, conn, wrote,
			fire}, false},
	}
	for _, tt := range tests {
		ctx, cancel := context.WithCancel(context.Background())
		s := &sendTimer{d: time.Hour, abandon: cancel} // runs out by hand, not by the clock
		for _, step := range tt.steps {
			step(s)
		}
		if got := s.stop(); got != tt.abandoned || (ctx.Err() != nil) != tt.abandoned {
			t.Errorf("%s: abandoned %v, context %v; want abandoned %v", tt.name, got,
				ctx.Err(), tt.abandoned)
		}
		cancel()
	}
}

// policyTest runs requests through a pipeline of the retry policy alone over transport tr.
type policyTest struct {
	pl runtime.Pipeline
}

func newPolicyTest(tryTimeout time.Duration, tr policy.Transporter,
	perRetry ...policy.Policy) policyTest {
	p := &retryPolicy{maxAttempts: 4, tryTimeout: tryTimeout, baseDelay: time.Millisecond,
		maxDelay: 10 * time.Millisecond}
	return policyTest{pl: runtime.NewPipeline("acs-test", "v0.0.0",
		runtime.PipelineOptions{PerCall: []policy.Policy{p}, PerRetry: perRetry},
		&policy.ClientOptions{Transport: tr, Retry: policy.RetryOptions{MaxRetries: -1}})}
}

// post sends a small body to url under deadline and returns the outcome and time taken.
func (pt policyTest) post(t *testing.T, url string, deadline time.Duration) (*http.Response,
	*sendState, error, time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), deadline)
	defer cancel()
	req, err := runtime.NewRequest(ctx, http.MethodPost, url)
	if err != nil {
		t.Fatal(err)
	}
	if err := req.SetBody(newBodyReader([]byte(`{"n":1}`)), "application/json"); err != nil {
		t.Fatal(err)
	}
	st := &sendState{}
	req.SetOperationValue(st)
	start := time.Now()
	resp, err := pt.pl.Do(req)
	return resp, st, err, time.Since(start)
}

// answerAfter is a server that reads each request, then answers 200 after d, or never when
// d is negative (until the client goes or the test ends). It counts the requests.
func answerAfter(t *testing.T, d time.Duration) (*httptest.Server, *atomic.Int32) {
	var n atomic.Int32
	done := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		n.Add(1)
		var late <-chan time.Time
		if d >= 0 {
			late = time.After(d)
		}
		select {
		case <-late:
			w.WriteHeader(http.StatusOK)
		case <-r.Context().Done():
		case <-done:
		}
	}))
	t.Cleanup(func() { close(done); srv.Close() })
	return srv, &n
}

func TestRetryPolicyWaitsForAWrittenRequestPastTheTryTimeout(t *testing.T) {
	srv, requests := answerAfter(t, 350*time.Millisecond)
	pt := newPolicyTest(50*time.Millisecond, srv.Client())

	// 250ms after the answer is due is too short for a retry after a late answer to win.
	resp, st, err, took := pt.post(t, srv.URL, 600*time.Millisecond)
	if err != nil || resp.StatusCode != http.StatusOK || st.attempts != 1 {
		t.Fatalf("resp %v, attempts %d, err %v; want 200 at the first attempt", resp,
			st.attempts, err)
	}
	if n := requests.Load(); n != 1 {
		t.Errorf("server saw %d requests; want 1", n)
	}
	if took < 350*time.Millisecond || took > 600*time.Millisecond {
		t.Errorf("took %v; want the 350ms answer waited for", took)
	}
}

func TestRetryPolicyWaitsForAWrittenRequestUntilTheDeadline(t *testing.T) {
	srv, requests := answerAfter(t, -1)
	pt := newPolicyTest(50*time.Millisecond, srv.Client())

	const deadline = 400 * time.Millisecond
	_, st, err, took := pt.post(t, srv.URL, deadline)
	if !errors.Is(err, context.DeadlineExceeded) || st.attempts != 1 {
		t.Errorf("attempts %d, err %v; want one attempt ended by the deadline", st.attempts,
			err)
	}
	if n := requests.Load(); n != 1 {
		t.Errorf("server saw %d requests; want 1", n)
	}
	if took < deadline || took > deadline+100*time.Millisecond {
		t.Errorf("returned after %v; want right at the %v deadline", took, deadline)
	}
}

// slowToken plays an Entra ID token fetch that takes d for every attempt.
type slowToken time.Duration

func (d slowToken) Do(req *policy.Request) (*http.Response, error) {
	t := time.NewTimer(time.Duration(d))
	defer t.Stop()
	select {
	case <-t.C:
	case <-req.Raw().Context().Done():
		return nil, req.Raw().Context().Err()
	}
	req.Raw().Header.Set("Authorization", "Bearer token")
	return req.Next()
}

func TestRetryPolicyDoesNotTimeTheTokenFetch(t *testing.T) {
	srv, requests := answerAfter(t, 0)
	pt := newPolicyTest(50*time.Millisecond, srv.Client(), slowToken(150*time.Millisecond))

	resp, st, err, _ := pt.post(t, srv.URL, time.Second)
	if err != nil || resp.StatusCode != http.StatusOK || st.attempts != 1 {
		t.Fatalf("resp %v, attempts %d, err %v; want 200 at the first attempt", resp,
			st.attempts, err)
	}
	if n := requests.Load(); n != 1 {
		t.Errorf("server saw %d requests; want 1", n)
	}
}

// hangingDials is a transport whose first n dials never connect (until the test ends).
func hangingDials(t *testing.T, n int32) (policy.Transporter, *atomic.Int32) {
	var dials atomic.Int32
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	var d net.Dialer
	tr := &http.Transport{DialContext: func(ctx context.Context, network,
		addr string) (net.Conn, error) {
		if dials.Add(1) <= n {
			select {
			case <-ctx.Done():
				return nil, ctx.Err()
			case <-release:
				return nil, errors.New("test over")
			}
		}
		return d.DialContext(ctx, network, addr)
	}}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr}, &dials
}

func TestRetryPolicyAbandonsAnAttemptStillConnectingAfterTheTryTimeout(t *testing.T) {
	srv, requests := answerAfter(t, 0)
	tr, dials := hangingDials(t, 1)
	pt := newPolicyTest(100*time.Millisecond, tr)

	resp, st, err, took := pt.post(t, srv.URL, 2*time.Second)
	if err != nil || resp.StatusCode != http.StatusOK || st.attempts != 2 {
		t.Fatalf("resp %v, attempts %d, err %v; want 200 at the second attempt", resp,
			st.attempts, err)
	}
	if n, d := requests.Load(), dials.Load(); n != 1 || d != 2 {
		t.Errorf("%d requests over %d dials; want 1 over 2", n, d)
	}
	if took < 100*time.Millisecond || took > 600*time.Millisecond {
		t.Errorf("took %v; want the first attempt cut at 100ms, then a quick retry", took)
	}
}

func TestRetryPolicyStopsBeforeTheDeadlineWhenNoConnectionOpens(t *testing.T) {
	srv, requests := answerAfter(t, 0)
	tr, dials := hangingDials(t, 100)
	pt := newPolicyTest(100*time.Millisecond, tr)

	const deadline = 350 * time.Millisecond
	_, st, err, took := pt.post(t, srv.URL, deadline)
	if !errors.Is(err, context.DeadlineExceeded) || st.attempts < 3 {
		t.Errorf("attempts %d, err %v; want at least 3 abandoned attempts, then the deadline",
			st.attempts, err)
	}
	if n, d := requests.Load(), dials.Load(); n != 0 || d != int32(st.attempts) {
		t.Errorf("%d requests over %d dials; want none over %d", n, d, st.attempts)
	}
	if took > deadline+100*time.Millisecond {
		t.Errorf("returned after %v; deadline %v", took, deadline)
	}
}
