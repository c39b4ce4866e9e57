package hook

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"okta-acs-sms/function/okta"
	"okta-acs-sms/function/redact"
	"okta-acs-sms/function/sms"
)

// send runs the sender under the hook's deadline. The sender's context ends a margin before
// the answer is due; should a sender overrun even that, send stops waiting half a margin
// before the answer is due and reports the deadline, so Okta still gets its answer in time.
func (h *Handler) send(ctx context.Context, start time.Time, m sms.Message) (sms.Receipt, error) {
	// NOTE: the send is not cancelled when Okta's connection goes away. Once a text may be
	// on its way, finishing the call gives a clean log line and a remembered answer for a
	// repeat, where cancelling would leave both unknown.
	sendBy := start.Add(h.deadline - h.margin)
	sctx, cancel := context.WithDeadline(context.WithoutCancel(ctx), sendBy)
	type sent struct {
		rc  sms.Receipt
		err error
	}
	done := make(chan sent, 1)
	abandoned := make(chan struct{})
	go func() {
		defer cancel()
		var s sent
		defer func() {
			if p := recover(); p != nil {
				s = sent{err: fmt.Errorf("%w: sender panicked: %v", errPanic, p)}
			}
			done <- s
			select {
			case <-abandoned:
				h.logger.LogAttrs(ctx, slog.LevelWarn, "hook: send finished after the answer",
					slog.String("event_id", m.Tag), slog.String("message_id", s.rc.MessageID),
					slog.Bool("sent", s.err == nil))
			default:
			}
		}()
		s.rc, s.err = h.sender.Send(sctx, m)
	}()

	t := time.NewTimer(time.Until(start.Add(h.deadline - h.margin/2)))
	defer t.Stop()
	select {
	case s := <-done:
		return s.rc, s.err
	case <-t.C:
		close(abandoned)
		return sms.Receipt{}, &sms.Error{Kind: sms.KindUnavailable,
			Err: fmt.Errorf("hook: sender still running at the answer deadline: %w",
				context.DeadlineExceeded)}
	}
}

// record tells the SentRecorder about an accepted text. It runs after the answer, so a slow
// or failing recorder never delays or changes what Okta hears.
func (h *Handler) record(ctx context.Context, req *okta.Request, phone string, rc sms.Receipt) {
	if h.recorder == nil {
		return
	}
	s := sms.Sent{
		MessageID:   rc.MessageID,
		EventID:     req.EventID,
		MaskedTo:    sms.MaskPhone(phone),
		RequestType: logText(req.RequestType), // stored: bounded and printable like the log
		Provider:    rc.Provider,
		At:          h.now().UTC(),
	}
	h.records.Go(func() {
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), recordTimeout)
		defer cancel()
		if err := h.recorder.RecordSent(rctx, s); err != nil {
			h.logger.LogAttrs(rctx, slog.LevelWarn, "hook: record sent text failed",
				slog.String("event_id", s.EventID), slog.String("message_id", s.MessageID),
				slog.Any("error", err))
		}
	})
}

// call gathers what the log line of one hook call says. It never holds the code, the text
// or a full phone number.
type call struct {
	invocationID  string
	eventID       string
	oktaRequestID string // data.context.request.id, Okta's id of the API call
	requestType   string
	phone         string // masked
	channel       string
	preview       bool
	outcome       string
	messageID     string
	attempts      int
	text          string
	duplicate     bool
	err           error
	detail        string
	panicked      string
	latency       time.Duration
	written       bool
}

func (c *call) request(req *okta.Request) {
	mp := req.Data.MessageProfile
	c.eventID, c.requestType = logText(req.EventID), logText(req.RequestType)
	c.oktaRequestID, c.preview = logText(req.Data.Context.Request.ID), req.IsPreview()
	c.channel = logText(mp.DeliveryChannel)
	if n, err := sms.NormalizeE164(mp.PhoneNumber); err == nil {
		c.phone = sms.MaskPhone(n)
	} else if mp.PhoneNumber != "" {
		c.phone = sms.MaskPhone(mp.PhoneNumber)
	}
}

func (c *call) answer(a Answer) {
	c.outcome, c.messageID, c.attempts, c.text = string(a.Outcome), a.MessageID, a.Attempts, a.Text
	c.detail = a.Detail
}

// maxLogField bounds a request value copied into the log line: the body may be 64 KiB of
// anything, and a log line is no place for it.
const maxLogField = 100

// logText returns a request value fit for a log line or a stored record: every rune that
// is not printable (control characters, bidirectional overrides, line separators, bytes
// that are not UTF-8) becomes "?", so a value cannot forge or hide parts of a line, and
// the result is cut to maxLogField bytes on a rune boundary, marked by "...".
func logText(s string) string {
	text := redact.Printable(s, maxLogField, "")

	// NOTE: the mark follows every value longer than maxLogField bytes, even one whose
	// printable form fits (invisible runes of several bytes each become one "?" each).
	if len(s) > maxLogField {
		text += "..."
	}
	return text
}

// log writes the one line of a hook call.
func (h *Handler) log(ctx context.Context, c *call) {
	level := slog.LevelInfo
	switch {
	case c.panicked != "" || c.outcome == string(OutcomeFailedInternal) ||
		c.outcome == string(OutcomeFailedAuth):
		// Ours to fix, not the user's or the provider's passing trouble.
		level = slog.LevelError
	case c.outcome != string(OutcomeSent):
		level = slog.LevelWarn
	}
	attrs := []slog.Attr{
		slog.String("invocation_id", c.invocationID),
		slog.String("event_id", c.eventID),
		slog.String("okta_request_id", c.oktaRequestID),
		slog.String("request_type", c.requestType),
		slog.String("phone", c.phone),
		slog.String("channel", c.channel),
		slog.String("outcome", c.outcome),
		slog.String("message_id", c.messageID),
		slog.Int("attempts", c.attempts),
		slog.Float64("latency_ms", float64(c.latency.Microseconds())/1000),
		slog.Bool("preview", c.preview),
		slog.Bool("duplicate", c.duplicate),
	}
	if c.text != "" {
		attrs = append(attrs, slog.String("text_source", c.text))
	}
	if c.err != nil {
		attrs = append(attrs, slog.String("error", c.err.Error()))
	}
	if c.detail != "" {
		attrs = append(attrs, slog.String("detail", c.detail))
	}
	if c.panicked != "" {
		attrs = append(attrs, slog.String("panic", c.panicked))
	}
	h.logger.LogAttrs(ctx, level, "telephony hook", attrs...)
}

func writeJSON(w http.ResponseWriter, status int, r okta.Response) {
	b := r.Marshal()
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}
