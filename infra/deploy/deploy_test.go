package deploy

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
)

// fakeCredential hands out a fixed token and records the scopes asked for; no test ever
// builds a real azidentity credential.
type fakeCredential struct {
	mu     sync.Mutex
	scopes []string
	err    error
}

func (f *fakeCredential) GetToken(_ context.Context,
	o policy.TokenRequestOptions) (azcore.AccessToken, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.scopes = append(f.scopes, o.Scopes...)
	if f.err != nil {
		return azcore.AccessToken{}, f.err
	}
	return azcore.AccessToken{Token: "test-token", ExpiresOn: time.Now().Add(time.Hour)}, nil
}

// reply is one scripted HTTP answer.
type reply struct {
	code   int
	header map[string]string
	body   string
}

const testAppID = "/subscriptions/sub/resourceGroups/rg/providers/Microsoft.Web/sites/func-x"

// kudu plays the SCM site (OneDeploy and deployment records) and ARM's function list on
// loopback. It enforces the request shapes and answers from per-route scripts; the last
// reply of a script repeats.
type kudu struct {
	t         *testing.T
	mu        sync.Mutex
	publish   []reply
	records   map[string][]reply // by deployment id ("latest" too)
	functions []reply
	posts     [][]byte
	gets      []string
}

func newKudu(t *testing.T) (*kudu, *httptest.Server) {
	k := &kudu{t: t, records: map[string][]reply{}}
	srv := httptest.NewServer(http.HandlerFunc(k.serve))
	t.Cleanup(srv.Close)
	return k, srv
}

func (k *kudu) serve(w http.ResponseWriter, r *http.Request) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if r.Header.Get("Authorization") != "Bearer test-token" {
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	switch {
	case r.Method == http.MethodPost && r.URL.Path == "/api/publish":
		if r.URL.Query().Get("RemoteBuild") != "false" ||
			r.Header.Get("Content-Type") != "application/zip" {
			http.Error(w, "bad publish request", http.StatusBadRequest)
			return
		}
		body, _ := io.ReadAll(r.Body)
		k.posts = append(k.posts, body)
		k.write(w, &k.publish)
	case r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, "/api/deployments/"):
		k.gets = append(k.gets, r.URL.Path)
		id := strings.TrimPrefix(r.URL.Path, "/api/deployments/")
		script := k.records[id]
		if len(script) == 0 {
			http.NotFound(w, r)
			return
		}
		k.write(w, &script)
		k.records[id] = script
	case r.Method == http.MethodGet && r.URL.Path == testAppID+"/functions":
		if r.URL.Query().Get("api-version") != "2024-04-01" {
			http.Error(w, "no api-version", http.StatusBadRequest)
			return
		}
		k.gets = append(k.gets, r.URL.Path)
		k.write(w, &k.functions)
	default:
		http.NotFound(w, r)
	}
}

func (k *kudu) write(w http.ResponseWriter, script *[]reply) {
	if len(*script) == 0 {
		k.t.Errorf("kudu: no scripted reply left")
		w.WriteHeader(http.StatusInternalServerError)
		return
	}
	rp := (*script)[0]
	if len(*script) > 1 {
		*script = (*script)[1:]
	}
	for h, v := range rp.header {
		w.Header().Set(h, v)
	}
	w.WriteHeader(rp.code)
	_, _ = io.WriteString(w, rp.body)
}

func record(id string, status int, complete bool, text string) reply {
	b, _ := json.Marshal(Deployment{ID: id, Status: status, Complete: complete, StatusText: text})
	return reply{code: http.StatusOK, body: string(b)}
}

func accepted(id string) reply {
	return reply{code: http.StatusAccepted, header: map[string]string{"SCM-DEPLOYMENT-ID": id}}
}

// sleeps records the publisher's waits and returns at once.
type sleeps struct {
	mu sync.Mutex
	d  []time.Duration
}

func (s *sleeps) sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	s.d = append(s.d, d)
	s.mu.Unlock()
	return ctx.Err()
}

func (s *sleeps) count(d time.Duration) int {
	n := 0
	for _, v := range s.d {
		if v == d {
			n++
		}
	}
	return n
}

func newPublisher(srv *httptest.Server, cred *fakeCredential, s *sleeps) *Publisher {
	return &Publisher{
		SCMHost:      "func-x.scm.azurewebsites.net",
		SCMURL:       srv.URL,
		ARMURL:       srv.URL,
		AppID:        testAppID,
		Credential:   cred,
		Client:       srv.Client(),
		Attempts:     5,
		RetryDelay:   7 * time.Second,
		PollInterval: time.Second,
		Sleep:        s.sleep,
	}
}

var pkg = []byte("PK\x03\x04 fake zip")

func TestPublishPostsTheZipWithABearerTokenAndWaitsForSuccess(t *testing.T) {
	k, srv := newKudu(t)
	k.publish = []reply{accepted("d1")}
	k.records["d1"] = []reply{record("d1", 1, false, "Building"),
		record("d1", 2, false, "Deploying"), record("d1", StatusSuccess, true, "")}
	cred, s := &fakeCredential{}, &sleeps{}

	d, err := newPublisher(srv, cred, s).Publish(context.Background(), pkg)
	if err != nil {
		t.Fatal(err)
	}
	if d.ID != "d1" || d.Status != StatusSuccess {
		t.Errorf("deployment = %+v", d)
	}
	if len(k.posts) != 1 || !bytes.Equal(k.posts[0], pkg) {
		t.Errorf("posts = %q", k.posts)
	}
	// The first read is "latest" before the publish (none yet: 404).
	if got := strings.Join(k.gets, ","); got != "/api/deployments/latest,"+
		"/api/deployments/d1,/api/deployments/d1,/api/deployments/d1" {
		t.Errorf("gets = %s", got)
	}
	for _, sc := range cred.scopes {
		if sc != ARMScope {
			t.Errorf("token scope %q", sc)
		}
	}
}

func TestPublishRetriesBlobUploadFailedWhileRolesPropagate(t *testing.T) {
	k, srv := newKudu(t)
	blocked := reply{code: http.StatusBadRequest, body: `{"Message":"BlobUploadFailedException:` +
		` Failed to upload blob to storage account: Response status code does not indicate` +
		` success: 403 (This request is not authorized to perform this operation.)."}`}
	k.publish = []reply{blocked, blocked, accepted("d2")}
	k.records["d2"] = []reply{record("d2", StatusSuccess, true, "")}
	s := &sleeps{}

	d, err := newPublisher(srv, &fakeCredential{}, s).Publish(context.Background(), pkg)
	if err != nil {
		t.Fatal(err)
	}
	if d.ID != "d2" || len(k.posts) != 3 {
		t.Errorf("deployment %+v after %d posts, want d2 after 3", d, len(k.posts))
	}
	if n := s.count(7 * time.Second); n != 2 {
		t.Errorf("waited the retry delay %d times, want 2", n)
	}
}

func TestPublishRetriesWhenTheRecordReportsTheStorage403(t *testing.T) {
	k, srv := newKudu(t)
	k.publish = []reply{accepted("a"), accepted("b")}
	k.records["a"] = []reply{record("a", StatusFailed, true,
		"BlobUploadFailed: AuthorizationPermissionMismatch")}
	k.records["b"] = []reply{record("b", StatusSuccess, true, "")}

	d, err := newPublisher(srv, &fakeCredential{}, &sleeps{}).Publish(context.Background(), pkg)
	if err != nil {
		t.Fatal(err)
	}
	if d.ID != "b" || len(k.posts) != 2 {
		t.Errorf("deployment %+v after %d posts", d, len(k.posts))
	}
}

func TestPublishFailsWhenFlexAnswers200ButTheDeploymentFailed(t *testing.T) {
	k, srv := newKudu(t)
	// Flex answers 200 with a pending record; only the record's status tells the outcome.
	k.publish = []reply{{code: http.StatusOK, body: `{"id":"d3","status":0,"complete":false}`}}
	k.records["d3"] = []reply{record("d3", 1, false, ""),
		record("d3", StatusFailed, true, "Failed to deploy: host.json is missing")}

	_, err := newPublisher(srv, &fakeCredential{}, &sleeps{}).Publish(context.Background(), pkg)
	var fe *FailedError
	if !errors.As(err, &fe) || fe.Deployment.ID != "d3" ||
		!strings.Contains(err.Error(), "host.json is missing") {
		t.Fatalf("error = %v, want the failed deployment d3", err)
	}
	if len(k.posts) != 1 {
		t.Errorf("%d posts; a package failure must not be retried", len(k.posts))
	}
}

func TestPublishTreatsACompletedUnknownStatusAsFailure(t *testing.T) {
	k, srv := newKudu(t)
	k.publish = []reply{accepted("d9")}
	k.records["d9"] = []reply{record("d9", 7, true, "RuntimeFailed")}

	_, err := newPublisher(srv, &fakeCredential{}, &sleeps{}).Publish(context.Background(), pkg)
	if err == nil || !strings.Contains(err.Error(), "RuntimeFailed") {
		t.Fatalf("error = %v", err)
	}
}

func TestPublishStopsAtUnauthorized(t *testing.T) {
	k, srv := newKudu(t)
	k.publish = []reply{{code: http.StatusUnauthorized, body: "token audience is wrong"}}

	_, err := newPublisher(srv, &fakeCredential{}, &sleeps{}).Publish(context.Background(), pkg)
	var se *StatusError
	if !errors.As(err, &se) || se.StatusCode != http.StatusUnauthorized {
		t.Fatalf("error = %v, want HTTP 401", err)
	}
	if len(k.posts) != 1 {
		t.Errorf("%d posts after a 401", len(k.posts))
	}
}

func TestPublishGivesUpAfterTheAttemptBudget(t *testing.T) {
	k, srv := newKudu(t)
	k.publish = []reply{{code: http.StatusServiceUnavailable, body: "site is starting"}}
	p := newPublisher(srv, &fakeCredential{}, &sleeps{})
	p.Attempts = 3

	_, err := p.Publish(context.Background(), pkg)
	if err == nil || !strings.Contains(err.Error(), "attempt 3 of 3") ||
		!strings.Contains(err.Error(), "HTTP 503: site is starting") {
		t.Fatalf("error = %v", err)
	}
	if len(k.posts) != 3 {
		t.Errorf("%d posts, want 3", len(k.posts))
	}
}

func TestPublishPollsThroughARecordNotWrittenYet(t *testing.T) {
	k, srv := newKudu(t)
	k.publish = []reply{accepted("d4")}
	k.records["d4"] = []reply{{code: http.StatusNotFound}, {code: http.StatusTooManyRequests},
		record("d4", StatusSuccess, true, "")}

	d, err := newPublisher(srv, &fakeCredential{}, &sleeps{}).Publish(context.Background(), pkg)
	if err != nil || d.ID != "d4" {
		t.Fatalf("deployment %+v, error %v", d, err)
	}
	if len(k.gets) != 1+3 {
		t.Errorf("%d reads, want latest before the publish and 3 status reads", len(k.gets))
	}
}

func TestPublishGivesUpOnARecordThatNeverAppears(t *testing.T) {
	k, srv := newKudu(t)
	k.publish = []reply{accepted("gone")}
	p := newPublisher(srv, &fakeCredential{}, &sleeps{})
	p.Attempts = 1

	_, err := p.Publish(context.Background(), pkg)
	var se *StatusError
	if !errors.As(err, &se) || se.StatusCode != http.StatusNotFound ||
		!strings.Contains(err.Error(), "no record after 60 reads") {
		t.Fatalf("error = %v", err)
	}
	if len(k.gets) != 1+60 {
		t.Errorf("%d reads, want latest before the publish and 60 status reads", len(k.gets))
	}
}

func TestPublishReadsTheIDFromABodyString(t *testing.T) {
	k, srv := newKudu(t)
	k.publish = []reply{{code: http.StatusAccepted, body: `"d5"`}}
	k.records["d5"] = []reply{record("d5", StatusSuccess, true, "")}

	d, err := newPublisher(srv, &fakeCredential{}, &sleeps{}).Publish(context.Background(), pkg)
	if err != nil || d.ID != "d5" {
		t.Fatalf("deployment %+v, error %v", d, err)
	}
}

func TestPublishNeverFollowsALocationToAnotherHost(t *testing.T) {
	k, srv := newKudu(t)
	k.publish = []reply{{code: http.StatusAccepted,
		header: map[string]string{"Location": "http://elsewhere.example/api/deployments/x"}}}
	// A brand-new site: no latest deployment before the publish, then this one.
	k.records["latest"] = []reply{{code: http.StatusNotFound},
		record("d6", StatusSuccess, true, "")}

	d, err := newPublisher(srv, &fakeCredential{}, &sleeps{}).Publish(context.Background(), pkg)
	if err != nil || d.ID != "d6" {
		t.Fatalf("deployment %+v, error %v", d, err)
	}
	if got := strings.Join(k.gets, ","); got != "/api/deployments/latest,"+
		"/api/deployments/latest" {
		t.Errorf("gets = %s", got)
	}
}

// noID is a publish answer that names no deployment, so only "latest" is left to read.
var noID = reply{code: http.StatusAccepted}

// timedRecord is a deployment record as Kudu writes it, with the time it was received.
func timedRecord(id string, status int, complete bool, received time.Time) reply {
	b, _ := json.Marshal(Deployment{ID: id, Status: status, Complete: complete,
		ReceivedTime: received.UTC().Format("2006-01-02T15:04:05.0000000Z")})
	return reply{code: http.StatusOK, body: string(b)}
}

func TestPublishNeverTakesThePreviousDeploymentShownAsLatestForThisOne(t *testing.T) {
	k, srv := newKudu(t)
	k.publish = []reply{noID}
	// A redeploy whose record never shows up: latest stays the previous, successful one.
	k.records["latest"] = []reply{record("old", StatusSuccess, true, "")}
	p := newPublisher(srv, &fakeCredential{}, &sleeps{})
	p.Attempts = 1

	d, err := p.Publish(context.Background(), pkg)
	var se *StatusError
	if !errors.As(err, &se) || d != nil ||
		!strings.Contains(err.Error(), `latest deployment is still "old"`) {
		t.Fatalf("deployment %+v, error %v", d, err)
	}
	if len(k.gets) != 1+maxUnreadable {
		t.Errorf("%d reads, want 1 before the publish and %d after", len(k.gets), maxUnreadable)
	}
}

func TestPublishWaitsForItsOwnDeploymentToBecomeLatest(t *testing.T) {
	k, srv := newKudu(t)
	k.publish = []reply{noID}
	k.records["latest"] = []reply{
		record("old", StatusSuccess, true, ""), // read before the publish
		record("old", StatusSuccess, true, ""), // not registered yet
		record("new", 1, false, "Building"),
		record("new", StatusSuccess, true, ""),
	}

	d, err := newPublisher(srv, &fakeCredential{}, &sleeps{}).Publish(context.Background(), pkg)
	if err != nil || d.ID != "new" {
		t.Fatalf("deployment %+v, error %v", d, err)
	}
	if len(k.gets) != 4 {
		t.Errorf("%d reads of latest, want 4", len(k.gets))
	}
}

func TestPublishFailsWhenItsOwnDeploymentFailsAfterAStaleLatest(t *testing.T) {
	k, srv := newKudu(t)
	k.publish = []reply{noID}
	k.records["latest"] = []reply{record("old", StatusSuccess, true, ""),
		record("old", StatusSuccess, true, ""), record("new", StatusFailed, true, "bad zip")}
	p := newPublisher(srv, &fakeCredential{}, &sleeps{})
	p.Attempts = 1

	_, err := p.Publish(context.Background(), pkg)
	var fe *FailedError
	if !errors.As(err, &fe) || fe.Deployment.ID != "new" {
		t.Fatalf("error = %v", err)
	}
}

// When latest cannot be read before the publish, only a record received after the publish
// began is taken for it.
func TestPublishJudgesLatestByTimeWhenThePreviousIDIsUnknown(t *testing.T) {
	now := time.Now()
	k, srv := newKudu(t)
	k.publish = []reply{noID}
	k.records["latest"] = []reply{
		{code: http.StatusServiceUnavailable}, // before the publish: unknown
		timedRecord("old", StatusSuccess, true, now.Add(-time.Hour)),
		timedRecord("new", StatusSuccess, true, now.Add(time.Minute)),
	}

	d, err := newPublisher(srv, &fakeCredential{}, &sleeps{}).Publish(context.Background(), pkg)
	if err != nil || d.ID != "new" {
		t.Fatalf("deployment %+v, error %v", d, err)
	}

	k.publish = []reply{noID}
	k.records["latest"] = []reply{{code: http.StatusServiceUnavailable},
		timedRecord("old", StatusSuccess, true, now.Add(-time.Hour))}
	p := newPublisher(srv, &fakeCredential{}, &sleeps{})
	p.Attempts = 1
	if d, err := p.Publish(context.Background(), pkg); err == nil ||
		!strings.Contains(err.Error(), `latest deployment is still "old"`) {
		t.Fatalf("stale latest taken: deployment %+v, error %v", d, err)
	}
}

func TestPublishFollowsALocationOnTheSCMHost(t *testing.T) {
	k, srv := newKudu(t)
	k.publish = []reply{{code: http.StatusAccepted,
		header: map[string]string{"Location": srv.URL + "/api/deployments/d7"}}}
	k.records["d7"] = []reply{record("d7", StatusSuccess, true, "")}

	d, err := newPublisher(srv, &fakeCredential{}, &sleeps{}).Publish(context.Background(), pkg)
	if err != nil || d.ID != "d7" {
		t.Fatalf("deployment %+v, error %v", d, err)
	}
}

func TestPublishWaitsUntilARMListsTheFunctions(t *testing.T) {
	k, srv := newKudu(t)
	k.publish = []reply{accepted("d8")}
	k.records["d8"] = []reply{record("d8", StatusSuccess, true, "")}
	k.functions = []reply{
		{code: http.StatusOK, body: `{"value":[]}`},
		{code: http.StatusOK, body: `{"value":[{"name":"func-x/telephony"}]}`},
		{code: http.StatusOK, body: `{"value":[{"name":"func-x/telephony"},` +
			`{"name":"func-x/deliveryreport"}]}`},
	}
	p := newPublisher(srv, &fakeCredential{}, &sleeps{})
	p.Functions = []string{"telephony", "deliveryreport"}

	if _, err := p.Publish(context.Background(), pkg); err != nil {
		t.Fatal(err)
	}
	lists := 0
	for _, g := range k.gets {
		if g == testAppID+"/functions" {
			lists++
		}
	}
	if lists != 3 {
		t.Errorf("listed functions %d times, want 3", lists)
	}
}

func TestPublishReportsFunctionsThatNeverAppear(t *testing.T) {
	k, srv := newKudu(t)
	k.publish = []reply{accepted("d10")}
	k.records["d10"] = []reply{record("d10", StatusSuccess, true, "")}
	k.functions = []reply{{code: http.StatusOK, body: `{"value":[{"name":"func-x/telephony"}]}`}}
	p := newPublisher(srv, &fakeCredential{}, &sleeps{})
	p.Functions = []string{"telephony", "deliveryreport"}
	ctx, cancel := context.WithCancel(context.Background())
	waits := 0
	p.Sleep = func(ctx context.Context, d time.Duration) error {
		if waits++; waits == 5 {
			cancel() // the operator's timeout
		}
		return ctx.Err()
	}

	_, err := p.Publish(ctx, pkg)
	if err == nil || !strings.Contains(err.Error(), "functions deliveryreport not listed") ||
		!errors.Is(err, context.Canceled) {
		t.Fatalf("error = %v", err)
	}
}

func TestPublishProbesTheHookWithoutCredentialsUntil401(t *testing.T) {
	k, srv := newKudu(t)
	k.publish = []reply{accepted("p1")}
	k.records["p1"] = []reply{record("p1", StatusSuccess, true, "")}
	var mu sync.Mutex
	var probes []int
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		if r.Header.Get("Authorization") != "" {
			t.Errorf("probe sent credentials to the hook")
		}
		if r.Method != http.MethodPost || r.URL.Path != "/api/telephony" ||
			r.Header.Get("Content-Type") != "application/json" {
			t.Errorf("probe %s %s %s", r.Method, r.URL.Path, r.Header.Get("Content-Type"))
		}
		codes := []int{http.StatusServiceUnavailable, http.StatusNotFound,
			http.StatusUnauthorized}
		code := codes[min(len(probes), len(codes)-1)]
		probes = append(probes, code)
		w.WriteHeader(code)
	}))
	defer hook.Close()
	p := newPublisher(srv, &fakeCredential{}, &sleeps{})
	p.ProbeURL = hook.URL + "/api/telephony"

	if _, err := p.Publish(context.Background(), pkg); err != nil {
		t.Fatal(err)
	}
	if len(probes) != 3 {
		t.Errorf("probes = %v, want 3 ending in 401", probes)
	}
}

func TestPublishFailsWhenTheHookNeverAnswers(t *testing.T) {
	k, srv := newKudu(t)
	k.publish = []reply{accepted("p2")}
	k.records["p2"] = []reply{record("p2", StatusSuccess, true, "")}
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusInternalServerError)
	}))
	defer hook.Close()
	p := newPublisher(srv, &fakeCredential{}, &sleeps{})
	p.ProbeURL = hook.URL + "/api/telephony"
	p.ProbeAttempts = 4

	_, err := p.Publish(context.Background(), pkg)
	if err == nil || !strings.Contains(err.Error(), "after 4 tries (last: HTTP 500)") {
		t.Fatalf("error = %v", err)
	}
}

func TestPublishFailsFastWhenSignInFails(t *testing.T) {
	k, srv := newKudu(t)
	cred := &fakeCredential{err: errors.New("run az login")}

	_, err := newPublisher(srv, cred, &sleeps{}).Publish(context.Background(), pkg)
	if err == nil || !strings.Contains(err.Error(), "get ARM token: run az login") {
		t.Fatalf("error = %v", err)
	}
	if len(k.posts) != 0 {
		t.Errorf("%d posts without a token", len(k.posts))
	}
}

func TestRetryableSeparatesTransientFromPermanent(t *testing.T) {
	cases := []struct {
		err  error
		want bool
	}{
		{&StatusError{StatusCode: 400, Body: "BlobUploadFailedException"}, true},
		{&StatusError{StatusCode: 400, Body: "zip is corrupt"}, false},
		{&StatusError{StatusCode: 401}, false},
		{&StatusError{StatusCode: 403}, true},
		{&StatusError{StatusCode: 404}, true},
		{&StatusError{StatusCode: 409}, true},
		{&StatusError{StatusCode: 413}, false},
		{&StatusError{StatusCode: 429}, true},
		{&StatusError{StatusCode: 502}, true},
		{&FailedError{Deployment{StatusText: "AuthorizationFailure"}}, true},
		{&FailedError{Deployment{StatusText: "invalid package"}}, false},
		{&tokenError{errors.New("no login")}, false},
		{fmt.Errorf("wrapped: %w", context.DeadlineExceeded), false},
		{errors.New("connection reset by peer"), true},
	}
	for _, c := range cases {
		if got := Retryable(c.err); got != c.want {
			t.Errorf("Retryable(%v) = %v, want %v", c.err, got, c.want)
		}
	}
}
