package main

import (
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"okta-acs-sms/function/acs"
	"okta-acs-sms/function/hook"
	"okta-acs-sms/function/outbox"
	"okta-acs-sms/function/sms"
)

// The settings the handler reads (app settings in Azure, the environment locally).
const (
	envPort           = "FUNCTIONS_CUSTOMHANDLER_PORT"
	envOktaUser       = "OKTA_USER"
	envBasicSecret    = "OKTA_BASIC_SECRET"
	envBasicNext      = "OKTA_BASIC_SECRET_NEXT"
	envIssuer         = "OKTA_HOOK_ISSUER"
	envAudience       = "OKTA_HOOK_AUDIENCE"
	envScope          = "OKTA_HOOK_SCOPE"
	envOAuthClientID  = "OKTA_HOOK_CLIENT_ID"
	envACSConn        = "ACS_CONNECTION_STRING"
	envACSEndpoint    = "ACS_ENDPOINT"
	envACSSender      = "ACS_SENDER"
	envAzureClientID  = "AZURE_CLIENT_ID"
	envDeadline       = "HOOK_DEADLINE"
	envOutboxFile     = "OUTBOX_FILE"
	envTableEndpoint  = "DELIVERY_TABLE_ENDPOINT"
	envTableConn      = "DELIVERY_TABLE_CONNECTION_STRING"
	envTableName      = "DELIVERY_TABLE_NAME"
	envWebsiteSite    = "WEBSITE_SITE_NAME" // set by App Service / Functions in Azure
	keyVaultRefPrefix = "@Microsoft.KeyVault("
)

// settings lists every setting checked for an unresolved Key Vault reference.
var settings = []string{
	envPort, envOktaUser, envBasicSecret, envBasicNext, envIssuer, envAudience, envScope,
	envOAuthClientID, envACSConn, envACSEndpoint, envACSSender, envAzureClientID, envDeadline,
	envOutboxFile, envTableEndpoint, envTableConn, envTableName,
}

// Deadline bounds. Okta waits 3 s for the answer, but HOOK_DEADLINE only bounds the time
// inside this handler: the Functions host receives Okta's request, forwards it over
// loopback and relays the answer back, and that hop (plus TLS and the network to Okta)
// must fit in the same 3 s. 2.8s leaves 200ms for it; a longer deadline would let the
// handler answer after Okta has given up and sent the code through its own provider. A
// deadline under 100ms is too short to reach ACS and would fail every call.
const (
	minDeadline = 100 * time.Millisecond
	maxDeadline = 2800 * time.Millisecond
)

// acsMode says how texts are sent.
type acsMode int

const (
	acsOutbox acsMode = iota // no ACS settings: the local outbox file
	acsKey                   // ACS_CONNECTION_STRING: HMAC with the access key
	acsEntra                 // ACS_ENDPOINT: Entra ID token from the managed identity
)

// config is every setting, parsed and checked.
type config struct {
	Port int

	OktaUser     string
	BasicSecrets []string // the current secret, then the next one when set

	OAuthIssuer, OAuthAudience, OAuthScope, OAuthClientID string

	ACSMode         acsMode
	ACSConnection   string
	ACSEndpoint     string
	ACSSender       string
	AzureClientID   string // user-assigned identity; empty means system-assigned
	Deadline        time.Duration
	OutboxFile      string
	TableEndpoint   string
	TableConnection string
	TableName       string
	RunningInAzure  bool
}

func (c *config) basic() bool { return c.OktaUser != "" }
func (c *config) oauth() bool { return c.OAuthIssuer != "" }

// addr is where the handler listens: loopback only, since the Functions host is the only
// caller and the host runs on the same machine.
func (c *config) addr() string { return "127.0.0.1:" + strconv.Itoa(c.Port) }

// settingError is a problem with one setting. Its text starts with the setting's name and
// never holds the value, which may be a secret.
type settingError struct {
	name, problem string
}

func (e *settingError) Error() string { return e.name + ": " + e.problem }

// loadConfig reads and checks every setting through getenv.
func loadConfig(getenv func(string) string) (*config, error) {
	for _, name := range settings {
		if isKeyVaultRef(getenv(name)) {
			return nil, &settingError{name, "unresolved Key Vault reference: the app could not " +
				"read the secret (check the reference and the identity's access to the vault)"}
		}
	}
	c := &config{
		OutboxFile:     getenv(envOutboxFile),
		TableName:      getenv(envTableName),
		RunningInAzure: getenv(envWebsiteSite) != "",
	}
	steps := []func(*config, func(string) string) error{
		parsePort, parseAuth, parseACS, parseDeadline, parseDelivery,
	}
	for _, step := range steps {
		if err := step(c, getenv); err != nil {
			return nil, err
		}
	}
	if c.OutboxFile == "" {
		c.OutboxFile = outbox.DefaultFile
	}
	return c, nil
}

// isKeyVaultRef reports whether v is an unresolved Key Vault reference. The prefix is
// matched without regard to letter case and after leading white space: whatever its
// spelling, a reference App Service left unresolved must stop the handler, since a miss
// would turn the reference text itself into the secret (or endpoint) the handler uses.
func isKeyVaultRef(v string) bool {
	v = strings.TrimSpace(v)
	n := len(keyVaultRefPrefix)
	return len(v) >= n && strings.EqualFold(v[:n], keyVaultRefPrefix)
}

func parsePort(c *config, getenv func(string) string) error {
	v := strings.TrimSpace(getenv(envPort))
	if v == "" {
		return &settingError{envPort, "not set (the Functions host sets it; locally use 7071)"}
	}
	p, err := strconv.Atoi(v)
	// Port 0 would listen on a port the kernel picks, which the Functions host cannot know.
	if err != nil || p < 1 || p > 65535 {
		return &settingError{envPort, fmt.Sprintf("%q is not a TCP port number from 1 to "+
			"65535", v)}
	}
	c.Port = p
	return nil
}

func parseAuth(c *config, getenv func(string) string) error {
	c.OktaUser = getenv(envOktaUser)
	secret, next := getenv(envBasicSecret), getenv(envBasicNext)
	switch {
	case c.OktaUser != "" && secret == "":
		return &settingError{envBasicSecret, "not set, but " + envOktaUser + " is"}
	case c.OktaUser == "" && (secret != "" || next != ""):
		return &settingError{envOktaUser, "not set, but a Basic secret is"}
	case strings.Contains(c.OktaUser, ":"):
		return &settingError{envOktaUser, "must not contain ':' (Basic auth separates user " +
			"and secret with it)"}
	}
	if c.OktaUser != "" {
		c.BasicSecrets = []string{secret}
		if next != "" {
			c.BasicSecrets = append(c.BasicSecrets, next)
		}
	}

	c.OAuthIssuer, c.OAuthAudience = getenv(envIssuer), getenv(envAudience)
	c.OAuthScope, c.OAuthClientID = getenv(envScope), getenv(envOAuthClientID)
	oauthSet := c.OAuthIssuer != "" || c.OAuthAudience != "" || c.OAuthScope != "" ||
		c.OAuthClientID != ""
	required := []struct{ name, value string }{
		{envIssuer, c.OAuthIssuer}, {envAudience, c.OAuthAudience}, {envScope, c.OAuthScope},
	}
	for _, r := range required {
		if oauthSet && r.value == "" {
			return &settingError{r.name, "not set, but other OKTA_HOOK_* settings are " +
				"(OAuth needs OKTA_HOOK_ISSUER, OKTA_HOOK_AUDIENCE and OKTA_HOOK_SCOPE)"}
		}
	}
	if !c.basic() && !c.oauth() {
		return errors.New("no hook authentication configured: set " + envOktaUser + " and " +
			envBasicSecret + ", or " + envIssuer + ", " + envAudience + " and " + envScope)
	}
	return nil
}

func parseACS(c *config, getenv func(string) string) error {
	c.ACSConnection, c.ACSEndpoint = getenv(envACSConn), strings.TrimSpace(getenv(envACSEndpoint))
	c.ACSSender = strings.TrimSpace(getenv(envACSSender))
	c.AzureClientID = getenv(envAzureClientID)
	switch {
	case c.ACSConnection != "" && c.ACSEndpoint != "":
		return &settingError{envACSEndpoint, "set together with " + envACSConn +
			"; set only one (the connection string for an access key, the endpoint for " +
			"a managed identity)"}
	case c.ACSConnection != "":
		if _, _, err := acs.ParseConnectionString(c.ACSConnection); err != nil {
			return &settingError{envACSConn, "malformed (want endpoint=https://<resource>." +
				"communication.azure.com/;accesskey=<base64 key>): " + err.Error()}
		}
		c.ACSMode = acsKey
	case c.ACSEndpoint != "":
		u, err := url.Parse(c.ACSEndpoint)
		if err != nil || u.Scheme != "https" || u.Host == "" || u.RawQuery != "" {
			return &settingError{envACSEndpoint, "must be https://<resource>.communication." +
				"azure.com"}
		}
		c.ACSMode = acsEntra
	case c.ACSSender != "":
		return &settingError{envACSSender, "set, but neither " + envACSConn + " nor " +
			envACSEndpoint + " is"}
	case c.RunningInAzure:
		return errors.New("no ACS settings (" + envACSConn + " or " + envACSEndpoint + ") " +
			"while running in Azure: the outbox file is for local runs only")
	default:
		return nil // the outbox
	}
	if c.ACSSender == "" {
		return &settingError{envACSSender, "not set (the ACS phone number or short code " +
			"texts are sent from)"}
	}
	if !validSender(c.ACSSender) {
		return &settingError{envACSSender, fmt.Sprintf("%q is neither an E.164 number "+
			"(+ and 8 to 15 digits) nor a short code (5 or 6 digits)", c.ACSSender)}
	}
	return nil
}

// validSender accepts what ACS sends from: an E.164 number, written without spaces or
// dashes, or a 5 or 6 digit short code (no "+").
func validSender(s string) bool {
	if n, err := sms.NormalizeE164(s); err == nil {
		return n == s
	}
	if len(s) != 5 && len(s) != 6 {
		return false
	}
	return strings.Trim(s, "0123456789") == ""
}

func parseDeadline(c *config, getenv func(string) string) error {
	v := strings.TrimSpace(getenv(envDeadline))
	if v == "" {
		c.Deadline = hook.DefaultDeadline
		return nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < minDeadline || d > maxDeadline {
		return &settingError{envDeadline, fmt.Sprintf("%q must be a Go duration from %v to "+
			"%v, e.g. 2.5s (Okta waits 3s in all, and the Functions host's hop to and from "+
			"this handler needs the rest)", v, minDeadline, maxDeadline)}
	}
	c.Deadline = d
	return nil
}

func parseDelivery(c *config, getenv func(string) string) error {
	c.TableEndpoint = strings.TrimSpace(getenv(envTableEndpoint))
	c.TableConnection = getenv(envTableConn)
	if c.TableEndpoint != "" && c.TableConnection != "" {
		return &settingError{envTableEndpoint, "set together with " + envTableConn +
			"; set only one"}
	}
	if c.TableEndpoint != "" {
		u, err := url.Parse(c.TableEndpoint)
		if err != nil || u.Scheme != "https" || u.Host == "" {
			return &settingError{envTableEndpoint, "must be https://<account>.table.core." +
				"windows.net"}
		}
	}
	return nil
}
