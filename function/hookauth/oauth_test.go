package hookauth

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/golang-jwt/jwt/v5"

	"okta-acs-sms/function/hookauth/hookauthtest"
	"okta-acs-sms/function/internal/logtest"
)

// clock is a fake clock that only moves when told to.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 12, 4, 9, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// syncBuffer is a log sink safe for the background fetch goroutines.
type syncBuffer = logtest.Buffer

// harness is an OAuth wired to a loopback issuer and a fake clock.
type harness struct {
	iss     *hookauthtest.Issuer
	clk     *clock
	oauth   *OAuth
	logs    *syncBuffer
	fetched chan error
}

func newHarness(t *testing.T, edit func(*OAuthConfig)) *harness {
	t.Helper()
	h := &harness{
		iss:     hookauthtest.NewIssuer(t),
		clk:     newClock(),
		logs:    &syncBuffer{},
		fetched: make(chan error, 1000),
	}
	cfg := OAuthConfig{
		Audience: hookauthtest.Audience,
		Scope:    hookauthtest.Scope,
		ClientID: hookauthtest.ClientID,
		Now:      h.clk.Now,
		Logger: slog.New(slog.NewJSONHandler(h.logs,
			&slog.HandlerOptions{Level: slog.LevelDebug})),
	}
	cfg.Issuer = h.iss.URL
	cfg.HTTPClient = h.iss.Client()
	if edit != nil {
		edit(&cfg)
	}
	o, err := NewOAuth(cfg)
	if err != nil {
		t.Fatalf("NewOAuth: %v", err)
	}
	o.keys.fetched = func(err error) { h.fetched <- err }
	h.oauth = o
	return h
}

// auth runs Authenticate on a request carrying token as a bearer token. The request
// context ends after 5s so that a fetch left unbounded fails the test instead of hanging it.
func (h *harness) auth(token string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return h.oauth.Authenticate(bearerRequest(ctx, token))
}

// valid returns a token that OAuth accepts now.
func (h *harness) valid(t *testing.T) string {
	return h.iss.Mint(t, h.iss.Claims(h.clk.Now()))
}

// counts asserts the number of metadata and key-set requests the issuer received.
func (h *harness) counts(t *testing.T, meta, keys int) {
	t.Helper()
	if m, k := h.iss.MetadataFetches(), h.iss.KeyFetches(); m != meta || k != keys {
		t.Fatalf("issuer fetches: metadata %d, keys %d; want %d, %d", m, k, meta, keys)
	}
}

// waitFetch waits for the next background fetch to finish and returns its error.
func (h *harness) waitFetch(t *testing.T) error {
	t.Helper()
	select {
	case err := <-h.fetched:
		return err
	case <-time.After(10 * time.Second):
		t.Fatal("no key fetch finished within 10s")
		return nil
	}
}

func bearerRequest(ctx context.Context, token string) *http.Request {
	r := httptest.NewRequestWithContext(ctx, http.MethodPost, "/api/telephony", nil)
	r.Header.Set("Authorization", "Bearer "+token)
	return r
}

// wantReason fails unless err carries reason (or is nil when reason is "").
func wantReason(t *testing.T, name string, err error, reason Reason) {
	t.Helper()
	if got := ReasonOf(err); got != reason || (reason == "") != (err == nil) {
		t.Errorf("%s: Authenticate = %v; want reason %q", name, err, reason)
	}
}

func TestOAuthChecksEveryClaim(t *testing.T) {
	h := newHarness(t, nil)
	now := h.clk.Now()
	tests := []struct {
		name   string
		edit   func(c jwt.MapClaims)
		reason Reason
	}{
		{"valid", func(c jwt.MapClaims) {}, ""},
		{"expired beyond leeway", func(c jwt.MapClaims) {
			c["iat"] = now.Add(-time.Hour).Unix()
			c["exp"] = now.Add(-2*time.Minute - time.Second).Unix()
		}, ReasonExpired},
		{"expired within leeway", func(c jwt.MapClaims) {
			c["exp"] = now.Add(-time.Minute).Unix()
		}, ""},
		{"no exp", func(c jwt.MapClaims) { delete(c, "exp") }, ReasonMalformed},
		{"nbf beyond leeway", func(c jwt.MapClaims) {
			c["nbf"] = now.Add(2*time.Minute + time.Second).Unix()
		}, ReasonNotYetValid},
		{"nbf within leeway", func(c jwt.MapClaims) { c["nbf"] = now.Add(time.Minute).Unix() }, ""},
		{"iat in the future", func(c jwt.MapClaims) {
			c["iat"] = now.Add(3 * time.Minute).Unix()
		}, ReasonNotYetValid},
		{"wrong issuer", func(c jwt.MapClaims) { c["iss"] = h.iss.URL + "x" }, ReasonWrongIssuer},
		{"org issuer", func(c jwt.MapClaims) {
			c["iss"] = strings.TrimSuffix(h.iss.URL, hookauthtest.ServerPath)
		}, ReasonWrongIssuer},
		{"no issuer", func(c jwt.MapClaims) { delete(c, "iss") }, ReasonWrongIssuer},
		{"wrong audience", func(c jwt.MapClaims) { c["aud"] = "api://other" }, ReasonWrongAudience},
		{"audience among several", func(c jwt.MapClaims) {
			c["aud"] = []string{"api://other", hookauthtest.Audience}
		}, ""},
		{"no audience", func(c jwt.MapClaims) { delete(c, "aud") }, ReasonWrongAudience},
		{"other scope only", func(c jwt.MapClaims) { c["scp"] = []string{"openid"} },
			ReasonMissingScope},
		{"no scp", func(c jwt.MapClaims) { delete(c, "scp") }, ReasonMissingScope},
		{"scope among several", func(c jwt.MapClaims) {
			c["scp"] = []string{"openid", hookauthtest.Scope}
		}, ""},
		{"scp as spaced string", func(c jwt.MapClaims) {
			c["scp"] = "openid " + hookauthtest.Scope
		}, ""},
		{"scp string without scope", func(c jwt.MapClaims) {
			c["scp"] = "openid " + hookauthtest.Scope + "x"
		}, ReasonMissingScope},
		{"scp of wrong type", func(c jwt.MapClaims) { c["scp"] = 7 }, ReasonMalformed},
		{"wrong cid", func(c jwt.MapClaims) { c["cid"] = "0oaSomeoneElse" }, ReasonWrongClient},
		{"no cid", func(c jwt.MapClaims) { delete(c, "cid") }, ReasonWrongClient},
		{"expired and wrong audience", func(c jwt.MapClaims) {
			c["exp"] = now.Add(-time.Hour).Unix()
			c["aud"] = "api://other"
		}, ReasonWrongAudience},
	}
	for _, tt := range tests {
		claims := h.iss.Claims(now)
		tt.edit(claims)
		token := h.iss.Mint(t, claims)
		err := h.auth(token)
		wantReason(t, tt.name, err, tt.reason)
		var e *Error
		if errors.As(err, &e) && e.Unavailable {
			t.Errorf("%s: Unavailable = true; want false", tt.name)
		}
		if err != nil && strings.Contains(err.Error(), token) {
			t.Errorf("%s: error text contains the token", tt.name)
		}
	}
	h.counts(t, 1, 1)
}

func TestOAuthAcceptsAnyClientWhenNoneConfigured(t *testing.T) {
	h := newHarness(t, func(c *OAuthConfig) { c.ClientID = "" })
	claims := h.iss.Claims(h.clk.Now())
	claims["cid"] = "0oaAnyClient"
	wantReason(t, "other cid", h.auth(h.iss.Mint(t, claims)), "")
	delete(claims, "cid")
	wantReason(t, "no cid", h.auth(h.iss.Mint(t, claims)), "")
}

func TestOAuthRefusesForgedTokens(t *testing.T) {
	h := newHarness(t, nil)
	if err := h.auth(h.valid(t)); err != nil { // warm the cache
		t.Fatalf("valid token: %v", err)
	}
	claims := h.iss.Claims(h.clk.Now())
	signer := h.iss.Signer()
	kid := map[string]any{"kid": signer.ID}
	pubDER, err := x509.MarshalPKIXPublicKey(&signer.Private.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	pubPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER})
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	stranger := hookauthtest.NewKey(t, "stranger")
	valid := h.valid(t)
	parts := strings.Split(valid, ".")
	otherClaims := h.iss.Claims(h.clk.Now())
	otherClaims["cid"] = "0oaForged"
	forgedBody := strings.Split(h.iss.Mint(t, otherClaims), ".")[1]

	sign := func(m jwt.SigningMethod, key any, header map[string]any) string {
		return hookauthtest.Sign(t, m, key, header, claims)
	}
	tests := []struct {
		name   string
		token  string
		reason Reason
	}{
		{"alg none", sign(jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, kid),
			ReasonAlgorithm},
		{"HS256 keyed with the public key PEM", sign(jwt.SigningMethodHS256, pubPEM, kid),
			ReasonAlgorithm},
		{"HS256 keyed with the public key n", sign(jwt.SigningMethodHS256,
			signer.Private.PublicKey.N.Bytes(), kid), ReasonAlgorithm},
		{"HS256 keyed with the public key DER", sign(jwt.SigningMethodHS256, pubDER, kid),
			ReasonAlgorithm},
		{"RS512 with the right key", sign(jwt.SigningMethodRS512, signer.Private, kid),
			ReasonAlgorithm},
		{"PS256 with the right key", sign(jwt.SigningMethodPS256, signer.Private, kid),
			ReasonAlgorithm},
		{"ES256", sign(jwt.SigningMethodES256, ec, kid), ReasonAlgorithm},
		{"stranger key under a known kid", sign(jwt.SigningMethodRS256, stranger.Private, kid),
			ReasonBadSignature},
		{"stranger key under its own kid", sign(jwt.SigningMethodRS256, stranger.Private,
			map[string]any{"kid": stranger.ID}), ReasonUnknownKey},
		{"stranger key embedded as jwk", sign(jwt.SigningMethodRS256, stranger.Private,
			map[string]any{"kid": stranger.ID, "jwk": map[string]any{"kty": "RSA",
				"n": "AQAB", "e": "AQAB"}, "jku": h.iss.URL + "/v1/keys"}), ReasonUnknownKey},
		{"no kid", sign(jwt.SigningMethodRS256, signer.Private, nil), ReasonUnknownKey},
		{"claims swapped under a valid signature",
			parts[0] + "." + forgedBody + "." + parts[2], ReasonBadSignature},
		{"signature stripped", parts[0] + "." + parts[1] + ".", ReasonBadSignature},
		{"two segments", parts[0] + "." + parts[1], ReasonMalformed},
		{"not a JWT", "opaque-org-token", ReasonMalformed},
		{"empty", "", ReasonMalformed},
		{"oversized", strings.Repeat("a", maxTokenBytes+1), ReasonMalformed},
	}
	for _, tt := range tests {
		err := h.auth(tt.token)
		wantReason(t, tt.name, err, tt.reason)
		if err != nil && tt.token != "" && strings.Contains(err.Error(), tt.token) {
			t.Errorf("%s: error text contains the token", tt.name)
		}
	}
	// The unknown kids came within MinRefreshInterval of the first fetch: no refetch.
	h.counts(t, 1, 1)
	if strings.Contains(h.logs.String(), parts[2]) {
		t.Error("logs contain a token signature")
	}
}

func TestOAuthTakesRotatedKeyAfterRefresh(t *testing.T) {
	h := newHarness(t, nil)
	first := h.iss.Signer()
	old := func() string { // a fresh token signed by the first key
		return hookauthtest.Sign(t, jwt.SigningMethodRS256, first.Private,
			map[string]any{"kid": first.ID}, h.iss.Claims(h.clk.Now()))
	}
	wantReason(t, "first key", h.auth(old()), "")

	h.iss.Rotate(t)
	rotated := h.valid(t)
	wantReason(t, "new key, refresh too soon", h.auth(rotated), ReasonUnknownKey)
	h.counts(t, 1, 1)

	h.clk.Advance(DefaultMinRefreshInterval)
	wantReason(t, "new key after refresh", h.auth(rotated), "")
	wantReason(t, "old key still published", h.auth(old()), "")
	h.counts(t, 1, 2)
	if err := h.waitFetch(t); err != nil {
		t.Fatalf("first fetch: %v", err)
	}
	if err := h.waitFetch(t); err != nil {
		t.Fatalf("unknown-kid fetch: %v", err)
	}

	// Retire the first key. The held set still has it until the periodic refresh,
	// which runs in the background while the held key keeps serving.
	h.iss.Retire(first.ID)
	h.clk.Advance(DefaultRefreshInterval)
	wantReason(t, "old key served while refreshing", h.auth(old()), "")
	if err := h.waitFetch(t); err != nil {
		t.Fatalf("periodic fetch: %v", err)
	}
	h.counts(t, 1, 3)
	wantReason(t, "old key after periodic refresh", h.auth(old()), ReasonUnknownKey)
	wantReason(t, "new key after periodic refresh", h.auth(h.valid(t)), "")
	h.counts(t, 1, 3)
}

func TestOAuthColdCacheWithIssuerDownFailsFastThenRecovers(t *testing.T) {
	const timeout = 300 * time.Millisecond
	tests := []struct {
		mode             hookauthtest.Mode
		meta, keys       int // issuer requests made by the failed fetch
		minTime, maxTime time.Duration
	}{
		// Hanging: the metadata request uses the whole budget; the fallback never starts.
		{hookauthtest.Hanging, 1, 0, timeout, timeout + 700*time.Millisecond},
		// Failing and Unreachable: metadata fails, the fallback {issuer}/v1/keys fails.
		// (The bound allows for a loaded test machine; the fetch itself ends at timeout.)
		{hookauthtest.Failing, 1, 1, 0, timeout + 700*time.Millisecond},
		{hookauthtest.Unreachable, 1, 1, 0, timeout + 700*time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.mode.String(), func(t *testing.T) {
			h := newHarness(t, func(c *OAuthConfig) { c.FetchTimeout = timeout })
			h.iss.SetMode(tt.mode)
			token := h.valid(t)

			start := time.Now()
			err := h.auth(token)
			elapsed := time.Since(start)
			wantUnavailable(t, "cold cache", err)
			if elapsed < tt.minTime || elapsed > tt.maxTime {
				t.Errorf("cold cache answered in %v; want within [%v, %v]",
					elapsed, tt.minTime, tt.maxTime)
			}
			if err := h.waitFetch(t); err == nil {
				t.Fatal("fetch succeeded against a down issuer")
			}
			h.counts(t, tt.meta, tt.keys)

			// Within MinRefreshInterval: refused at once, without another request.
			start = time.Now()
			wantUnavailable(t, "retry too soon", h.auth(token))
			if elapsed := time.Since(start); elapsed > 50*time.Millisecond {
				t.Errorf("spaced retry took %v; want immediate", elapsed)
			}
			h.counts(t, tt.meta, tt.keys)

			h.iss.SetMode(hookauthtest.Up)
			h.clk.Advance(DefaultMinRefreshInterval)
			wantReason(t, "issuer back", h.auth(token), "")
			h.counts(t, tt.meta+1, tt.keys+1)
		})
	}
}

func wantUnavailable(t *testing.T, name string, err error) {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) || e.Reason != ReasonKeysUnavailable || !e.Unavailable {
		t.Fatalf("%s: Authenticate = %v; want Unavailable %q", name, err, ReasonKeysUnavailable)
	}
}

func TestOAuthStopsWaitingWhenTheRequestContextEnds(t *testing.T) {
	h := newHarness(t, func(c *OAuthConfig) { c.FetchTimeout = 5 * time.Second })
	h.iss.SetMode(hookauthtest.Hanging)
	r := bearerRequest(context.Background(), h.valid(t))
	start := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()

	err := h.oauth.Authenticate(r.WithContext(ctx))
	elapsed := time.Since(start)
	wantUnavailable(t, "request deadline", err)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("error %v does not wrap context.DeadlineExceeded", err)
	}
	if elapsed < 100*time.Millisecond || elapsed > time.Second {
		t.Errorf("answered in %v; want about the 100ms request deadline", elapsed)
	}
}

func TestOAuthColdFloodMakesOneFetch(t *testing.T) {
	const timeout = 300 * time.Millisecond
	h := newHarness(t, func(c *OAuthConfig) { c.FetchTimeout = timeout })
	h.iss.SetMode(hookauthtest.Hanging)
	token := h.valid(t)

	start := time.Now()
	errs := flood(200, func(int) error { return h.auth(token) })
	elapsed := time.Since(start)
	for i, err := range errs {
		wantUnavailable(t, fmt.Sprintf("request %d", i), err)
	}
	if elapsed > timeout+700*time.Millisecond {
		t.Errorf("200 cold requests took %v; want under %v", elapsed, timeout+700*time.Millisecond)
	}
	h.waitFetch(t)
	h.counts(t, 1, 0)
}

func TestOAuthFloodOfUnknownKeyIDsIsRateLimited(t *testing.T) {
	h := newHarness(t, nil)
	wantReason(t, "warm-up", h.auth(h.valid(t)), "")
	h.waitFetch(t)
	stranger := hookauthtest.NewKey(t, "stranger")
	claims := h.iss.Claims(h.clk.Now())
	forged := func(i int) string {
		return hookauthtest.Sign(t, jwt.SigningMethodRS256, stranger.Private,
			map[string]any{"kid": fmt.Sprintf("stranger-%d", i)}, claims)
	}
	tokens := make([]string, 200)
	for i := range tokens {
		tokens[i] = forged(i)
	}

	// 200 at once, just after the spacing allows a refresh: exactly one refresh.
	h.clk.Advance(DefaultMinRefreshInterval)
	errs := flood(len(tokens), func(i int) error { return h.auth(tokens[i]) })
	for i, err := range errs {
		wantReason(t, fmt.Sprintf("concurrent %d", i), err, ReasonUnknownKey)
	}
	h.waitFetch(t)
	h.counts(t, 1, 2)

	// 200 one second apart: one refresh per DefaultMinRefreshInterval (10s), so 20.
	for i, tok := range tokens {
		h.clk.Advance(time.Second)
		wantReason(t, fmt.Sprintf("sequential %d", i), h.auth(tok), ReasonUnknownKey)
	}
	h.counts(t, 1, 2+20)

	// A genuine token is still accepted at once, without a fetch.
	wantReason(t, "genuine", h.auth(h.valid(t)), "")
	h.counts(t, 1, 22)
}

// flood runs n calls of f at once and returns their errors.
func flood(n int, f func(i int) error) []error {
	errs := make([]error, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			errs[i] = f(i)
		})
	}
	close(start)
	wg.Wait()
	return errs
}

func TestOAuthKeyDiscovery(t *testing.T) {
	t.Run("metadata missing falls back to v1/keys", func(t *testing.T) {
		h := newHarness(t, nil)
		h.iss.SetMetadata(http.StatusNotFound, map[string]any{"errorCode": "E0000007"})
		wantReason(t, "fallback", h.auth(h.valid(t)), "")
		h.counts(t, 1, 1)
		h.clk.Advance(DefaultRefreshInterval)
		wantReason(t, "refresh", h.auth(h.valid(t)), "")
		h.waitFetch(t)
		h.waitFetch(t)
		h.counts(t, 2, 2) // not discovered, so asked again
	})
	t.Run("jwks_uri remembered", func(t *testing.T) {
		h := newHarness(t, nil)
		wantReason(t, "first", h.auth(h.valid(t)), "")
		h.clk.Advance(DefaultRefreshInterval)
		wantReason(t, "refresh", h.auth(h.valid(t)), "")
		h.waitFetch(t)
		h.waitFetch(t)
		h.counts(t, 1, 2)
	})
	t.Run("metadata for another issuer is refused", func(t *testing.T) {
		h := newHarness(t, nil)
		h.iss.SetMetadata(http.StatusOK, map[string]any{
			"issuer": h.iss.URL + "/", "jwks_uri": h.iss.URL + "/v1/keys"})
		err := h.auth(h.valid(t))
		wantUnavailable(t, "mismatch", err)
		if !strings.Contains(err.Error(), "configured issuer is") {
			t.Errorf("error %q does not explain the mismatch", err)
		}
		h.counts(t, 1, 0)
	})
	t.Run("http jwks_uri is never fetched", func(t *testing.T) {
		h := newHarness(t, nil)
		plain := "http" + strings.TrimPrefix(h.iss.URL, "https") + "/v1/keys"
		h.iss.SetMetadata(http.StatusOK, map[string]any{"issuer": h.iss.URL, "jwks_uri": plain})
		wantReason(t, "fallback over https", h.auth(h.valid(t)), "")
		h.counts(t, 1, 1)
		if !strings.Contains(h.logs.String(), "is not an https URL") {
			t.Errorf("logs do not explain the refused jwks_uri: %s", h.logs.String())
		}
	})
}

func TestOAuthSkipsUnusableKeys(t *testing.T) {
	h := newHarness(t, nil)
	small := hookauthtest.NewKeyBits(t, "small", 1024)
	h.iss.PublishRaw(hookauthtest.PublicJWK(small, "RS256", "sig"))
	enc := hookauthtest.NewKey(t, "enc")
	h.iss.PublishRaw(hookauthtest.PublicJWK(enc, "RS256", "enc"))
	rs512 := hookauthtest.NewKey(t, "rs512")
	h.iss.PublishRaw(hookauthtest.PublicJWK(rs512, "RS512", "sig"))
	h.iss.PublishRaw(map[string]any{"kty": "oct", "kid": "oct", "k": "c2VjcmV0"})
	h.iss.PublishRaw(map[string]any{"kty": "EC", "kid": "ec", "crv": "P-256",
		"x": "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",
		"y": "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"})

	claims := h.iss.Claims(h.clk.Now())
	wantReason(t, "good key", h.auth(h.valid(t)), "")
	for _, k := range []*hookauthtest.Key{small, enc, rs512} {
		tok := hookauthtest.Sign(t, jwt.SigningMethodRS256, k.Private,
			map[string]any{"kid": k.ID}, claims)
		wantReason(t, k.ID, h.auth(tok), ReasonUnknownKey)
	}
	h.counts(t, 1, 1)
	for _, why := range []string{`"RSA key of 1024 bits"`, `"use \"enc\""`, `"alg \"RS512\""`,
		`"key type \"oct\""`, `"key type \"EC\""`} {
		if !strings.Contains(h.logs.String(), why) {
			t.Errorf("logs do not say why a key was skipped: %s", why)
		}
	}
}

func TestOAuthKeySetWithoutUsableKeyIsUnavailable(t *testing.T) {
	h := newHarness(t, nil)
	h.iss.Retire(h.iss.Signer().ID)
	h.iss.PublishRaw(map[string]any{"kty": "oct", "kid": "oct", "k": "c2VjcmV0"})
	err := h.auth(h.valid(t))
	wantUnavailable(t, "no usable key", err)
	if !strings.Contains(err.Error(), "no usable RS256 signing key among 1 keys") {
		t.Errorf("error %q does not say the key set had no usable key", err)
	}
}

func TestOAuthAuthorizationHeader(t *testing.T) {
	h := newHarness(t, nil)
	token := h.valid(t)
	tests := []struct {
		name, header string
		reason       Reason
	}{
		{"missing", "", ReasonMissing},
		{"basic", BasicHeader("okta", "secret"), ReasonWrongScheme},
		{"lower-case scheme", "bearer " + token, ""},
		{"no token", "Bearer", ReasonMalformed},
		{"blank token", "Bearer   ", ReasonMalformed},
	}
	for _, tt := range tests {
		r := httptest.NewRequest(http.MethodPost, "/api/telephony", nil)
		if tt.header != "" {
			r.Header.Set("Authorization", tt.header)
		}
		wantReason(t, tt.name, h.oauth.Authenticate(r), tt.reason)
	}
}

// failTransport fails the test on any request: NewOAuth must not touch the network.
type failTransport struct{ t *testing.T }

func (f failTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	f.t.Errorf("unexpected request to %s", r.URL)
	return nil, errors.New("no network in this test")
}

func TestNewOAuthChecksConfig(t *testing.T) {
	const custom = "https://acme.okta.com/oauth2/default"
	tests := []struct {
		name, issuer, audience, scope string
		wantErr                       string // "" when NewOAuth must succeed
	}{
		{"custom server", custom, "api://default", "hook", ""},
		{"custom server id", "https://login.acme.com/oauth2/aus1a2b3c4d5e6f7", "api://x", "hook",
			""},
		{"org server", "https://acme.okta.com", "api://default", "hook",
			"is the org authorization server"},
		{"org server slash", "https://acme.okta.com/", "api://default", "hook",
			"is the org authorization server"},
		{"org server v1", "https://acme.okta.com/oauth2/v1", "api://default", "hook",
			"is the org authorization server"},
		{"http", "http://acme.okta.com/oauth2/default", "api://default", "hook",
			"must be an https:// URL"},
		{"no scheme", "acme.okta.com/oauth2/default", "api://default", "hook",
			"must be an https:// URL"},
		{"trailing slash", custom + "/", "api://default", "hook", "must not end with '/'"},
		{"keys URL", custom + "/v1/keys", "api://default", "hook",
			"is not a custom authorization server"},
		{"no server id", "https://acme.okta.com/oauth2", "api://default", "hook",
			"is not a custom authorization server"},
		{"query", custom + "?x=1", "api://default", "hook", "must not carry"},
		{"empty query", custom + "?", "api://default", "hook", "must not carry"},
		{"user info", "http://u:pw@acme.okta.com/oauth2/default", "api://default", "hook",
			`"http://u:xxxxx@acme.okta.com/oauth2/default" must not carry credentials`},
		{"not a URL", "https://acme okta.com/oauth2/default", "api://default", "hook",
			"oauth issuer: is not a valid URL"},
		{"upper-case scheme", "HTTPS://acme.okta.com/oauth2/default", "api://default", "hook",
			"must be an https:// URL"},
		{"empty", "", "api://default", "hook", "must be an https:// URL"},
		{"no audience", custom, "", "hook", "audience is required"},
		{"no scope", custom, "api://default", "", "scope must be one scope name"},
		{"two scopes", custom, "api://default", "a b", "scope must be one scope name"},
	}
	client := &http.Client{Transport: failTransport{t}}
	for _, tt := range tests {
		o, err := NewOAuth(OAuthConfig{Issuer: tt.issuer, Audience: tt.audience,
			Scope: tt.scope, HTTPClient: client})
		switch {
		case tt.wantErr == "" && (err != nil || o == nil):
			t.Errorf("%s: NewOAuth = %v; want success", tt.name, err)
		case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
			t.Errorf("%s: NewOAuth error = %v; want one containing %q", tt.name, err, tt.wantErr)
		}
	}
}

func TestNewOAuthExplainsWhyTheOrgServerIsRefused(t *testing.T) {
	_, err := NewOAuth(OAuthConfig{Issuer: "https://acme.okta.com",
		Audience: "api://default", Scope: "hook"})
	want := `hookauth: oauth issuer: "https://acme.okta.com" is the org authorization ` +
		`server, whose access tokens are meant for Okta's own APIs only and must not be ` +
		`validated by others; use a custom authorization server such as ` +
		`https://acme.okta.com/oauth2/default`
	if err == nil || err.Error() != want {
		t.Errorf("NewOAuth error =\n%v\nwant\n%s", err, want)
	}
}

func TestOAuthDefaults(t *testing.T) {
	o, err := NewOAuth(OAuthConfig{Issuer: "https://acme.okta.com/oauth2/default",
		Audience: "api://default", Scope: "hook"})
	if err != nil {
		t.Fatal(err)
	}
	k := o.keys
	if k.timeout != time.Second || k.maxAge != time.Hour || k.minGap != 10*time.Second {
		t.Errorf("defaults: timeout %v, maxAge %v, minGap %v; want 1s, 1h, 10s",
			k.timeout, k.maxAge, k.minGap)
	}
	if k.client == nil || k.client.Timeout != 5*time.Second {
		t.Errorf("default HTTP client %+v; want one with a 5s timeout", k.client)
	}
}

func BenchmarkOAuthAuthenticateWarm(b *testing.B) {
	iss := hookauthtest.NewIssuer(b)
	o, err := NewOAuth(OAuthConfig{Issuer: iss.URL, Audience: hookauthtest.Audience,
		Scope: hookauthtest.Scope, ClientID: hookauthtest.ClientID, HTTPClient: iss.Client()})
	if err != nil {
		b.Fatal(err)
	}
	r := bearerRequest(context.Background(), iss.Mint(b, iss.Claims(time.Now())))
	if err := o.Authenticate(r); err != nil {
		b.Fatalf("warm-up: %v", err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if err := o.Authenticate(r); err != nil {
			b.Fatal(err)
		}
	}
}

// TestOAuthClipsTokenSuppliedTextInErrors sends tokens whose header and claims carry
// values of about 10 KB with terminal escapes and line breaks: the caller is not
// authenticated yet, and the error text goes to the hook's log line.
func TestOAuthClipsTokenSuppliedTextInErrors(t *testing.T) {
	h := newHarness(t, nil)
	if err := h.auth(h.valid(t)); err != nil { // warm the cache
		t.Fatalf("valid token: %v", err)
	}
	h.waitFetch(t)
	h.clk.Advance(DefaultMinRefreshInterval) // an unknown kid may now trigger a fetch

	long := "\x1b[31mx\n\u202e\"\\" + strings.Repeat("a", 10200) // 10212 bytes
	signer := h.iss.Signer()
	claims := h.iss.Claims(h.clk.Now())
	cidClaims := h.iss.Claims(h.clk.Now())
	cidClaims["cid"] = long
	numClaims := h.iss.Claims(h.clk.Now())
	numClaims["exp"] = json.Number("1" + strings.Repeat("0", 10000)) // out of float range
	sign := func(header map[string]any, c jwt.MapClaims) string {
		return hookauthtest.Sign(t, jwt.SigningMethodRS256, signer.Private, header, c)
	}
	// The value as quoted: 64 bytes with '?' for each control, format, '"' and '\' rune.
	quoted := `"?[31mx????` + strings.Repeat("a", 54) + `...(10212 bytes)"`

	tests := []struct {
		name, token string
		reason      Reason
		want        string // the exact error text; "" to check only length and runes
	}{
		{"kid", sign(map[string]any{"kid": long}, claims), ReasonUnknownKey,
			"hookauth: unknown signing key: key id " + quoted +
				" is not in the issuer's key set"},
		{"alg", sign(map[string]any{"kid": signer.ID, "alg": long}, claims),
			ReasonAlgorithm, "hookauth: disallowed signing algorithm: alg " + quoted +
				" is not RS256"},
		{"cid", sign(map[string]any{"kid": signer.ID}, cidClaims), ReasonWrongClient,
			"hookauth: wrong client id: token client id " + quoted +
				" is not the configured one"},
		{"exp as a 10 KB number", sign(map[string]any{"kid": signer.ID}, numClaims),
			ReasonMalformed, ""},
	}
	for _, tt := range tests {
		err := h.auth(tt.token)
		wantReason(t, tt.name, err, tt.reason)
		if err == nil {
			continue
		}
		text := err.Error()
		if tt.want != "" && text != tt.want {
			t.Errorf("%s: error\n%q; want\n%q", tt.name, text, tt.want)
		}
		if len(text) >= 200 || strings.Contains(text, strings.Repeat("a", 100)) ||
			strings.Contains(text, strings.Repeat("0", 100)) {
			t.Errorf("%s: error of %d bytes repeats the token: %.300q", tt.name, len(text), text)
		}
		for _, r := range text {
			if !unicode.IsPrint(r) || !utf8.ValidString(text) {
				t.Errorf("%s: error holds %U: %.300q", tt.name, r, text)
				break
			}
		}
	}
}
