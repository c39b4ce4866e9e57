package acs

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
)

// minUsefulTry is the least time worth giving an attempt after a wait. Waking up with less
// than this before the deadline only delays the answer to Okta, so the policy gives up instead.
const minUsefulTry = 50 * time.Millisecond

// retryPolicy repeats a request on transient failures (connection errors, per-try timeouts,
// 408, 429, 5xx, and a 202 whose recipient item says 503) with exponential backoff and jitter,
// or after the wait the server asks for in Retry-After, retry-after-ms or x-ms-retry-after-ms.
//
// Unlike azcore's retry policy it never sleeps past the context deadline: when the wait plus
// minUsefulTry does not fit in the time left, it stops at once and returns the last answer,
// so the caller can give up early and Okta falls back to its own provider while there is
// still time.
//
// NOTE: the request body must be the same bytes on every attempt (ACS deduplicates retries by
// the repeatability id inside it); the policy rereads those bytes, it never re-encodes them.
type retryPolicy struct {
	maxAttempts int
	minTry      time.Duration // the least time an attempt is given
	reserve     time.Duration // the time an attempt leaves before the deadline for a retry
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

// tryTimeout is how long the next attempt may run (see ClientOptions.TryTimeout): until the
// deadline less the reserve for one retry, but at least minTry, and never past the deadline.
func (p *retryPolicy) tryTimeout(ctx context.Context) time.Duration {
	deadline, ok := ctx.Deadline()
	if !ok {
		return p.minTry
	}
	return p.tryBudget(time.Until(deadline))
}

// tryBudget is tryTimeout for an attempt that starts left before the deadline.
func (p *retryPolicy) tryBudget(left time.Duration) time.Duration {
	return min(max(left-p.reserve, p.minTry), left)
}

// try makes one attempt under its own timeout, from the first byte of the body.
func (p *retryPolicy) try(ctx context.Context, req *policy.Request) (*http.Response, error) {
	tryCtx, cancel := context.WithTimeout(ctx, p.tryTimeout(ctx))
	defer cancel()
	clone := req.Clone(tryCtx)

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
	return clone.Next()
}

// shouldRetry classifies one attempt's outcome and returns any wait the server asked for.
func (p *retryPolicy) shouldRetry(resp *http.Response, err error) (bool, time.Duration) {
	if err != nil {
		// Credential failures (Entra token) are marked non-retriable by azcore, and a
		// certificate we do not trust will not become trusted by asking again; everything
		// else here is the network: reset, EOF, refused, per-try timeout.
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
