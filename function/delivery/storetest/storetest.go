// Package storetest is the contract every delivery.Store must meet, as one test suite that
// each implementation runs against itself (the in-process store, and Table Storage on
// Azurite). Behaviour that differs between stores is a bug in one of them.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"okta-acs-sms/function/delivery"
	"okta-acs-sms/function/sms"
)

// Open returns a new, empty store for one subtest.
type Open func(t *testing.T) delivery.Store

// Run runs the whole contract against the stores open returns.
func Run(t *testing.T, open Open) {
	tests := []struct {
		name string
		fn   func(*testing.T, delivery.Store)
	}{
		{"GetUnknownIsNotFound", testGetUnknown},
		{"UpdateStoresEveryFieldExactly", testRoundTrip},
		{"UpdateWithoutWriteStoresNothing", testNoWrite},
		{"UpdatePassesTheStoredRecord", testUpdateSeesCurrent},
		{"SentThenReportMerges", testSentThenReport},
		{"ReportThenSentKeepsTheReport", testReportThenSent},
		{"DuplicateReportChangesNothing", testDuplicateReport},
		{"OlderReportNeverOverwritesNewer", testOlderAfterNewer},
		{"ParallelUpdatesLoseNoWrite", testParallelIncrements},
		{"ParallelReportsEndOnTheNewest", testParallelReports},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.fn(t, open(t))
		})
	}
}

// base is a fixed instant with 100 ns precision, as Event Grid sends them.
var base = time.Date(2026, 12, 4, 16, 30, 5, 123456700, time.UTC)

// full is a record with every field set.
func full(id string) delivery.Record {
	return delivery.Record{
		MessageID:     id,
		Status:        delivery.StatusFailed,
		EventID:       "1a2b3c4d-0000-4000-8000-00000000000a",
		RequestType:   "com.okta.user.telephony.pre-enrollment",
		Provider:      "ACS",
		SentAt:        base,
		To:            "+1555***4567",
		Code:          4007,
		Meaning:       delivery.Meaning(4007),
		Details:       "4007: Recipient opted out",
		Action:        delivery.ActionStopNumber,
		Attempts:      2,
		SegmentsOK:    0,
		SegmentsFail:  2,
		ReportedAt:    base.Add(9 * time.Second),
		LastAttemptAt: base.Add(8*time.Second + 100),
		Tag:           "1a2b3c4d-0000-4000-8000-00000000000a",
		ReportEventID: "Outgoing_20261204163005aaaa-report-1",
	}
}

func testGetUnknown(t *testing.T, s delivery.Store) {
	_, err := s.Get(context.Background(), "Outgoing_unknown")
	if !errors.Is(err, delivery.ErrNotFound) {
		t.Fatalf("Get(unknown) error = %v, want ErrNotFound", err)
	}
}

func testRoundTrip(t *testing.T, s delivery.Store) {
	ctx := context.Background()
	want := full("Outgoing_roundtrip")
	got, err := s.Update(ctx, want.MessageID, func(delivery.Record, bool) (delivery.Record, bool) {
		return want, true
	})
	if err != nil {
		t.Fatalf("Update: %v", err)
	}
	if got != want {
		t.Errorf("Update returned\n%+v\nwant\n%+v", got, want)
	}
	stored := mustGet(t, s, want.MessageID)
	if stored != want {
		t.Errorf("Get returned\n%+v\nwant\n%+v", stored, want)
	}
}

func testNoWrite(t *testing.T, s delivery.Store) {
	ctx := context.Background()
	called := 0
	_, err := s.Update(ctx, "Outgoing_nowrite", func(cur delivery.Record, found bool) (
		delivery.Record, bool) {
		called++
		if found {
			t.Errorf("found = true for a new id")
		}
		return full("Outgoing_nowrite"), false
	})
	if err != nil {
		t.Fatalf("Update: %v", err)
	}
	if called != 1 {
		t.Errorf("fn called %d times, want 1", called)
	}
	if _, err := s.Get(ctx, "Outgoing_nowrite"); !errors.Is(err, delivery.ErrNotFound) {
		t.Fatalf("Get after a no-write Update: error = %v, want ErrNotFound", err)
	}
}

func testUpdateSeesCurrent(t *testing.T, s delivery.Store) {
	ctx := context.Background()
	first := full("Outgoing_current")
	if _, err := s.Update(ctx, first.MessageID, func(delivery.Record, bool) (
		delivery.Record, bool) {
		return first, true
	}); err != nil {
		t.Fatalf("first Update: %v", err)
	}

	got, err := s.Update(ctx, first.MessageID, func(cur delivery.Record, found bool) (
		delivery.Record, bool) {
		if !found || cur != first {
			t.Errorf("fn got found=%v cur=%+v, want the stored record", found, cur)
		}
		cur.Attempts = 3
		cur.Tag = ""
		return cur, true
	})
	if err != nil {
		t.Fatalf("second Update: %v", err)
	}
	want := first
	want.Attempts = 3
	want.Tag = ""
	if got != want || mustGet(t, s, first.MessageID) != want {
		t.Errorf("after second Update got %+v, want %+v", got, want)
	}
}

// sent is the hook's record for message id.
func sent(id string) sms.Sent {
	return sms.Sent{
		MessageID:   id,
		EventID:     "ev-" + id,
		MaskedTo:    "+1555***4567",
		RequestType: "com.okta.user.telephony.mfa-verification",
		Provider:    "ACS",
		At:          base,
	}
}

// report is a delivery report for id received at base+sec seconds.
func report(id string, sec int, status delivery.Status, details string) delivery.Report {
	at := base.Add(time.Duration(sec) * time.Second)
	return delivery.Report{
		EventID:       fmt.Sprintf("%s-r%d", id, sec),
		MessageID:     id,
		Status:        status,
		Details:       details,
		Code:          delivery.ParseCode(details),
		To:            "+1555***4567",
		Tag:           "ev-" + id,
		Attempts:      1,
		SegmentsOK:    1,
		ReceivedAt:    at,
		LastAttemptAt: at.Add(-time.Second),
	}
}

// merged is the record expected after sent(id) and report(id, sec, ...) in any order.
func merged(id string, sec int, status delivery.Status, details string) delivery.Record {
	r := report(id, sec, status, details)
	s := sent(id)
	return delivery.Record{
		MessageID: id, Status: status,
		EventID: s.EventID, RequestType: s.RequestType, Provider: s.Provider, SentAt: s.At,
		To: s.MaskedTo, Code: r.Code, Meaning: delivery.Meaning(r.Code), Details: details,
		Attempts: 1, SegmentsOK: 1, ReportedAt: r.ReceivedAt, LastAttemptAt: r.LastAttemptAt,
		Tag: r.Tag, ReportEventID: r.EventID,
	}
}

func testSentThenReport(t *testing.T, s delivery.Store) {
	rec := delivery.NewRecorder(s, nil)
	ctx := context.Background()
	id := "Outgoing_sent-then-report"
	if err := rec.RecordSent(ctx, sent(id)); err != nil {
		t.Fatalf("RecordSent: %v", err)
	}
	want := delivery.Record{
		MessageID: id, Status: delivery.StatusSent, EventID: "ev-" + id,
		RequestType: "com.okta.user.telephony.mfa-verification", Provider: "ACS",
		SentAt: base, To: "+1555***4567",
	}
	if got := mustGet(t, s, id); got != want {
		t.Fatalf("after RecordSent got %+v, want %+v", got, want)
	}

	mustReport(t, rec, report(id, 10, delivery.StatusDelivered, "2000: No Error"), true)
	if got, want := mustGet(t, s, id), merged(id, 10, delivery.StatusDelivered,
		"2000: No Error"); got != want {
		t.Errorf("after report got\n%+v\nwant\n%+v", got, want)
	}
}

func testReportThenSent(t *testing.T, s delivery.Store) {
	rec := delivery.NewRecorder(s, nil)
	ctx := context.Background()
	id := "Outgoing_report-then-sent"
	mustReport(t, rec, report(id, 10, delivery.StatusDelivered, "No error."), true)
	if err := rec.RecordSent(ctx, sent(id)); err != nil {
		t.Fatalf("RecordSent: %v", err)
	}
	if got, want := mustGet(t, s, id), merged(id, 10, delivery.StatusDelivered,
		"No error."); got != want {
		t.Errorf("got\n%+v\nwant\n%+v", got, want)
	}
}

func testDuplicateReport(t *testing.T, s delivery.Store) {
	rec := delivery.NewRecorder(s, nil)
	ctx := context.Background()
	id := "Outgoing_duplicate"
	if err := rec.RecordSent(ctx, sent(id)); err != nil {
		t.Fatalf("RecordSent: %v", err)
	}
	r := report(id, 10, delivery.StatusFailed, "4005: Blocked by carrier")
	mustReport(t, rec, r, true)
	mustReport(t, rec, r, false)
	if err := rec.RecordSent(ctx, sent(id)); err != nil {
		t.Fatalf("RecordSent again: %v", err)
	}
	want := merged(id, 10, delivery.StatusFailed, "4005: Blocked by carrier")
	want.Action = delivery.ActionStopNumber
	if got := mustGet(t, s, id); got != want {
		t.Errorf("got\n%+v\nwant\n%+v", got, want)
	}
}

func testOlderAfterNewer(t *testing.T, s delivery.Store) {
	rec := delivery.NewRecorder(s, nil)
	id := "Outgoing_out-of-order"
	mustReport(t, rec, report(id, 20, delivery.StatusDelivered, "2000: No Error"), true)
	mustReport(t, rec, report(id, 10, delivery.StatusFailed, "4006: Not reachable"), false)
	if err := rec.RecordSent(context.Background(), sent(id)); err != nil {
		t.Fatalf("RecordSent: %v", err)
	}
	want := merged(id, 20, delivery.StatusDelivered, "2000: No Error")
	if got := mustGet(t, s, id); got != want {
		t.Errorf("got\n%+v\nwant\n%+v", got, want)
	}
}

// writers is how many goroutines the concurrency tests run against one record.
const writers = 8

func testParallelIncrements(t *testing.T, s delivery.Store) {
	ctx := context.Background()
	id := "Outgoing_parallel-increments"
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for range writers {
		wg.Go(func() {
			_, err := s.Update(ctx, id, func(cur delivery.Record, _ bool) (delivery.Record, bool) {
				cur.MessageID = id
				cur.Status = delivery.StatusSent
				cur.Attempts++
				return cur, true
			})
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("Update: %v", err)
		}
	}
	if got := mustGet(t, s, id).Attempts; got != writers {
		t.Errorf("Attempts = %d after %d parallel increments; an update was lost", got, writers)
	}
}

func testParallelReports(t *testing.T, s delivery.Store) {
	rec := delivery.NewRecorder(s, nil)
	ctx := context.Background()
	id := "Outgoing_parallel-reports"
	var wg sync.WaitGroup
	errs := make(chan error, writers+1)
	wg.Go(func() { errs <- rec.RecordSent(ctx, sent(id)) })
	for i := range writers {
		wg.Go(func() {
			_, _, err := rec.RecordReport(ctx, report(id, 10+i, delivery.StatusFailed,
				"5001: Temporary system unavailability"))
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("record: %v", err)
		}
	}
	want := merged(id, 10+writers-1, delivery.StatusFailed,
		"5001: Temporary system unavailability")
	if got := mustGet(t, s, id); got != want {
		t.Errorf("got\n%+v\nwant\n%+v", got, want)
	}
}

func mustGet(t *testing.T, s delivery.Store, id string) delivery.Record {
	t.Helper()
	r, err := s.Get(context.Background(), id)
	if err != nil {
		t.Fatalf("Get(%s): %v", id, err)
	}
	return r
}

func mustReport(t *testing.T, rec *delivery.Recorder, r delivery.Report, wantApplied bool) {
	t.Helper()
	_, applied, err := rec.RecordReport(context.Background(), r)
	if err != nil {
		t.Fatalf("RecordReport(%s): %v", r.EventID, err)
	}
	if applied != wantApplied {
		t.Fatalf("RecordReport(%s) applied = %v, want %v", r.EventID, applied, wantApplied)
	}
}
