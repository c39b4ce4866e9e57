package cli

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"okta-acs-sms/okta-setup/hooks"
)

// DefaultHookName names the hook when neither --name nor a Pulumi appName says otherwise.
const DefaultHookName = "Azure ACS SMS"

// common are the flags every command takes.
type common struct {
	orgURL     string
	fromPulumi string
	name, id   string
	dryRun     bool

	org    string         // validated org URL
	pulumi *pulumiOutputs // nil without --from-pulumi
}

func (c *common) bind(fs *flag.FlagSet, mutating bool) {
	fs.StringVar(&c.orgURL, "org-url", "", "Okta org URL, https only (default $OKTA_ORG_URL)")
	fs.StringVar(&c.fromPulumi, "from-pulumi", "",
		"`FILE` of 'pulumi stack output --json --show-secrets' (- for stdin)")
	fs.StringVar(&c.name, "name", "", "hook name (default \""+DefaultHookName+
		" (<appName>)\" with --from-pulumi, else \""+DefaultHookName+"\")")
	if mutating {
		fs.BoolVar(&c.dryRun, "dry-run", false,
			"print the requests and bodies (secrets redacted) and send nothing")
	}
}

// resolve validates the org URL and loads the Pulumi outputs.
func (c *common) resolve(env *Env) error {
	raw := c.orgURL
	if raw == "" {
		raw = env.Getenv("OKTA_ORG_URL")
	}
	if raw == "" {
		return usagef("missing Okta org: set --org-url or OKTA_ORG_URL")
	}
	org, err := hooks.OrgURL(raw)
	if err != nil {
		return usagef("%v", err)
	}
	c.org = org
	if c.fromPulumi != "" {
		if c.pulumi, err = loadPulumi(c.fromPulumi, env.Stdin); err != nil {
			return err
		}
	}
	return nil
}

// hookName is --name, else the default derived from the Pulumi app name.
func (c *common) hookName() string {
	switch {
	case c.name != "":
		return c.name
	case c.pulumi != nil && c.pulumi.AppName != "":
		return DefaultHookName + " (" + c.pulumi.AppName + ")"
	}
	return DefaultHookName
}

// client builds the management client from OKTA_API_TOKEN or the service app settings.
func (c *common) client(env *Env, scopes ...string) (*hooks.Client, error) {
	cred, err := credentials(env.Getenv)
	if err != nil {
		return nil, err
	}
	cl, err := hooks.New(hooks.Options{OrgURL: c.org, Credentials: cred, Scopes: scopes,
		HTTPClient: env.httpClient, RateLimit: env.rateLimit})
	if err != nil {
		return nil, usagef("%v", err)
	}
	return cl, nil
}

func credentials(getenv func(string) string) (hooks.Credentials, error) {
	cred := hooks.Credentials{
		APIToken:     getenv("OKTA_API_TOKEN"),
		ClientID:     getenv("OKTA_CLIENT_ID"),
		PrivateKeyID: getenv("OKTA_PRIVATE_KEY_ID"),
	}
	key := getenv("OKTA_PRIVATE_KEY")
	switch {
	case cred.APIToken != "" && (cred.ClientID != "" || key != ""):
		return cred, usagef("contradictory management auth: OKTA_API_TOKEN and " +
			"OKTA_CLIENT_ID/OKTA_PRIVATE_KEY are both set; keep one")
	case cred.APIToken != "":
		return cred, nil
	case cred.ClientID == "" && key == "":
		return cred, usagef("missing management auth: set OKTA_API_TOKEN, or OKTA_CLIENT_ID " +
			"and OKTA_PRIVATE_KEY (service app with okta.inlineHooks.manage/read)")
	case cred.ClientID == "":
		return cred, usagef("missing OKTA_CLIENT_ID for the service app of OKTA_PRIVATE_KEY")
	case key == "":
		return cred, usagef("missing OKTA_PRIVATE_KEY for service app OKTA_CLIENT_ID")
	}
	pemText, err := privateKey(key)
	if err != nil {
		return cred, err
	}
	cred.PrivateKey = pemText
	return cred, nil
}

// privateKey takes OKTA_PRIVATE_KEY as PEM text or as the path of a PEM file.
func privateKey(v string) (string, error) {
	if !strings.Contains(v, "-----BEGIN") {
		b, err := os.ReadFile(v)
		if err != nil {
			return "", usagef("OKTA_PRIVATE_KEY is neither PEM text nor a readable file: %v",
				err)
		}
		v = string(b)
	}
	if err := hooks.CheckPrivateKey(v); err != nil {
		return "", usagef("OKTA_PRIVATE_KEY: %v", err)
	}
	return v, nil
}

// pulumiOutputs are the infra stack outputs okta-setup uses.
type pulumiOutputs struct {
	HookURL, HookAuthorization, OktaUser, AppName string
	HookIssuer, HookAudience, HookScope           string
}

// maxPulumiBytes bounds the Pulumi outputs read, from a file or stdin: a stack's outputs
// are a few KiB, and a wrong path (a log, /dev/zero) must not fill the memory.
const maxPulumiBytes = 1 << 20

// loadPulumi reads `pulumi stack output --json --show-secrets` from path (- = stdin).
func loadPulumi(path string, stdin io.Reader) (*pulumiOutputs, error) {
	b, err := readPulumi(path, stdin)
	if err != nil {
		return nil, err
	}
	var raw map[string]interface{}
	if err := json.Unmarshal(b, &raw); err != nil {
		return nil, usagef("--from-pulumi %s: not the JSON of 'pulumi stack output --json': %v",
			path, err)
	}
	get := func(k string) (string, error) {
		switch v := raw[k].(type) {
		case nil:
			return "", nil
		case string:
			if v == "[secret]" {
				return "", usagef("--from-pulumi: %s is hidden as [secret]; run 'pulumi "+
					"stack output --json --show-secrets'", k)
			}
			return v, nil
		}
		return "", usagef("--from-pulumi: output %s is not a string", k)
	}
	var p pulumiOutputs
	for _, o := range []struct {
		key string
		dst *string
	}{{"hookUrl", &p.HookURL}, {"hookAuthorization", &p.HookAuthorization},
		{"oktaUser", &p.OktaUser}, {"appName", &p.AppName}, {"hookIssuer", &p.HookIssuer},
		{"hookAudience", &p.HookAudience}, {"hookScope", &p.HookScope}} {
		if *o.dst, err = get(o.key); err != nil {
			return nil, err
		}
	}
	return &p, nil
}

// readPulumi reads at most maxPulumiBytes from path (- = stdin), refusing more.
func readPulumi(path string, stdin io.Reader) ([]byte, error) {
	r := stdin
	if path != "-" {
		f, err := os.Open(path)
		if err != nil {
			return nil, usagef("--from-pulumi: %v", err)
		}
		defer f.Close()
		r = f
	}
	b, err := io.ReadAll(io.LimitReader(r, maxPulumiBytes+1))
	if err != nil {
		return nil, usagef("--from-pulumi %s: %v", path, err)
	}
	if len(b) > maxPulumiBytes {
		return nil, usagef("--from-pulumi %s: larger than 1 MiB; not the output of 'pulumi "+
			"stack output --json'", path)
	}
	return b, nil
}

// pick returns the value given by flag or by the other source, refusing two different
// values.
func pick(flagName, flagVal, otherName, otherVal string) (string, error) {
	if flagVal != "" && otherVal != "" && flagVal != otherVal {
		return "", usagef("contradictory %s: %s and %s differ; give one", flagName, flagName,
			otherName)
	}
	if flagVal != "" {
		return flagVal, nil
	}
	return otherVal, nil
}

// plan prints one request of a dry run.
func plan(w io.Writer, method, url, note string) {
	if note != "" {
		note = "   # " + note
	}
	fmt.Fprintf(w, "%s %s%s\n", method, url, note)
}
