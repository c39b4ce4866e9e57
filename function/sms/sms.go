// Package sms holds the domain types shared by the hook, the SMS senders and the delivery
// records: a text to send, what a sender answers, and the few errors a caller must tell apart.
//
// It depends on nothing outside the standard library, so every other package of the function
// can import it without pulling in Azure or Okta code.
package sms

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Message is one text to send.
type Message struct {
	// To is the recipient in E.164 form (see NormalizeE164).
	To string

	// Body is the text itself. It holds the one-time code, so it must never be logged.
	Body string

	// Tag travels with the text and comes back in the delivery report. The hook sets it to the
	// Okta eventId so that a report can be tied to the Okta request that caused it.
	Tag string

	// IdempotencyKey identifies the text across retries: two sends with the same key must
	// never reach the phone twice. The hook sets it to the Okta eventId.
	IdempotencyKey string

	// FirstSent is the time the text was first requested. With IdempotencyKey it identifies
	// the text to the provider across retries and repeats: a repeat must carry the same
	// FirstSent as the first request to be recognised. Zero means "now, at the first
	// attempt", which keeps retries within one Send together but not a later repeat.
	FirstSent time.Time
}

// Receipt is what a sender reports once the provider has accepted a text.
// Accepted is not delivered: the delivery report says that later.
type Receipt struct {
	// MessageID is the provider's id for the text (for ACS, "Outgoing_..."). Okta shows it
	// as the transactionId in its System Log.
	MessageID string

	// Provider names who accepted the text, e.g. "ACS" or "outbox".
	Provider string

	// Attempts counts the HTTP requests made, retries included.
	Attempts int
}

// Sender sends one text. Implementations must honour ctx's deadline: when it passes they
// return promptly with an error that wraps context.DeadlineExceeded.
type Sender interface {
	Send(ctx context.Context, m Message) (Receipt, error)
}

// Kind classifies why a send failed, which decides what the hook tells Okta.
type Kind int

const (
	// KindUnavailable means the provider could not take the text now (throttled, 5xx,
	// network error) and retries ran out or the deadline passed. Trying again later may work.
	KindUnavailable Kind = iota + 1

	// KindRejected means the provider refused this text for good: the recipient number is
	// invalid or unreachable, the sender is not owned, and so on. Retrying will not help.
	KindRejected

	// KindAuth means the provider refused our credentials (bad key, expired token, missing
	// role). It is an operator problem, not a user one.
	KindAuth
)

// String returns the kind's name as it appears in log lines.
func (k Kind) String() string {
	switch k {
	case KindUnavailable:
		return "unavailable"
	case KindRejected:
		return "rejected"
	case KindAuth:
		return "auth"
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// Error is the error a Sender returns when a send fails. Fields hold only what is safe to log:
// never the message body, a phone number in full, a key or a token.
type Error struct {
	Kind Kind

	// Status is the HTTP status that decided the failure: the response's, or the recipient
	// item's inside a 202. Zero when no response arrived.
	Status int

	// Code is the provider's short error code when it gave one (e.g. "Denied").
	Code string

	// Message is the provider's error text, e.g. "Invalid To phone number format.".
	Message string

	// Attempts counts the HTTP requests made, retries included.
	Attempts int

	// Err is the underlying cause, if any (a network error, context.DeadlineExceeded).
	Err error
}

func (e *Error) Error() string {
	s := "sms: " + e.Kind.String()
	if e.Status != 0 {
		s += fmt.Sprintf(" (status %d)", e.Status)
	}
	if e.Code != "" {
		s += " " + e.Code
	}
	if e.Message != "" {
		s += ": " + e.Message
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

func (e *Error) Unwrap() error { return e.Err }

// KindOf returns the Kind of err if it is (or wraps) an *Error, and KindUnavailable for any
// other non-nil error, since an unknown failure is best treated as one that may pass.
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return KindUnavailable
}

// AttemptsOf returns how many HTTP requests a failed send made, or 0 when err does not say.
func AttemptsOf(err error) int {
	var e *Error
	if errors.As(err, &e) {
		return e.Attempts
	}
	return 0
}

// Sent is what the hook records once a provider has accepted a text, so that a text which
// never gets a delivery report is visible as such. It holds no code and no full number.
type Sent struct {
	MessageID   string
	EventID     string // the Okta eventId, also the send tag
	MaskedTo    string // see MaskPhone
	RequestType string // the Okta requestType
	Provider    string
	At          time.Time
}

// SentRecorder keeps Sent records. The hook calls it after a successful send; a failure to
// record is logged and never changes the answer given to Okta.
type SentRecorder interface {
	RecordSent(ctx context.Context, s Sent) error
}
