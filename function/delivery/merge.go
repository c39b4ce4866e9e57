package delivery

import (
	"strings"
	"time"

	"okta-acs-sms/function/sms"
)

// tick is the finest time Table Storage keeps (Edm.DateTime has 100 ns ticks). Times are cut
// to it before they are compared or stored, so a report read back from any store compares
// equal to the same report arriving again.
const tick = 100 * time.Nanosecond

// applySent returns the UpdateFunc that merges a sent record into a Record. The sent fields
// are filled in only where empty, so a repeated call changes nothing, and a report that
// arrived first keeps its status and fields.
func applySent(s sms.Sent) UpdateFunc {
	return func(cur Record, found bool) (Record, bool) {
		next := cur
		next.MessageID = s.MessageID
		if next.Status == "" {
			next.Status = StatusSent
		}
		fill(&next.EventID, s.EventID)
		fill(&next.RequestType, s.RequestType)
		fill(&next.Provider, s.Provider)
		fill(&next.To, s.MaskedTo)
		if next.SentAt.IsZero() {
			next.SentAt = s.At.UTC().Truncate(tick)
		}
		return next, !found || next != cur
	}
}

// applyReport returns the UpdateFunc that merges a delivery report into a Record. A report
// replaces the stored one only if it is newer (see newer), so duplicates and stragglers
// change nothing; the sent fields are never touched.
func applyReport(rep Report) UpdateFunc {
	return func(cur Record, found bool) (Record, bool) {
		if cur.HasReport() && !newer(rep, cur) {
			return cur, false
		}

		next := cur
		next.MessageID = rep.MessageID
		next.Status = rep.Status
		next.Code = rep.Code
		next.Meaning = Meaning(rep.Code)
		next.Details = rep.Details
		next.Action = ""
		if rep.Status == StatusFailed {
			next.Action = ActionFor(rep.Code)
		}
		next.Attempts = rep.Attempts
		next.SegmentsOK = rep.SegmentsOK
		next.SegmentsFail = rep.SegmentsFail
		next.ReportedAt = rep.ReceivedAt
		next.LastAttemptAt = rep.LastAttemptAt
		next.Tag = rep.Tag
		next.ReportEventID = rep.EventID
		fill(&next.To, rep.To)
		return next, true
	}
}

// newer reports whether rep should replace the report already applied to cur. Reports are
// ordered by when ACS received them, then by their last attempt, then by attempt count; the
// event id breaks a full tie so that the final state does not depend on arrival order.
// The same event compares equal to itself and so is never applied twice.
func newer(rep Report, cur Record) bool {
	if c := rep.ReceivedAt.Compare(cur.ReportedAt); c != 0 {
		return c > 0
	}
	if c := rep.LastAttemptAt.Compare(cur.LastAttemptAt); c != 0 {
		return c > 0
	}
	if rep.Attempts != cur.Attempts {
		return rep.Attempts > cur.Attempts
	}
	return strings.Compare(rep.EventID, cur.ReportEventID) > 0
}

// fill sets *dst to v when *dst is empty.
func fill(dst *string, v string) {
	if *dst == "" {
		*dst = v
	}
}
