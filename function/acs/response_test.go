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
			`body is not the expected JSON (37 bytes, starts "<html><body>Bad Gateway</body></html>")`},
	}
	for _, tt := range tests {
		code, msg := parseErrorBody([]byte(tt.body))
		if code != tt.code || msg != tt.msg {
			t.Errorf("%s: got (%q, %q); want (%q, %q)", tt.name, code, msg, tt.code, tt.msg)
		}
	}
}

func TestParseErrorBodyNeverEchoesAHugeBody(t *testing.T) {
	huge := strings.Repeat("x", 1<<20)
	_, msg := parseErrorBody([]byte(huge))
	if len(msg) > 150 {
		t.Errorf("message is %d bytes", len(msg))
	}
	_, msg = parseErrorBody([]byte(`{"error":{"code":"X","message":"` + huge + `"}}`))
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
		err := fromFailed(&http.Response{StatusCode: tt.status}, nil, 1, "")
		if k := sms.KindOf(err); k != tt.kind {
			t.Errorf("status %d: kind %v; want %v", tt.status, k, tt.kind)
		}
	}
}
