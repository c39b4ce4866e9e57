package hooks

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// RateLimit bounds how long a call waits when Okta answers 429 Too Many Requests. Okta
// says when the limit resets (X-Rate-Limit-Reset, Unix seconds, against its Date header);
// a call waits until then and tries again, unless the wait would be longer than MaxWait or
// it already retried MaxRetries times, in which case the 429 is reported.
type RateLimit struct {
	MaxWait    time.Duration // default 60s
	MaxRetries int           // default 2; negative means never retry

	// Sleep waits for d or until ctx is done; default a timer. Tests replace it.
	Sleep func(ctx context.Context, d time.Duration) error
}

const (
	defaultMaxWait    = 60 * time.Second
	defaultMaxRetries = 2
	// resetMargin is added to the computed wait: Okta's Date header has whole seconds.
	resetMargin = 250 * time.Millisecond
	// maxErrorBody bounds how much of an error answer is kept in memory.
	maxErrorBody = 1 << 20
)

// transport waits out 429s and remembers the last failure of the OAuth token endpoint,
// which the SDK swallows (it reports only "Empty access token").
type transport struct {
	base  http.RoundTripper
	limit RateLimit

	mu        sync.Mutex
	lastToken *TokenError
}

func newTransport(base http.RoundTripper, limit RateLimit) *transport {
	if limit.MaxWait <= 0 {
		limit.MaxWait = defaultMaxWait
	}
	if limit.MaxRetries == 0 {
		limit.MaxRetries = defaultMaxRetries
	}
	if limit.Sleep == nil {
		limit.Sleep = sleep
	}
	return &transport{base: base, limit: limit}
}

// RoundTrip sends req, waiting and resending while Okta answers 429 and the reset is
// near enough.
func (t *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	for attempt := 0; ; attempt++ {
		resp, err := t.base.RoundTrip(req)
		if err != nil {
			return nil, err
		}
		if resp.StatusCode != http.StatusTooManyRequests {
			return t.noteToken(req, resp), nil
		}

		wait, ok := ResetWait(resp.Header)
		canResend := req.Body == nil || req.GetBody != nil
		if !ok || wait > t.limit.MaxWait || attempt >= t.limit.MaxRetries || !canResend {
			resp = keepBody(resp)
			if r := recordOf(req.Context()); r != nil {
				r.set(resp)
			}
			return t.noteToken(req, resp), nil
		}

		drain(resp)
		if err := t.limit.Sleep(req.Context(), wait); err != nil {
			return nil, err
		}
		next := req.Clone(req.Context())
		if req.GetBody != nil {
			if next.Body, err = req.GetBody(); err != nil {
				return nil, err
			}
		}
		// Okta asks clients to say which request a retry is for.
		next.Header.Set("X-Okta-Retry-For", resp.Header.Get("X-Okta-Request-Id"))
		next.Header.Set("X-Okta-Retry-Count", strconv.Itoa(attempt+1))
		req = next
	}
}

// ResetWait is how long to wait before the rate limit that produced a 429 with header h
// resets: X-Rate-Limit-Reset minus the answer's Date (Okta's clock, not ours) plus a
// small margin. ok is false when Okta gave no usable reset time.
func ResetWait(h http.Header) (wait time.Duration, ok bool) {
	reset, err := strconv.ParseInt(h.Get("X-Rate-Limit-Reset"), 10, 64)
	if err != nil {
		return 0, false
	}
	now, err := http.ParseTime(h.Get("Date"))
	if err != nil {
		now = time.Now()
	}
	wait = time.Unix(reset, 0).Sub(now)
	if wait < 0 {
		wait = 0
	}
	return wait + resetMargin, true
}

// keptBody is a response body that still holds its bytes after being read, so the error
// body of a final 429 survives the SDK draining it.
type keptBody struct {
	*bytes.Reader
	b []byte
}

func (*keptBody) Close() error { return nil }

func keepBody(resp *http.Response) *http.Response {
	b, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	resp.Body.Close()
	resp.Body = &keptBody{Reader: bytes.NewReader(b), b: b}
	return resp
}

func drain(resp *http.Response) {
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxErrorBody))
	resp.Body.Close()
}

// tokenPath is where the SDK asks for a service app's access token.
const tokenPath = "/oauth2/v1/token"

// noteToken remembers a failed access token request so that the error reported to the
// user says why (invalid_client, invalid_scope, ...) instead of "Empty access token".
func (t *transport) noteToken(req *http.Request, resp *http.Response) *http.Response {
	if req.URL.Path != tokenPath {
		return resp
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if resp.StatusCode < 300 {
		t.lastToken = nil
		return resp
	}
	resp = keepBody(resp)
	var body struct {
		Error       string `json:"error"`
		Description string `json:"error_description"`
	}
	_ = json.Unmarshal(resp.Body.(*keptBody).b, &body)
	t.lastToken = &TokenError{
		Status:      resp.StatusCode,
		Code:        body.Error,
		Description: body.Description,
		RequestID:   resp.Header.Get("X-Okta-Request-Id"),
	}
	return resp
}

func (t *transport) tokenFailure() *TokenError {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.lastToken
}

func sleep(ctx context.Context, d time.Duration) error {
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-timer.C:
		return nil
	}
}

// record holds, for one API call, the 429 answer the transport gave up on: the SDK
// returns only "too many requests" without the response, and the user needs Okta's
// error body, request id and reset time.
type record struct {
	mu      sync.Mutex
	limited *http.Response
}

type recordKey struct{}

func withRecord(ctx context.Context) context.Context {
	return context.WithValue(ctx, recordKey{}, &record{})
}

func recordOf(ctx context.Context) *record {
	r, _ := ctx.Value(recordKey{}).(*record)
	return r
}

func (r *record) set(resp *http.Response) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.limited = resp
}

func (r *record) get() *http.Response {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.limited
}
