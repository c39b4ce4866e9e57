package hooks

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"okta-acs-sms/okta-setup/internal/oktatest"
)

const (
	testToken  = "00fakeApiToken"
	testURI    = "https://func-acs-sms.azurewebsites.net/api/telephony"
	testSecret = "Basic b2t0YTpzM2NyZXQ=" // okta:s3cret
)

func newTestClient(t *testing.T, srv *oktatest.Server) *Client {
	t.Helper()
	c, err := New(Options{OrgURL: srv.URL, Credentials: Credentials{APIToken: testToken},
		HTTPClient: srv.Client()})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func basicSpec(name string) Spec {
	return Spec{Name: name, URI: testURI,
		Auth:    Header{Key: "Authorization", Value: testSecret},
		Headers: []Header{{Key: "x-functions-key", Value: "fk-123"}}}
}

// wantConfig is the channel config Okta must have received.
func wantConfig(secret string) map[string]interface{} {
	return map[string]interface{}{
		"uri": testURI, "method": "POST",
		"authScheme": map[string]interface{}{"type": "HEADER", "key": "Authorization",
			"value": secret},
		"headers": []interface{}{map[string]interface{}{"key": "x-functions-key",
			"value": "fk-123"}},
	}
}

func sentConfig(t *testing.T, h oktatest.Hook) map[string]interface{} {
	t.Helper()
	ch := h.Body["channel"].(map[string]interface{})
	if ch["type"] != "HTTP" || ch["version"] != "1.0.0" {
		t.Errorf("channel = %v; want type HTTP version 1.0.0", ch)
	}
	if h.Body["type"] != TelephonyType || h.Body["version"] != "1.0.0" {
		t.Errorf("hook type/version = %v/%v", h.Body["type"], h.Body["version"])
	}
	return ch["config"].(map[string]interface{})
}

func TestRegisterCreatesActiveHookWithURIAndSecret(t *testing.T) {
	srv := oktatest.New(t, testToken)
	c := newTestClient(t, srv)

	reg, err := c.Register(context.Background(), basicSpec("ACS SMS"), false)
	if err != nil {
		t.Fatal(err)
	}

	if !reg.Created || reg.Hook.Status != StatusActive || reg.Hook.URI != testURI ||
		reg.Hook.ID != "cal0001TEST" || reg.Hook.AuthScheme != "HEADER Authorization" {
		t.Errorf("registration = %+v", reg)
	}
	wantCalls := []string{"GET /api/v1/inlineHooks", "POST /api/v1/inlineHooks"}
	if got := srv.Calls(); !reflect.DeepEqual(got, wantCalls) {
		t.Errorf("calls = %q; want %q", got, wantCalls)
	}
	for _, r := range srv.Requests() {
		if r.Authorization != "SSWS "+testToken {
			t.Errorf("%s %s: Authorization = %q", r.Method, r.Path, r.Authorization)
		}
	}
	if q := srv.Requests()[0].RawQuery; q != "type=com.okta.telephony.provider" {
		t.Errorf("list query = %q", q)
	}
	hooks := srv.Hooks()
	if got := sentConfig(t, hooks[0]); !reflect.DeepEqual(got, wantConfig(testSecret)) {
		t.Errorf("config = %v; want %v", got, wantConfig(testSecret))
	}
}

func TestRegisterReplacesSameNamedHookResendingSecret(t *testing.T) {
	srv := oktatest.New(t, testToken)
	id := srv.AddHook("ACS SMS", StatusActive, "https://old.example.net/api/telephony")
	c := newTestClient(t, srv)

	spec := basicSpec("ACS SMS")
	spec.Auth.Value = "Basic bmV3Om5ldw==" // a rotated secret
	reg, err := c.Register(context.Background(), spec, false)
	if err != nil {
		t.Fatal(err)
	}

	if reg.Created || reg.Hook.ID != id || reg.Hook.Status != StatusActive {
		t.Errorf("registration = %+v; want hook %s replaced and active", reg, id)
	}
	wantCalls := []string{"GET /api/v1/inlineHooks", "PUT /api/v1/inlineHooks/" + id}
	if got := srv.Calls(); !reflect.DeepEqual(got, wantCalls) {
		t.Errorf("calls = %q; want %q", got, wantCalls)
	}
	got := sentConfig(t, srv.Hooks()[0])
	if !reflect.DeepEqual(got, wantConfig("Basic bmV3Om5ldw==")) {
		t.Errorf("config after replace = %v", got)
	}
}

func TestRegisterActivatesReplacedInactiveHook(t *testing.T) {
	srv := oktatest.New(t, testToken)
	id := srv.AddHook("ACS SMS", StatusInactive, testURI)
	c := newTestClient(t, srv)

	reg, err := c.Register(context.Background(), basicSpec("ACS SMS"), false)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"GET /api/v1/inlineHooks", "PUT /api/v1/inlineHooks/" + id,
		"POST /api/v1/inlineHooks/" + id + "/lifecycle/activate"}
	if got := srv.Calls(); !reflect.DeepEqual(got, want) || reg.Hook.Status != StatusActive {
		t.Errorf("calls = %q, status %s; want %q, ACTIVE", got, reg.Hook.Status, want)
	}
}

func TestRegisterRefusesWhenAnotherHookIsActive(t *testing.T) {
	srv := oktatest.New(t, testToken)
	other := srv.AddHook("Twilio", StatusActive, "https://twilio.example.net/hook")
	c := newTestClient(t, srv)

	_, err := c.Register(context.Background(), basicSpec("ACS SMS"), false)

	var conflict *ActiveConflictError
	if !errors.As(err, &conflict) || len(conflict.Active) != 1 || conflict.Active[0].ID != other {
		t.Fatalf("err = %v; want ActiveConflictError naming %s", err, other)
	}
	wantMsg := `another telephony hook is active: "Twilio" (` + other + `); Okta allows ` +
		`only one active telephony hook per org`
	if err.Error() != wantMsg {
		t.Errorf("err = %q; want %q", err, wantMsg)
	}
	if got := srv.Calls(); !reflect.DeepEqual(got, []string{"GET /api/v1/inlineHooks"}) {
		t.Errorf("calls = %q; want only the list", got)
	}
}

func TestRegisterWithForceDeactivatesOtherHookFirst(t *testing.T) {
	srv := oktatest.New(t, testToken)
	other := srv.AddHook("Twilio", StatusActive, "https://twilio.example.net/hook")
	c := newTestClient(t, srv)

	reg, err := c.Register(context.Background(), basicSpec("ACS SMS"), true)
	if err != nil {
		t.Fatal(err)
	}

	want := []string{"GET /api/v1/inlineHooks",
		"POST /api/v1/inlineHooks/" + other + "/lifecycle/deactivate",
		"POST /api/v1/inlineHooks"}
	if got := srv.Calls(); !reflect.DeepEqual(got, want) {
		t.Errorf("calls = %q; want %q", got, want)
	}
	if len(reg.Deactivated) != 1 || reg.Deactivated[0].ID != other ||
		reg.Hook.Status != StatusActive {
		t.Errorf("registration = %+v", reg)
	}
	status := map[string]string{}
	for _, h := range srv.Hooks() {
		status[h.Name] = h.Status
	}
	if want := map[string]string{"Twilio": "INACTIVE", "ACS SMS": "ACTIVE"}; !reflect.DeepEqual(
		status, want) {
		t.Errorf("statuses = %v; want %v", status, want)
	}
}

func TestRegisterWithForceReactivatesOtherHookWhenCreateFails(t *testing.T) {
	srv := oktatest.New(t, testToken)
	other := srv.AddHook("Twilio", StatusActive, "https://twilio.example.net/hook")
	srv.FailNext("POST", "/api/v1/inlineHooks", oktatest.Fault{Status: 400,
		Code: "E0000001", Summary: "Api validation failed: channel",
		Causes: []string{"uri: Okta could not reach the URI"}})
	c := newTestClient(t, srv)

	_, err := c.Register(context.Background(), basicSpec("ACS SMS"), true)

	want := `create hook: Okta answered 400 E0000001: Api validation failed: channel ` +
		`(uri: Okta could not reach the URI) [request id req-fake-3]; re-activated "Twilio" (` +
		other + `)`
	if err == nil || err.Error() != want {
		t.Errorf("err = %v;\nwant %s", err, want)
	}
	if h := srv.Hooks()[0]; h.Status != StatusActive {
		t.Errorf("Twilio status = %s; want ACTIVE again", h.Status)
	}
}

func TestRemoveRefusesActiveHook(t *testing.T) {
	srv := oktatest.New(t, testToken)
	id := srv.AddHook("ACS SMS", StatusActive, testURI)
	c := newTestClient(t, srv)

	h, err := c.Find(context.Background(), "", "ACS SMS")
	if err != nil {
		t.Fatal(err)
	}
	err = c.Remove(context.Background(), h)

	if !errors.Is(err, ErrActive) {
		t.Errorf("err = %v; want ErrActive", err)
	}
	for _, call := range srv.Calls() {
		if strings.HasPrefix(call, "DELETE") {
			t.Errorf("sent %s for active hook %s", call, id)
		}
	}
}

func TestRemoveDeletesInactiveHook(t *testing.T) {
	srv := oktatest.New(t, testToken)
	id := srv.AddHook("ACS SMS", StatusInactive, testURI)
	c := newTestClient(t, srv)

	h, err := c.Find(context.Background(), id, "")
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Remove(context.Background(), h); err != nil {
		t.Fatal(err)
	}
	if n := len(srv.Hooks()); n != 0 {
		t.Errorf("%d hooks left; want 0", n)
	}
}

func TestRedactedJSONHidesEverySecret(t *testing.T) {
	spec := basicSpec("ACS SMS")
	b, err := RedactedJSON(spec.InlineHook())
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]interface{}
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	cfg := got["channel"].(map[string]interface{})["config"]
	want := wantConfig(Redacted)
	want["headers"] = []interface{}{map[string]interface{}{"key": "x-functions-key",
		"value": Redacted}}
	if !reflect.DeepEqual(cfg, want) {
		t.Errorf("redacted config = %v; want %v", cfg, want)
	}

	spec.OAuth = &OAuth{ClientID: "0oa1", TokenURL: "https://acme.okta.com/oauth2/default/v1/token",
		Scope: "okta.hooks", ClientSecret: "client-secret-value"}
	b, err = RedactedJSON(spec.InlineHook())
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), "client-secret-value") ||
		strings.Contains(string(b), "fk-123") ||
		!strings.Contains(string(b), `"clientSecret": "[REDACTED]"`) {
		t.Errorf("OAuth body not redacted:\n%s", b)
	}
}

func TestAPIErrorsCarryCodeSummaryAndRequestID(t *testing.T) {
	tests := []struct {
		name  string
		token string
		fault *oktatest.Fault
		want  string
	}{
		{"401 wrong token", "00wrong", nil, "list telephony hooks: Okta answered 401 " +
			"E0000011: Invalid token provided [request id req-fake-1]"},
		{"403 not allowed", testToken, &oktatest.Fault{Status: http.StatusForbidden,
			Code:    "E0000006",
			Summary: "You do not have permission to perform the requested action"},
			"list telephony hooks: Okta answered 403 E0000006: You do not have permission " +
				"to perform the requested action [request id req-fake-1]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := oktatest.New(t, testToken)
			if tt.fault != nil {
				srv.FailNext("GET", "/api/v1/inlineHooks", *tt.fault)
			}
			c, err := New(Options{OrgURL: srv.URL, Credentials: Credentials{APIToken: tt.token},
				HTTPClient: srv.Client()})
			if err != nil {
				t.Fatal(err)
			}
			_, err = c.List(context.Background())
			var apiErr *APIError
			if !errors.As(err, &apiErr) || err.Error() != tt.want {
				t.Errorf("err = %v;\nwant %s", err, tt.want)
			}
		})
	}
}

func TestPlanRegister(t *testing.T) {
	ours := Hook{ID: "cal1", Name: "ACS SMS", Status: StatusInactive}
	oursActive := Hook{ID: "cal1", Name: "ACS SMS", Status: StatusActive}
	other := Hook{ID: "cal2", Name: "Twilio", Status: StatusActive}
	idle := Hook{ID: "cal3", Name: "Old", Status: StatusInactive}
	tests := []struct {
		name     string
		hooks    []Hook
		force    bool
		want     Plan
		conflict bool
	}{
		{"empty org: create", nil, false, Plan{}, false},
		{"ours active: replace", []Hook{oursActive, idle}, false,
			Plan{Existing: &oursActive}, false},
		{"ours inactive, other active: refuse", []Hook{ours, other}, false, Plan{}, true},
		{"ours inactive, other active, force", []Hook{ours, other}, true,
			Plan{Existing: &ours, Deactivate: []Hook{other}}, false},
		{"other active, force: create", []Hook{other, idle}, true,
			Plan{Deactivate: []Hook{other}}, false},
	}
	for _, tt := range tests {
		got, err := PlanRegister(tt.hooks, "ACS SMS", tt.force)
		var conflict *ActiveConflictError
		if !reflect.DeepEqual(got, tt.want) || errors.As(err, &conflict) != tt.conflict {
			t.Errorf("%s: plan %+v, err %v; want %+v, conflict %v", tt.name, got, err,
				tt.want, tt.conflict)
		}
	}
}
