package hooks

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/okta/okta-sdk-golang/v5/okta"
)

// APIError is an error answer of the Okta management API, with the fields Okta support
// asks for: the error code, its summary and causes, and the request id.
type APIError struct {
	Op        string // what was being done, e.g. "create hook"
	Status    int
	Code      string // errorCode, e.g. E0000011
	Summary   string // errorSummary
	Causes    []string
	RequestID string // X-Okta-Request-Id
	// RetryAfter is set on a 429 that was not waited out: how long until the reset.
	RetryAfter time.Duration
}

// Error reads like "create hook: Okta answered 400 E0000001: Api validation failed
// (uri: must be https) [request id reqX]". A URL Okta quotes is passed through RedactURL.
func (e *APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: Okta answered %d", e.Op, e.Status)
	if e.Code != "" {
		fmt.Fprintf(&b, " %s", e.Code)
	}
	if e.Summary != "" {
		fmt.Fprintf(&b, ": %s", RedactURLsIn(e.Summary))
	}
	if len(e.Causes) > 0 {
		fmt.Fprintf(&b, " (%s)", RedactURLsIn(strings.Join(e.Causes, "; ")))
	}
	if e.Status == http.StatusTooManyRequests && e.RetryAfter > 0 {
		fmt.Fprintf(&b, "; rate limit resets in %s", e.RetryAfter.Round(time.Second))
	}
	if e.RequestID != "" {
		fmt.Fprintf(&b, " [request id %s]", e.RequestID)
	}
	return b.String()
}

// TokenError is a refused access token request of a service app (OAuth 2.0 error body).
type TokenError struct {
	Status      int
	Code        string // error, e.g. invalid_client, invalid_scope
	Description string // error_description
	RequestID   string
}

// Error names the token endpoint and Okta's reason.
func (e *TokenError) Error() string {
	s := fmt.Sprintf("get access token: %s answered %d %s: %s", tokenPath, e.Status, e.Code,
		RedactURLsIn(e.Description))
	if e.RequestID != "" {
		s += fmt.Sprintf(" [request id %s]", e.RequestID)
	}
	return s
}

// oktaError is Okta's error body.
type oktaError struct {
	ErrorCode    string `json:"errorCode"`
	ErrorSummary string `json:"errorSummary"`
	ErrorCauses  []struct {
		ErrorSummary string `json:"errorSummary"`
	} `json:"errorCauses"`
}

// fail turns what an SDK call returned into the error this package reports.
func (c *Client) fail(ctx context.Context, op string, resp *okta.APIResponse,
	err error) error {
	if resp != nil && resp.Response != nil && resp.StatusCode >= 300 {
		return apiError(op, resp.Response, rawBody(resp, err))
	}
	// The SDK drops the response of a 429 it gave up on; the transport kept it.
	if r := recordOf(ctx); r != nil {
		if limited := r.get(); limited != nil {
			return apiError(op, limited, limited.Body.(*keptBody).b)
		}
	}
	if resp == nil || resp.Response == nil {
		// The SDK returns no response when it could not even authorise the request,
		// which for a service app means the access token request failed.
		if te := c.transport.tokenFailure(); te != nil {
			return fmt.Errorf("%s: %w", op, te)
		}
	}
	return fmt.Errorf("%s: %w", op, err)
}

func apiError(op string, resp *http.Response, body []byte) *APIError {
	e := &APIError{
		Op:        op,
		Status:    resp.StatusCode,
		RequestID: resp.Header.Get("X-Okta-Request-Id"),
	}
	var oe oktaError
	if json.Unmarshal(body, &oe) == nil {
		e.Code, e.Summary = oe.ErrorCode, oe.ErrorSummary
		for _, c := range oe.ErrorCauses {
			if c.ErrorSummary != "" {
				e.Causes = append(e.Causes, c.ErrorSummary)
			}
		}
	}
	if e.Code == "" && e.Summary == "" {
		e.Summary = http.StatusText(resp.StatusCode)
	}
	if resp.StatusCode == http.StatusTooManyRequests {
		e.RetryAfter, _ = ResetWait(resp.Header)
	}
	return e
}

// rawBody finds the body of an answer: in the SDK's error, in the body our transport
// kept for a final 429, or in the response the SDK re-buffered.
func rawBody(resp *okta.APIResponse, err error) []byte {
	var ge *okta.GenericOpenAPIError
	if errors.As(err, &ge) && len(ge.Body()) > 0 {
		return ge.Body()
	}
	if resp == nil || resp.Response == nil || resp.Body == nil {
		return nil
	}
	if kb, ok := resp.Body.(*keptBody); ok {
		return kb.b
	}
	b, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	return b
}
