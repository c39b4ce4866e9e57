// Package hookauthtest provides a loopback Okta custom authorization server for tests of
// OAuth hook authentication: it serves the RFC 8414 metadata and the JSON Web Key Set over
// TLS, mints RS256 access tokens shaped like Okta's, counts how often its keys are
// fetched, rotates keys, and can fail in the ways a real issuer fails.
package hookauthtest

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/MicahParks/jwkset"
	"github.com/golang-jwt/jwt/v5"
)

// Values that Issuer.Claims puts in a token, matching what a hook's OAuth settings expect.
const (
	ServerPath = "/oauth2/default"
	Audience   = "api://default"
	Scope      = "okta.hook.telephony"
	ClientID   = "0oa8hookclient0000000"
)

// Mode is how the issuer answers requests for its metadata and keys.
type Mode int

// The modes of an Issuer.
const (
	Up          Mode = iota // serve metadata and keys
	Failing                 // answer 503 with an Okta-style error body
	Hanging                 // never answer; the client must give up
	Unreachable             // drop the connection without an answer
)

// String names the mode, for test names.
func (m Mode) String() string {
	switch m {
	case Up:
		return "Up"
	case Failing:
		return "Failing"
	case Hanging:
		return "Hanging"
	case Unreachable:
		return "Unreachable"
	}
	return fmt.Sprintf("Mode(%d)", int(m))
}

// Key is an RSA signing key and its key id.
type Key struct {
	ID      string
	Private *rsa.PrivateKey
}

// NewKey generates a 2048-bit RSA key named kid.
func NewKey(t testing.TB, kid string) *Key {
	t.Helper()
	return NewKeyBits(t, kid, 2048)
}

// NewKeyBits generates an RSA key of bits bits named kid.
func NewKeyBits(t testing.TB, kid string, bits int) *Key {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, bits)
	if err != nil {
		t.Fatalf("hookauthtest: generate key: %v", err)
	}
	return &Key{ID: kid, Private: k}
}

// PublicJWK is the public half of k as a JWK with the given alg and use, for PublishRaw.
func PublicJWK(k *Key, alg, use string) map[string]any {
	jwk, err := jwkset.NewJWKFromKey(&k.Private.PublicKey, jwkset.JWKOptions{
		Metadata: jwkset.JWKMetadataOptions{ALG: jwkset.ALG(alg), KID: k.ID,
			USE: jwkset.USE(use)},
	})
	if err != nil {
		panic("hookauthtest: marshal public key: " + err.Error())
	}
	b, err := json.Marshal(jwk.Marshal())
	if err != nil {
		panic("hookauthtest: marshal public key: " + err.Error())
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		panic("hookauthtest: marshal public key: " + err.Error())
	}
	return m
}

// Issuer is a loopback TLS authorization server. Its URL is the issuer value
// (https://127.0.0.1:port/oauth2/default); keys are at URL+"/v1/keys", the metadata at
// URL+"/.well-known/oauth-authorization-server".
type Issuer struct {
	URL string

	srv  *httptest.Server
	quit chan struct{}

	keyFetches  atomic.Int64
	metaFetches atomic.Int64

	mu        sync.Mutex
	mode      Mode
	published []*Key
	signer    *Key
	extra     []map[string]any // raw extra JWKs to publish, for hostile key sets
	meta      map[string]any   // nil: the default metadata
	metaCode  int              // 0: 200
	nextKeyID int
}

// NewIssuer starts an Issuer with one signing key, closed when the test ends.
func NewIssuer(t testing.TB) *Issuer {
	t.Helper()
	i := &Issuer{quit: make(chan struct{})}
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+ServerPath+"/.well-known/oauth-authorization-server", i.serveMeta)
	mux.HandleFunc("GET "+ServerPath+"/v1/keys", i.serveKeys)
	i.srv = httptest.NewTLSServer(mux)
	i.URL = i.srv.URL + ServerPath
	i.Rotate(t)
	t.Cleanup(i.Close)
	return i
}

// Client returns an HTTP client that trusts the issuer's certificate.
func (i *Issuer) Client() *http.Client { return i.srv.Client() }

// Close stops the server, releasing any request held by Hanging.
func (i *Issuer) Close() {
	select {
	case <-i.quit:
	default:
		close(i.quit)
	}
	i.srv.Close()
}

// SetMode changes how the issuer answers from now on.
func (i *Issuer) SetMode(m Mode) {
	i.mu.Lock()
	defer i.mu.Unlock()
	i.mode = m
}

// Rotate publishes a new key and signs with it from now on; older keys stay published.
func (i *Issuer) Rotate(t testing.TB) *Key {
	t.Helper()
	i.mu.Lock()
	i.nextKeyID++
	kid := fmt.Sprintf("hook-key-%d", i.nextKeyID)
	i.mu.Unlock()

	k := NewKey(t, kid)
	i.mu.Lock()
	defer i.mu.Unlock()
	i.published = append(i.published, k)
	i.signer = k
	return k
}

// Retire stops publishing the key named kid.
func (i *Issuer) Retire(kid string) {
	i.mu.Lock()
	defer i.mu.Unlock()
	kept := i.published[:0]
	for _, k := range i.published {
		if k.ID != kid {
			kept = append(kept, k)
		}
	}
	i.published = kept
}

// Signer returns the key tokens are signed with.
func (i *Issuer) Signer() *Key {
	i.mu.Lock()
	defer i.mu.Unlock()
	return i.signer
}

// PublishRaw adds a raw JWK (any JSON object) to the key set, for key sets that hold keys
// a verifier must skip.
func (i *Issuer) PublishRaw(jwk map[string]any) {
	i.mu.Lock()
	defer i.mu.Unlock()
	i.extra = append(i.extra, jwk)
}

// SetMetadata makes the metadata endpoint answer code with body meta; code 0 and meta nil
// restore the default answer.
func (i *Issuer) SetMetadata(code int, meta map[string]any) {
	i.mu.Lock()
	defer i.mu.Unlock()
	i.metaCode, i.meta = code, meta
}

// KeyFetches returns how many requests reached the key set endpoint, answered or not.
func (i *Issuer) KeyFetches() int { return int(i.keyFetches.Load()) }

// MetadataFetches returns how many requests reached the metadata endpoint.
func (i *Issuer) MetadataFetches() int { return int(i.metaFetches.Load()) }

// Claims returns the claims of a valid Okta access token issued at now for the hook's
// client (client credentials: sub is the client id), valid for an hour.
func (i *Issuer) Claims(now time.Time) jwt.MapClaims {
	return jwt.MapClaims{
		"ver": 1,
		"jti": "AT.test-" + fmt.Sprint(now.UnixNano()),
		"iss": i.URL,
		"aud": Audience,
		"iat": now.Unix(),
		"exp": now.Add(time.Hour).Unix(),
		"cid": ClientID,
		"sub": ClientID,
		"scp": []string{Scope},
	}
}

// Mint signs claims with RS256 and the current signing key, naming it in the kid header.
func (i *Issuer) Mint(t testing.TB, claims jwt.MapClaims) string {
	t.Helper()
	k := i.Signer()
	return Sign(t, jwt.SigningMethodRS256, k.Private, map[string]any{"kid": k.ID}, claims)
}

// Sign builds a token with any method, key and extra header fields, for hostile tokens.
func Sign(t testing.TB, m jwt.SigningMethod, key any, header map[string]any,
	claims jwt.MapClaims) string {
	t.Helper()
	tok := jwt.NewWithClaims(m, claims)
	for k, v := range header {
		tok.Header[k] = v
	}
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatalf("hookauthtest: sign %s token: %v", m.Alg(), err)
	}
	return s
}

// serveMeta answers the RFC 8414 authorization server metadata.
func (i *Issuer) serveMeta(w http.ResponseWriter, r *http.Request) {
	i.metaFetches.Add(1)
	if !i.answer(w, r) {
		return
	}
	i.mu.Lock()
	code, meta := i.metaCode, i.meta
	i.mu.Unlock()
	if code == 0 {
		code = http.StatusOK
	}
	if meta == nil {
		meta = map[string]any{
			"issuer":                                i.URL,
			"authorization_endpoint":                i.URL + "/v1/authorize",
			"token_endpoint":                        i.URL + "/v1/token",
			"jwks_uri":                              i.URL + "/v1/keys",
			"response_types_supported":              []string{"code", "token"},
			"grant_types_supported":                 []string{"client_credentials"},
			"scopes_supported":                      []string{Scope},
			"token_endpoint_auth_methods_supported": []string{"client_secret_post"},
		}
	}
	writeJSON(w, code, meta)
}

// serveKeys answers the JSON Web Key Set of the published keys.
func (i *Issuer) serveKeys(w http.ResponseWriter, r *http.Request) {
	i.keyFetches.Add(1)
	if !i.answer(w, r) {
		return
	}
	i.mu.Lock()
	keys := make([]any, 0, len(i.published)+len(i.extra))
	for _, k := range i.published {
		keys = append(keys, PublicJWK(k, "RS256", "sig"))
	}
	for _, x := range i.extra {
		keys = append(keys, x)
	}
	i.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"keys": keys})
}

// answer applies the failure modes; it returns true when the handler should answer.
func (i *Issuer) answer(w http.ResponseWriter, r *http.Request) bool {
	i.mu.Lock()
	mode := i.mode
	i.mu.Unlock()
	switch mode {
	case Failing:
		writeJSON(w, http.StatusServiceUnavailable, map[string]any{
			"errorCode":    "E0000010",
			"errorSummary": "Service is in read only mode",
		})
		return false
	case Hanging:
		select {
		case <-r.Context().Done():
		case <-i.quit:
		}
		return false
	case Unreachable:
		if hj, ok := w.(http.Hijacker); ok {
			if c, _, err := hj.Hijack(); err == nil {
				c.Close()
			}
		}
		return false
	}
	return true
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}
