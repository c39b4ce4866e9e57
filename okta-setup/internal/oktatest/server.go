// Package oktatest plays the Okta management API for tests: the inline hook and hook key
// endpoints and the org authorization server's token endpoint, over TLS on loopback.
//
// It enforces what Okta enforces (SSWS or bearer auth, OAuth scopes, the JSON shape of a
// telephony hook with its secrets, one active telephony hook) and answers the way Okta
// does, error bodies and X-Okta-Request-Id included. Tests can script faults.
package oktatest

import (
	"crypto/rsa"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Server is the fake Okta org. Its URL is the org URL.
type Server struct {
	*httptest.Server

	// APIToken is the accepted SSWS token.
	APIToken string
	// ClientID, PublicKey and KeyID describe the service app allowed to get bearer tokens;
	// GrantedScopes are the scopes granted to it.
	ClientID      string
	PublicKey     *rsa.PublicKey
	KeyID         string
	GrantedScopes []string

	mu       sync.Mutex
	seq      int
	hooks    []*Hook
	keys     []Key
	requests []Request
	faults   map[string][]Fault
	tokens   map[string][]string // access token -> scopes
	answer   answer
}

// Hook is a stored hook. Body is the last create/replace body as sent, secrets included.
type Hook struct {
	ID, Name, Status string
	Body             map[string]interface{}
}

// Key is a stored hook key.
type Key struct{ ID, KeyID, Name string }

// Request is one request the server received.
type Request struct {
	Method, Path, RawQuery, Authorization string
	Body                                  []byte
}

// Fault is an answer to send instead of the real one.
type Fault struct {
	Status  int
	Code    string // errorCode
	Summary string // errorSummary
	Causes  []string
	// ResetIn sets X-Rate-Limit-Reset to the Date header's second plus ResetIn.
	ResetIn time.Duration
}

type answer struct {
	status int
	body   string
}

// New starts a fake org accepting apiToken.
func New(t testing.TB, apiToken string) *Server {
	s := &Server{
		APIToken: apiToken,
		faults:   map[string][]Fault{},
		tokens:   map[string][]string{},
		answer: answer{status: http.StatusOK, body: `{"commands":[{"type":` +
			`"com.okta.telephony.action","value":[{"status":"SUCCESSFUL","provider":"ACS",` +
			`"transactionId":"acs-msg-1","transactionMetadata":"latencyMs=12"}]}]}`},
	}
	s.Server = httptest.NewUnstartedServer(s.routes())
	s.StartTLS()
	t.Cleanup(s.Close)
	return s
}

// CertFile writes the server's certificate as PEM into dir and returns its path, for
// SSL_CERT_FILE.
func (s *Server) CertFile(t testing.TB) string {
	path := filepath.Join(t.TempDir(), "okta-ca.pem")
	b := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: s.Certificate().Raw})
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// FailNext makes the next request matching method and path (e.g. "GET",
// "/api/v1/inlineHooks") answer with f. Faults queue up in order.
func (s *Server) FailNext(method, path string, f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := method + " " + path
	s.faults[k] = append(s.faults[k], f)
}

// SetExecuteAnswer sets what the hook answers through the execute endpoint.
func (s *Server) SetExecuteAnswer(status int, body string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.answer = answer{status: status, body: body}
}

// AddHook stores a telephony hook as if created earlier and returns its id.
func (s *Server) AddHook(name, status, uri string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	h := &Hook{ID: s.nextID("cal"), Name: name, Status: status, Body: map[string]interface{}{
		"name": name, "type": telephonyType, "version": "1.0.0",
		"channel": map[string]interface{}{"type": "HTTP", "version": "1.0.0",
			"config": map[string]interface{}{"uri": uri, "method": "POST",
				"authScheme": map[string]interface{}{"type": "HEADER",
					"key": "Authorization", "value": "Basic b2xkOm9sZA=="}}},
	}}
	s.hooks = append(s.hooks, h)
	return h.ID
}

// AddKey stores a hook key and returns its id.
func (s *Server) AddKey(name string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := Key{ID: s.nextID("HKY"), KeyID: s.nextID("kid-"), Name: name}
	s.keys = append(s.keys, k)
	return k.ID
}

// Hooks returns copies of the stored hooks, secrets included.
func (s *Server) Hooks() []Hook {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Hook, 0, len(s.hooks))
	for _, h := range s.hooks {
		out = append(out, *h)
	}
	return out
}

// Keys returns the stored hook keys.
func (s *Server) Keys() []Key {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Key(nil), s.keys...)
}

// Requests returns every request received so far, in order.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// Calls lists the requests as "METHOD /path", for exact comparisons.
func (s *Server) Calls() []string {
	var out []string
	for _, r := range s.Requests() {
		out = append(out, r.Method+" "+r.Path)
	}
	return out
}

func (s *Server) nextID(prefix string) string {
	s.seq++
	return fmt.Sprintf("%s%04dTEST", prefix, s.seq)
}

const telephonyType = "com.okta.telephony.provider"

// writeError answers the way Okta does.
func writeError(w http.ResponseWriter, status int, code, summary string, causes ...string) {
	cs := make([]map[string]string, 0, len(causes))
	for _, c := range causes {
		cs = append(cs, map[string]string{"errorSummary": c})
	}
	writeJSON(w, status, map[string]interface{}{
		"errorCode": code, "errorSummary": summary, "errorLink": code,
		"errorId": "oae" + strconv.Itoa(status) + "fakeErrorId", "errorCauses": cs,
	})
}

func writeJSON(w http.ResponseWriter, status int, v interface{}) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func (s *Server) takeFault(method, path string) (Fault, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := method + " " + path
	q := s.faults[k]
	if len(q) == 0 {
		return Fault{}, false
	}
	s.faults[k] = q[1:]
	return q[0], true
}

func writeFault(w http.ResponseWriter, f Fault) {
	if f.Status == http.StatusTooManyRequests {
		now := time.Now().UTC().Truncate(time.Second)
		w.Header().Set("Date", now.Format(http.TimeFormat))
		w.Header().Set("X-Rate-Limit-Limit", "100")
		w.Header().Set("X-Rate-Limit-Remaining", "0")
		w.Header().Set("X-Rate-Limit-Reset",
			strconv.FormatInt(now.Add(f.ResetIn).Unix(), 10))
	}
	writeError(w, f.Status, f.Code, f.Summary, f.Causes...)
}

func scopesOf(s string) []string { return strings.Fields(s) }
