package acstest_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/tls"
	"encoding/base64"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"okta-acs-sms/function/acs/acstest"
	"okta-acs-sms/function/sms"
)

const validBody = `{"from":"+18005550100","smsRecipients":[{"to":"+14255550123",` +
	`"repeatabilityRequestId":"fda6d242-46aa-4247-8bf6-619a1206f9c3",` +
	`"repeatabilityFirstSent":"Wed, 13 Apr 2022 18:09:12 GMT"}],` +
	`"message":"Your code is 123456","smsSendOptions":{"enableDeliveryReport":true,"tag":"t"}}`

// post sends body to the fake, signed with key over signedBody at date (HMAC mode), or with
// the bearer token when key is empty. It returns the status and body of the answer.
func post(t *testing.T, srv *acstest.Server, target, key, date, body, signedBody string,
	token string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, srv.Endpoint()+target, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if key != "" {
		sum := sha256.Sum256([]byte(signedBody))
		hash := base64.StdEncoding.EncodeToString(sum[:])
		k, _ := base64.StdEncoding.DecodeString(key)
		m := hmac.New(sha256.New, k)
		m.Write([]byte("POST\n" + req.URL.RequestURI() + "\n" + date + ";" + req.URL.Host +
			";" + hash))
		req.Header.Set("x-ms-date", date)
		req.Header.Set("x-ms-content-sha256", hash)
		req.Header.Set("Authorization", "HMAC-SHA256 SignedHeaders=x-ms-date;host;"+
			"x-ms-content-sha256&Signature="+base64.StdEncoding.EncodeToString(m.Sum(nil)))
	}
	resp, err := srv.Transport().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestFakeEnforcesTheProtocol(t *testing.T) {
	now := time.Now().UTC().Format(http.TimeFormat)
	stale := time.Now().Add(-time.Hour).UTC().Format(http.TimeFormat)
	const path = "/sms?api-version=2021-03-07"
	tests := []struct {
		name, target, date, body, signed string
		status                           int
		want                             string // substring of the answer
	}{
		{"valid", path, now, validBody, validBody, 202, `"successful":true`},
		{"body differs from hash", path, now, validBody + " ", validBody, 401,
			`{"error":{"code":"Denied","message":"Request 'x-ms-content-sha256' differs`},
		{"stale date", path, stale, validBody, validBody, 401, "too far from the server time"},
		{"no api-version", "/sms", now, validBody, validBody, 400, "UnsupportedApiVersion"},
		{"old api-version", "/sms?api-version=2020-07-20-preview1", now, validBody, validBody,
			400, "UnsupportedApiVersion"},
		{"wrong path", "/sms/x?api-version=2021-03-07", now, validBody, validBody, 404, "NotFound"},
		{"not JSON", path, now, "text", "text", 400, "not valid JSON"},
		{"no message", path, now, strings.Replace(validBody, `"message":"Your code is 123456",`,
			"", 1), "", 400, `{"Message":["The Message field is required."]}`},
		{"message over 2048 UTF-16 units", path, now, strings.Replace(validBody,
			"Your code is 123456", strings.Repeat("😀", 1022)+" 123456", 1), "", 400,
			`{"Message":["The Message field has more than 2048 characters."]}`},
		{"bad from", path, now, strings.Replace(validBody, "+18005550100", "+1800555010012345",
			1), "", 400, `{"From":["Invalid from phone number format."]}`},
		{"no delivery report flag", path, now, strings.Replace(validBody,
			`"enableDeliveryReport":true,`, "", 1), "", 400, "EnableDeliveryReport"},
		{"bad to", path, now, strings.Replace(validBody, "+14255550123", "14255550123", 1), "",
			202, `"httpStatusCode":400,"errorMessage":"Invalid To phone number format."`},
		{"first-sent not RFC1123", path, now, strings.Replace(validBody,
			"Wed, 13 Apr 2022 18:09:12 GMT", "2022-04-13T18:09:12Z", 1), "", 202,
			`"repeatabilityResult":"rejected"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := acstest.NewServer(t)
			signed := tt.signed
			if signed == "" {
				signed = tt.body
			}
			status, body := post(t, srv, tt.target, srv.AccessKey(), tt.date, tt.body, signed, "")
			if status != tt.status || !strings.Contains(body, tt.want) {
				t.Errorf("answer %d %s; want %d containing %s", status, body, tt.status, tt.want)
			}
			wantTexts := 0
			if tt.name == "valid" {
				wantTexts = 1
			}
			if n := srv.TextsSent(); n != wantTexts {
				t.Errorf("texts sent = %d; want %d", n, wantTexts)
			}
		})
	}
}

func TestFakeRejectsASignatureMadeWithAnotherKey(t *testing.T) {
	srv := acstest.NewServer(t)
	now := time.Now().UTC().Format(http.TimeFormat)
	status, body := post(t, srv, "/sms?api-version=2021-03-07", "b3RoZXIta2V5", now,
		validBody, validBody, "")
	if status != 401 || !strings.Contains(body, `"code":"Denied"`) {
		t.Errorf("answer %d %s", status, body)
	}
}

func TestFakeInBearerModeRequiresTheToken(t *testing.T) {
	srv := acstest.NewServer(t, acstest.WithBearer("tok"))
	for _, tt := range []struct {
		token  string
		status int
	}{{"tok", 202}, {"other", 401}, {"", 401}} {
		if status, body := post(t, srv, "/sms?api-version=2021-03-07", "", "", validBody, "",
			tt.token); status != tt.status {
			t.Errorf("token %q: answer %d %s; want %d", tt.token, status, body, tt.status)
		}
	}
}

func TestFakeAnswersARepeatWithTheFirstMessageIDAndCountsOneText(t *testing.T) {
	srv := acstest.NewServer(t, acstest.WithMaxClockSkew(0))
	date := time.Now().UTC().Format(http.TimeFormat)
	ids := map[string]bool{}
	bodies := []string{validBody, validBody,
		strings.Replace(validBody, "18:09:12 GMT", "18:09:13 GMT", 1)}
	for _, b := range bodies {
		status, answer := post(t, srv, "/sms?api-version=2021-03-07", srv.AccessKey(), date,
			b, b, "")
		var r struct{ Value []struct{ MessageID string } }
		if err := json.Unmarshal([]byte(answer), &r); status != 202 || err != nil ||
			len(r.Value) != 1 {
			t.Fatalf("answer %d %s", status, answer)
		}
		ids[r.Value[0].MessageID] = true
	}
	// The exact repeat is one text; the changed first-sent time makes a second one.
	if len(ids) != 2 || srv.TextsSent() != 2 {
		t.Errorf("message ids %v, texts sent %d; want 2 and 2", ids, srv.TextsSent())
	}
}

func TestFakePlaysQueuedFaultsInOrderAndRecordsThem(t *testing.T) {
	srv := acstest.NewServer(t)
	c := srv.NewClient(t, "+18005550100", nil)
	srv.Fail(acstest.InternalError(), acstest.ThrottledMillis(1))

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if _, err := c.Send(ctx, sms.Message{To: "+14255550123", Body: "x"}); err != nil {
		t.Fatal(err)
	}
	reqs := srv.Requests()
	got := []string{}
	for _, r := range reqs {
		got = append(got, r.Fault+"/"+http.StatusText(r.Status))
	}
	want := "500/Internal Server Error throttled-ms/Too Many Requests /Accepted"
	if strings.Join(got, " ") != want {
		t.Errorf("requests = %v; want %s", got, want)
	}
}

func TestFakeCloseEndsAHangingOrSlowRequest(t *testing.T) {
	for _, f := range []acstest.Fault{acstest.Hang(), acstest.Slow(time.Minute)} {
		srv := acstest.NewServer(t)
		srv.Fail(f)
		done := make(chan error, 1)
		c := srv.NewClient(t, "+18005550100", nil)
		go func() {
			_, err := c.Send(context.Background(), sms.Message{To: "+14255550123", Body: "x"})
			done <- err
		}()
		waitForRequests(t, srv, 1)

		start := time.Now()
		srv.Close()
		if d := time.Since(start); d > time.Second {
			t.Errorf("%v: Close took %v", f, d)
		}
		select {
		case err := <-done:
			if err == nil {
				t.Errorf("%v: Send succeeded against a closed fake", f)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("%v: Send still blocked after Close", f)
		}
		if n := srv.TextsSent(); n != 0 {
			t.Errorf("%v: texts sent = %d; want 0", f, n)
		}
	}
}

func TestFakeSlowAnswerCountsTheTextEvenWhenTheClientGaveUp(t *testing.T) {
	srv := acstest.NewServer(t)
	srv.Fail(acstest.Slow(300 * time.Millisecond))
	c := srv.NewClient(t, "+18005550100", nil)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if _, err := c.Send(ctx, sms.Message{To: "+14255550123", Body: "x"}); err == nil {
		t.Fatal("Send succeeded before the slow answer")
	}
	deadline := time.Now().Add(5 * time.Second)
	for srv.TextsSent() != 1 || srv.Requests()[0].Status == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("texts sent = %d; want 1 once the slow answer is due", srv.TextsSent())
		}
		time.Sleep(5 * time.Millisecond)
	}
	if r := srv.Requests(); len(r) != 1 || r[0].Status != http.StatusAccepted ||
		r[0].Fault != "slow-300ms" {
		t.Errorf("requests = %+v; want one slow 202", r)
	}
}

func TestFakeHangsTheNextHandshakesUntilClose(t *testing.T) {
	srv := acstest.NewServer(t)
	srv.HangHandshakes(1)

	// The first TCP connection is open (queued to be accepted) before the second is dialled,
	// so it is the one that hangs.
	first, err := net.Dial("tcp", host(t, srv))
	if err != nil {
		t.Fatal(err)
	}
	defer first.Close()
	hung := make(chan error, 1)
	go func() {
		// No deadline: only Close can end this handshake.
		hung <- tls.Client(first, clientTLS(srv)).HandshakeContext(context.Background())
	}()

	// The next connection is served normally, while the first still hangs.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	d := tls.Dialer{Config: clientTLS(srv)}
	second, err := d.DialContext(ctx, "tcp", host(t, srv))
	if err != nil {
		t.Fatalf("second handshake: %v", err)
	}
	second.Close()
	select {
	case err := <-hung:
		t.Fatalf("the hanging handshake ended before Close: %v", err)
	default:
	}
	if n := srv.Connections(); n != 2 {
		t.Errorf("connections = %d; want 2", n)
	}

	srv.Close()
	select {
	case err := <-hung:
		if err == nil {
			t.Error("the hanging handshake succeeded")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the hanging handshake still blocked after Close")
	}
	if n := len(srv.Requests()); n != 0 {
		t.Errorf("fake saw %d requests; want 0", n)
	}
}

func host(t *testing.T, srv *acstest.Server) string {
	t.Helper()
	u, err := url.Parse(srv.Endpoint())
	if err != nil {
		t.Fatal(err)
	}
	return u.Host
}

// clientTLS is the TLS configuration of the fake's own client: it trusts the fake.
func clientTLS(srv *acstest.Server) *tls.Config {
	tr := srv.Transport().(*http.Client).Transport.(*http.Transport)
	c := tr.TLSClientConfig.Clone()
	c.ServerName = "example.com" // the name httptest's certificate holds
	return c
}

// waitForRequests polls until the fake has seen n requests (it has no hook to wait on).
func waitForRequests(t *testing.T, srv *acstest.Server, n int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for len(srv.Requests()) < n {
		if time.Now().After(deadline) {
			t.Fatalf("fake saw %d requests; want %d", len(srv.Requests()), n)
		}
		time.Sleep(time.Millisecond)
	}
}

func TestFakeMessageIDsLookLikeACS(t *testing.T) {
	at := time.Date(2022, 4, 21, 14, 59, 11, 0, time.UTC)
	srv := acstest.NewServer(t, acstest.WithClock(func() time.Time { return at }),
		acstest.WithMaxClockSkew(0))
	c := srv.NewClient(t, "+18005550100", nil)
	r, err := c.Send(context.Background(), sms.Message{To: "+14255550123", Body: "x"})
	if err != nil {
		t.Fatal(err)
	}
	id := r.MessageID
	if len(id) != len("Outgoing_20220421145911")+36+len("_noam") ||
		!strings.HasPrefix(id, "Outgoing_20220421145911") || !strings.HasSuffix(id, "_noam") {
		t.Errorf("message id = %q", id)
	}
	if _, err := url.Parse(id); err != nil {
		t.Error(err)
	}
}
