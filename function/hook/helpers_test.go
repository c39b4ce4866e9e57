package hook

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"okta-acs-sms/function/hookauth"
	"okta-acs-sms/function/internal/logtest"
	"okta-acs-sms/function/okta"
	"okta-acs-sms/function/sms"
)

const (
	testUser   = "okta"
	testSecret = "current-secret"
	testNext   = "next-secret"
)

var testAuth = hookauth.BasicHeader(testUser, testSecret)

// fakeSender records what it is asked to send and answers with fn (or a receipt).
type fakeSender struct {
	mu    sync.Mutex
	sent  []sms.Message
	calls atomic.Int32
	fn    func(ctx context.Context, m sms.Message) (sms.Receipt, error)
}

func (f *fakeSender) Send(ctx context.Context, m sms.Message) (sms.Receipt, error) {
	f.calls.Add(1)
	f.mu.Lock()
	f.sent = append(f.sent, m)
	f.mu.Unlock()
	if f.fn != nil {
		return f.fn(ctx, m)
	}
	return sms.Receipt{MessageID: "Outgoing_test_1", Provider: "ACS", Attempts: 1}, nil
}

func (f *fakeSender) messages() []sms.Message {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]sms.Message(nil), f.sent...)
}

// syncBuffer is a log sink safe for concurrent writes, read back as log lines.
type syncBuffer struct{ logtest.Buffer }

// lines returns the log lines whose msg is "telephony hook", decoded.
func (s *syncBuffer) lines(t *testing.T) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(s.String()), "\n") {
		if l == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("log line is not JSON: %s", l)
		}
		if m["msg"] == "telephony hook" {
			out = append(out, m)
		}
	}
	return out
}

func newHandler(t *testing.T, s sms.Sender, opts ...func(*Options)) (*Handler, *syncBuffer) {
	t.Helper()
	logs := &syncBuffer{}
	o := Options{
		Auth:     hookauth.NewBasic(testUser, testSecret, testNext),
		Sender:   s,
		Provider: "ACS",
		Logger: slog.New(slog.NewJSONHandler(logs,
			&slog.HandlerOptions{Level: slog.LevelDebug})),
	}
	for _, f := range opts {
		f(&o)
	}
	h, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	return h, logs
}

// sample returns sample/request.json with the message profile fields in mp replaced
// (a nil value deletes the field) and top-level fields in top replaced.
func sample(t testing.TB, mp map[string]any, top map[string]any) string {
	t.Helper()
	b, err := os.ReadFile("../../sample/request.json")
	if err != nil {
		t.Fatal(err)
	}
	var r map[string]any
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	prof := r["data"].(map[string]any)["messageProfile"].(map[string]any)
	for k, v := range mp {
		if v == nil {
			delete(prof, k)
		} else {
			prof[k] = v
		}
	}
	for k, v := range top {
		r[k] = v
	}
	out, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

func post(h http.Handler, body, auth string, header ...string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(http.MethodPost, "/api/telephony", strings.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	if auth != "" {
		r.Header.Set("Authorization", auth)
	}
	for i := 0; i+1 < len(header); i += 2 {
		r.Header.Set(header[i], header[i+1])
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

// action decodes a telephony action answer, failing the test for any other shape.
func action(t *testing.T, body []byte) okta.Action {
	t.Helper()
	var r okta.Response
	if err := json.Unmarshal(body, &r); err != nil {
		t.Fatalf("answer is not JSON: %s", body)
	}
	if len(r.Commands) != 1 || r.Commands[0].Type != okta.CommandTelephonyAction ||
		len(r.Commands[0].Value) != 1 || r.Error != nil {
		t.Fatalf("answer is not one telephony action: %s", body)
	}
	return r.Commands[0].Value[0]
}

func parseSample(t *testing.T, mp map[string]any) *okta.Request {
	t.Helper()
	r, err := okta.ParseRequest([]byte(sample(t, mp, nil)))
	if err != nil {
		t.Fatal(err)
	}
	return r
}
