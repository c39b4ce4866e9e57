package acs

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
)

// vectorDate is the mocked clock of the SDK test vectors; the milliseconds must be dropped.
var vectorDate = time.Date(2022, 4, 13, 18, 9, 12, 451e6, time.UTC)

const emptyHash = "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="

// captured is a transport that keeps the request it was given and answers 202.
type captured struct {
	req  *http.Request
	body []byte
}

func (c *captured) Do(r *http.Request) (*http.Response, error) {
	c.req = r
	if r.Body != nil {
		c.body, _ = io.ReadAll(r.Body)
	}
	return &http.Response{StatusCode: http.StatusAccepted, Header: http.Header{},
		Body: io.NopCloser(strings.NewReader("")), Request: r}, nil
}

// signThroughPipeline runs one request through a pipeline whose only policy of ours is the
// HMAC policy, and returns what reached the transport.
func signThroughPipeline(t *testing.T, key, method, url string, body []byte) *captured {
	t.Helper()
	cred, err := NewKeyCredential(key)
	if err != nil {
		t.Fatal(err)
	}
	tr := &captured{}
	pl := runtime.NewPipeline("test", "v0", runtime.PipelineOptions{
		PerRetry: []policy.Policy{newHMACPolicy(cred, func() time.Time { return vectorDate })},
	}, &policy.ClientOptions{Transport: tr, Telemetry: policy.TelemetryOptions{Disabled: true}})
	req, err := runtime.NewRequest(context.Background(), method, url)
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		if err := req.SetBody(newBodyReader(body), "application/json"); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := pl.Do(req); err != nil {
		t.Fatal(err)
	}
	return tr
}

func TestHMACPolicyMatchesSDKVectors(t *testing.T) {
	tests := []struct {
		name, url, wantSig string
	}{
		{"path and query", "https://example.com/testPath?testQuery=test",
			"DGdgwggJWnQyc6EHjR/Vbqg1ES64KpD6U2XwTDDj3tU="},
		{"path only", "https://example.com/testPath",
			"+6tWkg3lNKVjQHHmxkdGQcJjUgzclsWTMebnuCz1ngU="},
		{"default port dropped from host", "https://example.com:443/testPath?testQuery=test",
			"DGdgwggJWnQyc6EHjR/Vbqg1ES64KpD6U2XwTDDj3tU="},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := signThroughPipeline(t, "pw==", http.MethodGet, tt.url, nil)
			h := got.req.Header
			if d := h.Get("x-ms-date"); d != "Wed, 13 Apr 2022 18:09:12 GMT" {
				t.Errorf("x-ms-date = %q", d)
			}
			if c := h.Get("x-ms-content-sha256"); c != emptyHash {
				t.Errorf("x-ms-content-sha256 = %q", c)
			}
			want := "HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256&Signature=" +
				tt.wantSig
			if a := h.Get("Authorization"); a != want {
				t.Errorf("Authorization = %q\nwant            %q", a, want)
			}
		})
	}
}

func TestHMACPolicyMatchesDerivedPOSTVector(t *testing.T) {
	// The body is built by our own encoder, so this also pins the exact bytes we send.
	body, err := marshalSend("+18005550100", "+14255550123", "Your code is 123456", "okta-otp",
		"fda6d242-46aa-4247-8bf6-619a1206f9c3", "Wed, 13 Apr 2022 18:09:12 GMT")
	if err != nil {
		t.Fatal(err)
	}
	const wantBody = `{"from":"+18005550100","smsRecipients":[{"to":"+14255550123",` +
		`"repeatabilityRequestId":"fda6d242-46aa-4247-8bf6-619a1206f9c3",` +
		`"repeatabilityFirstSent":"Wed, 13 Apr 2022 18:09:12 GMT"}],` +
		`"message":"Your code is 123456",` +
		`"smsSendOptions":{"enableDeliveryReport":true,"tag":"okta-otp"}}`
	if string(body) != wantBody || len(body) != 280 {
		t.Fatalf("body (%d bytes) = %s", len(body), body)
	}

	got := signThroughPipeline(t, "pw==", http.MethodPost,
		"https://contoso.communication.azure.com/sms?api-version=2021-03-07", body)
	h := got.req.Header
	if c := h.Get("x-ms-content-sha256"); c != "MJWeyMxSrXiXbg3hCeDHVqGt1Y9NociApd/8vFVexYE=" {
		t.Errorf("x-ms-content-sha256 = %q", c)
	}
	wantAuth := "HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256&Signature=" +
		"NcMThbw9wZfa/PjNmFyGmQxqhzQIgEE2IJh5nCOhg0c="
	if a := h.Get("Authorization"); a != wantAuth {
		t.Errorf("Authorization = %q", a)
	}
	if !bytes.Equal(got.body, body) {
		t.Errorf("sent body differs from the hashed one:\n%s", got.body)
	}
}

func TestHMACPrimitivesMatchSDKVectors(t *testing.T) {
	sum := func(s string) string {
		h := sha256.Sum256([]byte(s))
		return base64.StdEncoding.EncodeToString(h[:])
	}
	if got := sum("banana"); got != "tJPUg2Sv5E0RwBZc9HCkFk0eJgmRHvmYvoaNRq3j3k4=" {
		t.Errorf("sha256(banana) = %s", got)
	}
	if got := sum(""); got != emptyHash {
		t.Errorf("sha256('') = %s", got)
	}
	if got, _ := hashBody(nil); got != emptyHash {
		t.Errorf("hashBody(nil) = %s", got)
	}
	if got, _ := hashBody(bytes.NewReader([]byte("banana"))); got != sum("banana") {
		t.Errorf("hashBody(banana) = %s", got)
	}
	key, _ := NewKeyCredential("pw==")
	if got := signature(key.key, "banana"); got != "88EC05aAS9iXnaimtNO78JLjiPtfWryQB/5QYEzEsu8=" {
		t.Errorf("hmac(pw==, banana) = %s", got)
	}
}

func TestStringToSignUsesLiteralNewlinesAndUppercaseMethod(t *testing.T) {
	got := stringToSign("post", "/sms?api-version=2021-03-07", "Wed, 13 Apr 2022 18:09:12 GMT",
		"contoso.communication.azure.com", emptyHash)
	want := "POST\n/sms?api-version=2021-03-07\nWed, 13 Apr 2022 18:09:12 GMT;" +
		"contoso.communication.azure.com;" + emptyHash
	if got != want {
		t.Errorf("stringToSign = %q", got)
	}
}

func TestHMACDatePadsSingleDigitDays(t *testing.T) {
	cred, _ := NewKeyCredential("pw==")
	tr := &captured{}
	day := time.Date(2020, 1, 1, 1, 1, 0, 0, time.FixedZone("CET", 3600))
	pl := runtime.NewPipeline("test", "v0", runtime.PipelineOptions{
		PerRetry: []policy.Policy{newHMACPolicy(cred, func() time.Time { return day })},
	}, &policy.ClientOptions{Transport: tr})
	req, _ := runtime.NewRequest(context.Background(), http.MethodGet, "https://example.com/")
	if _, err := pl.Do(req); err != nil {
		t.Fatal(err)
	}
	if d := tr.req.Header.Get("x-ms-date"); d != "Wed, 01 Jan 2020 00:01:00 GMT" {
		t.Errorf("x-ms-date = %q", d)
	}
}

func BenchmarkHMACSign(b *testing.B) {
	key, _ := NewKeyCredential("pw==")
	body := []byte(`{"from":"+18005550100","smsRecipients":[{"to":"+14255550123",` +
		`"repeatabilityRequestId":"fda6d242-46aa-4247-8bf6-619a1206f9c3",` +
		`"repeatabilityFirstSent":"Wed, 13 Apr 2022 18:09:12 GMT"}],` +
		`"message":"Your code is 123456",` +
		`"smsSendOptions":{"enableDeliveryReport":true,"tag":"okta-otp"}}`)
	r := bytes.NewReader(body)
	b.ReportAllocs()
	for b.Loop() {
		h, _ := hashBody(r)
		_ = signature(key.key, stringToSign("POST", "/sms?api-version=2021-03-07",
			"Wed, 13 Apr 2022 18:09:12 GMT", "contoso.communication.azure.com", h))
	}
}
