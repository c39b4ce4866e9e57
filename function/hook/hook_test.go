package hook

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"okta-acs-sms/function/hookauth"
	"okta-acs-sms/function/okta"
	"okta-acs-sms/function/sms"
)

func TestHookSendsTheTextAndAnswersSuccessful(t *testing.T) {
	s := &fakeSender{}
	h, _ := newHandler(t, s)

	w := post(h, sample(t, nil, nil), testAuth)
	if w.Code != http.StatusOK || w.Header().Get("Content-Type") != "application/json" {
		t.Fatalf("status %d, Content-Type %q", w.Code, w.Header().Get("Content-Type"))
	}
	a := action(t, w.Body.Bytes())
	if a.Status != "SUCCESSFUL" || a.Provider != "ACS" || a.TransactionID != "Outgoing_test_1" {
		t.Errorf("action = %+v", a)
	}
	if !regexp.MustCompile(`^attempts=1;latencyMs=\d+$`).MatchString(a.TransactionMetadata) {
		t.Errorf("transactionMetadata = %q", a.TransactionMetadata)
	}
	want := sms.Message{To: "+15555551212", Body: "Your code is 123456",
		Tag: "uS5871kJThSsU8qlA1LTcg", IdempotencyKey: "uS5871kJThSsU8qlA1LTcg"}
	if got := s.messages(); len(got) != 1 || got[0] != want {
		t.Errorf("sent %+v; want [%+v]", got, want)
	}
}

func TestHookAuthentication(t *testing.T) {
	tests := []struct {
		name, header string
		status       int
	}{
		{"missing", "", http.StatusUnauthorized},
		{"wrong secret", hookauth.BasicHeader(testUser, "wrong"), http.StatusUnauthorized},
		{"old secret", hookauth.BasicHeader(testUser, "old-secret"), http.StatusUnauthorized},
		{"bearer instead of basic", "Bearer abc.def.ghi", http.StatusUnauthorized},
		{"current secret", testAuth, http.StatusOK},
		{"next secret", hookauth.BasicHeader(testUser, testNext), http.StatusOK},
	}
	for _, tt := range tests {
		s := &fakeSender{}
		h, logs := newHandler(t, s)
		w := post(h, sample(t, nil, nil), tt.header)
		if w.Code != tt.status {
			t.Errorf("%s: status %d; want %d", tt.name, w.Code, tt.status)
		}
		if tt.status == http.StatusOK {
			if s.calls.Load() != 1 {
				t.Errorf("%s: %d sends; want 1", tt.name, s.calls.Load())
			}
			continue
		}
		want := `{"error":{"errorSummary":"Unauthorized"}}` + "\n"
		if got := w.Body.String(); got != want {
			t.Errorf("%s: body %s; want %s", tt.name, got, want)
		}
		if s.calls.Load() != 0 {
			t.Errorf("%s: an unauthenticated call sent a text", tt.name)
		}
		if l := logs.lines(t); len(l) != 1 || l[0]["outcome"] != "unauthorized" {
			t.Errorf("%s: log lines %v", tt.name, l)
		}
	}
}

type unavailableAuth struct{}

func (unavailableAuth) Authenticate(*http.Request) error {
	return &hookauth.Error{Reason: hookauth.ReasonKeysUnavailable, Unavailable: true}
}

func TestHookAnswers503WhenAuthenticationIsUnavailable(t *testing.T) {
	s := &fakeSender{}
	h, _ := newHandler(t, s, func(o *Options) { o.Auth = unavailableAuth{} })
	w := post(h, sample(t, nil, nil), "Bearer x")
	if w.Code != http.StatusServiceUnavailable || s.calls.Load() != 0 {
		t.Fatalf("status %d, %d sends; want 503 and none", w.Code, s.calls.Load())
	}
}

func TestHookNeverSendsForVoiceSpellings(t *testing.T) {
	want := `{"error":{"errorSummary":"This provider sends text messages only.","errorCauses":[` +
		`{"errorSummary":"This provider sends text messages only.",` +
		`"reason":"UNSUPPORTED_CHANNEL",` +
		`"locationType":"body","location":"data.messageProfile.deliveryChannel",` +
		`"domain":"external-service"}]}}` + "\n"
	for _, ch := range []any{"CALL", "call", "Voice", "voice call", "VOICE", "Voice Call",
		"SMS ", "whatsapp", "ſms", "SMſ"} {
		s := &fakeSender{}
		h, logs := newHandler(t, s)
		w := post(h, sample(t, map[string]any{"deliveryChannel": ch}, nil), testAuth)
		if ch == "SMS " { // surrounding space is tolerated: still a text
			if s.calls.Load() != 1 {
				t.Errorf("%q: not sent", ch)
			}
			continue
		}
		if w.Code != http.StatusOK || w.Body.String() != want {
			t.Errorf("%q: %d %s; want 200 %s", ch, w.Code, w.Body, want)
		}
		if s.calls.Load() != 0 {
			t.Errorf("%q: a voice request sent an SMS", ch)
		}
		if l := logs.lines(t); len(l) != 1 || l[0]["outcome"] != "refused_voice" {
			t.Errorf("%q: log %v", ch, l)
		}
	}
}

// invalidRequest is the answer to a request that names no delivery channel.
const invalidRequest = `{"error":{"errorSummary":"The verification code could not be sent.",` +
	`"errorCauses":[{"errorSummary":"The verification code could not be sent.",` +
	`"reason":"INVALID_REQUEST","locationType":"body",` +
	`"location":"data.messageProfile.deliveryChannel","domain":"external-service"}]}}` + "\n"

// TestHookAnswersValidJSONOfTheWrongShapeInTheContract checks that only a body that cannot
// be parsed gets an HTTP error: valid JSON with missing parts or wrong types gets 200 and
// the refusal that fits, and never a text.
func TestHookAnswersValidJSONOfTheWrongShapeInTheContract(t *testing.T) {
	noCode := `"reason":"MISSING_OTP_CODE"`
	tests := []struct {
		name, body, want string // want: the exact answer, or a part of it
	}{
		{"empty object", `{}`, invalidRequest},
		{"no data", sample(t, nil, map[string]any{"data": nil}), invalidRequest},
		{"data not an object", sample(t, nil, map[string]any{"data": 5}), invalidRequest},
		{"no deliveryChannel", sample(t, map[string]any{"deliveryChannel": nil}, nil),
			invalidRequest},
		{"empty deliveryChannel", sample(t, map[string]any{"deliveryChannel": " "}, nil),
			invalidRequest},
		{"deliveryChannel a number", sample(t, map[string]any{"deliveryChannel": 1}, nil),
			invalidRequest},
		{"phoneNumber a number", sample(t, map[string]any{"phoneNumber": 15555551212}, nil),
			`"reason":"INVALID_PHONE_NUMBER"`},
	}
	for _, code := range []string{`1.5`, `-12345`, `1e5`, `true`, `{}`, `[]`, `null`} {
		body := strings.Replace(sample(t, nil, nil), `"otpCode":"123456"`, `"otpCode":`+code, 1)
		tests = append(tests, struct{ name, body, want string }{"otpCode " + code, body, noCode})
	}
	for _, tt := range tests {
		s := &fakeSender{}
		h, _ := newHandler(t, s)
		w := post(h, tt.body, testAuth)
		if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), tt.want) {
			t.Errorf("%s: %d %s; want 200 with %s", tt.name, w.Code, w.Body, tt.want)
		}
		if s.calls.Load() != 0 {
			t.Errorf("%s: a text was sent", tt.name)
		}
	}
}

func TestHookSendsForANumericEventID(t *testing.T) {
	s := &fakeSender{}
	h, _ := newHandler(t, s)
	w := post(h, sample(t, nil, map[string]any{"eventId": 0}), testAuth)
	if a := action(t, w.Body.Bytes()); a.Status != "SUCCESSFUL" {
		t.Errorf("action %+v; want SUCCESSFUL", a)
	}
	if m := s.messages(); len(m) != 1 || m[0].Tag != "0" || m[0].IdempotencyKey != "0" {
		t.Errorf("sent %+v; want one text tagged with the eventId 0", m)
	}
}

func TestHookPhoneFormats(t *testing.T) {
	refused := `{"error":{"errorSummary":"The phone number must start with + and the country ` +
		`code.","errorCauses":[{"errorSummary":"The phone number must start with + and the ` +
		`country code.","reason":"INVALID_PHONE_NUMBER","locationType":"body",` +
		`"location":"data.messageProfile.phoneNumber","domain":"external-service"}]}}` + "\n"
	tests := []struct{ in, to string }{
		{"+15555551212", "+15555551212"},
		{"+1 (555) 555-1212", "+15555551212"},
		{"+44 20 7946 0958", "+442079460958"},
		{"+33-1-23-45-67-89", "+33123456789"},
		{"9876543210", ""},   // the preview placeholder: never guessed
		{"15555551212", ""},  // no +
		{"+05555551212", ""}, // no country code starts with 0
		{"+1555", ""},
		{"+1555555121299999", ""},
		{"", ""},
	}
	for _, tt := range tests {
		s := &fakeSender{}
		h, _ := newHandler(t, s)
		w := post(h, sample(t, map[string]any{"phoneNumber": tt.in}, nil), testAuth)
		if tt.to == "" {
			if w.Body.String() != refused || s.calls.Load() != 0 {
				t.Errorf("%q: %s, %d sends; want refused, none", tt.in, w.Body, s.calls.Load())
			}
			continue
		}
		if m := s.messages(); len(m) != 1 || m[0].To != tt.to {
			t.Errorf("%q: sent %+v; want to %s", tt.in, m, tt.to)
		}
	}
}

func TestHookTemplateForms(t *testing.T) {
	long := strings.Repeat("x", 2100) + " 123456"
	tests := []struct {
		name     string
		template any
		code     any
		text     string
		source   string
	}{
		{"rendered", "Your code is 123456", "123456", "Your code is 123456", "template"},
		{"placeholder", "Code: ${otpCode}. Do not share ${otpCode}.", "123456",
			"Code: 123456. Do not share 123456.", "substituted"},
		{"empty", "", "123456", "Your verification code is 123456", "default_empty"},
		{"absent", nil, "123456", "Your verification code is 123456", "default_empty"},
		{"blank", "   ", "123456", "Your verification code is 123456", "default_empty"},
		{"neither code nor placeholder", "Your code is on its way", "123456",
			"Your verification code is 123456", "default_no_code"},
		{"other code", "Your code is 999999", "123456",
			"Your verification code is 123456", "default_no_code"},
		{"too long", long, "123456", "Your verification code is 123456", "default_too_long"},
		{"numeric code", "Your code is 123456", 123456, "Your code is 123456", "template"},
		{"unicode", "Votre code est 123456 ✓", "123456", "Votre code est 123456 ✓", "template"},

		// The code must stand as a token of its own, or the user would read another code.
		{"code inside a longer number", "Your code is 1234567", "1234",
			"Your verification code is 1234", "default_no_code"},
		{"code inside a word", "Code: abc1234", "1234",
			"Your verification code is 1234", "default_no_code"},
		{"code next to punctuation", "Code:123456.", "123456", "Code:123456.", "template"},
		{"code first", "123456 is your code", "123456", "123456 is your code", "template"},
		{"code as a token after a longer number", "Ref 91234, code 1234", "1234",
			"Ref 91234, code 1234", "template"},

		// ACS counts UTF-16 code units: an emoji is two.
		{"too long in UTF-16", strings.Repeat("😀", 2040) + " 123456", "123456",
			"Your verification code is 123456", "default_too_long"},
		{"2048 UTF-16 units", strings.Repeat("é", 2041) + " 123456", "123456",
			strings.Repeat("é", 2041) + " 123456", "template"},
		{"substituted too long in UTF-16", strings.Repeat("😀", 1022) + " ${otpCode}", "123456",
			"Your verification code is 123456", "default_too_long"},
	}
	for _, tt := range tests {
		s := &fakeSender{}
		h, logs := newHandler(t, s)
		post(h, sample(t, map[string]any{"msgTemplate": tt.template, "otpCode": tt.code}, nil),
			testAuth)
		if m := s.messages(); len(m) != 1 || m[0].Body != tt.text {
			t.Errorf("%s: sent %+v; want body %q", tt.name, m, tt.text)
		}
		if l := logs.lines(t); len(l) != 1 || l[0]["text_source"] != tt.source {
			t.Errorf("%s: log %v; want text_source %s", tt.name, l, tt.source)
		}
	}
}

func TestHookRefusesARequestWithoutAUsableCode(t *testing.T) {
	codes := []any{nil, "", "  ", "12 34", strings.Repeat("1", 33), "12\x0034",
		"SMS", "${otpCode}", "\ufeff123456", "１２３４５６", "123456\u202e", "\u202e123456",
		"123", "12345678901", "١٢٣٤٥٦", "12345a", "abcdef", "-12345", "+123456", "12.345",
		"123456\u200b", 123, 12345678901}
	for _, code := range codes {
		s := &fakeSender{}
		h, _ := newHandler(t, s)
		w := post(h, sample(t, map[string]any{"otpCode": code, "msgTemplate": "Code ${otpCode}"},
			nil), testAuth)
		if !strings.Contains(w.Body.String(), `"reason":"MISSING_OTP_CODE"`) || w.Code != 200 {
			t.Errorf("%v: %d %s", code, w.Code, w.Body)
		}
		if s.calls.Load() != 0 {
			t.Errorf("%v: sent a text without a usable code", code)
		}
	}
}

func TestHookSendsCodesOfFourToTenASCIIDigits(t *testing.T) {
	for _, code := range []any{"1234", "11111", "012345", "1234567890", 4321, "  123456 "} {
		s := &fakeSender{}
		h, _ := newHandler(t, s)
		w := post(h, sample(t, map[string]any{"otpCode": code, "msgTemplate": "Code ${otpCode}"},
			nil), testAuth)
		want := "Code " + strings.TrimSpace(fmt.Sprint(code))
		if m := s.messages(); len(m) != 1 || m[0].Body != want {
			t.Errorf("%v: sent %+v (%s); want one text %q", code, m, w.Body, want)
		}
	}
}

func TestHookRejectsWhatIsNotAHookRequest(t *testing.T) {
	tests := []struct {
		name, body, contentType string
		status                  int
	}{
		{"not JSON", "hello", "application/json", http.StatusBadRequest},
		{"truncated JSON", `{"eventId":`, "application/json", http.StatusBadRequest},
		{"JSON array", `[1]`, "application/json", http.StatusBadRequest},
		{"JSON null", `null`, "application/json", http.StatusBadRequest},
		{"JSON string", `"hook"`, "application/json", http.StatusBadRequest},
		{"JSON number", `12`, "application/json", http.StatusBadRequest},
		{"two objects", `{}{}`, "application/json", http.StatusBadRequest},
		{"text/plain", `{}`, "text/plain", http.StatusUnsupportedMediaType},
		{"form", `{}`, "application/x-www-form-urlencoded", http.StatusUnsupportedMediaType},
		{"too large", `{"x":"` + strings.Repeat("a", MaxBodyBytes) + `"}`, "application/json",
			http.StatusRequestEntityTooLarge},
		{"no content type is tolerated", sample(t, nil, nil), "", http.StatusOK},
		{"charset is tolerated", sample(t, nil, nil), "application/json; charset=utf-8",
			http.StatusOK},
	}
	for _, tt := range tests {
		s := &fakeSender{}
		h, _ := newHandler(t, s)
		w := post(h, tt.body, testAuth, "Content-Type", tt.contentType)
		if w.Code != tt.status {
			t.Errorf("%s: status %d; want %d (%s)", tt.name, w.Code, tt.status, w.Body)
		}
		if tt.status != http.StatusOK && (s.calls.Load() != 0 ||
			!strings.HasPrefix(w.Body.String(), `{"error":{"errorSummary":`)) {
			t.Errorf("%s: %d sends, body %s", tt.name, s.calls.Load(), w.Body)
		}
	}
}

func TestHookRepeatedEventIDSendsOnce(t *testing.T) {
	s := &fakeSender{}
	h, logs := newHandler(t, s)
	body := sample(t, nil, nil)

	first := post(h, body, testAuth).Body.String()
	second := post(h, body, testAuth).Body.String()
	other := post(h, sample(t, nil, map[string]any{"eventId": "another"}), testAuth)

	if first != second {
		t.Errorf("repeat answered %s; want the first answer %s", second, first)
	}
	if s.calls.Load() != 2 || other.Code != 200 {
		t.Errorf("%d sends; want 2 (one per distinct eventId)", s.calls.Load())
	}
	l := logs.lines(t)
	if len(l) != 3 || l[0]["duplicate"] != false || l[1]["duplicate"] != true {
		t.Errorf("log lines %v", l)
	}
}

// observedStore reports every Claim before it may block.
type observedStore struct {
	Store
	claims chan string
}

func (o observedStore) Claim(ctx context.Context, id string, ttl time.Duration) (
	Answer, bool, error) {
	o.claims <- id
	return o.Store.Claim(ctx, id, ttl)
}

func TestHookConcurrentRepeatedEventIDWaitsForTheFirstAndSendsOnce(t *testing.T) {
	const n = 8
	release := make(chan struct{})
	s := &fakeSender{fn: func(ctx context.Context, m sms.Message) (sms.Receipt, error) {
		<-release
		return sms.Receipt{MessageID: "Outgoing_only", Provider: "ACS", Attempts: 1}, nil
	}}
	store := observedStore{Store: NewMemoryStore(0), claims: make(chan string, n)}
	h, logs := newHandler(t, s, func(o *Options) { o.Store = store })
	body := sample(t, nil, nil)

	answers := make([]string, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { answers[i] = post(h, body, testAuth).Body.String() })
	}
	for range n {
		<-store.claims // every call has reached the store while the first is in flight
	}
	close(release)
	wg.Wait()

	for i, a := range answers {
		if a != answers[0] || !strings.Contains(a, `"transactionId":"Outgoing_only"`) {
			t.Errorf("answer %d = %s; want %s", i, a, answers[0])
		}
	}
	if s.calls.Load() != 1 {
		t.Errorf("%d sends; want 1", s.calls.Load())
	}
	dups := 0
	for _, l := range logs.lines(t) {
		if l["duplicate"] == true {
			dups++
		}
	}
	if dups != n-1 {
		t.Errorf("%d log lines marked duplicate; want %d", dups, n-1)
	}
}

func TestHookReturnsFailedWhenTheSenderOverrunsTheDeadline(t *testing.T) {
	stuck := make(chan struct{})
	defer close(stuck)
	s := &fakeSender{fn: func(ctx context.Context, m sms.Message) (sms.Receipt, error) {
		<-stuck // ignores ctx, like a broken sender
		return sms.Receipt{}, errors.New("too late")
	}}
	h, _ := newHandler(t, s, func(o *Options) { o.Deadline = 200 * time.Millisecond })

	start := time.Now()
	w := post(h, sample(t, nil, nil), testAuth)
	elapsed := time.Since(start)

	a := action(t, w.Body.Bytes())
	if a.Status != "FAILED" || !strings.HasPrefix(a.TransactionMetadata, "reason=deadline;") {
		t.Errorf("action = %+v; want FAILED for the deadline", a)
	}
	if elapsed >= 200*time.Millisecond {
		t.Errorf("answered after %v; want before the 200ms deadline", elapsed)
	}
}

func TestHookGivesTheSenderADeadlineBeforeTheAnswerIsDue(t *testing.T) {
	var sendBy time.Time
	s := &fakeSender{fn: func(ctx context.Context, m sms.Message) (sms.Receipt, error) {
		d, ok := ctx.Deadline()
		if !ok {
			return sms.Receipt{}, errors.New("no deadline")
		}
		sendBy = d
		<-ctx.Done()
		return sms.Receipt{}, &sms.Error{Kind: sms.KindUnavailable, Attempts: 2, Err: ctx.Err()}
	}}
	h, _ := newHandler(t, s) // default 2.5s deadline, 200ms margin

	before := time.Now()
	a := action(t, post(h, sample(t, nil, nil), testAuth).Body.Bytes())
	after := time.Now()

	// The call started between before and after, and the sender's deadline is 2.3s after it.
	const sendBudget = 2300 * time.Millisecond
	if sendBy.Before(before.Add(sendBudget)) || sendBy.After(after.Add(sendBudget)) {
		t.Errorf("sender deadline %v after the call began; want 2.3s",
			sendBy.Sub(before).Round(time.Millisecond))
	}
	if after.Sub(before) >= DefaultDeadline {
		t.Errorf("answered after %v", after.Sub(before))
	}
	if a.Status != "FAILED" ||
		!strings.HasPrefix(a.TransactionMetadata, "reason=deadline;attempts=2;") {
		t.Errorf("action = %+v", a)
	}
}

type panicAuth struct{}

func (panicAuth) Authenticate(*http.Request) error { panic("boom") }

func TestHookAnswersInContractWhenSomethingPanics(t *testing.T) {
	panicking := &fakeSender{fn: func(context.Context, sms.Message) (sms.Receipt, error) {
		panic("sender exploded")
	}}
	tests := []struct {
		name string
		opt  func(*Options)
	}{
		{"sender", func(o *Options) { o.Sender = panicking }},
		{"authenticator", func(o *Options) { o.Auth = panicAuth{} }},
	}
	for _, tt := range tests {
		h, logs := newHandler(t, &fakeSender{}, tt.opt)
		w := post(h, sample(t, nil, nil), testAuth)
		a := action(t, w.Body.Bytes())
		if w.Code != 200 || a.Status != "FAILED" ||
			!strings.HasPrefix(a.TransactionMetadata, "reason=internal;") {
			t.Errorf("%s: %d %+v; want 200 FAILED internal", tt.name, w.Code, a)
		}
		if l := logs.lines(t); len(l) != 1 || l[0]["outcome"] != "failed_internal" {
			t.Errorf("%s: log %v", tt.name, l)
		}
	}
}

func TestHookAnswersFailedForEachKindOfSendError(t *testing.T) {
	tests := []struct {
		err  error
		meta string
	}{
		{&sms.Error{Kind: sms.KindRejected, Status: 400, Attempts: 1,
			Message: "Invalid To phone number format."}, "reason=rejected;attempts=1;"},
		{&sms.Error{Kind: sms.KindUnavailable, Status: 503, Attempts: 4},
			"reason=unavailable;attempts=4;"},
		{&sms.Error{Kind: sms.KindAuth, Status: 401, Code: "Denied", Attempts: 1},
			"reason=provider_auth;attempts=1;"},
		{errors.New("plain error"), "reason=unavailable;attempts=0;"},
	}
	for _, tt := range tests {
		s := &fakeSender{fn: func(context.Context, sms.Message) (sms.Receipt, error) {
			return sms.Receipt{}, tt.err
		}}
		h, _ := newHandler(t, s)
		a := action(t, post(h, sample(t, nil, nil), testAuth).Body.Bytes())
		if a.Status != "FAILED" || a.Provider != "ACS" || a.TransactionID != "" ||
			!strings.HasPrefix(a.TransactionMetadata, tt.meta) {
			t.Errorf("%v: action %+v; want FAILED %s", tt.err, a, tt.meta)
		}
		if st := statusOf(tt.err); st != 0 &&
			!strings.HasSuffix(a.TransactionMetadata, fmt.Sprintf(";status=%d", st)) {
			t.Errorf("%v: metadata %q lacks the status", tt.err, a.TransactionMetadata)
		}
	}
}

func TestHookLogLineHoldsCorrelationAndNoSecrets(t *testing.T) {
	s := &fakeSender{}
	h, logs := newHandler(t, s)
	post(h, sample(t, map[string]any{"otpCode": "987654", "msgTemplate": "Secret text 987654"},
		nil), testAuth, "X-Azure-Functions-InvocationId", "inv-42")

	l := logs.lines(t)
	if len(l) != 1 {
		t.Fatalf("%d log lines; want 1", len(l))
	}
	want := map[string]any{
		"level": "INFO", "invocation_id": "inv-42", "event_id": "uS5871kJThSsU8qlA1LTcg",
		"request_type": okta.RequestMFAVerification, "phone": "+1555***1212", "outcome": "sent",
		"message_id": "Outgoing_test_1", "attempts": float64(1), "preview": false,
		"duplicate": false, "channel": "SMS", "text_source": "template",
	}
	for k, v := range want {
		if l[0][k] != v {
			t.Errorf("log %s = %v; want %v", k, l[0][k], v)
		}
	}
	if _, ok := l[0]["latency_ms"].(float64); !ok {
		t.Errorf("log lacks latency_ms: %v", l[0])
	}
	all := logs.String()
	for _, secret := range []string{"987654", "Secret text", "5555551212", testSecret,
		testAuth[len("Basic "):]} {
		if strings.Contains(all, secret) {
			t.Errorf("log holds %q: %s", secret, all)
		}
	}
}

func TestHookClipsLongRequestValuesInItsLogLine(t *testing.T) {
	long := strings.Repeat("é", 300)
	h, logs := newHandler(t, &fakeSender{})
	post(h, sample(t, map[string]any{"deliveryChannel": long}, map[string]any{
		"eventId": long, "requestType": long}), testAuth, InvocationHeader, long)
	l := logs.lines(t)
	want := strings.Repeat("é", 50) + "..."
	for _, k := range []string{"event_id", "request_type", "channel", "invocation_id"} {
		if l[0][k] != want {
			t.Errorf("log %s = %q; want %q", k, l[0][k], want)
		}
	}
}

func TestHookMarksAdminPreviewInTheLogAndRefusesItsPlaceholderNumber(t *testing.T) {
	b, err := os.ReadFile("../../sample/request-preview.json")
	if err != nil {
		t.Fatal(err)
	}
	s := &fakeSender{}
	h, logs := newHandler(t, s)
	w := post(h, string(b), testAuth)
	if !strings.Contains(w.Body.String(), `"reason":"INVALID_PHONE_NUMBER"`) ||
		s.calls.Load() != 0 {
		t.Errorf("preview answer %s, %d sends", w.Body, s.calls.Load())
	}
	if l := logs.lines(t); len(l) != 1 || l[0]["preview"] != true || l[0]["phone"] != "***10" {
		t.Errorf("log %v", l)
	}
}

type recorderFunc func(ctx context.Context, s sms.Sent) error

func (f recorderFunc) RecordSent(ctx context.Context, s sms.Sent) error { return f(ctx, s) }

func TestHookRecordsTheSentTextAndIgnoresRecorderErrors(t *testing.T) {
	got := make(chan sms.Sent, 1)
	rec := recorderFunc(func(_ context.Context, s sms.Sent) error {
		got <- s
		return errors.New("table unavailable")
	})
	h, logs := newHandler(t, &fakeSender{}, func(o *Options) { o.Recorder = rec })
	a := action(t, post(h, sample(t, nil, nil), testAuth).Body.Bytes())
	if err := h.Drain(context.Background()); err != nil {
		t.Fatal(err)
	}

	if a.Status != "SUCCESSFUL" {
		t.Errorf("a recorder error changed the answer: %+v", a)
	}
	s := <-got
	if s.MessageID != "Outgoing_test_1" || s.EventID != "uS5871kJThSsU8qlA1LTcg" ||
		s.MaskedTo != "+1555***1212" || s.RequestType != okta.RequestMFAVerification ||
		s.Provider != "ACS" || s.At.IsZero() {
		t.Errorf("recorded %+v", s)
	}
	if !strings.Contains(logs.String(), "record sent text failed") {
		t.Errorf("recorder error not logged: %s", logs)
	}
}

func TestHookDoesNotRecordFailedTexts(t *testing.T) {
	called := false
	rec := recorderFunc(func(context.Context, sms.Sent) error { called = true; return nil })
	s := &fakeSender{fn: func(context.Context, sms.Message) (sms.Receipt, error) {
		return sms.Receipt{}, &sms.Error{Kind: sms.KindRejected}
	}}
	h, _ := newHandler(t, s, func(o *Options) { o.Recorder = rec })
	post(h, sample(t, nil, nil), testAuth)
	if err := h.Drain(context.Background()); err != nil || called {
		t.Errorf("recorder called for a failed text (err %v)", err)
	}
}

func TestNewRequiresAuthAndSender(t *testing.T) {
	if _, err := New(Options{Sender: &fakeSender{}}); err == nil {
		t.Error("New without Auth succeeded")
	}
	if _, err := New(Options{Auth: hookauth.NewBasic("u", "s")}); err == nil {
		t.Error("New without Sender succeeded")
	}
}

// TestHookAnswersEverySampleAsDocumented pins the answer to each file in sample/.
func TestHookAnswersEverySampleAsDocumented(t *testing.T) {
	tests := []struct {
		file, want string // want: the action status, or the error cause's reason
		sends      int
	}{
		{"request.json", "SUCCESSFUL", 1},
		{"request-pre-enrollment.json", "SUCCESSFUL", 1},
		{"request-account-unlock.json", "SUCCESSFUL", 1},
		{"request-password-reset.json", "SUCCESSFUL", 1},
		{"request-voice.json", "UNSUPPORTED_CHANNEL", 0},
		{"request-preview.json", "INVALID_PHONE_NUMBER", 0},
	}
	for _, tt := range tests {
		b, err := os.ReadFile("../../sample/" + tt.file)
		if err != nil {
			t.Fatal(err)
		}
		s := &fakeSender{}
		h, _ := newHandler(t, s)
		w := post(h, string(b), testAuth)
		var r okta.Response
		if err := json.Unmarshal(w.Body.Bytes(), &r); err != nil || w.Code != 200 {
			t.Fatalf("%s: %d %s", tt.file, w.Code, w.Body)
		}
		got := ""
		switch {
		case r.Error != nil && len(r.Error.ErrorCauses) == 1:
			got = r.Error.ErrorCauses[0].Reason
		case len(r.Commands) == 1 && len(r.Commands[0].Value) == 1:
			got = r.Commands[0].Value[0].Status
		}
		if got != tt.want || int(s.calls.Load()) != tt.sends {
			t.Errorf("%s: answer %s, %d sends; want %s, %d", tt.file, w.Body, s.calls.Load(),
				tt.want, tt.sends)
		}
	}
}

func TestFirstSentComesFromARecentEventTimeOnly(t *testing.T) {
	now := time.Date(2026, 12, 4, 17, 0, 0, 500e6, time.UTC)
	tests := []struct {
		eventTime string
		want      time.Time
	}{
		{"2026-12-04T16:59:58.750Z", time.Date(2026, 12, 4, 16, 59, 58, 0, time.UTC)},
		{"2026-12-04T17:59:58+01:00", time.Date(2026, 12, 4, 16, 59, 58, 0, time.UTC)},
		{"2026-12-04T17:00:20.000Z", time.Date(2026, 12, 4, 17, 0, 20, 0, time.UTC)},
		{"2026-12-04T17:05:00.000Z", time.Date(2026, 12, 4, 17, 0, 0, 0, time.UTC)}, // ahead
		{"2026-12-04T16:51:00.000Z", time.Date(2026, 12, 4, 16, 51, 0, 0, time.UTC)},
		{"2026-12-04T16:49:00.000Z", time.Time{}}, // older than 10 minutes
		{"", time.Time{}},
		{"yesterday", time.Time{}},
	}
	for _, tt := range tests {
		req := &okta.Request{EventTime: tt.eventTime}
		if got := firstSent(req, now); !got.Equal(tt.want) {
			t.Errorf("firstSent(%q) = %v; want %v", tt.eventTime, got, tt.want)
		}
	}
}

// countingStore counts the calls that reach the eventId store.
type countingStore struct {
	Store
	claims, completes atomic.Int32
}

func (c *countingStore) Claim(ctx context.Context, id string, ttl time.Duration) (
	Answer, bool, error) {
	c.claims.Add(1)
	return c.Store.Claim(ctx, id, ttl)
}

func (c *countingStore) Complete(id string, a Answer) {
	c.completes.Add(1)
	c.Store.Complete(id, a)
}

// invalidEventID is the answer to a request whose eventId cannot be Okta's.
const invalidEventID = `{"error":{"errorSummary":"The verification code could not be sent.",` +
	`"errorCauses":[{"errorSummary":"The verification code could not be sent.",` +
	`"reason":"INVALID_REQUEST","locationType":"body","location":"eventId",` +
	`"domain":"external-service"}]}}` + "\n"

func TestHookRefusesAnEventIDOktaNeverSendsWithoutSendingOrStoring(t *testing.T) {
	tests := []struct{ name, id, logged string }{
		{"60 KB", strings.Repeat("a", 60<<10), strings.Repeat("a", 100) + "..."},
		{"129 bytes", strings.Repeat("b", 129), strings.Repeat("b", 100) + "..."},
		{"NUL", "ev\x00id", "ev?id"},
		{"escape", "ev\x1b[2Jid", "ev?[2Jid"},
		{"newline", "ev\nid", "ev?id"},
		{"DEL", "ev\x7fid", "ev?id"},
		{"right-to-left override", "ev\u202eid", "ev?id"},
		{"non-ASCII letter", "évent", "évent"},
		{"space", "ev id", "ev id"},
	}
	for _, tt := range tests {
		s := &fakeSender{}
		store := &countingStore{Store: NewMemoryStore(0)}
		var recorded atomic.Int32
		h, logs := newHandler(t, s, func(o *Options) {
			o.Store = store
			o.Recorder = recorderFunc(func(context.Context, sms.Sent) error {
				recorded.Add(1)
				return nil
			})
		})
		w := post(h, sample(t, nil, map[string]any{"eventId": tt.id}), testAuth)
		if w.Code != http.StatusOK || w.Body.String() != invalidEventID {
			t.Errorf("%s: %d %s; want 200 %s", tt.name, w.Code, w.Body, invalidEventID)
		}
		if s.calls.Load() != 0 || store.claims.Load() != 0 || store.completes.Load() != 0 ||
			recorded.Load() != 0 {
			t.Errorf("%s: %d sends, %d claims, %d completes, %d records; want none",
				tt.name, s.calls.Load(), store.claims.Load(), store.completes.Load(),
				recorded.Load())
		}
		l := logs.lines(t)
		if len(l) != 1 || l[0]["event_id"] != tt.logged || l[0]["outcome"] != "refused_request" {
			t.Errorf("%s: log %v; want event_id %q, outcome refused_request", tt.name, l,
				tt.logged)
		}
	}
}

func TestHookSendsForAnEventIDOfTheLongestAcceptedLength(t *testing.T) {
	id := strings.Repeat("x", MaxEventIDLen-1) + "~"
	s := &fakeSender{}
	h, _ := newHandler(t, s)
	w := post(h, sample(t, nil, map[string]any{"eventId": id}), testAuth)
	if a := action(t, w.Body.Bytes()); a.Status != "SUCCESSFUL" {
		t.Errorf("action %+v; want SUCCESSFUL", a)
	}
	if m := s.messages(); len(m) != 1 || m[0].Tag != id || m[0].IdempotencyKey != id {
		t.Errorf("sent %+v; want one text tagged with the eventId", m)
	}
}

func TestHookCleansRequestValuesInItsLogLineAndSentRecord(t *testing.T) {
	s := &fakeSender{}
	got := make(chan sms.Sent, 1)
	h, logs := newHandler(t, s, func(o *Options) {
		o.Recorder = recorderFunc(func(_ context.Context, sent sms.Sent) error {
			got <- sent
			return nil
		})
	})
	body := sample(t, nil, map[string]any{"requestType": "mfa\x1b[31m\u202e" +
		strings.Repeat("r", 200)})
	body = strings.Replace(body, `"reqRgSk8IBBRhuo0YdlEDTmUw"`, `"req`+`\u0000\n`+
		strings.Repeat("q", 200)+`"`, 1)
	post(h, body, testAuth, InvocationHeader, "inv\x7f\u2028"+strings.Repeat("i", 200))
	if err := h.Drain(context.Background()); err != nil {
		t.Fatal(err)
	}

	l := logs.lines(t)
	want := map[string]string{
		"request_type":    "mfa?[31m?" + strings.Repeat("r", 91) + "...",
		"okta_request_id": "req??" + strings.Repeat("q", 95) + "...",
		"invocation_id":   "inv??" + strings.Repeat("i", 95) + "...",
	}
	for k, v := range want {
		if len(l) != 1 || l[0][k] != v {
			t.Errorf("log %s = %q; want %q", k, l[0][k], v)
		}
	}
	if sent := <-got; sent.RequestType != want["request_type"] {
		t.Errorf("recorded requestType %q; want %q", sent.RequestType, want["request_type"])
	}
}
