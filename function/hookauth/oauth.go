package hookauth

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"okta-acs-sms/function/redact"
)

// Defaults for the zero values of OAuthConfig.
const (
	// DefaultLeeway is the clock skew tolerated on exp, nbf and iat: Okta's own default.
	DefaultLeeway = 2 * time.Minute
	// DefaultRefreshInterval is how old the held keys may grow before they are fetched
	// again in the background.
	DefaultRefreshInterval = time.Hour
	// DefaultMinRefreshInterval is the least time between two key fetches triggered by
	// an unknown key id or by a retry after a failed fetch.
	DefaultMinRefreshInterval = 10 * time.Second
	// DefaultFetchTimeout bounds one key fetch (metadata and key set together). It is
	// short because a hook call on a cold cache waits for it inside Okta's 3 s budget.
	DefaultFetchTimeout = time.Second
)

// maxTokenBytes bounds the bearer token parsed; Okta access tokens are about 1 KB.
const maxTokenBytes = 16 << 10

// Bounds on text that comes from a token and ends up in an error, which the hook logs.
// The caller is not authenticated yet, so whatever the token holds (a key id of 12 KB,
// terminal escapes, line breaks) is the caller's choice.
const (
	// maxQuoted bounds one token-supplied value (kid, alg, cid) quoted in an error.
	maxQuoted = 64
	// maxLibraryText bounds the text of an error from the jwt library, which may quote
	// parts of the token (a number literal of a claim, for example).
	maxLibraryText = 128
)

// OAuthConfig configures OAuth. The zero value of every optional field means the
// documented default.
type OAuthConfig struct {
	// Issuer is the custom authorization server that issues Okta's tokens for the hook,
	// such as https://acme.okta.com/oauth2/default. Required, https, no trailing slash.
	// The org authorization server (https://acme.okta.com) is refused: its access tokens
	// are meant for Okta's own APIs and are not to be validated by anyone else.
	Issuer string
	// Audience must be one of the token's aud values, e.g. api://default. Required.
	Audience string
	// Scope must be one of the token's scp values: the custom scope given to the hook's
	// client. Required.
	Scope string
	// ClientID, when set, must equal the token's cid: the client id of the API Services
	// app Okta uses to obtain the token. Optional.
	ClientID string

	// HTTPClient fetches the issuer's metadata and keys. Default: a client with a 5 s
	// overall timeout and the system certificate pool.
	HTTPClient *http.Client
	// Logger receives key-fetch events (never a token). Default: discard.
	Logger *slog.Logger
	// Now is the clock. Default: time.Now.
	Now func() time.Time
	// Leeway is the clock skew tolerated on exp, nbf and iat. Default: DefaultLeeway.
	Leeway time.Duration
	// RefreshInterval is how old the keys may grow before a background refresh.
	// Default: DefaultRefreshInterval.
	RefreshInterval time.Duration
	// MinRefreshInterval is the least time between fetches triggered by an unknown key id
	// or by a retry after a failure. Default: DefaultMinRefreshInterval.
	MinRefreshInterval time.Duration
	// FetchTimeout bounds one fetch of the keys. Default: DefaultFetchTimeout.
	FetchTimeout time.Duration
}

// OAuth accepts a request carrying an OAuth 2.0 access token that an Okta custom
// authorization server issued for the hook: "Authorization: Bearer <JWT>", signed with
// RS256 by a key from the issuer's key set, for the configured issuer, audience, scope
// and (optionally) client id, and valid now.
//
// The signing keys are fetched on the first token, not at construction, and a refused
// request whose cause is on our side (keys could not be fetched) carries Unavailable.
type OAuth struct {
	issuer   string
	audience string
	scope    string
	clientID string
	parser   *jwt.Parser
	keys     *keySet
}

// NewOAuth checks cfg and returns an OAuth. It makes no network call.
func NewOAuth(cfg OAuthConfig) (*OAuth, error) {
	if err := checkIssuer(cfg.Issuer); err != nil {
		return nil, fmt.Errorf("hookauth: oauth issuer: %w", err)
	}
	if cfg.Audience == "" {
		return nil, errors.New("hookauth: oauth audience is required (e.g. api://default)")
	}
	if cfg.Scope == "" || strings.ContainsAny(cfg.Scope, " \t") {
		return nil, fmt.Errorf("hookauth: oauth scope must be one scope name, got %q", cfg.Scope)
	}
	cfg = withDefaults(cfg)

	return &OAuth{
		issuer:   cfg.Issuer,
		audience: cfg.Audience,
		scope:    cfg.Scope,
		clientID: cfg.ClientID,
		parser: jwt.NewParser(
			jwt.WithValidMethods([]string{jwt.SigningMethodRS256.Alg()}),
			jwt.WithIssuer(cfg.Issuer),
			jwt.WithAudience(cfg.Audience),
			jwt.WithExpirationRequired(),
			jwt.WithIssuedAt(),
			jwt.WithLeeway(cfg.Leeway),
			jwt.WithTimeFunc(cfg.Now),
		),
		keys: &keySet{
			issuer:  cfg.Issuer,
			client:  cfg.HTTPClient,
			log:     cfg.Logger,
			now:     cfg.Now,
			timeout: cfg.FetchTimeout,
			maxAge:  cfg.RefreshInterval,
			minGap:  cfg.MinRefreshInterval,
		},
	}, nil
}

// withDefaults fills the zero optional fields of cfg.
func withDefaults(cfg OAuthConfig) OAuthConfig {
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{
			Timeout:   5 * time.Second,
			Transport: http.DefaultTransport.(*http.Transport).Clone(),
		}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Leeway == 0 {
		cfg.Leeway = DefaultLeeway
	}
	if cfg.RefreshInterval == 0 {
		cfg.RefreshInterval = DefaultRefreshInterval
	}
	if cfg.MinRefreshInterval == 0 {
		cfg.MinRefreshInterval = DefaultMinRefreshInterval
	}
	if cfg.FetchTimeout == 0 {
		cfg.FetchTimeout = DefaultFetchTimeout
	}
	return cfg
}

// checkIssuer accepts only an https URL of an Okta custom authorization server:
// https://{host}/oauth2/{serverId}, with nothing after the server id. Its errors quote the
// issuer, except when it is unparsable or carries credentials, which are not repeated.
func checkIssuer(issuer string) error {
	const example = "use a custom authorization server such as https://acme.okta.com/oauth2/default"
	u, err := url.Parse(issuer)
	if err != nil {
		return errors.New("is not a valid URL")
	}
	if u.User != nil {
		return fmt.Errorf("%q must not carry credentials", u.Redacted())
	}
	if !strings.HasPrefix(issuer, "https://") || u.Host == "" {
		return fmt.Errorf("%q must be an https:// URL", issuer)
	}
	if u.RawQuery != "" || u.ForceQuery || u.Fragment != "" {
		return fmt.Errorf("%q must not carry a query or a fragment", issuer)
	}
	if strings.HasSuffix(u.Path, "/") && u.Path != "/" {
		return fmt.Errorf("%q must not end with '/': tokens carry it without one", issuer)
	}
	id, ok := strings.CutPrefix(u.Path, "/oauth2/")
	if u.Path == "" || u.Path == "/" || (ok && id == "v1") {
		return fmt.Errorf("%q is the org authorization server, whose access tokens are "+
			"meant for Okta's own APIs only and must not be validated by others; %s",
			issuer, example)
	}
	if !ok || id == "" || strings.Contains(id, "/") {
		return fmt.Errorf("%q is not a custom authorization server; %s", issuer, example)
	}
	return nil
}

// Scheme returns "Bearer", the authorization scheme OAuth checks.
func (o *OAuth) Scheme() string { return "Bearer" }

// Authenticate checks the bearer token of r. The token never appears in the error.
func (o *OAuth) Authenticate(r *http.Request) error {
	raw, err := bearerToken(r)
	if err != nil {
		return err
	}

	var claims oktaClaims
	tok, err := o.parser.ParseWithClaims(raw, &claims, func(t *jwt.Token) (any, error) {
		kid, _ := t.Header["kid"].(string)
		if kid == "" {
			return nil, &Error{Reason: ReasonUnknownKey, Err: errors.New("token names no key id")}
		}
		return o.keys.key(r.Context(), kid)
	})
	if err != nil {
		return refusal(tok, &claims, err)
	}

	if !slices.Contains(claims.Scopes, o.scope) {
		return &Error{Reason: ReasonMissingScope, Err: fmt.Errorf(
			"scope %q not among the token's %d scopes", o.scope, len(claims.Scopes))}
	}
	if o.clientID != "" && claims.ClientID != o.clientID {
		return &Error{Reason: ReasonWrongClient, Err: fmt.Errorf(
			"token client id %s is not the configured one", quote(claims.ClientID))}
	}
	return nil
}

// bearerToken returns the token of "Authorization: Bearer <token>". The scheme name is
// matched without regard to case, as RFC 9110 §11.1 requires.
func bearerToken(r *http.Request) (string, error) {
	h := r.Header.Get("Authorization")
	if h == "" {
		return "", &Error{Reason: ReasonMissing}
	}
	scheme, tok, _ := strings.Cut(h, " ")
	if !strings.EqualFold(scheme, "Bearer") {
		return "", &Error{Reason: ReasonWrongScheme}
	}
	tok = strings.TrimSpace(tok)
	switch {
	case tok == "":
		return "", &Error{Reason: ReasonMalformed, Err: errors.New("empty bearer token")}
	case len(tok) > maxTokenBytes:
		return "", &Error{Reason: ReasonMalformed,
			Err: fmt.Errorf("bearer token of %d bytes is over %d", len(tok), maxTokenBytes)}
	}
	return tok, nil
}

// refusal turns a parse or validation error of the jwt library into an *Error with the
// most telling Reason. When several claims are wrong at once, the order below decides.
// The library's text is cut and cleaned (see clean): it may quote parts of the token.
func refusal(tok *jwt.Token, claims *oktaClaims, err error) error {
	var own *Error
	if errors.As(err, &own) {
		return own // from the key lookup: unknown key or keys unavailable
	}

	reason := ReasonMalformed
	switch {
	case errors.Is(err, jwt.ErrTokenMalformed): // stays ReasonMalformed
	case tok != nil && tok.Header["alg"] != jwt.SigningMethodRS256.Alg():
		// Our own text: the library's may quote the token's alg in full.
		alg, _ := tok.Header["alg"].(string)
		return &Error{Reason: ReasonAlgorithm, Err: &boundedError{
			text: "alg " + quote(alg) + " is not RS256", err: err}}
	case errors.Is(err, jwt.ErrTokenSignatureInvalid):
		reason = ReasonBadSignature
	case errors.Is(err, jwt.ErrTokenInvalidIssuer) || claims.Issuer == "":
		reason = ReasonWrongIssuer
	case errors.Is(err, jwt.ErrTokenInvalidAudience) || len(claims.Audience) == 0:
		reason = ReasonWrongAudience
	case errors.Is(err, jwt.ErrTokenExpired):
		reason = ReasonExpired
	case errors.Is(err, jwt.ErrTokenNotValidYet) || errors.Is(err, jwt.ErrTokenUsedBeforeIssued):
		reason = ReasonNotYetValid
	}
	return &Error{Reason: reason, Err: &boundedError{text: clean(err.Error(), maxLibraryText),
		err: err}}
}

// boundedError carries a library error under a text of bounded length and printable
// characters only, while errors.Is and errors.As still see the library error.
type boundedError struct {
	text string
	err  error
}

func (e *boundedError) Error() string { return e.text }
func (e *boundedError) Unwrap() error { return e.err }

// quote returns s, a value taken from a token, quoted for an error or a log line: cut by
// clean, with any double quote or backslash replaced by '?' as well, so that quoting adds
// nothing but the two quote marks.
func quote(s string) string {
	return `"` + unquotable.Replace(clean(s, maxQuoted)) + `"`
}

var unquotable = strings.NewReplacer(`"`, "?", "\\", "?")

// clean returns s cut to at most limit bytes of valid UTF-8, with every rune that is not
// printable (control characters, line breaks, invisible formatting such as bidirectional
// overrides, invalid bytes) replaced by '?'. When s was longer, its full length follows.
func clean(s string, limit int) string {
	return redact.Printable(s, limit, fmt.Sprintf("...(%d bytes)", len(s)))
}

// oktaClaims are the claims of an Okta access token that the hook checks.
type oktaClaims struct {
	jwt.RegisteredClaims
	Scopes   scopes `json:"scp"`
	ClientID string `json:"cid"`
}

// scopes is the scp claim. Okta sends a JSON array; a space-separated string (the form of
// the RFC 8693 "scope" claim) is accepted too.
type scopes []string

// UnmarshalJSON reads an array of strings or one space-separated string.
func (s *scopes) UnmarshalJSON(b []byte) error {
	var list []string
	if err := json.Unmarshal(b, &list); err == nil {
		*s = list
		return nil
	}
	var one string
	if err := json.Unmarshal(b, &one); err != nil {
		return fmt.Errorf("scp is neither a list of strings nor a string: %w", err)
	}
	*s = strings.Fields(one)
	return nil
}
