package delivery

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"okta-acs-sms/function/sms"
)

// Recorder writes sent records and delivery reports into a Store and logs each report once.
// It implements sms.SentRecorder for the hook.
type Recorder struct {
	store Store
	log   *slog.Logger
}

var _ sms.SentRecorder = (*Recorder)(nil)

// NewRecorder returns a Recorder over store. A nil log discards log lines.
func NewRecorder(store Store, log *slog.Logger) *Recorder {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Recorder{store: store, log: log}
}

// ErrInvalidID is returned for a sent record or report whose message id is missing or is
// not a valid id (see ValidMessageID).
var ErrInvalidID = errors.New("delivery: message id missing or invalid")

// RecordSent stores the sent half of a record. Calling it again for the same text changes
// nothing, and it never erases a delivery report that arrived first.
func (r *Recorder) RecordSent(ctx context.Context, s sms.Sent) error {
	if !ValidMessageID(s.MessageID) {
		return fmt.Errorf("delivery: record sent: %w", ErrInvalidID)
	}
	s.EventID, s.RequestType = cleanField(s.EventID), cleanField(s.RequestType)
	if _, err := r.store.Update(ctx, s.MessageID, applySent(s)); err != nil {
		return fmt.Errorf("delivery: record sent %s: %w", s.MessageID, err)
	}
	return nil
}

// RecordReport merges one delivery report into its record and returns the record as stored
// and whether this report changed it. A report that is not newer than the stored one (a
// duplicate, or one overtaken by a later report) changes nothing and is logged at debug only,
// so each report is logged once: at warning level when it asks an operator to act
// (Action), at info level otherwise.
func (r *Recorder) RecordReport(ctx context.Context, rep Report) (Record, bool, error) {
	if !ValidMessageID(rep.MessageID) {
		return Record{}, false, fmt.Errorf("delivery: record report: %w", ErrInvalidID)
	}
	rep.scrub() // again: a Report may be built by a caller, not only from an event

	// Update may call the function more than once; the last call decides what was stored.
	var applied bool
	apply := applyReport(rep)
	rec, err := r.store.Update(ctx, rep.MessageID, func(cur Record, found bool) (Record, bool) {
		next, write := apply(cur, found)
		applied = write
		return next, write
	})
	if err != nil {
		return Record{}, false, fmt.Errorf("delivery: record report %s: %w", rep.MessageID, err)
	}

	r.logReport(ctx, rep, rec, applied)
	return rec, applied, nil
}

// logReport writes the one log line of a delivery report.
func (r *Recorder) logReport(ctx context.Context, rep Report, rec Record, applied bool) {
	attrs := []slog.Attr{
		slog.String("message_id", rep.MessageID),
		slog.String("event_id", rep.EventID),
		slog.String("tag", rep.Tag),
		slog.String("to", rep.To),
		slog.String("status", string(rep.Status)),
		slog.Int("code", rep.Code),
		slog.String("meaning", Meaning(rep.Code)),
		slog.Int("attempts", rep.Attempts),
	}
	if !applied {
		attrs = append(attrs, slog.String("stored_status", string(rec.Status)))
		r.log.LogAttrs(ctx, slog.LevelDebug, "delivery: report ignored: duplicate or older",
			attrs...)
		return
	}

	level := slog.LevelInfo
	if rec.Action != "" {
		level = slog.LevelWarn
		attrs = append(attrs, slog.String("action", string(rec.Action)))
	}
	r.log.LogAttrs(ctx, level, "delivery: report", attrs...)
}

// Get returns the record for messageID, or an error wrapping ErrNotFound.
func (r *Recorder) Get(ctx context.Context, messageID string) (Record, error) {
	return r.store.Get(ctx, messageID)
}
