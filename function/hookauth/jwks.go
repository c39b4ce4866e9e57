package hookauth

import (
	"context"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/MicahParks/jwkset"
)

// Size limits for what the issuer sends back. Okta's key set is a few kilobytes; anything
// far larger is not a key set and is cut off rather than read into memory.
const (
	maxMetadataBytes = 256 << 10
	maxKeySetBytes   = 1 << 20
	minRSABits       = 2048
)

// keySet holds the RS256 signing keys of one issuer. It fetches them on first use, not
// when it is built, keeps them, and fetches them again when they are older than maxAge or
// when a token names a key it does not hold.
//
// NOTE: every fetch is bounded twice over, so that a slow or unreachable issuer can never
// make a hook call miss Okta's 3 s deadline or let bad tokens hammer the issuer:
//   - single flight: at most one fetch runs at a time; other callers wait for it;
//   - spacing: a new fetch starts at most once per minGap, whatever triggers it (unknown
//     key id, retry after a failure), apart from the first one;
//   - time: a fetch gets timeout in all (metadata and key set together), and each caller
//     stops waiting when its own request context ends.
//
// The fetch runs detached from the request that triggered it, so that one cancelled
// request does not waste the fetch for every other caller waiting on it.
type keySet struct {
	issuer  string
	client  *http.Client
	log     *slog.Logger
	now     func() time.Time
	timeout time.Duration
	maxAge  time.Duration
	minGap  time.Duration

	mu        sync.Mutex
	keys      map[string]*rsa.PublicKey // nil until the first successful fetch
	fetchedAt time.Time                 // when keys were last replaced
	startedAt time.Time                 // when the last fetch started, zero if never
	lastErr   error                     // the error of the last failed fetch
	jwksURL   string                    // from the issuer metadata, "" until read
	inflight  *fetch

	// fetched is called after every fetch; tests use it to wait for background fetches.
	fetched func(error)
}

// fetch is one key-set fetch in progress; done is closed when err is set.
type fetch struct {
	done chan struct{}
	err  error
}

// key returns the public key named kid. On a cold cache, or when kid is unknown and the
// spacing allows, it waits for a fetch. An error is always an *Error.
func (k *keySet) key(ctx context.Context, kid string) (*rsa.PublicKey, error) {
	k.mu.Lock()
	now := k.now()
	if k.keys != nil {
		pub, ok := k.keys[kid]
		if ok {
			if now.Sub(k.fetchedAt) >= k.maxAge && k.mayStartLocked(now) {
				k.startLocked(now) // refresh in the background, serve the held key meanwhile
			}
			k.mu.Unlock()
			return pub, nil
		}
	}

	f := k.inflight
	if f == nil {
		if !k.mayStartLocked(now) {
			err := k.spacedErrorLocked(now)
			k.mu.Unlock()
			return nil, err
		}
		f = k.startLocked(now)
	}
	k.mu.Unlock()

	return k.await(ctx, f, kid)
}

// await waits for f, or for ctx to end, then looks kid up again.
func (k *keySet) await(ctx context.Context, f *fetch, kid string) (*rsa.PublicKey, error) {
	select {
	case <-f.done:
	case <-ctx.Done():
		return nil, &Error{Reason: ReasonKeysUnavailable, Unavailable: true,
			Err: fmt.Errorf("waiting for the issuer's key set: %w", ctx.Err())}
	}
	if f.err != nil {
		return nil, &Error{Reason: ReasonKeysUnavailable, Unavailable: true, Err: f.err}
	}

	k.mu.Lock()
	pub, ok := k.keys[kid]
	k.mu.Unlock()
	if !ok {
		return nil, &Error{Reason: ReasonUnknownKey,
			Err: fmt.Errorf("key id %s is not in the issuer's key set", quote(kid))}
	}
	return pub, nil
}

// mayStartLocked reports whether the spacing allows a new fetch now.
func (k *keySet) mayStartLocked(now time.Time) bool {
	return k.inflight == nil && (k.startedAt.IsZero() || now.Sub(k.startedAt) >= k.minGap)
}

// spacedErrorLocked is the answer when a fetch is needed but too soon after the last one.
func (k *keySet) spacedErrorLocked(now time.Time) error {
	wait := k.minGap - now.Sub(k.startedAt)
	if k.keys == nil {
		return &Error{Reason: ReasonKeysUnavailable, Unavailable: true,
			Err: fmt.Errorf("no keys yet, next fetch in %v: last fetch: %w", wait, k.lastErr)}
	}
	return &Error{Reason: ReasonUnknownKey,
		Err: fmt.Errorf("key id not in the issuer's key set; next refresh allowed in %v", wait)}
}

// startLocked starts a fetch in the background and records it as in flight.
func (k *keySet) startLocked(now time.Time) *fetch {
	f := &fetch{done: make(chan struct{})}
	k.inflight = f
	k.startedAt = now
	jwksURL := k.jwksURL
	go k.run(f, jwksURL)
	return f
}

// run performs fetch f and stores its outcome.
func (k *keySet) run(f *fetch, jwksURL string) {
	ctx, cancel := context.WithTimeout(context.Background(), k.timeout)
	defer cancel()
	keys, discovered, err := k.load(ctx, jwksURL)

	k.mu.Lock()
	if err == nil {
		k.keys, k.fetchedAt, k.lastErr = keys, k.now(), nil
		if discovered != "" {
			k.jwksURL = discovered
		}
	} else {
		k.lastErr = err
	}
	k.inflight = nil
	f.err = err
	hook := k.fetched
	k.mu.Unlock()
	close(f.done)

	if err != nil {
		k.log.Warn("hookauth: fetching the issuer's signing keys failed",
			"issuer", k.issuer, "error", err.Error())
	} else {
		k.log.Info("hookauth: fetched the issuer's signing keys",
			"issuer", k.issuer, "keys", len(keys))
	}
	if hook != nil {
		hook(err)
	}
}

// load reads the key set. With no known jwksURL it first reads the issuer metadata
// (RFC 8414) for jwks_uri, and falls back to Okta's fixed path {issuer}/v1/keys when the
// metadata cannot be read. It returns the jwks_uri it discovered, if any, to remember.
func (k *keySet) load(ctx context.Context, jwksURL string) (map[string]*rsa.PublicKey,
	string, error) {
	var discovered string
	if jwksURL == "" {
		var err error
		discovered, err = k.discover(ctx)
		var mismatch *issuerMismatchError
		switch {
		case errors.As(err, &mismatch):
			return nil, "", err
		case err != nil:
			k.log.Warn("hookauth: reading the issuer metadata failed; using {issuer}/v1/keys",
				"issuer", k.issuer, "error", err.Error())
			jwksURL = k.issuer + "/v1/keys"
		default:
			jwksURL = discovered
		}
	}

	var set jwkset.JWKSMarshal
	if err := k.getJSON(ctx, jwksURL, maxKeySetBytes, &set); err != nil {
		return nil, "", fmt.Errorf("fetch key set: %w", err)
	}
	keys, err := k.parse(set)
	if err != nil {
		return nil, "", fmt.Errorf("fetch key set %s: %w", jwksURL, err)
	}
	return keys, discovered, nil
}

// issuerMismatchError is metadata that names another issuer: a configuration error that
// no fallback should hide (RFC 8414 §3.3 forbids using such metadata).
type issuerMismatchError struct{ got, want string }

func (e *issuerMismatchError) Error() string {
	return fmt.Sprintf("issuer metadata names issuer %q, configured issuer is %q", e.got, e.want)
}

// discover reads jwks_uri from {issuer}/.well-known/oauth-authorization-server.
func (k *keySet) discover(ctx context.Context) (string, error) {
	var meta struct {
		Issuer  string `json:"issuer"`
		JWKSURI string `json:"jwks_uri"`
	}
	u := k.issuer + "/.well-known/oauth-authorization-server"
	if err := k.getJSON(ctx, u, maxMetadataBytes, &meta); err != nil {
		return "", fmt.Errorf("read issuer metadata: %w", err)
	}
	if meta.Issuer != k.issuer {
		return "", &issuerMismatchError{got: meta.Issuer, want: k.issuer}
	}
	p, err := url.Parse(meta.JWKSURI)
	if err != nil || p.Scheme != "https" || p.Host == "" {
		return "", fmt.Errorf("read issuer metadata: jwks_uri %q is not an https URL",
			meta.JWKSURI)
	}
	return meta.JWKSURI, nil
}

// getJSON GETs u over HTTPS and decodes at most limit bytes of a 200 answer into v.
func (k *keySet) getJSON(ctx context.Context, u string, limit int64, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return fmt.Errorf("GET %s: %w", u, err)
	}
	if req.URL.Scheme != "https" {
		return fmt.Errorf("GET %s: refusing a non-https URL", u)
	}
	req.Header.Set("Accept", "application/json")

	resp, err := k.client.Do(req)
	if err != nil {
		return fmt.Errorf("GET %s: %w", u, err)
	}
	defer resp.Body.Close()
	if resp.Request != nil && resp.Request.URL.Scheme != "https" {
		return fmt.Errorf("GET %s: redirected to a non-https URL", u)
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: status %s", u, resp.Status)
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, limit)).Decode(v); err != nil {
		return fmt.Errorf("GET %s: decode: %w", u, err)
	}
	return nil
}

// parse keeps the keys of set that can verify RS256 signatures: RSA, at least 2048 bits,
// with a key id, meant for signing ("use" absent or "sig") and for RS256 ("alg" absent or
// "RS256"). Other keys are skipped, not fatal; a set with no usable key is an error.
func (k *keySet) parse(set jwkset.JWKSMarshal) (map[string]*rsa.PublicKey, error) {
	keys := make(map[string]*rsa.PublicKey, len(set.Keys))
	for _, m := range set.Keys {
		pub, why := usableKey(m)
		if why == "" {
			if _, dup := keys[m.KID]; dup {
				why = "duplicate key id"
			}
		}
		if why != "" {
			k.log.Warn("hookauth: skipping a key in the issuer's key set",
				"issuer", k.issuer, "kid", clean(m.KID, maxQuoted), "why", why)
			continue
		}
		keys[m.KID] = pub
	}
	if len(keys) == 0 {
		return nil, fmt.Errorf("no usable RS256 signing key among %d keys", len(set.Keys))
	}
	return keys, nil
}

// usableKey returns the RSA public key of m, or why it cannot verify RS256 signatures.
func usableKey(m jwkset.JWKMarshal) (*rsa.PublicKey, string) {
	switch {
	case m.KTY != jwkset.KtyRSA:
		return nil, fmt.Sprintf("key type %q", m.KTY)
	case m.KID == "":
		return nil, "no key id"
	case m.USE != "" && m.USE != jwkset.UseSig:
		return nil, fmt.Sprintf("use %q", m.USE)
	case m.ALG != "" && m.ALG != jwkset.AlgRS256:
		return nil, fmt.Sprintf("alg %q", m.ALG)
	}
	jwk, err := jwkset.NewJWKFromMarshal(m, jwkset.JWKMarshalOptions{},
		jwkset.JWKValidateOptions{})
	if err != nil {
		return nil, err.Error()
	}
	pub, ok := jwk.Key().(*rsa.PublicKey)
	if !ok {
		return nil, fmt.Sprintf("key is %T", jwk.Key())
	}
	if pub.N.BitLen() < minRSABits {
		return nil, fmt.Sprintf("RSA key of %d bits", pub.N.BitLen())
	}
	return pub, ""
}
