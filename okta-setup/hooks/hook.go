package hooks

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/okta/okta-sdk-golang/v5/okta"
)

// Hook statuses as Okta spells them.
const (
	StatusActive   = "ACTIVE"
	StatusInactive = "INACTIVE"
)

// OAuth client authentication methods Okta uses against the token URL.
const (
	AuthClientSecretPost = "client_secret_post"
	AuthPrivateKeyJWT    = "private_key_jwt"
)

// Header is one HTTP header Okta sends on every hook call.
type Header struct {
	Key, Value string
}

// OAuth is the OAUTH channel: Okta gets an access token from TokenURL (client
// credentials, Scope) as ClientID, authenticating with ClientSecret (client_secret_post)
// or with the hook key HookKeyID (private_key_jwt), and sends it as a bearer token.
type OAuth struct {
	ClientID     string
	TokenURL     string
	Scope        string
	ClientSecret string
	HookKeyID    string
}

// AuthType is the channel's authType: private_key_jwt when a hook key is named.
func (o OAuth) AuthType() string {
	if o.HookKeyID != "" {
		return AuthPrivateKeyJWT
	}
	return AuthClientSecretPost
}

// Spec is the telephony hook to register. It always carries its secrets: Okta never
// returns them, so a hook rebuilt from a read would lose them.
type Spec struct {
	Name string
	URI  string
	// Auth is the HEADER auth scheme of an HTTP channel, e.g. Authorization: Basic ...
	// Ignored when OAuth is set.
	Auth Header
	// Headers are sent in addition, e.g. x-functions-key.
	Headers []Header
	// OAuth selects the OAUTH channel.
	OAuth *OAuth
}

// Validate checks the spec against Okta's rules for a telephony hook, so mistakes are
// reported before anything is sent.
func (s Spec) Validate() error {
	if s.Name == "" || len(s.Name) > 255 {
		return errors.New("hook name: must be 1 to 255 characters")
	}
	if err := CheckHookURL(s.URI); err != nil {
		return err
	}
	for _, h := range s.Headers {
		if err := checkHeader(h); err != nil {
			return err
		}
	}
	if s.OAuth == nil {
		if s.Auth.Key == "" || s.Auth.Value == "" {
			return errors.New("hook auth: header name and value are required")
		}
		return checkHeaderValue(s.Auth.Key, s.Auth.Value)
	}
	o := s.OAuth
	switch {
	case o.ClientID == "":
		return errors.New("hook OAuth: client id is required")
	case o.Scope == "":
		return errors.New("hook OAuth: scope is required")
	case (o.ClientSecret == "") == (o.HookKeyID == ""):
		return errors.New("hook OAuth: give a client secret or a hook key id, exactly one")
	}
	return checkHTTPS("hook OAuth token URL", o.TokenURL)
}

// CheckHookURL applies Okta's rules for a hook URI (https, at most 1024 characters, no
// whitespace) and refuses a user:password@ part, which would put a secret in the URL that
// status and every other command print. A query such as "?code=<function key>" is allowed
// (it is how Azure usually passes a function key) and is redacted wherever a URL is printed;
// an x-functions-key header keeps the key out of the URL altogether.
func CheckHookURL(raw string) error {
	if len(raw) > 1024 || strings.ContainsAny(raw, " \t\r\n") {
		return fmt.Errorf("hook URL %q: must be at most 1024 characters, no spaces",
			RedactURL(raw))
	}
	if err := checkHTTPS("hook URL", raw); err != nil {
		return err
	}
	if u, _ := url.Parse(raw); u.User != nil {
		return fmt.Errorf("hook URL %q: must not contain user:password@; Okta sends the hook "+
			"secret in the Authorization header", RedactURL(raw))
	}
	return nil
}

func checkHTTPS(what, raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "https" || u.Hostname() == "" {
		return fmt.Errorf("%s %q: must be an https:// URL", what, RedactURL(raw))
	}
	return nil
}

// reservedHeaders are set by Okta itself or by the auth scheme.
var reservedHeaders = map[string]bool{
	"accept": true, "authorization": true, "content-type": true, "content-length": true,
	"host": true, "user-agent": true,
}

func checkHeader(h Header) error {
	if !isToken(h.Key) {
		return fmt.Errorf("header %q: not a valid header name", h.Key)
	}
	if reservedHeaders[strings.ToLower(h.Key)] {
		return fmt.Errorf("header %q: reserved, Okta or the auth scheme sets it", h.Key)
	}
	if h.Value == "" {
		return fmt.Errorf("header %q: has no value", h.Key)
	}
	return checkHeaderValue(h.Key, h.Value)
}

// checkHeaderValue refuses a value with a control character. CR or LF would end the
// header and start another one in the request Okta sends; the others (tab included) have
// no place in a key or a secret and only hide what is really sent. The value itself is
// never printed: it is a secret.
func checkHeaderValue(key, v string) error {
	for _, r := range v {
		if r < 0x20 || r >= 0x7f && r <= 0x9f {
			return fmt.Errorf("header %q: value contains a control character (CR, LF, tab "+
				"or another); none is allowed", key)
		}
	}
	return nil
}

// isToken reports whether s is an HTTP token (RFC 9110 section 5.6.2), the syntax of a
// header name.
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0:
		default:
			return false
		}
	}
	return true
}

// InlineHook is the create/replace request body for s.
//
// NOTE: the SDK's InlineHookChannel has no Config field (okta-sdk-golang #469): a hook
// built from the typed model alone has no URI and no auth. The config is put into the
// channel's AdditionalProperties, which the SDK merges into the JSON unchanged.
func (s Spec) InlineHook() okta.InlineHook {
	ch := okta.NewInlineHookChannel()
	ch.SetVersion("1.0.0")
	ch.AdditionalProperties = map[string]interface{}{"config": s.config()}
	if s.OAuth != nil {
		ch.SetType("OAUTH")
	} else {
		ch.SetType("HTTP")
	}

	h := okta.NewInlineHook()
	h.SetName(s.Name)
	h.SetType(TelephonyType)
	h.SetVersion("1.0.0")
	h.SetChannel(*ch)
	return *h
}

func (s Spec) config() map[string]interface{} {
	cfg := map[string]interface{}{"uri": s.URI, "method": "POST"}
	if len(s.Headers) > 0 {
		hs := make([]map[string]string, 0, len(s.Headers))
		for _, h := range s.Headers {
			hs = append(hs, map[string]string{"key": h.Key, "value": h.Value})
		}
		cfg["headers"] = hs
	}
	if s.OAuth == nil {
		cfg["authScheme"] = map[string]string{
			"type": "HEADER", "key": s.Auth.Key, "value": s.Auth.Value,
		}
		return cfg
	}
	o := s.OAuth
	cfg["authType"] = o.AuthType()
	cfg["clientId"] = o.ClientID
	cfg["tokenUrl"] = o.TokenURL
	cfg["scope"] = o.Scope
	if o.HookKeyID != "" {
		cfg["hookKeyId"] = o.HookKeyID
	} else {
		cfg["clientSecret"] = o.ClientSecret
	}
	return cfg
}

// Redacted is the placeholder that replaces a secret in printed request bodies.
const Redacted = "[REDACTED]"

// RedactedJSON is the JSON of body, indented, with every secret replaced by Redacted:
// the auth scheme value, the OAuth client secret and the values of extra headers (they
// carry keys such as x-functions-key). The hook and token URLs are passed through
// RedactURL, since a query value may be a function key.
func RedactedJSON(body interface{}) ([]byte, error) {
	raw, err := json.Marshal(body)
	if err != nil {
		return nil, fmt.Errorf("redact: %w", err)
	}
	var tree interface{}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&tree); err != nil {
		return nil, fmt.Errorf("redact: %w", err)
	}
	redact(tree, "")
	out, err := json.MarshalIndent(tree, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("redact: %w", err)
	}
	return out, nil
}

func redact(node interface{}, parent string) {
	switch n := node.(type) {
	case map[string]interface{}:
		for k, v := range n {
			switch {
			case k == "clientSecret":
				n[k] = Redacted
			case k == "value" && (parent == "authScheme" || parent == "headers"):
				n[k] = Redacted
			case k == "uri" || k == "tokenUrl":
				if s, ok := v.(string); ok {
					n[k] = RedactURL(s)
				}
			default:
				redact(v, k)
			}
		}
	case []interface{}:
		for _, v := range n {
			redact(v, parent)
		}
	}
}
