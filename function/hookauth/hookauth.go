// Package hookauth decides whether a request really comes from Okta.
//
// Okta inline hooks carry no body signature: the only proof of origin is the Authorization
// header, either a shared secret (Basic) or an OAuth 2.0 access token (Bearer). Every
// Authenticator here answers with nil or an *Error whose Reason is safe to log and whose
// text names no secret.
package hookauth

import (
	"errors"
	"net/http"
)

// Authenticator checks the credentials of one hook request.
type Authenticator interface {
	Authenticate(r *http.Request) error
}

// Reason says why a request was refused, in words fit for a log line.
type Reason string

// The reasons an Authenticator gives.
const (
	ReasonMissing     Reason = "missing credentials"
	ReasonWrongScheme Reason = "unsupported authorization scheme"
	ReasonMismatch    Reason = "credentials do not match"

	// Reasons for refusing an OAuth 2.0 bearer token (see OAuth).
	ReasonMalformed       Reason = "malformed token"
	ReasonAlgorithm       Reason = "disallowed signing algorithm"
	ReasonUnknownKey      Reason = "unknown signing key"
	ReasonBadSignature    Reason = "bad signature"
	ReasonWrongIssuer     Reason = "wrong issuer"
	ReasonWrongAudience   Reason = "wrong audience"
	ReasonExpired         Reason = "token expired"
	ReasonNotYetValid     Reason = "token not yet valid"
	ReasonMissingScope    Reason = "missing scope"
	ReasonWrongClient     Reason = "wrong client id"
	ReasonKeysUnavailable Reason = "signing keys unavailable"
)

// Error is a refused request. Unavailable is true when the refusal came from a failure on
// our side (for example the signing keys could not be fetched), not from the caller.
type Error struct {
	Reason      Reason
	Unavailable bool
	Err         error
}

func (e *Error) Error() string {
	if e.Err != nil {
		return "hookauth: " + string(e.Reason) + ": " + e.Err.Error()
	}
	return "hookauth: " + string(e.Reason)
}

func (e *Error) Unwrap() error { return e.Err }

// ReasonOf returns the Reason of an *Error, or "" for any other error.
func ReasonOf(err error) Reason {
	var e *Error
	if errors.As(err, &e) {
		return e.Reason
	}
	return ""
}
