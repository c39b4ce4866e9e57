// Package acs sends SMS through Azure Communication Services (ACS) with its REST API,
// POST {endpoint}/sms?api-version=2021-03-07, as an sms.Sender.
//
// The client is an azcore pipeline: a deadline-aware retry policy (policy_retry.go), then per
// attempt either the HMAC signing policy for an access key (policy_hmac.go) or azcore's bearer
// token policy for Microsoft Entra ID, then azcore's logging and the HTTP transport. There is
// no official Go data-plane SDK for ACS SMS; this package is the small part of one we need.
//
// Idempotency: every text carries a repeatabilityRequestId derived from the message's
// IdempotencyKey and recipient, and a repeatabilityFirstSent taken from the message's
// FirstSent (or, when that is zero, the time of the first attempt). Every retry inside one
// Send sends the same bytes, so ACS does not send a retried text twice. A second Send of the
// same text is recognised as a repeat only when it carries the same key and the same
// FirstSent; with a zero FirstSent it is a second text unless both fall in the same second.
package acs

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"

	"okta-acs-sms/function/sms"
)

const (
	apiVersion = "2021-03-07"

	// Scope is the Entra ID scope of the ACS data plane.
	Scope = "https://communication.azure.com/.default"

	// Provider is the name a Receipt carries for texts sent through ACS.
	Provider = "ACS"

	moduleName    = "acs"
	moduleVersion = "v1.0.0"

	defaultTryTimeout    = time.Second
	defaultMaxAttempts   = 4
	defaultRetryDelay    = 200 * time.Millisecond
	defaultMaxRetryDelay = 2 * time.Second
)

// ClientOptions configures a Client. The zero value means the documented defaults.
//
// Of the embedded azcore.ClientOptions, Transport (tests inject one that trusts a fake's TLS
// certificate), Logging, Telemetry and PerCall/PerRetry policies apply. Retry is ignored: the
// client retries with its own deadline-aware policy configured by the fields below.
// InsecureAllowCredentialWithHTTP is the only way to use an http:// endpoint, for tests
// against a plain loopback fake; production endpoints must be https://. Whatever the
// transport, at most 64 KiB of an answer is read (see maxAnswerBytes).
type ClientOptions struct {
	azcore.ClientOptions

	// TryTimeout is how long an attempt may take to send its request once it has been
	// signed (and any Entra ID token got): to connect (DNS, TCP, TLS handshake) and write
	// the request. Zero means 1s.
	//
	// An attempt that has not written its request by then is abandoned and retried on a new
	// connection, if the deadline leaves room: that request never reached ACS, so the retry
	// cannot make a second text. Once the request is written, there is no try timeout: the
	// attempt is waited for until the send's context ends, because ACS may already be
	// sending the text, and its answer, however late, is the only way to know. Giving up
	// on it to retry only races it, and costs the time Okta needs for its fallback. So give
	// Send a context with a deadline; when it passes, Send returns at once with an error
	// that wraps context.DeadlineExceeded.
	TryTimeout time.Duration

	// MaxAttempts bounds the HTTP requests per Send, the first included. Zero means 4.
	MaxAttempts int

	// RetryDelay is the backoff before the second attempt; it doubles per attempt, with
	// jitter. Zero means 200ms.
	RetryDelay time.Duration

	// MaxRetryDelay caps the backoff, and a server asking (Retry-After) for a longer wait
	// than this is not waited for. Zero means 2s.
	MaxRetryDelay time.Duration

	// Now is the clock for x-ms-date, and for repeatabilityFirstSent when a message has no
	// FirstSent. Nil means time.Now.
	Now func() time.Time
}

// Client sends texts through one ACS resource from one sender number. It is safe for
// concurrent use and reuses its HTTP connections (keep-alive) across sends.
type Client struct {
	sendURL string
	from    string
	now     func() time.Time
	pl      runtime.Pipeline
}

// NewClientWithKey returns a client that signs requests with an ACS access key (HMAC).
func NewClientWithKey(endpoint, from string, key *KeyCredential,
	o *ClientOptions) (*Client, error) {
	if key == nil || len(key.key) == 0 {
		return nil, errors.New("acs: access key is missing")
	}
	return newClient(endpoint, from, o, func(now func() time.Time) policy.Policy {
		return newHMACPolicy(key, now)
	})
}

// NewClient returns a client that authenticates with Microsoft Entra ID: cred (a managed
// identity in Azure) gives tokens for Scope, sent as "Authorization: Bearer". The identity
// needs a role on the ACS resource that allows sending SMS.
func NewClient(endpoint, from string, cred azcore.TokenCredential,
	o *ClientOptions) (*Client, error) {
	if cred == nil {
		return nil, errors.New("acs: token credential is missing")
	}
	allowHTTP := o != nil && o.InsecureAllowCredentialWithHTTP
	return newClient(endpoint, from, o, func(func() time.Time) policy.Policy {
		return runtime.NewBearerTokenPolicy(cred, []string{Scope},
			&policy.BearerTokenOptions{InsecureAllowCredentialWithHTTP: allowHTTP})
	})
}

// NewClientFromConnectionString returns an HMAC client for an ACS connection string
// ("endpoint=...;accesskey=...").
func NewClientFromConnectionString(conn, from string, o *ClientOptions) (*Client, error) {
	endpoint, key, err := ParseConnectionString(conn)
	if err != nil {
		return nil, err
	}
	return NewClientWithKey(endpoint, from, key, o)
}

func newClient(endpoint, from string, o *ClientOptions,
	auth func(now func() time.Time) policy.Policy) (*Client, error) {
	var opts ClientOptions
	if o != nil {
		opts = *o
	}
	base, err := checkEndpoint(endpoint, opts.InsecureAllowCredentialWithHTTP)
	if err != nil {
		return nil, err
	}
	if err := checkSender(from); err != nil {
		return nil, err
	}
	setDefaults(&opts)

	retry := &retryPolicy{
		maxAttempts: opts.MaxAttempts,
		tryTimeout:  opts.TryTimeout,
		baseDelay:   opts.RetryDelay,
		maxDelay:    opts.MaxRetryDelay,
		transient:   transientAccepted,
	}
	// NOTE: azcore's own retry policy sits between PerCall and PerRetry; it is switched off
	// (MaxRetries < 0 means a single try) so that only the deadline-aware one above retries.
	azOpts := opts.ClientOptions
	azOpts.Retry = policy.RetryOptions{MaxRetries: -1}
	if azOpts.Transport == nil {
		azOpts.Transport = defaultTransport()
	}
	azOpts.Transport = boundedTransport{next: azOpts.Transport}
	pl := runtime.NewPipeline(moduleName, moduleVersion, runtime.PipelineOptions{
		// One x-ms-client-request-id for all attempts of a send, for ACS support cases.
		PerCall:  []policy.Policy{runtime.NewRequestIDPolicy(), retry},
		PerRetry: []policy.Policy{auth(opts.Now)},
		// Headers azcore's logging may show; all others, Authorization first, are redacted.
		AllowedHeaders: []string{"x-ms-date", "MS-CV", "X-Azure-Ref", "api-supported-versions"},
	}, &azOpts)

	return &Client{
		sendURL: base + "/sms?api-version=" + apiVersion,
		from:    from,
		now:     opts.Now,
		pl:      pl,
	}, nil
}

func setDefaults(o *ClientOptions) {
	if o.TryTimeout <= 0 {
		o.TryTimeout = defaultTryTimeout
	}
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = defaultMaxAttempts
	}
	if o.RetryDelay <= 0 {
		o.RetryDelay = defaultRetryDelay
	}
	if o.MaxRetryDelay <= 0 {
		o.MaxRetryDelay = defaultMaxRetryDelay
	}
	if o.Now == nil {
		o.Now = time.Now
	}
}

// checkEndpoint validates an ACS endpoint and returns it without a trailing slash.
func checkEndpoint(endpoint string, allowHTTP bool) (string, error) {
	u, err := url.Parse(strings.TrimSpace(endpoint))
	if err != nil || u.Host == "" {
		return "", errors.New("acs: endpoint must be https://<resource>.communication.azure.com")
	}
	switch {
	case u.Scheme == "https":
	case u.Scheme == "http" && allowHTTP:
	case u.Scheme == "http":
		return "", errors.New("acs: endpoint must be https://... (http:// is only " +
			"accepted with InsecureAllowCredentialWithHTTP, for tests)")
	default:
		return "", fmt.Errorf("acs: endpoint must be https://..., not %q", u.Scheme+"://")
	}
	if u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return "", errors.New("acs: endpoint must have no user info, query or fragment")
	}
	return u.Scheme + "://" + u.Host + strings.TrimRight(u.EscapedPath(), "/"), nil
}

// checkSender accepts the two kinds of sender this service uses: an E.164 number and a short
// code (5 or 6 digits, without "+").
func checkSender(from string) error {
	if _, err := sms.NormalizeE164(from); err == nil && !strings.ContainsAny(from, " -().\t") {
		return nil
	}
	if n := len(from); n == 5 || n == 6 {
		if strings.Trim(from, "0123456789") == "" {
			return nil
		}
	}
	return fmt.Errorf("acs: sender %q is neither an E.164 number nor a short code", from)
}

// transientAccepted reports whether a 2xx answer asks for a retry (per-recipient 503).
func transientAccepted(resp *http.Response) bool {
	body, err := runtime.Payload(resp)
	return err == nil && recipientTransient(body)
}

// Send sends one text and returns ACS's message id. It retries transient failures while
// ctx's deadline allows and returns an *sms.Error otherwise; when the deadline passes the
// error wraps context.DeadlineExceeded. Once a request has reached ACS, Send waits for its
// answer as long as ctx lives (see ClientOptions.TryTimeout): give ctx a deadline.
//
// If m.IdempotencyKey is empty, the repeatabilityRequestId is a random UUID: retries inside
// this call are still deduplicated, but a second Send of the same text is a second text.
// Otherwise two Sends with the same key, recipient and non-zero m.FirstSent are one text.
func (c *Client) Send(ctx context.Context, m sms.Message) (sms.Receipt, error) {
	to, err := sms.NormalizeE164(m.To)
	if err != nil {
		return sms.Receipt{}, &sms.Error{Kind: sms.KindRejected,
			Message: "recipient is not an E.164 number", Err: sms.ErrNotE164}
	}
	if err := ctx.Err(); err != nil {
		return sms.Receipt{}, &sms.Error{Kind: sms.KindUnavailable,
			Message: "deadline passed before the send started", Err: err}
	}

	// repeatabilityFirstSent is fixed here, before the first attempt, and the body is never
	// rebuilt: ACS recognises a retry only by the same id with the same first-sent time.
	first := m.FirstSent
	if first.IsZero() {
		first = c.now()
	}
	firstSent := first.UTC().Format(http.TimeFormat)
	body, err := marshalSend(c.from, to, m.Body, m.Tag, repeatabilityID(m.IdempotencyKey, to),
		firstSent)
	if err != nil {
		return sms.Receipt{}, fmt.Errorf("acs: encoding the request: %w", err)
	}

	req, err := runtime.NewRequest(ctx, http.MethodPost, c.sendURL)
	if err != nil {
		return sms.Receipt{}, fmt.Errorf("acs: building the request: %w", err)
	}
	req.Raw().Header.Set("Accept", "application/json")
	if err := req.SetBody(newBodyReader(body), "application/json"); err != nil {
		return sms.Receipt{}, fmt.Errorf("acs: setting the request body: %w", err)
	}
	st := &sendState{}
	req.SetOperationValue(st)

	resp, err := c.pl.Do(req)
	if err != nil {
		return sms.Receipt{}, transportError(ctx, err, st)
	}
	defer resp.Body.Close()
	payload, err := runtime.Payload(resp)
	if err != nil {
		return sms.Receipt{}, transportError(ctx, err, st)
	}
	sum := sendSummary{to: to, attempts: st.attempts, stopped: st.stopped,
		scrub: newScrubber(m.Body, to)}
	if st.tooLarge {
		return sms.Receipt{}, fromTooLarge(resp, sum)
	}
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return fromAccepted(payload, resp.Header.Get("Content-Type"), sum)
	}
	return sms.Receipt{}, fromFailed(resp, payload, sum)
}

// transportError classifies a send that got no usable answer.
func transportError(ctx context.Context, err error, st *sendState) error {
	e := &sms.Error{Kind: sms.KindUnavailable, Attempts: st.attempts, Err: err,
		Message: st.stopped}
	var nr interface{ NonRetriable() }
	switch {
	case ctx.Err() != nil:
		e.Message = "deadline passed before ACS answered"
		if errors.Is(ctx.Err(), context.Canceled) {
			e.Message = "send cancelled before ACS answered"
		}
		if !errors.Is(err, ctx.Err()) {
			e.Err = fmt.Errorf("%w (%w)", ctx.Err(), err)
		}
	case untrustedCertificate(err):
		e.Kind = sms.KindAuth
		e.Message = "the ACS certificate was not trusted: check the endpoint, and any " +
			"proxy that intercepts TLS"
	case errors.As(err, &nr):
		// azcore marks token acquisition failures (Entra ID) as non-retriable.
		e.Kind, e.Message = sms.KindAuth, "could not get an Entra ID token for ACS"
	}
	return e
}

// bodyReader is the request body: a bytes.Reader with a no-op Close, so io.Copy can hash it
// without a buffer (WriteTo), and again gives a fresh reader over the same bytes for a retry.
type bodyReader struct {
	*bytes.Reader
	b []byte
}

func newBodyReader(b []byte) bodyReader { return bodyReader{bytes.NewReader(b), b} }

func (r bodyReader) again() bodyReader { return newBodyReader(r.b) }

func (bodyReader) Close() error { return nil }
