// Package deploy ships a function package to an Azure Functions Flex Consumption app with
// OneDeploy, the publish API Flex supports (POST /api/publish on the app's SCM host), and
// waits until the platform says the package runs.
//
// Three behaviours of the service shape it:
//   - Flex answers the publish with 200 or 202 whether or not the deployment will succeed, so
//     only the deployment record's status (4 = success, 3 = failed) decides.
//   - On a new app, the SCM site writes the package into the deployment container with the
//     app's identity; until that identity's new role assignment has propagated (minutes) the
//     upload fails with BlobUploadFailed / a storage 403. Those failures are retried.
//   - An Event Grid subscription to a function is refused until ARM lists the function, so
//     the publisher can wait for named functions to appear.
package deploy

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
)

// ARMScope is the token scope for both the SCM site and ARM.
const ARMScope = "https://management.azure.com/.default"

// Defaults of the Publisher's zero-valued fields.
const (
	DefaultAttempts     = 20
	DefaultRetryDelay   = 15 * time.Second
	DefaultPollInterval = 5 * time.Second
	// DefaultFunctionsTimeout is how long ARM may take to list freshly deployed functions.
	DefaultFunctionsTimeout = 5 * time.Minute
	// DefaultProbeAttempts at DefaultPollInterval give a new app three minutes to answer.
	DefaultProbeAttempts = 36
	defaultARMURL        = "https://management.azure.com"
	functionsAPIVersion  = "2024-04-01"
)

// Publisher publishes one package to one app. The zero value of every optional field means
// the documented default.
type Publisher struct {
	// SCMHost is the app's deployment host, e.g. myapp.scm.azurewebsites.net.
	SCMHost string
	// Credential gets ARM tokens (scope ARMScope).
	Credential azcore.TokenCredential
	// AppID is the app's ARM resource id; needed only with Functions.
	AppID string
	// Functions are function names to wait for in ARM after the deployment succeeds.
	Functions []string
	// FunctionsTimeout bounds that wait (default DefaultFunctionsTimeout).
	FunctionsTimeout time.Duration
	// ProbeURL, when set, is the hook URL that must answer an unauthenticated POST with 401
	// once the deployment is done: proof that the handler started with its settings (an
	// unresolved Key Vault reference, for one, stops it at start).
	ProbeURL string
	// ProbeAttempts bounds the probes, PollInterval apart (default DefaultProbeAttempts).
	ProbeAttempts int

	// Attempts bounds the publish attempts (default DefaultAttempts).
	Attempts int
	// RetryDelay is the pause between attempts (default DefaultRetryDelay).
	RetryDelay time.Duration
	// PollInterval is the pause between status reads (default DefaultPollInterval).
	PollInterval time.Duration
	// Client sends the requests (default: a client with a 10 minute timeout).
	Client *http.Client
	// Logger receives progress lines (default: discard). Tokens are never logged.
	Logger *slog.Logger
	// Sleep waits between steps (default: a timer that stops with ctx); tests replace it.
	Sleep func(ctx context.Context, d time.Duration) error

	// SCMURL and ARMURL override https://<SCMHost> and https://management.azure.com.
	SCMURL string
	ARMURL string
}

// Deployment is the part of a Kudu deployment record the publisher reads.
type Deployment struct {
	ID         string `json:"id"`
	Status     int    `json:"status"`
	StatusText string `json:"status_text"`
	Progress   string `json:"progress"`
	Message    string `json:"message"`
	Complete   bool   `json:"complete"`
	// ReceivedTime and StartTime are RFC 3339 times, e.g. 2026-01-02T03:04:05.1234567Z.
	ReceivedTime string `json:"received_time"`
	StartTime    string `json:"start_time"`
}

// Kudu deployment status values.
const (
	StatusFailed  = 3
	StatusSuccess = 4
)

// StatusError is an unexpected HTTP answer.
type StatusError struct {
	Op         string
	StatusCode int
	Body       string
}

func (e *StatusError) Error() string {
	return fmt.Sprintf("deploy: %s: HTTP %d: %s", e.Op, e.StatusCode, e.Body)
}

// FailedError is a deployment the platform accepted and then reported as failed.
type FailedError struct {
	Deployment Deployment
}

func (e *FailedError) Error() string {
	d := e.Deployment
	return fmt.Sprintf("deploy: deployment %s failed (status %d): %s", d.ID, d.Status,
		firstNonEmpty(d.StatusText, d.Progress, d.Message, "no details"))
}

// Publish uploads pkg (a zip) and returns the successful deployment record. It retries the
// failures that go away by themselves (role propagation, throttling, a starting SCM site) up
// to Attempts times, then waits for Functions to be listed.
func (p *Publisher) Publish(ctx context.Context, pkg []byte) (*Deployment, error) {
	if p.SCMHost == "" && p.SCMURL == "" {
		return nil, errors.New("deploy: no SCM host")
	}
	if p.Credential == nil {
		return nil, errors.New("deploy: no credential")
	}
	var (
		d   *Deployment
		err error
	)
	for attempt := 1; ; attempt++ {
		d, err = p.publishOnce(ctx, pkg)
		if err == nil {
			break
		}
		if !Retryable(err) || attempt >= p.attempts() || ctx.Err() != nil {
			return nil, fmt.Errorf("deploy: publish attempt %d of %d: %w", attempt,
				p.attempts(), err)
		}
		p.logger().Warn("publish attempt failed; retrying", "attempt", attempt,
			"error", err.Error(), "retry_in", p.retryDelay().String())
		if err := p.sleep(ctx, p.retryDelay()); err != nil {
			return nil, fmt.Errorf("deploy: wait before retry: %w", err)
		}
	}
	p.logger().Info("deployment succeeded", "id", d.ID)
	if len(p.Functions) > 0 {
		if err := p.waitForFunctions(ctx); err != nil {
			return nil, err
		}
	}
	if p.ProbeURL != "" {
		if err := p.probe(ctx); err != nil {
			return nil, err
		}
	}
	return d, nil
}

// Retryable reports whether a publish failure is expected to clear by itself.
func Retryable(err error) bool {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	var se *StatusError
	if errors.As(err, &se) {
		switch {
		case se.StatusCode == http.StatusBadRequest:
			return storageNotReady(se.Body)
		case se.StatusCode == http.StatusForbidden, // SCM access rules still propagating
			se.StatusCode == http.StatusNotFound, // a brand-new SCM site not routable yet
			se.StatusCode == http.StatusRequestTimeout,
			se.StatusCode == http.StatusConflict, // another deployment in progress
			se.StatusCode == http.StatusTooManyRequests,
			se.StatusCode >= 500:
			return true
		}
		return false
	}
	var fe *FailedError
	if errors.As(err, &fe) {
		d := fe.Deployment
		return storageNotReady(d.StatusText + " " + d.Progress + " " + d.Message)
	}
	var te *tokenError
	if errors.As(err, &te) {
		return false
	}
	// Anything else is the network: a reset or timeout is worth another try.
	return true
}

// storageNotReady recognises the deployment container refusing the app's identity, which is
// what a role assignment that has not propagated yet looks like.
func storageNotReady(text string) bool {
	for _, s := range []string{
		"BlobUploadFailed", "AuthorizationPermissionMismatch", "AuthorizationFailure",
		"not authorized to perform this operation",
	} {
		if strings.Contains(text, s) {
			return true
		}
	}
	return false
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

func (p *Publisher) attempts() int {
	if p.Attempts > 0 {
		return p.Attempts
	}
	return DefaultAttempts
}

func (p *Publisher) retryDelay() time.Duration {
	if p.RetryDelay > 0 {
		return p.RetryDelay
	}
	return DefaultRetryDelay
}

func (p *Publisher) pollInterval() time.Duration {
	if p.PollInterval > 0 {
		return p.PollInterval
	}
	return DefaultPollInterval
}

func (p *Publisher) functionsTimeout() time.Duration {
	if p.FunctionsTimeout > 0 {
		return p.FunctionsTimeout
	}
	return DefaultFunctionsTimeout
}

func (p *Publisher) probeAttempts() int {
	if p.ProbeAttempts > 0 {
		return p.ProbeAttempts
	}
	return DefaultProbeAttempts
}

func (p *Publisher) logger() *slog.Logger {
	if p.Logger != nil {
		return p.Logger
	}
	return slog.New(slog.DiscardHandler)
}

func (p *Publisher) sleep(ctx context.Context, d time.Duration) error {
	if p.Sleep != nil {
		return p.Sleep(ctx, d)
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
