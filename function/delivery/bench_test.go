package delivery_test

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"

	"okta-acs-sms/function/delivery"
)

// BenchmarkEventHandlerSampleReport measures one payload-mode invocation carrying the
// reference's sample report (decode, key canonicalisation, merge into the memory store).
func BenchmarkEventHandlerSampleReport(b *testing.B) {
	event, err := os.ReadFile("testdata/sms_delivery_report_received.json")
	if err != nil {
		b.Fatal(err)
	}
	body := []byte(`{"Data":{"eventGridEvent":` + string(event) + `},"Metadata":{}}`)
	h := delivery.NewEventHandler(delivery.NewRecorder(delivery.NewMemoryStore(nil), nil), nil)
	b.ReportAllocs()
	for b.Loop() {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest(http.MethodPost, "/deliveryreport",
			bytes.NewReader(body)))
		if w.Code != http.StatusOK {
			b.Fatalf("status %d", w.Code)
		}
	}
}
