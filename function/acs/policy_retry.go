package acs

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptrace"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
)

// minUsefulTry is the least time worth giving an attempt after a wait. Waking up with less
// than this before the deadline only delays the answer to Okta, so the policy gives up instead.
const minUsefulTry = 50 * time.Millisecond

// retryPolicy repeats a request on transient failures (connection errors, 408, 429, 5xx, a
// 202 whose recipient item says 429 or 5xx, and an attempt that could not send its request
// within the try timeout) with exponential backoff and jitter, or after the wait the server
// asks for in Retry-After, retry-after-ms or x-ms-retry-after-ms.
//
// Unlike azcore's retry policy it never sleeps past the context deadline: when the wait plus
// minUsefulTry does not fit in the time left, it stops at once and returns the last answer,
// so the caller can give up early and Okta falls back to its own provider while there is
// still time.
//
// A retry is only useful when the first request never reached ACS, so the try timeout cuts
// an attempt only while it is still connecting (DNS, TCP, TLS handshake) or writing its
// request (see sendTimer). Once net/http has written the whole request, ACS may be sending
// the text: the attempt is then waited for until the context ends, however long ACS takes.
// Abandoning it would not unsend the text, and a retry would only race it: if ACS answers
// the first request late, the retry, and so the send, fails at the deadline, Okta hears
// FAILED and sends a second text through its own provider.
//
// NOTE: keep both invariants. (1) An attempt whose request was written is never abandoned
// before ctx ends, and so never overlapped by a retry; retries follow only answers and errors
// that came back (a reset, EOF, 408, 429, 5xx, per-recipient 429/5xx). (2) The request body
// is the same bytes on every attempt (ACS deduplicates retries by the repeatability id and
// first-sent time inside it); the policy rereads those bytes, it never re-encodes them.
type retryPolicy struct {
	maxAttempts int
	tryTimeout  time.Duration // how long an attempt may take to write its request
	baseDelay   time.Duration
	maxDelay    time.Duration

	// transient reports whether a 2xx answer still asks for a retry (ACS: per-recipient 503).
	transient func(*http.Response) bool
}

// sendState carries what the retry policy learnt back to Send, as an operation value.
type sendState struct {
	attempts int
	stopped  string // why retrying stopped before success, for the error message
	tooLarge bool   // the last answer's body was longer than maxAnswerBytes and is not read
}

// Do sends req until it succeeds, fails for good, or retrying no longer fits.
func (p *retryPolicy) Do(req *policy.Request) (*http.Response, error) {
	st := &sendState{}
	if !req.OperationValue(&st) {
		st = &sendState{}
	}
	ctx := req.Raw().Context()

	for attempt := 1; ; attempt++ {
		st.attempts = attempt
		resp, err := p.try(ctx, req)
		st.tooLarge = resp != nil && errors.Is(err, errAnswerTooLarge)
		if st.tooLarge {
			// An answer too large to read is still an answer: its status decides whether
			// to retry, and Send reports it without its body.
			resp.Body, err = http.NoBody, nil
		}
		if err != nil && ctx.Err() != nil {
			return nil, fmt.Errorf("acs: attempt %d: %w", attempt, context.Cause(ctx))
		}
		retry, serverWait := p.shouldRetry(resp, err)
		if !retry {
			return resp, err
		}
		if attempt >= p.maxAttempts {
			st.stopped = fmt.Sprintf("gave up after %d attempts", attempt)
			return resp, err
		}

		wait := p.backoff(attempt)
		if serverWait > 0 {
			wait = serverWait
		}
		if stop := p.tooLong(ctx, wait, serverWait > 0); stop != "" {
			st.stopped = stop
			return resp, err
		}
		if resp != nil {
			resp.Body.Close() // already read into memory by azcore's body download policy
		}
		if err := sleep(ctx, wait); err != nil {
			return nil, fmt.Errorf("acs: waiting to retry: %w", err)
		}
	}
}

// try makes one attempt, from the first byte of the body. It is abandoned if its request
// is not written within p.tryTimeout of asking the transport for a connection; once
// written, it runs until ctx ends.
func (p *retryPolicy) try(ctx context.Context, req *policy.Request) (*http.Response, error) {
	tryCtx, abandon := context.WithCancel(ctx)
	defer abandon()
	timer := &sendTimer{d: p.tryTimeout, abandon: abandon}
	defer timer.stop()
	trace := &httptrace.ClientTrace{GetConn: timer.getConn, WroteRequest: timer.wroteRequest}
	clone := req.Clone(httptrace.WithClientTrace(tryCtx, trace))

	// NOTE: net/http may still be reading an abandoned attempt's body after RoundTrip has
	// returned, so each attempt gets its own reader over the same immutable bytes.
	if b, ok := req.Body().(bodyReader); ok {
		if err := clone.SetBody(b.again(), req.Raw().Header.Get("Content-Type")); err != nil {
			return nil, fmt.Errorf("acs: setting the request body: %w", err)
		}
	} else if err := clone.RewindBody(); err != nil {
		return nil, fmt.Errorf("acs: rewinding the request body: %w", err)
	}

	// Cancelling tryCtx once Next returns is safe: the body download policy further down
	// the pipeline has already read the whole response body into memory.
	resp, err := clone.Next()
	if err != nil && timer.stop() && ctx.Err() == nil {
		// Reported as a deadline, the way a hook that ends up failing explains itself.
		return nil, fmt.Errorf("acs: request not sent to ACS within the %v try timeout: %w",
			p.tryTimeout, context.DeadlineExceeded)
	}
	return resp, err
}

// sendTimer abandons an attempt whose request is not written within d of the transport
// asking for a connection. Signing and getting an Entra ID token come before that and are
// bounded by the deadline alone: a token that takes long to get is worth waiting for, and
// abandoning its fetch would only start it again. A transport that is not net/http's (no
// trace hooks) is never timed: whether its request was written cannot be told.
//
// Once the request is written the timer never abandons the attempt, and once it has
// abandoned it, a request written after all (in the instant before the cancellation took
// hold) does not undo that: such a retry, like any, carries the same repeatability id.
type sendTimer struct {
	d       time.Duration
	abandon context.CancelFunc

	mu        sync.Mutex
	t         *time.Timer // started by getConn
	written   bool
	abandoned bool
}

// getConn is the httptrace hook called when the transport starts looking for a connection.
func (s *sendTimer) getConn(string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.t == nil && !s.written && !s.abandoned {
		s.t = time.AfterFunc(s.d, s.fire)
	}
}

// wroteRequest is the httptrace hook: net/http has written the whole request (for HTTP/1.1,
// into the connection's buffer, which it flushes right after).
func (s *sendTimer) wroteRequest(info httptrace.WroteRequestInfo) {
	if info.Err != nil {
		return // the attempt fails by itself, and may be retried
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.abandoned {
		s.written = true
	}
}

// fire abandons the attempt unless its request was written.
func (s *sendTimer) fire() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.written {
		s.abandoned = true
		s.abandon()
	}
}

// stop stops the timer and reports whether it abandoned the attempt.
func (s *sendTimer) stop() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.t != nil {
		s.t.Stop()
	}
	return s.abandoned
}

// shouldRetry classifies one attempt's outcome and returns any wait the server asked for.
func (p *retryPolicy) shouldRetry(resp *http.Response, err error) (bool, time.Duration) {
	if err != nil {
		// Credential failures (Entra token) are marked non-retriable by azcore, and a
		// certificate we do not trust will not become trusted by asking again; everything
		// else here is the network: reset, EOF, refused, a request not sent in time.
		var nr interface{ NonRetriable() }
		return !errors.As(err, &nr) && !untrustedCertificate(err), 0
	}
	switch {
	case resp.StatusCode == http.StatusTooManyRequests,
		resp.StatusCode == http.StatusRequestTimeout,
		resp.StatusCode >= 500:
		return true, retryAfter(resp.Header, time.Now())
	case resp.StatusCode >= 200 && resp.StatusCode < 300 && p.transient != nil:
		return p.transient(resp), retryAfter(resp.Header, time.Now())
	}
	return false, 0
}

// untrustedCertificate reports whether err is a failed verification of the server's TLS
// certificate: a configuration problem (a wrong endpoint, a proxy that intercepts TLS, a
// missing root), never a passing one.
func untrustedCertificate(err error) bool {
	var verify *tls.CertificateVerificationError
	var authority x509.UnknownAuthorityError
	var host x509.HostnameError
	var invalid x509.CertificateInvalidError
	return errors.As(err, &verify) || errors.As(err, &authority) || errors.As(err, &host) ||
		errors.As(err, &invalid)
}

// backoff is the exponential wait before attempt+1, capped, with jitter in [d/2, d).
func (p *retryPolicy) backoff(attempt int) time.Duration {
	d := p.baseDelay << min(attempt-1, 20)
	if d <= 0 || d > p.maxDelay {
		d = p.maxDelay
	}
	half := d / 2
	if half <= 0 {
		return d
	}
	return half + rand.N(half)
}

// tooLong says why waiting wait before the next attempt is not worth it, or "" if it is.
func (p *retryPolicy) tooLong(ctx context.Context, wait time.Duration, asked bool) string {
	if asked && wait > p.maxDelay {
		return fmt.Sprintf("server asked to wait %v, more than the %v allowed", wait, p.maxDelay)
	}
	if deadline, ok := ctx.Deadline(); ok {
		if left := time.Until(deadline); wait+minUsefulTry > left {
			return fmt.Sprintf("a retry after %v would not fit in the %v left",
				wait.Round(time.Millisecond), left.Round(time.Millisecond))
		}
	}
	return ""
}

// sleep waits d or until ctx is done, whichever comes first.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}

// retryAfter reads the wait a server asked for: retry-after-ms, x-ms-retry-after-ms (both
// milliseconds), then Retry-After (seconds or an HTTP date). Zero when absent or unreadable.
func retryAfter(h http.Header, now time.Time) time.Duration {
	for _, name := range []string{"retry-after-ms", "x-ms-retry-after-ms"} {
		if v := strings.TrimSpace(h.Get(name)); v != "" {
			if ms, err := strconv.ParseInt(v, 10, 64); err == nil && ms > 0 {
				return time.Duration(ms) * time.Millisecond
			}
		}
	}
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0
	}
	if s, err := strconv.ParseInt(v, 10, 64); err == nil {
		if s <= 0 {
			return 0
		}
		return time.Duration(min(s, 3600)) * time.Second
	}
	if at, err := http.ParseTime(v); err == nil && at.After(now) {
		return at.Sub(now)
	}
	return 0
}
