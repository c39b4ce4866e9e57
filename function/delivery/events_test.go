package delivery_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode"

	"okta-acs-sms/function/delivery"
)

const sampleID = "Outgoing_202009180022138813a09b-0cbf-4304-9b03-1546683bb910"

// sampleRecord is what the reference's sample delivery report must be stored as.
var sampleRecord = delivery.Record{
	MessageID:     sampleID,
	Status:        delivery.StatusDelivered,
	To:            "+1555***5555",
	Code:          2000,
	Meaning:       "Delivered successfully",
	Details:       "No error.",
	Attempts:      1,
	SegmentsOK:    1,
	ReportedAt:    time.Date(2020, 9, 18, 0, 22, 20, 285574900, time.UTC),
	LastAttemptAt: time.Date(2020, 9, 18, 0, 22, 14, 931591800, time.UTC),
	ReportEventID: sampleID,
}

// fixture reads a testdata event as a generic JSON value.
func fixture(t *testing.T, name string) map[string]any {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	var v map[string]any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return v
}

// pascal returns v with every object key starting in upper case ("tag" becomes "Tag").
func pascal(v any) any {
	switch t := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, val := range t {
			r := []rune(k)
			r[0] = unicode.ToUpper(r[0])
			out[string(r)] = pascal(val)
		}
		return out
	case []any:
		out := make([]any, len(t))
		for i := range t {
			out[i] = pascal(t[i])
		}
		return out
	}
	return v
}

// asString returns v encoded as JSON inside a JSON string, as some hosts send it.
func asString(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// reportEvent is a delivery report event for msgID received at `at`.
func reportEvent(msgID, status, details, tag string, at time.Time) map[string]any {
	return map[string]any{
		"id": msgID + "-" + at.Format("150405.000"),
		"topic": "/subscriptions/x/resourceGroups/g/providers/" +
			"microsoft.communication/communicationservices/acs",
		"subject":     "/phonenumber/15551234567",
		"eventType":   "Microsoft.Communication.SMSDeliveryReportReceived",
		"dataVersion": "1.0", "metadataVersion": "1",
		"eventTime": at.Format(time.RFC3339Nano),
		"data": map[string]any{
			"messageId": msgID, "from": "18005550100", "to": "+15551234567",
			"deliveryStatus": status, "deliveryStatusDetails": details,
			"receivedTimestamp": at.Format(time.RFC3339Nano), "tag": tag,
			"deliveryAttempts": []any{map[string]any{
				"timestamp": at.Add(-time.Second).Format(time.RFC3339Nano), "segmentsSucceeded": 0,
				"segmentsFailed": 1,
			}},
		},
	}
}

// invokeResult is the decoded custom-handler answer.
type invokeResult struct {
	Status  int
	Outputs map[string]any
	Logs    []string
	Return  any `json:"ReturnValue"`
}

// invoke posts an invocation with eventGridEvent = event the way the Functions host does.
func invoke(t *testing.T, h http.Handler, event any) invokeResult {
	t.Helper()
	body, err := json.Marshal(map[string]any{
		"Data": map[string]any{"eventGridEvent": event},
		"Metadata": map[string]any{"sys": map[string]any{
			"MethodName": "deliveryreport", "UtcNow": "2026-12-04T16:30:00Z",
			"RandGuid": "5a5b0c7e-0000-4000-8000-000000000001",
		}},
	})
	if err != nil {
		t.Fatal(err)
	}
	return post(t, h, body)
}

func post(t *testing.T, h http.Handler, body []byte) invokeResult {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, "/deliveryreport", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Azure-Functions-InvocationId", "b0f5a5a6-0000-4000-8000-000000000002")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)

	if ct := w.Header().Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type = %q, want application/json", ct)
	}
	var res invokeResult
	if err := json.Unmarshal(w.Body.Bytes(), &res); err != nil {
		t.Fatalf("answer is not JSON: %v: %s", err, w.Body.String())
	}
	if !strings.Contains(w.Body.String(), `"Outputs":{}`) ||
		!strings.Contains(w.Body.String(), `"ReturnValue":null`) {
		t.Errorf("answer lacks the custom-handler shape: %s", w.Body.String())
	}
	res.Status = w.Code
	return res
}

// summary is the one Logs line of an invocation.
func summary(stored, unchanged, ignored, malformed, failed int) []string {
	return []string{fmt.Sprintf("delivery reports: %d stored, %d unchanged, %d ignored, "+
		"%d malformed, %d store failures", stored, unchanged, ignored, malformed, failed)}
}

// setup returns an event handler over a fresh memory store and a buffer of its JSON logs.
func setup() (*delivery.EventHandler, *delivery.MemoryStore, *bytes.Buffer) {
	var logs bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	store := delivery.NewMemoryStore(nil)
	return delivery.NewEventHandler(delivery.NewRecorder(store, log), log), store, &logs
}

func TestEventHandlerStoresTheReferenceSampleInEveryEncoding(t *testing.T) {
	tests := []struct {
		name  string
		event func(t *testing.T) any
	}{
		{"object", func(t *testing.T) any {
			return fixture(t, "sms_delivery_report_received.json")
		}},
		{"JSON string", func(t *testing.T) any {
			return asString(t, fixture(t, "sms_delivery_report_received.json"))
		}},
		{"PascalCase keys", func(t *testing.T) any {
			return pascal(fixture(t, "sms_delivery_report_received.json"))
		}},
		{"array of one", func(t *testing.T) any {
			return []any{fixture(t, "sms_delivery_report_received.json")}
		}},
		{"data as a JSON string", func(t *testing.T) any {
			ev := fixture(t, "sms_delivery_report_received.json")
			ev["data"] = asString(t, ev["data"])
			return ev
		}},
		{"string holding an array", func(t *testing.T) any {
			return asString(t, []any{fixture(t, "sms_delivery_report_received.json")})
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h, store, logs := setup()
			res := invoke(t, h, tc.event(t))
			if res.Status != http.StatusOK {
				t.Fatalf("status = %d, want 200", res.Status)
			}
			if want := summary(1, 0, 0, 0, 0); !slices.Equal(res.Logs, want) {
				t.Errorf("Logs = %q, want %q", res.Logs, want)
			}
			got, err := store.Get(context.Background(), sampleID)
			if err != nil {
				t.Fatalf("Get: %v", err)
			}
			if got != sampleRecord {
				t.Errorf("stored\n%+v\nwant\n%+v", got, sampleRecord)
			}
			if strings.Contains(logs.String(), "5555555555") {
				t.Errorf("a log line holds the full phone number: %s", logs.String())
			}
		})
	}
}

func TestEventHandlerReadsTagInEitherCase(t *testing.T) {
	at := time.Date(2026, 12, 4, 16, 30, 0, 0, time.UTC)
	for _, key := range []string{"tag", "Tag", "TAG"} {
		t.Run(key, func(t *testing.T) {
			h, store, _ := setup()
			ev := reportEvent("Outgoing_tagcase", "Delivered", "2000: No Error", "", at)
			data := ev["data"].(map[string]any)
			delete(data, "tag")
			data[key] = "okta-event-1"
			invoke(t, h, ev)
			got, err := store.Get(context.Background(), "Outgoing_tagcase")
			if err != nil {
				t.Fatalf("Get: %v", err)
			}
			if got.Tag != "okta-event-1" || got.Code != 2000 {
				t.Errorf("Tag = %q Code = %d, want okta-event-1 and 2000", got.Tag, got.Code)
			}
		})
	}
}

func TestEventHandlerKeepsTheGoodEventsOfABatchWithMalformedOnes(t *testing.T) {
	h, store, _ := setup()
	at := time.Date(2026, 12, 4, 16, 30, 0, 0, time.UTC)
	noStatus := reportEvent("Outgoing_nostatus", "Delivered", "", "t", at)
	delete(noStatus["data"].(map[string]any), "deliveryStatus")
	badTime := reportEvent("Outgoing_badtime", "Delivered", "", "t", at)
	badTime["data"].(map[string]any)["receivedTimestamp"] = "yesterday"
	badID := reportEvent("Outgoing/../x", "Delivered", "", "t", at)

	batch := []any{
		reportEvent("Outgoing_good1", "Delivered", "2000: No Error", "t1", at),
		"not an event",
		42,
		map[string]any{"id": "no-type", "data": map[string]any{}},
		noStatus,
		badTime,
		badID,
		fixture(t, "sms_received_pascal.json"),
		reportEvent("Outgoing_good2", "Failed", "4004: Number does not exist", "t2", at),
	}
	res := invoke(t, h, batch)
	if res.Status != http.StatusOK {
		t.Fatalf("status = %d, want 200", res.Status)
	}
	if want := summary(2, 0, 1, 6, 0); !slices.Equal(res.Logs, want) {
		t.Errorf("Logs = %q, want %q", res.Logs, want)
	}
	for id, want := range map[string]delivery.Status{
		"Outgoing_good1": delivery.StatusDelivered, "Outgoing_good2": delivery.StatusFailed,
	} {
		got, err := store.Get(context.Background(), id)
		if err != nil || got.Status != want {
			t.Errorf("Get(%s) = %q, %v; want %q", id, got.Status, err, want)
		}
	}
	if got := store.Len(); got != 2 {
		t.Errorf("store holds %d records, want 2", got)
	}
}

func TestEventHandlerIgnoresOtherEventTypesWith200(t *testing.T) {
	tests := []struct{ name, file string }{
		{"SMSReceived", "sms_received_pascal.json"},
		{"SubscriptionValidation", "subscription_validation.json"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h, store, _ := setup()
			res := invoke(t, h, fixture(t, tc.file))
			if res.Status != http.StatusOK {
				t.Fatalf("status = %d, want 200", res.Status)
			}
			if want := summary(0, 0, 1, 0, 0); !slices.Equal(res.Logs, want) {
				t.Errorf("Logs = %q, want %q", res.Logs, want)
			}
			if got := store.Len(); got != 0 {
				t.Errorf("store holds %d records, want 0", got)
			}
		})
	}
}

func TestEventHandlerAnswers200ToMalformedInvocations(t *testing.T) {
	tests := []struct{ name, body string }{
		{"not JSON", `{"Data":`},
		{"no binding", `{"Data":{"other":{}},"Metadata":{}}`},
		{"event is a number", `{"Data":{"eventGridEvent":7}}`},
		{"event is a non-JSON string", `{"Data":{"eventGridEvent":"hello"}}`},
		{"empty body", ``},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h, store, _ := setup()
			res := post(t, h, []byte(tc.body))
			if res.Status != http.StatusOK {
				t.Fatalf("status = %d, want 200", res.Status)
			}
			want := []string{"invocation body malformed: dropped"}
			if !slices.Equal(res.Logs, want) {
				t.Errorf("Logs = %q, want %q", res.Logs, want)
			}
			if store.Len() != 0 {
				t.Errorf("store is not empty")
			}
		})
	}
}

func TestEventHandlerIgnoresADuplicateDelivery(t *testing.T) {
	h, store, logs := setup()
	ev := fixture(t, "sms_delivery_report_received.json")
	invoke(t, h, ev)
	res := invoke(t, h, ev)
	if want := summary(0, 1, 0, 0, 0); !slices.Equal(res.Logs, want) {
		t.Errorf("second Logs = %q, want %q", res.Logs, want)
	}
	got, _ := store.Get(context.Background(), sampleID)
	if got != sampleRecord {
		t.Errorf("stored\n%+v\nwant\n%+v", got, sampleRecord)
	}
	if n := countLogs(t, logs, "INFO", "delivery: report"); n != 1 {
		t.Errorf("%d info lines for one report delivered twice, want 1", n)
	}
}

func TestEventHandlerKeepsTheNewerReportWhenAnOlderArrivesLate(t *testing.T) {
	h, store, logs := setup()
	t0 := time.Date(2026, 12, 4, 16, 30, 0, 0, time.UTC)
	id := "Outgoing_20261204163000-late"
	invoke(t, h, reportEvent(id, "Failed", "4007: Opted out", "okta-ev", t0.Add(time.Minute)))
	res := invoke(t, h, reportEvent(id, "Delivered", "2000: No Error", "okta-ev", t0))
	if want := summary(0, 1, 0, 0, 0); !slices.Equal(res.Logs, want) {
		t.Errorf("Logs = %q, want %q", res.Logs, want)
	}
	got, _ := store.Get(context.Background(), id)
	want := delivery.Record{
		MessageID: id, Status: delivery.StatusFailed, To: "+1555***4567", Code: 4007,
		Meaning: "Recipient opted out (STOP)", Details: "4007: Opted out",
		Action: delivery.ActionStopNumber, Attempts: 1, SegmentsFail: 1,
		ReportedAt: t0.Add(time.Minute), LastAttemptAt: t0.Add(time.Minute - time.Second),
		Tag: "okta-ev", ReportEventID: id + "-163100.000",
	}
	if got != want {
		t.Errorf("stored\n%+v\nwant\n%+v", got, want)
	}

	// The opt-out is logged once, at warning level, with the masked number and message id.
	warn := findLogs(t, logs, "WARN", "delivery: report")
	if len(warn) != 1 {
		t.Fatalf("%d warning lines, want 1: %s", len(warn), logs.String())
	}
	for k, v := range map[string]any{
		"message_id": id, "to": "+1555***4567", "code": 4007.0,
		"action": "stop-sending-to-number", "tag": "okta-ev",
	} {
		if warn[0][k] != v {
			t.Errorf("warning line %s = %v, want %v", k, warn[0][k], v)
		}
	}
	if n := countLogs(t, logs, "INFO", "delivery: report"); n != 0 {
		t.Errorf("%d info lines, want 0", n)
	}
}

// failingStore is a Store whose writes fail, as when Table Storage is unreachable.
type failingStore struct{ delivery.Store }

func (failingStore) Update(context.Context, string, delivery.UpdateFunc) (delivery.Record, error) {
	return delivery.Record{}, errors.New("connection refused")
}

func TestEventHandlerAnswers500WhenTheStoreFailsSoEventGridRetries(t *testing.T) {
	store := failingStore{delivery.NewMemoryStore(nil)}
	h := delivery.NewEventHandler(delivery.NewRecorder(store, nil), nil)
	res := invoke(t, h, []any{
		fixture(t, "sms_delivery_report_received.json"), "malformed",
	})
	if res.Status != http.StatusInternalServerError {
		t.Fatalf("status = %d, want 500", res.Status)
	}
	if want := summary(0, 0, 0, 1, 1); !slices.Equal(res.Logs, want) {
		t.Errorf("Logs = %q, want %q", res.Logs, want)
	}
}

// keyRefusingStore is a Store that cannot hold the message id, as Table Storage refuses
// some characters in keys.
type keyRefusingStore struct{ delivery.Store }

func (keyRefusingStore) Update(_ context.Context, id string,
	_ delivery.UpdateFunc) (delivery.Record, error) {
	return delivery.Record{}, fmt.Errorf("tablestore: update %q: %w", id, delivery.ErrInvalidID)
}

func TestEventHandlerDropsAnEventWhoseIDTheStoreCannotHold(t *testing.T) {
	store := keyRefusingStore{delivery.NewMemoryStore(nil)}
	h := delivery.NewEventHandler(delivery.NewRecorder(store, nil), nil)
	res := invoke(t, h, []any{fixture(t, "sms_delivery_report_received.json")})
	if res.Status != http.StatusOK {
		t.Fatalf("status = %d, want 200 (a retry could never succeed)", res.Status)
	}
	if want := summary(0, 0, 0, 1, 0); !slices.Equal(res.Logs, want) {
		t.Errorf("Logs = %q, want %q", res.Logs, want)
	}
}

func TestEventHandlerRefusesOtherMethods(t *testing.T) {
	h, _, _ := setup()
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/deliveryreport", nil))
	if w.Code != http.StatusMethodNotAllowed {
		t.Errorf("GET status = %d, want 405", w.Code)
	}
}

// findLogs returns the JSON log lines with the given level and message.
func findLogs(t *testing.T, logs *bytes.Buffer, level, msg string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for line := range strings.SplitSeq(strings.TrimSpace(logs.String()), "\n") {
		if line == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("log line is not JSON: %s", line)
		}
		if m["level"] == level && m["msg"] == msg {
			out = append(out, m)
		}
	}
	return out
}

func countLogs(t *testing.T, logs *bytes.Buffer, level, msg string) int {
	t.Helper()
	return len(findLogs(t, logs, level, msg))
}

func TestEventHandlerEndsOnTheNewestReportUnderParallelDeliveries(t *testing.T) {
	h, store, logs := setup()
	t0 := time.Date(2026, 12, 4, 16, 30, 0, 0, time.UTC)
	id := "Outgoing_20261204163000-parallel"
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Go(func() {
			// Each of 8 reports is delivered twice, in no particular order.
			at := t0.Add(time.Duration(i%8) * time.Second)
			res := invoke(t, h, reportEvent(id, "Failed", "4006: Unreachable", "ev", at))
			if res.Status != http.StatusOK {
				t.Errorf("status = %d, want 200", res.Status)
			}
		})
	}
	wg.Wait()

	got, _ := store.Get(context.Background(), id)
	newest := t0.Add(7 * time.Second)
	if got.ReportedAt != newest || got.ReportEventID != id+"-163007.000" || got.Code != 4006 {
		t.Errorf("stored report at %v (%s, code %d), want the newest at %v",
			got.ReportedAt, got.ReportEventID, got.Code, newest)
	}
	if n := countLogs(t, logs, "INFO", "delivery: report"); n < 1 || n > 8 {
		t.Errorf("%d info lines for 8 distinct reports, want 1 to 8", n)
	}
}

// TestEventHandlerScrubsReportTextBeforeStoringServingOrLogging checks that a number or
// code in ACS's free text reaches neither the store, nor the lookup, nor a log line, while
// the leading status code stays readable.
func TestEventHandlerScrubsReportTextBeforeStoringServingOrLogging(t *testing.T) {
	h, store, logs := setup()
	at := time.Date(2026, 12, 4, 16, 30, 0, 0, time.UTC)
	tag := "ev\x00\u202e" + strings.Repeat("t", 200)
	ev := reportEvent("Outgoing_scrub", "Failed",
		"4007: Recipient +447700900999 opted out;\ncode 918273 (+44 7700 900 999)", tag, at)
	ev["data"].(map[string]any)["to"] = "+447700900999"
	ev["subject"] = "/phonenumber/447700900999"
	invoke(t, h, ev)

	got, err := store.Get(context.Background(), "Outgoing_scrub")
	if err != nil {
		t.Fatal(err)
	}
	wantDetails := "4007: Recipient +*** opted out;?code *** (+***)"
	wantTag := "ev??" + strings.Repeat("t", 124)
	if got.Details != wantDetails || got.Code != 4007 || got.Tag != wantTag ||
		got.Action != delivery.ActionStopNumber {
		t.Errorf("stored Details %q Code %d Tag %q Action %q; want %q 4007 %q %q",
			got.Details, got.Code, got.Tag, got.Action, wantDetails, wantTag,
			delivery.ActionStopNumber)
	}

	mux := http.NewServeMux()
	mux.Handle(delivery.LookupPattern,
		delivery.NewLookupHandler(delivery.NewRecorder(store, nil), nil))
	w := httptest.NewRecorder()
	mux.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/api/deliveries/Outgoing_scrub", nil))
	if w.Code != http.StatusOK || !strings.Contains(w.Body.String(),
		`"statusDetails":"4007: Recipient +*** opted out;?code *** (+***)"`) {
		t.Errorf("lookup %d %s", w.Code, w.Body)
	}

	for where, text := range map[string]string{"stored record": fmt.Sprintf("%+v", got),
		"lookup": w.Body.String(), "logs": logs.String()} {
		for _, secret := range []string{"7700900999", "918273", "7700 900 999", "\u202e"} {
			if strings.Contains(text, secret) {
				t.Errorf("%s holds %q: %s", where, secret, text)
			}
		}
	}
	l := findLogs(t, logs, "WARN", "delivery: report")
	if len(l) != 1 || l[0]["tag"] != wantTag {
		t.Errorf("report log lines %v; want one with tag %q", l, wantTag)
	}
}

func TestScrubDetails(t *testing.T) {
	long := "5000: " + strings.Repeat("é", 300)
	clipped := "5000: " + strings.Repeat("é", 123) + "…" // 255 bytes: no half rune
	tests := []struct{ in, want string }{
		{"No error.", "No error."},
		{"  2000: No Error  ", "2000: No Error"},
		{"4007: Opted out", "4007: Opted out"},
		{"4007 918273", "4007 ***"},
		{"918273: your code", "***: your code"},
		{"40071: x", "***: x"},
		{"Code 1234 left alone", "Code 1234 left alone"},
		{"call 555-0123 now", "call *** now"},
		{"tab\there", "tab?here"},
		{"bad \xff byte", "bad ? byte"},
		{long, clipped},
	}
	for _, tc := range tests {
		if got := delivery.ScrubDetails(tc.in); got != tc.want {
			t.Errorf("ScrubDetails(%q) = %q; want %q", tc.in, got, tc.want)
		}
	}
}
