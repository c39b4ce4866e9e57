package hooks

import (
	"context"
	"encoding/json"
	"net/http"
	"reflect"
	"testing"
	"time"

	"okta-acs-sms/okta-setup/internal/oktatest"
)

func TestExecuteReportsHookAnswer(t *testing.T) {
	tests := []struct {
		name      string
		status    int
		body      string
		want      Answer
		delivered bool
	}{
		{"successful", 200, `{"commands":[{"type":"com.okta.telephony.action","value":[` +
			`{"status":"SUCCESSFUL","provider":"ACS","transactionId":"msg-42",` +
			`"transactionMetadata":"latencyMs=310"}]}]}`,
			Answer{Status: "SUCCESSFUL", Provider: "ACS", TransactionID: "msg-42",
				Metadata: "latencyMs=310"}, true},
		{"failed", 200, `{"commands":[{"type":"com.okta.telephony.action","value":[` +
			`{"status":"FAILED","provider":"ACS","transactionMetadata":"rejected"}]}]}`,
			Answer{Status: "FAILED", Provider: "ACS", Metadata: "rejected"}, false},
		{"error object", 200, `{"error":{"errorSummary":"Failed to deliver SMS OTP",` +
			`"errorCauses":[{"errorSummary":"Provider rejected the number",` +
			`"reason":"PROVIDER_REJECTED","locationType":"body",` +
			`"location":"data.messageProfile.phoneNumber","domain":"external-service"}]}}`,
			Answer{Error: &AnswerError{Summary: "Failed to deliver SMS OTP",
				Causes: []string{"Provider rejected the number (PROVIDER_REJECTED)"}}}, false},
		{"status SUCCESS is off-contract", 200, `{"commands":[{"type":` +
			`"com.okta.telephony.action","value":[{"status":"SUCCESS"}]}]}`,
			Answer{Status: "SUCCESS",
				Problem: `status "SUCCESS" is not SUCCESSFUL, PENDING or FAILED`}, false},
		{"value object is off-contract", 200, `{"commands":[{"type":` +
			`"com.okta.telephony.action","value":{"status":"SUCCESSFUL"}}]}`,
			Answer{Problem: "command value must be a non-empty array of {status, provider, " +
				"transactionId, transactionMetadata} strings"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := oktatest.New(t, testToken)
			id := srv.AddHook("ACS SMS", StatusActive, testURI)
			srv.SetExecuteAnswer(tt.status, tt.body)
			c := newTestClient(t, srv)
			req, err := NewTestRequest(c.Org(), id, "+15555551234", time.Now())
			if err != nil {
				t.Fatal(err)
			}

			got, err := c.Execute(context.Background(), id, req)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) || got.Delivered() != tt.delivered {
				t.Errorf("answer = %+v (delivered %v); want %+v (%v)", got, got.Delivered(),
					tt.want, tt.delivered)
			}
			reqs := srv.Requests()
			last := reqs[len(reqs)-1]
			if last.Path != "/api/v1/inlineHooks/"+id+"/execute" || last.Method != "POST" {
				t.Errorf("sent %s %s", last.Method, last.Path)
			}
			var sent map[string]interface{}
			if err := json.Unmarshal(last.Body, &sent); err != nil {
				t.Fatal(err)
			}
			mp := sent["data"].(map[string]interface{})["messageProfile"].(map[string]interface{})
			if sent["eventId"] != req.EventID || mp["phoneNumber"] != "+15555551234" ||
				mp["deliveryChannel"] != "SMS" || sent["requestType"] != RequestTypeMFA {
				t.Errorf("payload = %v", sent)
			}
		})
	}
}

func TestExecuteReportsOktaErrorWhenHookUnreachable(t *testing.T) {
	srv := oktatest.New(t, testToken)
	id := srv.AddHook("ACS SMS", StatusActive, testURI)
	srv.FailNext("POST", "/api/v1/inlineHooks/"+id+"/execute", oktatest.Fault{Status: 400,
		Code: "E0000134", Summary: "Unable to communicate with the inline hook endpoint."})
	c := newTestClient(t, srv)
	req, err := NewTestRequest(c.Org(), id, "+15555551234", time.Now())
	if err != nil {
		t.Fatal(err)
	}

	_, err = c.Execute(context.Background(), id, req)

	want := "execute hook " + id + ": Okta answered 400 E0000134: Unable to communicate " +
		"with the inline hook endpoint. [request id req-fake-1]"
	if err == nil || err.Error() != want {
		t.Errorf("err = %v;\nwant %s", err, want)
	}
}

func TestNewTestRequestRefusesNonE164Phone(t *testing.T) {
	for _, p := range []string{"5555551234", "+0555551234", "+1 555 555 1234", ""} {
		if _, err := NewTestRequest("https://acme.okta.com", "cal1", p, time.Now()); err == nil {
			t.Errorf("phone %q accepted", p)
		}
	}
}

func TestRateLimitWaitsForResetThenSucceeds(t *testing.T) {
	srv := oktatest.New(t, testToken)
	srv.FailNext("GET", "/api/v1/inlineHooks", oktatest.Fault{Status: 429, Code: "E0000047",
		Summary: "API call exceeded rate limit due to too many requests.",
		ResetIn: 2 * time.Second})
	var waits []time.Duration
	c, err := New(Options{OrgURL: srv.URL, Credentials: Credentials{APIToken: testToken},
		HTTPClient: srv.Client(), RateLimit: RateLimit{
			Sleep: func(_ context.Context, d time.Duration) error {
				waits = append(waits, d)
				return nil
			}}})
	if err != nil {
		t.Fatal(err)
	}

	if _, err := c.List(context.Background()); err != nil {
		t.Fatal(err)
	}

	if want := []time.Duration{2*time.Second + resetMargin}; !reflect.DeepEqual(waits, want) {
		t.Errorf("waits = %v; want %v", waits, want)
	}
	reqs := srv.Requests()
	if len(reqs) != 2 || reqs[1].Path != "/api/v1/inlineHooks" {
		t.Fatalf("requests = %d; want the list twice", len(reqs))
	}
}

func TestRateLimitBeyondMaxWaitIsReportedWithoutWaiting(t *testing.T) {
	srv := oktatest.New(t, testToken)
	srv.FailNext("GET", "/api/v1/inlineHooks", oktatest.Fault{Status: 429, Code: "E0000047",
		Summary: "API call exceeded rate limit due to too many requests.",
		ResetIn: 10 * time.Minute})
	slept := false
	c, err := New(Options{OrgURL: srv.URL, Credentials: Credentials{APIToken: testToken},
		HTTPClient: srv.Client(), RateLimit: RateLimit{MaxWait: time.Minute,
			Sleep: func(context.Context, time.Duration) error { slept = true; return nil }}})
	if err != nil {
		t.Fatal(err)
	}

	_, err = c.List(context.Background())

	want := "list telephony hooks: Okta answered 429 E0000047: API call exceeded rate limit " +
		"due to too many requests.; rate limit resets in 10m0s [request id req-fake-1]"
	if err == nil || err.Error() != want || slept {
		t.Errorf("err = %v (slept %v);\nwant %s", err, slept, want)
	}
}

func TestResetWaitUsesOktaDateHeader(t *testing.T) {
	h := http.Header{}
	h.Set("Date", "Fri, 04 Dec 2026 17:00:00 GMT")
	h.Set("X-Rate-Limit-Reset", "1796403605") // 17:00:05Z
	got, ok := ResetWait(h)
	if !ok || got != 5*time.Second+resetMargin {
		t.Errorf("ResetWait = %v, %v; want 5.25s", got, ok)
	}
	h.Del("X-Rate-Limit-Reset")
	if _, ok := ResetWait(h); ok {
		t.Error("ResetWait without a reset header reported ok")
	}
}
