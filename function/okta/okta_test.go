package okta

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestResponseMarshalGolden(t *testing.T) {
	tests := []struct {
		name string
		resp Response
		want string
	}{
		{
			"successful",
			Successful("ACS", "Outgoing_2022042114591129921524_noam", "attempts=1;latencyMs=412"),
			`{"commands":[{"type":"com.okta.telephony.action","value":[{"status":"SUCCESSFUL",` +
				`"provider":"ACS","transactionId":"Outgoing_2022042114591129921524_noam",` +
				`"transactionMetadata":"attempts=1;latencyMs=412"}]}]}` + "\n",
		},
		{
			"failed",
			Failed("ACS", "reason=unavailable;attempts=3;latencyMs=2350"),
			`{"commands":[{"type":"com.okta.telephony.action","value":[{"status":"FAILED",` +
				`"provider":"ACS",` +
				`"transactionMetadata":"reason=unavailable;attempts=3;latencyMs=2350"}]}]}` +
				"\n",
		},
		{
			"error with cause",
			ErrorResponse("Voice calls are not supported.", ErrorCause{
				ErrorSummary: "deliveryChannel is not SMS",
				Reason:       "UNSUPPORTED_CHANNEL",
				LocationType: "body",
				Location:     "data.messageProfile.deliveryChannel",
				Domain:       "external-service",
			}),
			`{"error":{"errorSummary":"Voice calls are not supported.","errorCauses":[` +
				`{"errorSummary":"deliveryChannel is not SMS","reason":"UNSUPPORTED_CHANNEL",` +
				`"locationType":"body","location":"data.messageProfile.deliveryChannel",` +
				`"domain":"external-service"}]}}` + "\n",
		},
		{
			"error without cause, no HTML escaping",
			ErrorResponse("Request <body> & header refused"),
			`{"error":{"errorSummary":"Request <body> & header refused"}}` + "\n",
		},
	}
	for _, tt := range tests {
		if got := string(tt.resp.Marshal()); got != tt.want {
			t.Errorf("%s:\n got %s\nwant %s", tt.name, got, tt.want)
		}
	}
}

func TestParseRequestReadsEveryFieldOfTheSample(t *testing.T) {
	body, err := os.ReadFile("../../sample/request.json")
	if err != nil {
		t.Fatal(err)
	}
	r, err := ParseRequest(body)
	if err != nil {
		t.Fatal(err)
	}
	mp := r.Data.MessageProfile
	checks := []struct{ name, got, want string }{
		{"eventId", r.EventID, "uS5871kJThSsU8qlA1LTcg"},
		{"eventType", r.EventType, EventType},
		{"requestType", r.RequestType, RequestMFAVerification},
		{"context.request.id", r.Data.Context.Request.ID, "reqRgSk8IBBRhuo0YdlEDTmUw"},
		{"url", r.Data.Context.Request.URL.Value, "/idp/idx/challenge/send"},
		{"login", r.Data.UserProfile.Login, "test.user@example.com"},
		{"msgTemplate", mp.MsgTemplate, "Your code is 123456"},
		{"phoneNumber", mp.PhoneNumber, "+15555551212"},
		{"deliveryChannel", mp.DeliveryChannel, "SMS"},
		{"otpCode", string(mp.OTPCode), "123456"},
		{"locale", mp.Locale, "EN-US"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %q; want %q", c.name, c.got, c.want)
		}
	}
	exp, ok := r.OTPExpiry()
	if want := time.Date(2026, 1, 28, 21, 48, 34, 321e6, time.UTC); !ok || !exp.Equal(want) {
		t.Errorf("OTPExpiry = %v, %v; want %v", exp, ok, want)
	}
	at, ok := r.EventAt()
	if want := time.Date(2026, 1, 28, 21, 43, 40, 0, time.UTC); !ok || !at.Equal(want) {
		t.Errorf("EventAt = %v, %v; want %v", at, ok, want)
	}
	if _, ok := (&Request{EventTime: "28/01/2026"}).EventAt(); ok {
		t.Error("EventAt read an unreadable eventTime")
	}
	if !r.IsSMS() || r.IsPreview() {
		t.Errorf("IsSMS, IsPreview = %v, %v; want true, false", r.IsSMS(), r.IsPreview())
	}
}

func TestParseRequestOTPCodeForms(t *testing.T) {
	tests := []struct {
		name, code string
		want       OTPCode
		ok         bool
	}{
		{"string", `"123456"`, "123456", true},
		{"string with spaces", `" 123456 "`, "123456", true},
		{"integer", `123456`, "123456", true},
		{"null", `null`, "", true},
		// Valid JSON of the wrong type is no code, for the hook to refuse, never a parse error.
		{"float", `1234.5`, "", true},
		{"negative", `-123456`, "", true},
		{"exponent", `1e6`, "", true},
		{"object", `{"v":1}`, "", true},
		{"array", `[1,2]`, "", true},
		{"bool", `true`, "", true},
	}
	for _, tt := range tests {
		body := `{"eventId":"e","data":{"messageProfile":{"otpCode":` + tt.code + `}}}`
		r, err := ParseRequest([]byte(body))
		if (err == nil) != tt.ok {
			t.Errorf("%s: err = %v; want ok=%v", tt.name, err, tt.ok)
			continue
		}
		if err == nil && r.Data.MessageProfile.OTPCode != tt.want {
			t.Errorf("%s: otpCode = %q; want %q", tt.name, r.Data.MessageProfile.OTPCode, tt.want)
		}
	}
}

func TestParseRequestIgnoresUnknownFieldsAndRejectsNonJSON(t *testing.T) {
	r, err := ParseRequest([]byte(`{"eventId":"e1","future":{"x":[1,2]},"requestType":"r",` +
		`"data":{"messageProfile":{"deliveryChannel":"sms","newField":true}}}`))
	if err != nil || r.EventID != "e1" || r.RequestType != "r" || !r.IsSMS() {
		t.Fatalf("ParseRequest = %+v, %v", r, err)
	}
	for _, body := range []string{``, `not json`, `[1,2]`, `{"eventId":`, `"str"`, `null`,
		`123`, `true`, ` [] `, `{"a":1}{}`, `{"a":1,}`} {
		if _, err := ParseRequest([]byte(body)); err == nil {
			t.Errorf("ParseRequest(%q) succeeded; want an error", body)
		}
	}
}

func TestParseRequestReadsWrongTypesAsAbsent(t *testing.T) {
	body := `{"eventId":0,"eventTime":1,"eventType":[],"requestType":{"a":1},` +
		`"source":true,"data":{"context":{"request":{"url":7,"id":null}},` +
		`"userProfile":[1],"messageProfile":{"msgTemplate":5,"phoneNumber":15555551212,` +
		`"otpExpires":false,"deliveryChannel":{"v":"SMS"},"otpCode":1.5,"locale":[]}}}`
	r, err := ParseRequest([]byte(body))
	if err != nil {
		t.Fatalf("ParseRequest: %v; want wrong types read as absent", err)
	}
	want := &Request{EventID: "0"}
	if *r != *want {
		t.Errorf("ParseRequest = %+v; want %+v", *r, *want)
	}

	for _, tt := range []struct{ id, want string }{
		{`"e-1"`, "e-1"}, {`12345678901234567890123`, "12345678901234567890123"},
		{`-7`, "-7"}, {`1e5`, "1e5"}, {`null`, ""}, {`false`, ""}, {`["x"]`, ""},
	} {
		r, err := ParseRequest([]byte(`{"eventId":` + tt.id + `}`))
		if err != nil || r.EventID != tt.want {
			t.Errorf("eventId %s: %q, %v; want %q", tt.id, r.EventID, err, tt.want)
		}
	}

	for _, body := range []string{`{}`, `{"data":null}`, `{"data":[1]}`, `{"data":"x"}`,
		`{"data":{"messageProfile":7}}`} {
		r, err := ParseRequest([]byte(body))
		if err != nil || *r != (Request{}) {
			t.Errorf("ParseRequest(%s) = %+v, %v; want an empty request", body, r, err)
		}
	}
}

func TestRequestChannelAndPreview(t *testing.T) {
	for ch, sms := range map[string]bool{
		"SMS": true, "sms": true, " Sms ": true, "CALL": false, "Voice": false,
		"voice call": false, "VOICE": false, "": false, "SMS2": false,
		// Unicode case folding would take these for SMS; Okta's channel is ASCII.
		"ſms": false, "SMſ": false, "ｓｍｓ": false, "\u00a0SMS": false,
	} {
		r := &Request{}
		r.Data.MessageProfile.DeliveryChannel = ch
		if r.IsSMS() != sms {
			t.Errorf("IsSMS(%q) = %v; want %v", ch, r.IsSMS(), sms)
		}
	}
	for ch, has := range map[string]bool{"SMS": true, "CALL": true, "": false, " \t": false} {
		r := &Request{}
		r.Data.MessageProfile.DeliveryChannel = ch
		if r.HasChannel() != has {
			t.Errorf("HasChannel(%q) = %v; want %v", ch, r.HasChannel(), has)
		}
	}
	body, err := os.ReadFile("../../sample/request-preview.json")
	if err != nil {
		t.Fatal(err)
	}
	r, err := ParseRequest(body)
	if err != nil || !r.IsPreview() {
		t.Fatalf("preview sample: IsPreview = false, err %v", err)
	}
}

// FuzzParseRequest checks that no body makes parsing panic, and that whatever parses
// yields a request whose derived views are consistent.
func FuzzParseRequest(f *testing.F) {
	files, err := filepath.Glob("../../sample/*.json")
	if err != nil || len(files) < 6 {
		f.Fatalf("seed corpus: %d sample files (%v); want at least 6 (sample/)", len(files), err)
	}
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"data":{"messageProfile":{"otpCode":123456}}}`))
	f.Add([]byte(`{"data":null}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		// Only a body that is not a JSON object is an error; any object parses.
		r, err := ParseRequest(body)
		trimmed := bytes.TrimLeft(body, " \t\r\n")
		object := json.Valid(body) && len(trimmed) > 0 && trimmed[0] == '{'
		if (err == nil) != object {
			t.Fatalf("ParseRequest(%q) error %v; a JSON object: %v", body, err, object)
		}
		if err != nil {
			if r != nil {
				t.Fatal("ParseRequest returned a request with an error")
			}
			return
		}
		code := string(r.Data.MessageProfile.OTPCode)
		if code != strings.TrimSpace(code) {
			t.Fatalf("otpCode %q keeps surrounding space", code)
		}
		_ = r.IsSMS()
		_ = r.IsPreview()
		_, _ = r.OTPExpiry()
	})
}
