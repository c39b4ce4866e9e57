package hook

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"okta-acs-sms/function/hookauth"
	"okta-acs-sms/function/okta"
)

// FuzzHookAnswersInContract posts arbitrary bodies through the whole handler: every answer
// must be 200 in Okta's contract (exactly one of a telephony action with a valid status, or
// an error object with a summary), or a 400 for a body that is not a JSON object. Okta
// keeps HTTP errors for requests it could not parse: a JSON object of any shape gets 200.
func FuzzHookAnswersInContract(f *testing.F) {
	files, err := filepath.Glob("../../sample/*.json")
	if err != nil || len(files) < 6 {
		f.Fatalf("seed corpus: %d sample files (%v); want at least 6 (sample/)", len(files), err)
	}
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(string(b))
	}
	f.Add(`{"data":{"messageProfile":{"deliveryChannel":"sms","phoneNumber":"+15555551212",` +
		`"otpCode":1234,"msgTemplate":"${otpCode}"}}}`)
	h, err := New(Options{Auth: hookauth.NewBasic(testUser, testSecret),
		Sender: instantSender{}, Provider: "ACS"})
	if err != nil {
		f.Fatal(err)
	}

	f.Add(`{}`)
	f.Add(`{"eventId":0,"data":{"messageProfile":{"deliveryChannel":"SMS","otpCode":1.5}}}`)
	f.Add(`null`)

	f.Fuzz(func(t *testing.T, body string) {
		w := post(h, body, testAuth)
		trimmed := strings.TrimLeft(body, " \t\r\n")
		object := json.Valid([]byte(body)) && strings.HasPrefix(trimmed, "{")
		switch {
		case len(body) > MaxBodyBytes:
			return
		case w.Code == http.StatusBadRequest && object:
			t.Fatalf("400 for a JSON object: %s", body)
		case w.Code == http.StatusBadRequest:
			return
		}
		var r okta.Response
		if w.Code != http.StatusOK || json.Unmarshal(w.Body.Bytes(), &r) != nil {
			t.Fatalf("%d %s", w.Code, w.Body)
		}
		switch {
		case r.Error != nil && len(r.Commands) == 0:
			if r.Error.ErrorSummary == "" {
				t.Fatalf("error without summary: %s", w.Body)
			}
		case r.Error == nil && len(r.Commands) == 1 && len(r.Commands[0].Value) == 1:
			st := r.Commands[0].Value[0].Status
			if r.Commands[0].Type != okta.CommandTelephonyAction ||
				(st != okta.StatusSuccessful && st != okta.StatusFailed) {
				t.Fatalf("bad action: %s", w.Body)
			}
		default:
			t.Fatalf("answer in no known shape: %s", w.Body)
		}
	})
}
