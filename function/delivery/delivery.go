// Package delivery keeps what became of each text after ACS accepted it.
//
// ACS answering 202 to a send only means it took the text. Whether the phone got it arrives
// later as an Event Grid event (Microsoft.Communication.SMSDeliveryReportReceived), which the
// Functions host hands to this package's EventHandler. The hook writes a "sent" record at send
// time through Recorder.RecordSent, so a text that never gets a report is visible as such.
// Both halves land in one Record per ACS message id, which operators look up with the
// transactionId that Okta shows in its System Log (LookupHandler).
//
// Event Grid delivers at least once and in no particular order. Records are therefore merged,
// never overwritten: the same report twice changes nothing, an older report never replaces a
// newer one, and a sent record that arrives after the report fills in its own fields only.
// The merge rules live in merge.go; a Store only has to apply them atomically.
package delivery

import (
	"context"
	"errors"
	"time"
)

// Status is where a text stands.
type Status string

const (
	// StatusSent means ACS accepted the text and no delivery report has arrived yet.
	StatusSent Status = "Sent"

	// StatusDelivered means the carrier confirmed delivery to the phone.
	StatusDelivered Status = "Delivered"

	// StatusFailed means ACS or the carrier gave up; Code says why.
	StatusFailed Status = "Failed"
)

// Record is everything known about one text. It is also the JSON body of the lookup, so the
// JSON field names are part of the operator-facing contract: add fields, never rename them.
// A Record never holds a full phone number or any part of the message text.
type Record struct {
	// MessageID is the ACS message id ("Outgoing_..."), which Okta shows as transactionId.
	MessageID string `json:"messageId"`

	// Status is Sent until a report arrives, then Delivered or Failed.
	Status Status `json:"status"`

	// Fields written by the hook when ACS accepted the text (sms.Sent).

	EventID     string    `json:"eventId,omitempty"`     // the Okta eventId
	RequestType string    `json:"requestType,omitempty"` // the Okta requestType
	Provider    string    `json:"provider,omitempty"`    // "ACS", "outbox", ...
	SentAt      time.Time `json:"sentAt,omitzero"`

	// To is the masked recipient (sms.MaskPhone), from the sent record or else the report.
	To string `json:"to,omitempty"`

	// Fields from the newest delivery report applied so far.

	Code          int       `json:"statusCode,omitempty"`    // e.g. 2000, 4007; 0 = unknown
	Meaning       string    `json:"statusMeaning,omitempty"` // the code's meaning (codes.go)
	Details       string    `json:"statusDetails,omitempty"` // scrubbed, see ScrubDetails
	Action        Action    `json:"action,omitempty"`        // what an operator should do
	Attempts      int       `json:"attempts,omitempty"`
	SegmentsOK    int       `json:"segmentsSucceeded,omitempty"`
	SegmentsFail  int       `json:"segmentsFailed,omitempty"`
	ReportedAt    time.Time `json:"reportedAt,omitzero"`    // the report's receivedTimestamp
	LastAttemptAt time.Time `json:"lastAttemptAt,omitzero"` // newest deliveryAttempts timestamp
	Tag           string    `json:"tag,omitempty"`          // the send tag (the Okta eventId)
	ReportEventID string    `json:"reportEventId,omitempty"`
}

// HasReport reports whether a delivery report has been applied to r.
func (r Record) HasReport() bool { return r.Status == StatusDelivered || r.Status == StatusFailed }

// Report is one delivery report, decoded from its Event Grid event. It holds the recipient
// masked only: the full number in the event is dropped while decoding.
type Report struct {
	EventID       string // the Event Grid event id
	MessageID     string
	Status        Status // Delivered or Failed
	Details       string // deliveryStatusDetails, scrubbed (see ScrubDetails)
	Code          int    // parsed from Details, see ParseCode
	To            string // masked
	Tag           string
	Attempts      int
	SegmentsOK    int
	SegmentsFail  int
	ReceivedAt    time.Time // receivedTimestamp, or the event time when absent
	LastAttemptAt time.Time
}

// scrub makes the report's free text fit to store, serve and log: Details through
// ScrubDetails, the tag and the event id cleaned and clipped. Code must be set first.
func (r *Report) scrub() {
	r.Details = ScrubDetails(r.Details)
	r.Tag = cleanField(r.Tag)
	r.EventID = cleanField(r.EventID)
}

// ErrNotFound is returned by Store.Get when no record exists for a message id.
var ErrNotFound = errors.New("delivery: record not found")

// UpdateFunc computes the next state of a record from the current one. found is false when
// no record exists yet (cur is then the zero Record). It returns write=false to leave the
// stored record as it is. It may be called several times for one Update (after a concurrent
// writer won) and so must depend only on its arguments.
type UpdateFunc func(cur Record, found bool) (next Record, write bool)

// Store keeps Records keyed by message id. Implementations are safe for concurrent use.
type Store interface {
	// Get returns the record for messageID, or an error wrapping ErrNotFound.
	Get(ctx context.Context, messageID string) (Record, error)

	// Update applies fn to the record for messageID atomically with respect to every other
	// Update of the same id, and returns the record as stored afterwards.
	Update(ctx context.Context, messageID string, fn UpdateFunc) (Record, error)
}
