package delivery_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"okta-acs-sms/function/delivery"
	"okta-acs-sms/function/sms"
)

// lookupServer serves the lookup through a Go mux, as main.go mounts it, over a store holding
// one sent-and-delivered text.
func lookupServer(t *testing.T) *httptest.Server {
	t.Helper()
	store := delivery.NewMemoryStore(nil)
	rec := delivery.NewRecorder(store, nil)
	ctx := context.Background()
	sent := sms.Sent{
		MessageID: sampleID, EventID: "1a2b3c4d-0000-4000-8000-00000000000a",
		MaskedTo:    sms.MaskPhone("+15555555555"),
		RequestType: "com.okta.user.telephony.mfa-verification", Provider: "ACS",
		At: time.Date(2020, 9, 18, 0, 22, 13, 0, time.UTC),
	}
	if err := rec.RecordSent(ctx, sent); err != nil {
		t.Fatal(err)
	}
	if _, _, err := rec.RecordReport(ctx, delivery.Report{
		EventID: sampleID, MessageID: sampleID, Status: delivery.StatusDelivered,
		Details: "No error.", Code: 2000, To: "+1555***5555", Attempts: 1, SegmentsOK: 1,
		ReceivedAt:    sampleRecord.ReportedAt,
		LastAttemptAt: sampleRecord.LastAttemptAt,
	}); err != nil {
		t.Fatal(err)
	}

	mux := http.NewServeMux()
	mux.Handle(delivery.LookupPattern, delivery.NewLookupHandler(rec, nil))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func TestLookupAnswers(t *testing.T) {
	srv := lookupServer(t)
	tests := []struct {
		name   string
		path   string
		status int
		body   string
	}{
		{
			name: "known id", path: "/api/deliveries/" + sampleID, status: 200,
			body: `{"messageId":"` + sampleID + `","status":"Delivered",` +
				`"eventId":"1a2b3c4d-0000-4000-8000-00000000000a",` +
				`"requestType":"com.okta.user.telephony.mfa-verification","provider":"ACS",` +
				`"sentAt":"2020-09-18T00:22:13Z","to":"+1555***5555","statusCode":2000,` +
				`"statusMeaning":"Delivered successfully","statusDetails":"No error.",` +
				`"attempts":1,"segmentsSucceeded":1,` +
				`"reportedAt":"2020-09-18T00:22:20.2855749Z",` +
				`"lastAttemptAt":"2020-09-18T00:22:14.9315918Z",` +
				`"reportEventId":"` + sampleID + `"}`,
		},
		{
			name: "unknown id", path: "/api/deliveries/Outgoing_unknown", status: 404,
			body: `{"error":"not_found","transactionId":"Outgoing_unknown"}`,
		},
		{
			name: "id with a space", path: "/api/deliveries/Outgoing%20x", status: 400,
			body: `{"error":"invalid_transaction_id"}`,
		},
		{
			name: "id with a quote", path: "/api/deliveries/Outgoing'x", status: 400,
			body: `{"error":"invalid_transaction_id"}`,
		},
		{
			name: "id too long", path: "/api/deliveries/" + strings.Repeat("a", 129), status: 400,
			body: `{"error":"invalid_transaction_id"}`,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := http.Get(srv.URL + tc.path)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var b strings.Builder
			if _, err := io.Copy(&b, resp.Body); err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != tc.status {
				t.Errorf("status = %d, want %d", resp.StatusCode, tc.status)
			}
			if got := strings.TrimSpace(b.String()); got != tc.body {
				t.Errorf("body =\n%s\nwant\n%s", got, tc.body)
			}
			if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type = %q", ct)
			}
			if cc := resp.Header.Get("Cache-Control"); cc != "no-store" {
				t.Errorf("Cache-Control = %q, want no-store", cc)
			}
		})
	}
}

func TestLookupRefusesOtherMethods(t *testing.T) {
	srv := lookupServer(t)
	resp, err := http.Post(srv.URL+"/api/deliveries/"+sampleID, "application/json", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST status = %d, want 405", resp.StatusCode)
	}
}

func TestLookupAnswers503WhenTheStoreFails(t *testing.T) {
	mux := http.NewServeMux()
	rec := delivery.NewRecorder(brokenReads{}, nil)
	mux.Handle(delivery.LookupPattern, delivery.NewLookupHandler(rec, nil))
	w := httptest.NewRecorder()
	mux.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/api/deliveries/Outgoing_x", nil))
	if w.Code != http.StatusServiceUnavailable {
		t.Errorf("status = %d, want 503", w.Code)
	}
	got, want := strings.TrimSpace(w.Body.String()), `{"error":"store_unavailable"}`
	if got != want {
		t.Errorf("body = %s, want %s", got, want)
	}
}

// brokenReads is a Store whose reads fail, as when Table Storage is unreachable.
type brokenReads struct{ delivery.Store }

func (brokenReads) Get(context.Context, string) (delivery.Record, error) {
	return delivery.Record{}, context.DeadlineExceeded
}

func TestLookupAnswers400WhenTheStoreRefusesTheID(t *testing.T) {
	mux := http.NewServeMux()
	rec := delivery.NewRecorder(refusingStore{}, nil)
	mux.Handle(delivery.LookupPattern, delivery.NewLookupHandler(rec, nil))
	w := httptest.NewRecorder()

	mux.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/api/deliveries/Outgoing_x", nil))

	got, want := strings.TrimSpace(w.Body.String()), `{"error":"invalid_transaction_id"}`
	if w.Code != http.StatusBadRequest || got != want {
		t.Errorf("status %d, body %s; want 400, %s", w.Code, got, want)
	}
}

// refusingStore is a Store that refuses every id as a key, as tablestore does for an id
// Table Storage cannot hold.
type refusingStore struct{ delivery.Store }

func (refusingStore) Get(_ context.Context, id string) (delivery.Record, error) {
	return delivery.Record{}, fmt.Errorf("tablestore: get %q: %w", id, delivery.ErrInvalidID)
}

func TestValidMessageIDRefusesIDsOfDotsOnly(t *testing.T) {
	tests := []struct {
		id   string
		want bool
	}{
		{".", false},
		{"..", false},
		{"...", false},
		{strings.Repeat(".", 128), false},
		{"a.", true},
		{".a", true},
		{"a..b", true},
		{"_", true},
		{sampleID, true},
	}
	for _, tc := range tests {
		if got := delivery.ValidMessageID(tc.id); got != tc.want {
			t.Errorf("ValidMessageID(%q) = %v, want %v", tc.id, got, tc.want)
		}
	}
}

func TestLookupAnswers400ForIDsOfDotsOnly(t *testing.T) {
	h := delivery.NewLookupHandler(delivery.NewRecorder(delivery.NewMemoryStore(nil), nil), nil)
	want := `{"error":"invalid_transaction_id"}`

	// ServeMux cleans "." and ".." out of a path and redirects before a handler runs, so
	// those reach the handler only through a router that does not clean; "..." it keeps.
	for _, id := range []string{".", "..", "..."} {
		r := httptest.NewRequest(http.MethodGet, "/api/deliveries/x", nil)
		r.SetPathValue("transactionId", id)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if got := strings.TrimSpace(w.Body.String()); w.Code != 400 || got != want {
			t.Errorf("id %q: status %d, body %s; want 400, %s", id, w.Code, got, want)
		}
	}

	resp, err := http.Get(lookupServer(t).URL + "/api/deliveries/...")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.TrimSpace(string(b)); resp.StatusCode != 400 || got != want {
		t.Errorf("GET /api/deliveries/...: status %d, body %s; want 400, %s",
			resp.StatusCode, got, want)
	}
}
