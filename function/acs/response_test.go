package acs

import (
	"net/http"
	"strings"
	"testing"

	"okta-acs-sms/function/sms"
)

func TestParseErrorBodyReadsAllThreeShapes(t *testing.T) {
	tests := []struct {
		name, body, code, msg string
	}{
		{"azure envelope", `{"error":{"code":"Denied","message":"Signature mismatch."}}`,
			"Denied", "Signature mismatch."},
		{"asp.net dictionary", `{"From":["Invalid from phone number format."]}`,
			"", "From: Invalid from phone number format."},
		{"dictionary, several fields sorted",
			`{"To":["Bad to."],"From":["Bad from.","Really."]}`,
			"", "From: Bad from. Really.; To: Bad to."},
		{"problem details",
			`{"type":"https://tools.ietf.org/html/rfc7231#section-6.5.1","title":"One or more ` +
				`validation errors occurred.","status":400,"errors":{"Message":["The Message ` +
				`field is required."]},"traceId":"00-abc-01"}`,
			"", "One or more validation errors occurred.; Message: The Message field is required."},
		{"empty", "", "", ""},
		{"html", "<html><body>Bad Gateway</body></html>", "",
			`body is not the expected JSON (37 bytes, ` +
				`starts "<html><body>Bad Gateway</body></html>")`},
	}
	for _, tt := range tests {
		code, msg := parseErrorBody([]byte(tt.body), scrubber{})
		if code != tt.code || msg != tt.msg {
			t.Errorf("%s: got (%q, %q); want (%q, %q)", tt.name, code, msg, tt.code, tt.msg)
		}
	}
}

func TestParseErrorBodyNeverEchoesAHugeBody(t *testing.T) {
	huge := strings.Repeat("x", 1<<20)
	_, msg := parseErrorBody([]byte(huge), scrubber{})
	if len(msg) > 150 {
		t.Errorf("message is %d bytes", len(msg))
	}
	_, msg = parseErrorBody([]byte(`{"error":{"code":"X","message":"`+huge+`"}}`), scrubber{})
	if len(msg) > maxErrorText+len("…") {
		t.Errorf("message is %d bytes", len(msg))
	}
}

func TestFromFailedMapsStatusToKind(t *testing.T) {
	tests := []struct {
		status int
		kind   sms.Kind
	}{
		{400, sms.KindRejected}, {401, sms.KindAuth}, {403, sms.KindAuth}, {404, sms.KindAuth},
		{409, sms.KindRejected}, {408, sms.KindUnavailable}, {429, sms.KindUnavailable},
		{500, sms.KindUnavailable}, {503, sms.KindUnavailable}, {302, sms.KindUnavailable},
	}
	for _, tt := range tests {
		err := fromFailed(&http.Response{StatusCode: tt.status}, nil, sendSummary{attempts: 1})
		if k := sms.KindOf(err); k != tt.kind {
			t.Errorf("status %d: kind %v; want %v", tt.status, k, tt.kind)
		}
	}
}

func TestRedactDigitsHidesNumbersAndCodesOnly(t *testing.T) {
	tests := []struct{ in, want string }{
		{`{"to":"14255550123"}`, `{"to":"***"}`},
		{"Invalid To phone number +14255550123.", "Invalid To phone number +***."},
		{"call +1 (425) 555-0123 now", "call +*** now"},
		{"Your code is 123456", "Your code is ***"},
		{"status 400, code 4007, 3 attempts", "status 400, code 4007, 3 attempts"},
		{"1234", "1234"},
		{"12345", "***"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := redactDigits(tt.in); got != tt.want {
			t.Errorf("redactDigits(%q) = %q; want %q", tt.in, got, tt.want)
		}
	}
}

func TestErrorsNeverEchoAnAcceptedBodyOrAFullNumber(t *testing.T) {
	body := []byte(`{"to":"14255550123","message":"Your code is 123456"`)
	_, err := fromAccepted(body, "application/json; charset=utf-8",
		sendSummary{to: "+14255550123", attempts: 1})
	want := "sms: unavailable (status 202): ACS accepted the request but its answer has no " +
		"readable result for the recipient: body is not the expected JSON (51 bytes, " +
		`Content-Type "application/json; charset=utf-8")`
	if err == nil || err.Error() != want {
		t.Errorf("err = %v;\nwant %s", err, want)
	}

	_, msg := parseErrorBody([]byte("<p>Bad number +14255550123, text: Your code is 123456</p>"),
		scrubber{})
	if want := `body is not the expected JSON (57 bytes, starts ` +
		`"<p>Bad number +***, text: Your code is ***</p>")`; msg != want {
		t.Errorf("non-JSON error body: %q;\nwant %q", msg, want)
	}
	_, msg = parseErrorBody([]byte(`{"To":["Invalid To phone number +14255550123."]}`),
		scrubber{})
	if want := "To: Invalid To phone number +***."; msg != want {
		t.Errorf("dictionary: %q; want %q", msg, want)
	}
}

func TestFromAcceptedTakesTheOnlyItemWhateverItsTo(t *testing.T) {
	const id = "Outgoing_20260101000000aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee_noam"
	tests := []struct {
		name, body string
		ok         bool
	}{
		{"to without the plus", `{"value":[{"to":"14255550123","messageId":"` + id +
			`","httpStatusCode":202,"repeatabilityResult":"accepted","successful":true}]}`, true},
		{"to sanitized", `{"value":[{"to":"sanitized","messageId":"` + id +
			`","httpStatusCode":202,"successful":true}]}`, true},
		{"several items, ours among them", `{"value":[{"to":"+19995550100","messageId":"x",` +
			`"httpStatusCode":202,"successful":true},{"to":"+14255550123","messageId":"` + id +
			`","httpStatusCode":202,"successful":true}]}`, true},
		{"several items, none ours", `{"value":[{"to":"+19995550100","messageId":"x",` +
			`"httpStatusCode":202,"successful":true},{"to":"14255550123","messageId":"` + id +
			`","httpStatusCode":202,"successful":true}]}`, false},
		{"no items", `{"value":[]}`, false},
	}
	for _, tt := range tests {
		r, err := fromAccepted([]byte(tt.body), "application/json",
			sendSummary{to: "+14255550123", attempts: 1})
		if tt.ok && (err != nil || r != (sms.Receipt{MessageID: id, Provider: Provider,
			Attempts: 1})) {
			t.Errorf("%s: %+v, %v; want the receipt for %s", tt.name, r, err, id)
		}
		if !tt.ok && (err == nil || sms.KindOf(err) != sms.KindUnavailable) {
			t.Errorf("%s: %+v, %v; want an unavailable error", tt.name, r, err)
		}
	}
}

func TestFromAcceptedSaysWhenValidJSONHoldsNoItemForTheRecipient(t *testing.T) {
	const want = "sms: unavailable (status 202): ACS accepted the request but its answer " +
		"has no item for the recipient"
	for _, body := range []string{
		`{"value":[]}`,
		`{"value":[{"to":"+19995550100","messageId":"x","httpStatusCode":202,` +
			`"successful":true},{"to":"+14255550177","messageId":"y","httpStatusCode":202,` +
			`"successful":true}]}`,
	} {
		_, err := fromAccepted([]byte(body), "application/json; charset=utf-8",
			sendSummary{to: "+14255550123", attempts: 1})
		if err == nil || err.Error() != want {
			t.Errorf("%s: err = %v;\nwant %s", body, err, want)
		}
	}
}

func TestScrubberHidesTheSendsOwnTexts(t *testing.T) {
	sc := newScrubber("Code 4321, valid 10 min", "+14255550123")
	tests := []struct{ in, want string }{
		{"Too long: Code 4321, valid 10 min", "Too long: ***"},
		{"to +14255550123 / 14255550123", "to *** / ***"},
		{"code 4321 refused; status 400", "code *** refused; status 400"},
		{"Code 4321, valid 10 minutes", "***utes"}, // any exact occurrence
	}
	for _, tt := range tests {
		if got := sc.clip(tt.in); got != tt.want {
			t.Errorf("clip(%q) = %q; want %q", tt.in, got, tt.want)
		}
	}
	if got := newScrubber("ok", "").clip("ok, look"); got != "ok, look" {
		t.Errorf("a 2-byte body was hidden: %q", got)
	}

	// A body cut by the 64-byte prefix of a non-JSON answer is still hidden whole.
	body := strings.Repeat("x", 60) + " Code 4321, valid 10 min"
	if got := describeBody([]byte(body), sc); strings.Contains(got, "Code") {
		t.Errorf("describeBody = %q; holds the start of the text", got)
	}
}
