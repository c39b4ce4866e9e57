package delivery

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"
)

// stuckStore is a Store whose writes hang until their context ends, as when Table Storage
// stops answering.
type stuckStore struct{ Store }

func (stuckStore) Update(ctx context.Context, _ string, _ UpdateFunc) (Record, error) {
	<-ctx.Done()
	return Record{}, ctx.Err()
}

func TestEventHandlerAnswers500InTimeWhenTheStoreHangs(t *testing.T) {
	h := NewEventHandler(NewRecorder(stuckStore{NewMemoryStore(nil)}, nil), nil)
	h.timeout = 50 * time.Millisecond
	event, err := os.ReadFile("testdata/sms_delivery_report_received.json")
	if err != nil {
		t.Fatal(err)
	}
	body := `{"Data":{"eventGridEvent":[` + string(event) + `,` + string(event) + `]}}`

	start := time.Now()
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(http.MethodPost, "/deliveryreport",
		strings.NewReader(body)))
	if w.Code != http.StatusInternalServerError {
		t.Errorf("status = %d, want 500", w.Code)
	}
	want := `{"Outputs":{},"Logs":["delivery reports: 0 stored, 0 unchanged, 0 ignored, ` +
		`0 malformed, 2 store failures"],"ReturnValue":null}`
	if got := strings.TrimSpace(w.Body.String()); got != want {
		t.Errorf("body = %s\nwant   %s", got, want)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("answered after %v; the invocation timeout did not bound it", d)
	}
}
