// Package hooks manages Okta telephony inline hooks through the Okta management API: it
// lists, creates, replaces, activates, deactivates, deletes and test-executes them, and
// creates the hook keys an OAuth (private_key_jwt) hook needs.
//
// It drives github.com/okta/okta-sdk-golang/v5 but works around the gaps that make the SDK
// unsafe to use naively for telephony hooks: the typed channel has no config (so the
// config travels in the channel's additional properties), the SDK cannot decode a
// telephony answer (so the execute answer is read from the raw body), and the SDK's own
// configuration loading reads files and environment variables that must not change what
// this tool does.
package hooks

import (
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/okta/okta-sdk-golang/v5/okta"
)

// TelephonyType is the inline hook type of a telephony provider hook.
const TelephonyType = "com.okta.telephony.provider"

// The OAuth scopes a service app needs for this package: read for listing, manage for
// every change (hook keys included).
const (
	ScopeRead   = "okta.inlineHooks.read"
	ScopeManage = "okta.inlineHooks.manage"
)

// Credentials authenticate the management API calls: either an API token (sent as
// "SSWS <token>") or an OAuth 2.0 service app that signs a client assertion with its
// private key and sends the access token it gets back as a bearer token.
type Credentials struct {
	APIToken     string
	ClientID     string
	PrivateKey   string // PEM, PKCS#1 RSA or PKCS#8 RSA/EC
	PrivateKeyID string // the key's kid; needed when the app has more than one key
}

// Options configure New. The zero value of each field means its documented default.
type Options struct {
	// OrgURL is the Okta org, https only, e.g. https://acme.okta.com.
	OrgURL      string
	Credentials Credentials
	// Scopes requested by a service app; default ScopeRead and ScopeManage.
	Scopes []string
	// HTTPClient sends every request; default a client that trusts the system
	// certificate pool (SSL_CERT_FILE and SSL_CERT_DIR apply). Its transport is wrapped
	// with the rate-limit handling.
	HTTPClient *http.Client
	RateLimit  RateLimit
}

// Client talks to one Okta org's inline hook and hook key endpoints.
type Client struct {
	api       *okta.APIClient
	org       string
	transport *transport
}

// New returns a Client for opts.OrgURL. It validates the URL and the credentials but sends
// nothing.
func New(opts Options) (*Client, error) {
	org, err := OrgURL(opts.OrgURL)
	if err != nil {
		return nil, err
	}
	if err := opts.Credentials.validate(); err != nil {
		return nil, err
	}

	base := opts.HTTPClient
	if base == nil {
		base = DefaultHTTPClient()
	}
	rt := base.Transport
	if rt == nil {
		rt = http.DefaultTransport
	}
	tr := newTransport(rt, opts.RateLimit)
	hc := *base
	hc.Transport = tr

	cfg := configuration(org, opts, &hc)
	return &Client{api: okta.NewAPIClient(cfg), org: org, transport: tr}, nil
}

// configuration builds the SDK configuration by hand.
//
// NOTE: okta.NewConfiguration is deliberately not called. It reads ~/.okta/okta.yaml,
// ./.okta.yaml and OKTA_CLIENT_* / OKTA_* environment variables (proxy, debug dumps of
// every request with its Authorization header, cache, authorization mode, even
// "disable https check"), and prints "error parsing" to stdout on a malformed variable.
// Building the struct here means nothing outside this tool's own inputs can change its
// behaviour. It also keeps host:port: NewConfiguration keeps only the host name.
func configuration(org string, opts Options, hc *http.Client) *okta.Configuration {
	u, _ := url.Parse(org) // validated by OrgURL
	cfg := &okta.Configuration{
		Host:             u.Host, // host:port
		Scheme:           "https",
		DefaultHeader:    map[string]string{},
		UserAgentExtra:   "okta-acs-sms-okta-setup",
		Servers:          okta.ServerConfigurations{{URL: org}},
		OperationServers: map[string]okta.ServerConfigurations{},
		HTTPClient:       hc,
	}
	c := &cfg.Okta.Client
	c.OrgUrl = org
	c.Cache.Enabled = false // a list right after our own write must not be stale
	// Our transport waits for Okta's rate-limit reset itself (bounded, and it keeps the
	// error body); the SDK must not retry on top of it.
	c.RateLimit.MaxRetries = 0
	if opts.Credentials.APIToken != "" {
		c.AuthorizationMode = "SSWS"
		c.Token = opts.Credentials.APIToken
		return cfg
	}
	c.AuthorizationMode = "PrivateKey"
	c.ClientId = opts.Credentials.ClientID
	c.PrivateKey = opts.Credentials.PrivateKey
	c.PrivateKeyId = opts.Credentials.PrivateKeyID
	c.Scopes = opts.Scopes
	if len(c.Scopes) == 0 {
		c.Scopes = []string{ScopeRead, ScopeManage}
	}
	return cfg
}

// DefaultHTTPClient returns the client New uses when none is given: TLS 1.2 or later,
// verified against the system certificate pool, proxies from the environment, bounded
// connect and header waits. There is deliberately no way to skip verification.
func DefaultHTTPClient() *http.Client {
	return &http.Client{
		Transport: &http.Transport{
			Proxy:                 http.ProxyFromEnvironment,
			DialContext:           (&net.Dialer{Timeout: 10 * time.Second}).DialContext,
			TLSClientConfig:       &tls.Config{MinVersion: tls.VersionTLS12},
			TLSHandshakeTimeout:   10 * time.Second,
			ResponseHeaderTimeout: 30 * time.Second,
			ForceAttemptHTTP2:     true,
			MaxIdleConns:          4,
			IdleConnTimeout:       30 * time.Second,
		},
		// Okta answers management calls directly; a redirect would be unexpected.
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}

// OrgURL validates an Okta org URL and returns it as https://host[:port] with no path.
func OrgURL(raw string) (string, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		return "", fmt.Errorf("org URL %q: %w", raw, err)
	}
	switch {
	case u.Scheme != "https":
		return "", fmt.Errorf("org URL %q: must start with https://", raw)
	case u.Host == "" || u.Hostname() == "":
		return "", fmt.Errorf("org URL %q: has no host", raw)
	case u.User != nil || u.RawQuery != "" || u.Fragment != "":
		return "", fmt.Errorf("org URL %q: must be just https://host", raw)
	case strings.Trim(u.Path, "/") != "":
		return "", fmt.Errorf("org URL %q: must have no path (not an /oauth2/... issuer)", raw)
	}
	return "https://" + u.Host, nil
}

func (c Credentials) validate() error {
	switch {
	case c.APIToken != "" && c.ClientID != "":
		return errors.New("management credentials: give an API token or a service app, not both")
	case c.APIToken != "":
		return nil
	case c.ClientID == "":
		return errors.New("management credentials: no API token and no service app client id")
	case c.PrivateKey == "":
		return errors.New("management credentials: service app has no private key")
	}
	return CheckPrivateKey(c.PrivateKey)
}

// CheckPrivateKey reports whether pemText holds a private key the SDK can sign a client
// assertion with: PKCS#1 RSA, or PKCS#8 RSA or EC (P-256).
func CheckPrivateKey(pemText string) error {
	block, _ := pem.Decode([]byte(strings.ReplaceAll(pemText, `\n`, "\n")))
	if block == nil {
		return errors.New("private key: no PEM block found")
	}
	switch block.Type {
	case "RSA PRIVATE KEY":
		if _, err := x509.ParsePKCS1PrivateKey(block.Bytes); err != nil {
			return fmt.Errorf("private key: %w", err)
		}
		return nil
	case "PRIVATE KEY":
		key, err := x509.ParsePKCS8PrivateKey(block.Bytes)
		if err != nil {
			return fmt.Errorf("private key: %w", err)
		}
		switch key.(type) {
		case *rsa.PrivateKey, *ecdsa.PrivateKey:
			return nil
		}
		return fmt.Errorf("private key: %T is not RSA or EC", key)
	}
	return fmt.Errorf("private key: PEM type %q is not PKCS#1 (RSA PRIVATE KEY) or PKCS#8 "+
		"(PRIVATE KEY)", block.Type)
}

// Org returns the org URL the client talks to, https://host[:port].
func (c *Client) Org() string { return c.org }
