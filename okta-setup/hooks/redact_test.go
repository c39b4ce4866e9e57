package hooks

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"okta-acs-sms/okta-setup/internal/oktatest"
)

func TestRedactURLHidesQueryValuesFragmentAndUserinfo(t *testing.T) {
	tests := []struct{ in, want string }{
		{testURI, testURI},
		{testURI + "?code=QSECRET", testURI + "?code=***"},
		{testURI + "?code=QSECRET&clientId=default", testURI + "?code=***&clientId=***"},
		{testURI + "?QSECRET", testURI + "?***"},
		{testURI + "?code=&&x=1", testURI + "?code=***&&x=***"},
		{testURI + "?", testURI + "?"},
		{testURI + "?code=QSECRET#frag", testURI + "?code=***#***"},
		{testURI + "#a?b=QSECRET", testURI + "#***"},
		{"https://user:pw@x.net/api/telephony?code=QSECRET",
			"https://***@x.net/api/telephony?code=***"},
		{"https://user:p/w@x.net/api", "https://***@x.net/api"},
		{"https://user@x.net/", "https://***@x.net/"},
		{"not a url?code=QSECRET", "not a url?code=***"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := RedactURL(tt.in); got != tt.want {
			t.Errorf("RedactURL(%q) = %q; want %q", tt.in, got, tt.want)
		}
	}
}

func TestRedactURLsInHidesEveryURLInText(t *testing.T) {
	tests := []struct{ in, want string }{
		{"uri: https://x.net/a?code=QSECRET is not reachable",
			"uri: https://x.net/a?code=*** is not reachable"},
		{`"https://u:pw@x.net/a?k=v" and <http://y.net/?t=QSECRET>`,
			`"https://***@x.net/a?k=***" and <http://y.net/?t=***>`},
		{"no url here: a=b?c", "no url here: a=b?c"},
		{"ends with://", "ends with://"},
	}
	for _, tt := range tests {
		if got := RedactURLsIn(tt.in); got != tt.want {
			t.Errorf("RedactURLsIn(%q) = %q; want %q", tt.in, got, tt.want)
		}
	}
}

func TestCheckHookURLRefusesUserinfoAndRedactsItsErrors(t *testing.T) {
	tests := []struct{ in, want string }{
		{testURI + "?code=QSECRET", ""},
		{"https://user:pw@x.net/api/telephony?code=QSECRET", `hook URL ` +
			`"https://***@x.net/api/telephony?code=***": must not contain user:password@; ` +
			"Okta sends the hook secret in the Authorization header"},
		{"https://user@x.net/api/telephony", `hook URL "https://***@x.net/api/telephony": ` +
			"must not contain user:password@; Okta sends the hook secret in the " +
			"Authorization header"},
		{"http://x.net/api?code=QSECRET",
			`hook URL "http://x.net/api?code=***": must be an https:// URL`},
		{"https://x.net/api?code=Q SECRET", `hook URL "https://x.net/api?code=***": must be ` +
			"at most 1024 characters, no spaces"},
		{"https://u:p/w@x.net/api", `hook URL "https://***@x.net/api": must be an ` +
			"https:// URL"},
	}
	for _, tt := range tests {
		err := CheckHookURL(tt.in)
		got := ""
		if err != nil {
			got = err.Error()
		}
		if got != tt.want {
			t.Errorf("CheckHookURL(%q) = %q;\nwant %q", tt.in, got, tt.want)
		}
	}
}

func TestRedactedJSONRedactsQueryValuesOfHookAndTokenURLs(t *testing.T) {
	spec := basicSpec("ACS SMS")
	spec.URI = testURI + "?code=QSECRET"
	spec.OAuth = &OAuth{ClientID: "0oa1", Scope: "okta.hooks", ClientSecret: "x",
		TokenURL: "https://acme.okta.com/oauth2/default/v1/token?k=TSECRET"}

	b, err := RedactedJSON(spec.InlineHook())

	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"uri": "` + testURI + `?code=***"`,
		`"tokenUrl": "https://acme.okta.com/oauth2/default/v1/token?k=***"`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("redacted body lacks %s:\n%s", want, b)
		}
	}
	if strings.Contains(string(b), "SECRET") {
		t.Errorf("redacted body shows a query value:\n%s", b)
	}
}

func TestAPIErrorRedactsURLsOktaQuotes(t *testing.T) {
	srv := oktatest.New(t, testToken)
	srv.FailNext("GET", "/api/v1/inlineHooks", oktatest.Fault{Status: http.StatusBadRequest,
		Code: "E0000001", Summary: "Api validation failed: https://x.net/a?code=QSECRET",
		Causes: []string{"channel.config.uri: https://x.net/a?code=QSECRET is not valid"}})
	c := newTestClient(t, srv)

	_, err := c.List(context.Background())

	want := "list telephony hooks: Okta answered 400 E0000001: Api validation failed: " +
		"https://x.net/a?code=*** (channel.config.uri: https://x.net/a?code=*** is not " +
		"valid) [request id req-fake-1]"
	if err == nil || err.Error() != want {
		t.Errorf("err = %v;\nwant %s", err, want)
	}
}
