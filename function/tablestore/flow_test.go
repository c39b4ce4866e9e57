package tablestore_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"okta-acs-sms/function/delivery"
	"okta-acs-sms/function/internal/azurite"
	"okta-acs-sms/function/sms"
)

// TestReportFlowsFromEventGridToLookupThroughTableStorage runs the whole path on Azurite:
// the hook's sent record, the host's payload-mode invocation carrying the reference's
// sample event, and the operator's lookup.
func TestReportFlowsFromEventGridToLookupThroughTableStorage(t *testing.T) {
	az := azurite.StartTables(t)
	store, _ := newStore(t, az)
	rec := delivery.NewRecorder(store, nil)
	mux := http.NewServeMux()
	mux.Handle("POST /deliveryreport", delivery.NewEventHandler(rec, nil))
	mux.Handle(delivery.LookupPattern, delivery.NewLookupHandler(rec, nil))
	srv := httptest.NewServer(mux)
	defer srv.Close()

	const id = "Outgoing_202009180022138813a09b-0cbf-4304-9b03-1546683bb910"
	err := rec.RecordSent(context.Background(), sms.Sent{
		MessageID: id, EventID: "okta-event-1", MaskedTo: sms.MaskPhone("+15555555555"),
		RequestType: "com.okta.user.telephony.mfa-verification", Provider: "ACS",
		At: time.Date(2020, 9, 18, 0, 22, 13, 500000000, time.UTC),
	})
	if err != nil {
		t.Fatalf("RecordSent: %v", err)
	}

	event, err := os.ReadFile("../delivery/testdata/sms_delivery_report_received.json")
	if err != nil {
		t.Fatal(err)
	}
	body := `{"Data":{"eventGridEvent":` + string(event) + `},"Metadata":{}}`
	for range 2 { // Event Grid delivers at least once
		resp, err := http.Post(srv.URL+"/deliveryreport", "application/json",
			strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("invocation status = %d, want 200", resp.StatusCode)
		}
	}

	resp, err := http.Get(srv.URL + "/api/deliveries/" + id)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	got, _ := io.ReadAll(resp.Body)
	want := `{"messageId":"` + id + `","status":"Delivered","eventId":"okta-event-1",` +
		`"requestType":"com.okta.user.telephony.mfa-verification","provider":"ACS",` +
		`"sentAt":"2020-09-18T00:22:13.5Z","to":"+1555***5555","statusCode":2000,` +
		`"statusMeaning":"Delivered successfully","statusDetails":"No error.","attempts":1,` +
		`"segmentsSucceeded":1,"reportedAt":"2020-09-18T00:22:20.2855749Z",` +
		`"lastAttemptAt":"2020-09-18T00:22:14.9315918Z","reportEventId":"` + id + `"}`
	if resp.StatusCode != http.StatusOK || strings.TrimSpace(string(got)) != want {
		t.Errorf("lookup = %d %s\nwant 200 %s", resp.StatusCode, got, want)
	}
}
