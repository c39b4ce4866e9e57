// Package hook is the HTTP surface of the Okta Telephony Inline Hook: it checks who is
// calling, reads the request, sends the text through an sms.Sender within Okta's time
// budget, and answers in Okta's contract, one log line per call.
package hook

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"strings"
	"sync"
	"time"

	"okta-acs-sms/function/hookauth"
	"okta-acs-sms/function/okta"
	"okta-acs-sms/function/sms"
)

// DefaultDeadline is how long after a request arrives its answer is written at the latest.
// Okta waits 3 s; the rest is left for the Functions host and the network.
const DefaultDeadline = 2500 * time.Millisecond

// MaxBodyBytes bounds a request body. Okta's requests are about 1 KiB.
const MaxBodyBytes = 64 << 10

// InvocationHeader carries the Functions host's id of the invocation, logged for correlation.
const InvocationHeader = "X-Azure-Functions-InvocationId"

// recordTimeout bounds one call of the SentRecorder, which runs after the answer.
const recordTimeout = 10 * time.Second

// How long an eventId is remembered: until the code expires, within these bounds. The
// floor keeps repeats deduplicated when clocks disagree or the expiry is already past.
const (
	minDedupeTTL     = time.Minute
	defaultDedupeTTL = 5 * time.Minute
	maxDedupeTTL     = 10 * time.Minute
)

// Options configures a Handler. Auth and Sender are required.
type Options struct {
	Auth   hookauth.Authenticator
	Sender sms.Sender

	// Provider names the sender in FAILED answers ("ACS"); successful answers use the
	// receipt's own.
	Provider string

	// Recorder, when set, is told about every accepted text after the answer is written.
	// Its errors are logged and never change the answer.
	Recorder sms.SentRecorder

	// Store remembers answers per eventId; nil means a MemoryStore of DefaultStoreSize.
	Store Store

	// Deadline is how long after arrival the answer is written at the latest; zero means
	// DefaultDeadline.
	Deadline time.Duration

	// Logger receives one line per call; nil discards.
	Logger *slog.Logger
}

// Handler serves POST /api/telephony. It is safe for concurrent use.
type Handler struct {
	auth     hookauth.Authenticator
	sender   sms.Sender
	provider string
	recorder sms.SentRecorder
	store    Store
	deadline time.Duration
	margin   time.Duration
	logger   *slog.Logger
	now      func() time.Time

	records sync.WaitGroup // SentRecorder calls still running
}

// New returns a Handler for o.
func New(o Options) (*Handler, error) {
	if o.Auth == nil || o.Sender == nil {
		return nil, errors.New("hook: new handler: Auth and Sender are required")
	}
	h := &Handler{
		auth:     o.Auth,
		sender:   o.Sender,
		provider: o.Provider,
		recorder: o.Recorder,
		store:    o.Store,
		deadline: o.Deadline,
		logger:   o.Logger,
		now:      time.Now,
	}
	if h.store == nil {
		h.store = NewMemoryStore(DefaultStoreSize)
	}
	if h.deadline <= 0 {
		h.deadline = DefaultDeadline
	}
	if h.logger == nil {
		h.logger = slog.New(slog.DiscardHandler)
	}

	// The sender's own deadline comes a margin before the answer's, so that a sender that
	// honours its context has returned, and the answer is written, before Okta gives up.
	h.margin = min(max(h.deadline/10, 10*time.Millisecond), 200*time.Millisecond)
	return h, nil
}

// Drain waits until the SentRecorder calls still running have returned, or ctx ends.
func (h *Handler) Drain(ctx context.Context) error {
	done := make(chan struct{})
	go func() { h.records.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("hook: drain recorder calls: %w", ctx.Err())
	}
}

// ServeHTTP answers one hook call: 401 when the caller is not Okta, 400/413/415 when the
// body is not a JSON object (or too large, or not JSON by its type), and otherwise 200 with
// Okta's contract, also for an object that is no usable hook request.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	c := &call{invocationID: logText(r.Header.Get(InvocationHeader))}
	defer func() {
		// A panic must still give Okta an answer in its contract, or Okta waits and then
		// falls back anyway; FAILED says so at once.
		if p := recover(); p != nil {
			c.panicked = fmt.Sprint(p)
			if !c.written {
				a := decide(result{err: errPanic, provider: h.provider,
					latency: time.Since(start)})
				c.answer(a)
				writeJSON(w, http.StatusOK, a.Response)
			}
		}
		c.latency = time.Since(start)
		h.log(r.Context(), c)
	}()

	status, resp, req := h.admit(r, c)
	if req != nil {
		a, dup := h.answer(r.Context(), req, start)
		c.answer(a)
		c.duplicate = dup
		status, resp = http.StatusOK, a.Response
	}
	writeJSON(w, status, resp)
	c.written = true
}

// admit checks the caller and reads the request. It returns the request, or the status and
// error answer to give instead.
func (h *Handler) admit(r *http.Request, c *call) (int, okta.Response, *okta.Request) {
	if err := h.auth.Authenticate(r); err != nil {
		c.outcome, c.err = "unauthorized", err
		var ae *hookauth.Error
		if errors.As(err, &ae) && ae.Unavailable {
			c.outcome = "auth_unavailable"
			return http.StatusServiceUnavailable,
				okta.ErrorResponse("Authentication is unavailable"), nil
		}
		return http.StatusUnauthorized, okta.ErrorResponse("Unauthorized"), nil
	}
	if !isJSON(r.Header.Get("Content-Type")) {
		c.outcome = "unsupported_media_type"
		return http.StatusUnsupportedMediaType,
			okta.ErrorResponse("Content-Type must be application/json"), nil
	}
	body, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, MaxBodyBytes))
	if err != nil {
		var mb *http.MaxBytesError
		if errors.As(err, &mb) {
			c.outcome = "body_too_large"
			return http.StatusRequestEntityTooLarge,
				okta.ErrorResponse("Request body too large"), nil
		}
		c.outcome, c.err = "bad_request", err
		return http.StatusBadRequest, okta.ErrorResponse("Request body could not be read"), nil
	}
	req, err := okta.ParseRequest(body)
	if err != nil {
		c.outcome, c.err = "bad_request", err
		return http.StatusBadRequest, okta.ErrorResponse("Request body is not a JSON object"),
			nil
	}
	c.request(req)
	return 0, okta.Response{}, req
}

// isJSON accepts a missing Content-Type (the body is parsed as JSON anyway) and any JSON
// media type. Okta always sends application/json; anything else is not Okta.
func isJSON(contentType string) bool {
	if contentType == "" {
		return true
	}
	mt, _, err := mime.ParseMediaType(contentType)
	return err == nil && (mt == "application/json" || strings.HasSuffix(mt, "+json"))
}

// answer returns the answer for req, the first one again when its eventId was seen before.
func (h *Handler) answer(ctx context.Context, req *okta.Request, start time.Time) (Answer, bool) {
	if !usableEventID(req.EventID) {
		return decide(result{refusal: refuseEventID, latency: time.Since(start)}), false
	}
	if req.EventID == "" {
		return h.serve(ctx, req, start), false
	}
	wctx, cancel := context.WithDeadline(ctx, start.Add(h.deadline-h.margin/2))
	defer cancel()
	prev, claimed, err := h.store.Claim(wctx, req.EventID, h.dedupeTTL(req))
	switch {
	case err != nil && wctx.Err() != nil:
		// The first call of this event has not answered within our own budget: say
		// FAILED rather than send a second text.
		return decide(result{err: &sms.Error{Kind: sms.KindUnavailable, Err: err},
			provider: h.provider, latency: time.Since(start)}), true
	case err != nil:
		// A shared store that fails must not stop texts. The provider's idempotency key (the
		// eventId) with the first-sent time from Okta's eventTime still makes a repeat one
		// text, as long as eventTime is recent (see firstSent).
		h.logger.LogAttrs(ctx, slog.LevelWarn, "hook: dedupe store failed", slog.Any("error", err))
		return h.serve(ctx, req, start), false
	case !claimed:
		return prev, true
	}

	a := decide(result{err: errPanic, provider: h.provider}) // replaced unless serve panics
	defer func() { h.store.Complete(req.EventID, a) }()
	a = h.serve(ctx, req, start)
	return a, false
}

// How far Okta's eventTime may be from our clock and still be the text's first-sent time.
const (
	maxFirstSentAhead = 30 * time.Second
	maxFirstSentAge   = 10 * time.Minute
)

// firstSent returns the time the provider is told the text was first requested: Okta's
// eventTime, cut to whole seconds (the provider's date format has no more), or zero for
// "now, at the first attempt".
//
// eventTime is the same on every repeat of an event, so every instance that sends a repeat
// gives the provider the same first-sent time, and with the same idempotency key (the
// eventId) the provider sends one text. It comes from Okta's clock, though, so it is used
// only when sane:
//   - a time ahead of ours by more than a small skew is replaced by now: a first-sent time
//     in the future is not one a provider should have to accept;
//   - a time older than maxFirstSentAge gives zero: the code has expired by then anyway, and
//     the provider remembers repeatability ids only for a limited time (ACS does not
//     document how long) and may refuse a first-sent time outside it.
//
// In both cases a repeat that reaches the provider again may be a second text.
func firstSent(req *okta.Request, now time.Time) time.Time {
	at, ok := req.EventAt()
	switch {
	case !ok:
		return time.Time{}
	case at.After(now.Add(maxFirstSentAhead)):
		return now.Truncate(time.Second)
	case at.Before(now.Add(-maxFirstSentAge)):
		return time.Time{}
	}
	return at.Truncate(time.Second)
}

func (h *Handler) dedupeTTL(req *okta.Request) time.Duration {
	exp, ok := req.OTPExpiry()
	if !ok {
		return defaultDedupeTTL
	}
	return min(max(exp.Sub(h.now()), minDedupeTTL), maxDedupeTTL)
}

// serve validates req, sends the text and decides the answer.
func (h *Handler) serve(ctx context.Context, req *okta.Request, start time.Time) Answer {
	mp := req.Data.MessageProfile
	res := result{provider: h.provider}
	phone, perr := sms.NormalizeE164(mp.PhoneNumber)
	switch {
	case !req.HasChannel():
		res.refusal = refuseRequest
	case !req.IsSMS():
		res.refusal = refuseVoice
	case perr != nil:
		res.refusal = refusePhone
	case !usableCode(string(mp.OTPCode)):
		res.refusal = refuseCode
	}
	if res.refusal != nil {
		res.latency = time.Since(start)
		return decide(res)
	}

	text, source := composeText(mp.MsgTemplate, string(mp.OTPCode))
	m := sms.Message{To: phone, Body: text, Tag: req.EventID, IdempotencyKey: req.EventID,
		FirstSent: firstSent(req, h.now())}
	res.receipt, res.err = h.send(ctx, start, m)
	res.latency = time.Since(start)
	a := decide(res)
	a.Text = source
	if a.Outcome == OutcomeSent {
		h.record(ctx, req, phone, res.receipt)
	}
	return a
}
