package stack

import (
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// DeliveryReportsDefault is the value of the `deliveryReports` config key when the stack does
// not set it. With it on, the stack subscribes the `deliveryreport` function to the ACS
// delivery-report events; turn it off (here, or per stack with
// `pulumi config set deliveryReports false`) for a package that lacks that function, because
// Azure refuses an Event Grid subscription to a function that is not deployed.
const DeliveryReportsDefault = true

// Config defaults, each documented in infra/README.md.
const (
	defaultDataLocation      = "United States"
	defaultOktaUser          = "okta"
	defaultHookDeadline      = "2.5s"
	defaultInstanceMemoryMB  = 2048
	defaultMaximumInstances  = 40
	defaultAlwaysReady       = 1
	defaultPackagePath       = "../dist/function.zip"
	defaultDeliveryTableName = "deliveries"
	minHookSecretLength      = 32
)

// OAuth is the optional OAuth 2.0 hook authentication: Okta then sends a bearer JWT minted by
// a custom authorization server of the org instead of (or beside) the Basic header.
type OAuth struct {
	Issuer   string
	Audience string
	Scope    string
	ClientID string
}

// Config is the validated stack configuration (keys under the project namespace,
// e.g. `okta-acs-sms:sender`).
type Config struct {
	Location     string
	DataLocation string
	Sender       string
	OktaUser     string

	// HookSecret is the Basic secret from config, or "" to have the stack generate one.
	HookSecret string
	// HookSecretNext is a second accepted Basic secret, for rotation without downtime.
	HookSecretNext string

	HookDeadline      string
	InstanceMemoryMB  int
	MaximumInstances  int
	AlwaysReady       int
	PackagePath       string
	PackageSHA256     string
	DeliveryReports   bool
	DeliveryTableName string
	NameSalt          string
	OAuth             *OAuth
}

// configReader reads raw config values of one project namespace and collects every problem,
// so an operator sees all mistakes of a stack in one preview instead of one per run.
type configReader struct {
	ctx       *pulumi.Context
	namespace string
	errs      []error
}

func (r *configReader) raw(key string) (string, bool) {
	v, ok := r.ctx.GetConfig(r.namespace + ":" + key)
	return strings.TrimSpace(v), ok && strings.TrimSpace(v) != ""
}

func (r *configReader) fail(key, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	r.errs = append(r.errs, fmt.Errorf("config %s:%s: %s", r.namespace, key, msg))
}

func (r *configReader) str(key, def string) string {
	if v, ok := r.raw(key); ok {
		return v
	}
	return def
}

func (r *configReader) integer(key string, def, min, max int) int {
	v, ok := r.raw(key)
	if !ok {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < min || n > max {
		r.fail(key, "want a whole number from %d to %d, got %q", min, max, v)
		return def
	}
	return n
}

func (r *configReader) boolean(key string, def bool) bool {
	v, ok := r.raw(key)
	if !ok {
		return def
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		r.fail(key, "want true or false, got %q", v)
		return def
	}
	return b
}

var (
	e164Pattern      = regexp.MustCompile(`^\+[1-9][0-9]{7,14}$`)
	shortCodePattern = regexp.MustCompile(`^[0-9]{5,6}$`)
	tableNamePattern = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9]{2,62}$`)
	saltPattern      = regexp.MustCompile(`^[a-z0-9]{1,8}$`)
)

// LoadConfig reads and validates the stack configuration. Every problem is reported at once,
// at preview time, naming the key.
func LoadConfig(ctx *pulumi.Context) (*Config, error) {
	r := &configReader{ctx: ctx, namespace: ctx.Project()}
	c := &Config{
		DataLocation:      r.str("dataLocation", defaultDataLocation),
		OktaUser:          r.str("oktaUser", defaultOktaUser),
		HookDeadline:      r.str("hookDeadline", defaultHookDeadline),
		InstanceMemoryMB:  r.integer("instanceMemoryMB", defaultInstanceMemoryMB, 2048, 4096),
		MaximumInstances:  r.integer("maximumInstanceCount", defaultMaximumInstances, 40, 1000),
		PackagePath:       r.str("packagePath", defaultPackagePath),
		DeliveryReports:   r.boolean("deliveryReports", DeliveryReportsDefault),
		DeliveryTableName: r.str("deliveryTableName", defaultDeliveryTableName),
		NameSalt:          r.str("nameSalt", ""),
	}
	c.AlwaysReady = r.integer("alwaysReady", defaultAlwaysReady, 0, c.MaximumInstances)
	c.Location = r.location()
	c.Sender = r.sender()
	c.HookSecret = r.hookSecret("hookSecret")
	c.HookSecretNext = r.hookSecret("hookSecretNext")
	c.OAuth = r.oauth()
	r.check(c)
	if len(r.errs) > 0 {
		return nil, errors.Join(r.errs...)
	}
	return c, nil
}

// location is the Azure region of every regional resource: `location`, or else the provider's
// own `azure-native:location`.
func (r *configReader) location() string {
	if v, ok := r.raw("location"); ok {
		return v
	}
	if v, ok := r.ctx.GetConfig("azure-native:location"); ok && v != "" {
		return v
	}
	r.fail("location", "required: the Azure region, e.g. `pulumi config set location eastus2`"+
		" (pick a region that offers Flex Consumption)")
	return ""
}

// sender is the ACS number or short code the texts come from. It is bought outside ARM, so the
// stack can only take it as given.
func (r *configReader) sender() string {
	v, ok := r.raw("sender")
	if !ok {
		r.fail("sender", "required: the phone number (E.164, e.g. +18005550100) or short code"+
			" bought in the ACS resource; see infra/README.md")
		return ""
	}
	if !e164Pattern.MatchString(v) && !shortCodePattern.MatchString(v) {
		r.fail("sender", "want an E.164 number like +18005550100 or a 5-6 digit short code")
	}
	return v
}

// hookSecret validates a configured Basic secret without ever echoing it.
func (r *configReader) hookSecret(key string) string {
	v, ok := r.raw(key)
	if !ok {
		return ""
	}
	if !r.isSecretKey(key) {
		r.fail(key, "must be stored encrypted: use `pulumi config set --secret %s`", key)
	}
	if len(v) < minHookSecretLength || strings.ContainsAny(v, "\r\n") {
		r.fail(key, "want at least %d characters on one line", minHookSecretLength)
	}
	return v
}

func (r *configReader) isSecretKey(key string) bool {
	return r.ctx.IsConfigSecret(r.namespace + ":" + key)
}

// oauth reads the optional OAuth settings; Basic stays the only mode until an issuer is set.
func (r *configReader) oauth() *OAuth {
	o := &OAuth{
		Issuer:   r.str("hookIssuer", ""),
		Audience: r.str("hookAudience", ""),
		Scope:    r.str("hookScope", ""),
		ClientID: r.str("hookClientId", ""),
	}
	if o.Issuer == "" {
		if o.Audience != "" || o.Scope != "" || o.ClientID != "" {
			r.fail("hookIssuer", "required when hookAudience, hookScope or hookClientId is set")
		}
		return nil
	}
	u, err := url.Parse(o.Issuer)
	if err != nil || u.Scheme != "https" || u.Host == "" {
		r.fail("hookIssuer", "want an https URL like https://acme.okta.com/oauth2/default")
	} else if !strings.HasPrefix(u.Path, "/oauth2/") || len(u.Path) <= len("/oauth2/") {
		r.fail("hookIssuer", "%q is the org authorization server, whose tokens are meant for"+
			" Okta itself; use a custom one like https://%s/oauth2/default", o.Issuer, u.Host)
	}
	if o.Audience == "" {
		r.fail("hookAudience", "required with hookIssuer, e.g. api://default")
	}
	if o.Scope == "" {
		r.fail("hookScope", "required with hookIssuer: the custom scope Okta asks a token for")
	}
	return o
}

// check validates values whose defaults may also be wrong only in combination.
func (r *configReader) check(c *Config) {
	if c.OktaUser == "" || strings.ContainsAny(c.OktaUser, ": \t\r\n") {
		r.fail("oktaUser", "want a user name without colons or spaces")
	}
	// The handler refuses deadlines outside 100ms-2.8s at start (the Functions host's hop
	// must fit inside Okta's 3s too); refusing them here fails the preview instead.
	d, err := time.ParseDuration(c.HookDeadline)
	if err != nil || d < 100*time.Millisecond || d > 2800*time.Millisecond {
		r.fail("hookDeadline", "want a Go duration from 100ms to 2.8s, e.g. 2.5s; got %q",
			c.HookDeadline)
	}
	if c.InstanceMemoryMB != 2048 && c.InstanceMemoryMB != 4096 {
		r.fail("instanceMemoryMB", "Flex Consumption accepts 2048 or 4096, got %d",
			c.InstanceMemoryMB)
	}
	if !tableNamePattern.MatchString(c.DeliveryTableName) {
		r.fail("deliveryTableName", "want 3-63 letters and digits starting with a letter")
	}
	if c.NameSalt != "" && !saltPattern.MatchString(c.NameSalt) {
		r.fail("nameSalt", "want 1-8 lowercase letters or digits")
	}
	functions, trigger := []string{"telephony"}, ""
	if c.DeliveryReports {
		functions, trigger = append(functions, deliveryFunctionName), deliveryFunctionName
	}
	sum, err := inspectPackage(c.PackagePath, functions, trigger)
	var egErr *eventGridFunctionError
	switch {
	case errors.As(err, &egErr):
		r.fail("packagePath", "%v; build it with `make package` (or set deliveryReports"+
			" to false for a package without the delivery-report function)", err)
	case err != nil:
		r.fail("packagePath", "%v; build it with `make package` first", err)
	}
	c.PackageSHA256 = sum
}
