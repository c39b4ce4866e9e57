package cli

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"okta-acs-sms/okta-setup/hooks"
)

type registerFlags struct {
	common
	hookURL    string
	headers    listFlag
	headerEnvs listFlag
	auth       string
	force      bool

	clientID, clientSecret, tokenURL, scope string
	hookKeyID, hookKeyName                  string
}

func runRegister(ctx context.Context, env *Env, args []string) error {
	var f registerFlags
	fs := newFlags("register")
	f.bind(fs, true)
	fs.StringVar(&f.hookURL, "hook-url", "", "the function's telephony URL, https "+
		"(default hookUrl of --from-pulumi); a ?code=<function key> query is accepted and "+
		"printed as ?code=***, but --header x-functions-key=... or --header-env is preferred")
	fs.Var(&f.headers, "header", "extra `KEY=VALUE` header Okta sends, e.g. "+
		"x-functions-key=... (repeatable)")
	fs.Var(&f.headerEnvs, "header-env", "extra header `KEY=ENVVAR` whose value is read "+
		"from ENVVAR (repeatable; keeps keys out of shell history)")
	fs.StringVar(&f.auth, "auth", "basic", "hook auth: basic (Authorization: Basic from "+
		"OKTA_USER/OKTA_BASIC_SECRET or hookAuthorization) or oauth")
	fs.BoolVar(&f.force, "force", false, "deactivate another active telephony hook first")
	fs.StringVar(&f.clientID, "client-id", "", "oauth: client id Okta gets tokens as "+
		"(default $OKTA_HOOK_CLIENT_ID)")
	fs.StringVar(&f.clientSecret, "client-secret", "", "oauth: client secret, "+
		"client_secret_post (default $OKTA_HOOK_CLIENT_SECRET)")
	fs.StringVar(&f.tokenURL, "token-url", "", "oauth: token URL of a custom authorization "+
		"server (default hookIssuer or $OKTA_HOOK_ISSUER + /v1/token)")
	fs.StringVar(&f.scope, "scope", "", "oauth: scope (default hookScope or $OKTA_HOOK_SCOPE)")
	fs.StringVar(&f.hookKeyID, "hook-key-id", "", "oauth: id of an Okta hook key, "+
		"private_key_jwt")
	fs.StringVar(&f.hookKeyName, "hook-key-name", "", "oauth: use the hook key of this "+
		"`NAME`, creating it if absent (private_key_jwt)")
	if err := parse(env, fs, args); err != nil {
		return err
	}
	if err := f.resolve(env); err != nil {
		return err
	}
	spec, err := f.spec(env)
	if err != nil {
		return err
	}
	if f.dryRun {
		return f.printPlan(env, spec)
	}

	cl, err := f.client(env, hooks.ScopeManage)
	if err != nil {
		return err
	}
	return f.register(ctx, env, cl, spec)
}

func (f *registerFlags) register(ctx context.Context, env *Env, cl *hooks.Client,
	spec hooks.Spec) error {
	if f.hookKeyName != "" {
		key, created, err := cl.HookKey(ctx, f.hookKeyName)
		if err != nil {
			return err
		}
		spec.OAuth.HookKeyID = key.ID
		verb := "using"
		if created {
			verb = "created"
		}
		fmt.Fprintf(env.Stdout, "%s hook key %q: id %s, kid %s\n  the OAuth client %s must "+
			"trust its public key: GET %s/api/v1/hook-keys/public/%s\n", verb, key.Name,
			key.ID, key.KeyID, spec.OAuth.ClientID, cl.Org(), key.KeyID)
	}

	reg, err := cl.Register(ctx, spec, f.force)
	var conflict *hooks.ActiveConflictError
	if errors.As(err, &conflict) {
		return fmt.Errorf("%w; rerun with --force to deactivate it first", err)
	}
	for _, h := range reg.Deactivated {
		fmt.Fprintf(env.Stdout, "deactivated %q (%s): Okta allows one active telephony hook\n",
			h.Name, h.ID)
	}
	if err != nil {
		return err
	}
	verb := "replaced"
	if reg.Created {
		verb = "created"
	}
	fmt.Fprintf(env.Stdout, "%s telephony hook %q\n  id:     %s\n  url:    %s\n  status: %s\n",
		verb, reg.Hook.Name, reg.Hook.ID, hooks.RedactURL(reg.Hook.URI), reg.Hook.Status)
	return nil
}

// spec builds the hook from flags, settings and Pulumi outputs, refusing missing or
// contradictory input.
func (f *registerFlags) spec(env *Env) (hooks.Spec, error) {
	var p pulumiOutputs
	if f.pulumi != nil {
		p = *f.pulumi
	}
	uri, err := pick("--hook-url", f.hookURL, "hookUrl of --from-pulumi", p.HookURL)
	if err != nil {
		return hooks.Spec{}, err
	}
	if uri == "" {
		return hooks.Spec{}, usagef("missing hook URL: set --hook-url or --from-pulumi")
	}
	spec := hooks.Spec{Name: f.hookName(), URI: uri}
	if spec.Headers, err = f.extraHeaders(env); err != nil {
		return hooks.Spec{}, err
	}

	switch f.auth {
	case "basic":
		if f.oauthFlagsSet() {
			return hooks.Spec{}, usagef("contradictory: OAuth flags given with --auth basic; " +
				"add --auth oauth")
		}
		spec.Auth.Key = "Authorization"
		spec.Auth.Value, err = basicHeader(env, p)
	case "oauth":
		spec.OAuth, err = f.oauth(env, p)
	default:
		return hooks.Spec{}, usagef("--auth %q: must be basic or oauth", f.auth)
	}
	if err != nil {
		return hooks.Spec{}, err
	}
	if f.hookKeyName != "" {
		// Replaced by the key's id once it is found or created; shown as is by --dry-run.
		spec.OAuth.HookKeyID = "{id of hook key " + f.hookKeyName + "}"
	}
	if err := spec.Validate(); err != nil {
		return hooks.Spec{}, usagef("%v", err)
	}
	return spec, nil
}

func (f *registerFlags) oauthFlagsSet() bool {
	return f.clientID != "" || f.clientSecret != "" || f.tokenURL != "" || f.scope != "" ||
		f.hookKeyID != "" || f.hookKeyName != ""
}

func (f *registerFlags) extraHeaders(env *Env) ([]hooks.Header, error) {
	var out []hooks.Header
	for _, kv := range f.headers {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			// NOTE: kv is not printed: without "=" it may be "key: secret".
			return nil, usagef("--header: want KEY=VALUE; found no \"=\"")
		}
		if k == "" || v == "" {
			return nil, usagef("--header %q: want KEY=VALUE, both non-empty", k+"=")
		}
		out = append(out, hooks.Header{Key: k, Value: v})
	}
	for _, kv := range f.headerEnvs {
		k, name, ok := strings.Cut(kv, "=")
		if !ok || k == "" || name == "" {
			return nil, usagef("--header-env %q: want KEY=ENVVAR", kv)
		}
		v := env.Getenv(name)
		if v == "" {
			return nil, usagef("missing %s for --header-env %s", name, kv)
		}
		out = append(out, hooks.Header{Key: k, Value: v})
	}
	return out, nil
}

// basicHeader is the Authorization value Okta must send: from OKTA_USER and
// OKTA_BASIC_SECRET (what the function checks) or hookAuthorization of Pulumi.
func basicHeader(env *Env, p pulumiOutputs) (string, error) {
	user, secret := env.Getenv("OKTA_USER"), env.Getenv("OKTA_BASIC_SECRET")
	var fromEnv string
	switch {
	case secret != "" && user == "":
		return "", usagef("missing OKTA_USER for OKTA_BASIC_SECRET")
	case strings.Contains(user, ":"):
		// The function refuses such a user too: Basic auth ends the user at the first ":".
		return "", usagef("OKTA_USER must not contain ':' (Basic auth separates user and " +
			"secret with it)")
	case secret != "":
		fromEnv = "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+secret))
	case user != "" && p.HookAuthorization == "":
		return "", usagef("missing OKTA_BASIC_SECRET for OKTA_USER")
	}
	v, err := pick("hook secret", fromEnv, "hookAuthorization of --from-pulumi",
		p.HookAuthorization)
	if err != nil {
		return "", usagef("contradictory hook secret: OKTA_USER/OKTA_BASIC_SECRET and " +
			"hookAuthorization of --from-pulumi differ; use one")
	}
	if v == "" {
		return "", usagef("missing hook secret: set OKTA_USER and OKTA_BASIC_SECRET, or " +
			"--from-pulumi with hookAuthorization")
	}
	return v, checkBasic(v, p.OktaUser)
}

// checkBasic refuses a header Okta would send but the function would never accept.
func checkBasic(v, wantUser string) error {
	enc, ok := strings.CutPrefix(v, "Basic ")
	if !ok {
		return usagef("hookAuthorization must be the whole header value \"Basic base64(user:" +
			"secret)\"; the Basic prefix is missing")
	}
	raw, err := base64.StdEncoding.DecodeString(enc)
	user, _, hasColon := strings.Cut(string(raw), ":")
	if err != nil || !hasColon {
		return usagef("hookAuthorization is not Basic base64(user:secret)")
	}
	if strings.Contains(wantUser, ":") {
		return usagef("oktaUser of --from-pulumi must not contain ':' (Basic auth separates " +
			"user and secret with it)")
	}
	if wantUser != "" && user != wantUser {
		return usagef("contradictory hook user: the hook secret is for user %q but oktaUser "+
			"of --from-pulumi is %q", user, wantUser)
	}
	return nil
}

// oauth builds the OAUTH channel settings.
func (f *registerFlags) oauth(env *Env, p pulumiOutputs) (*hooks.OAuth, error) {
	o := &hooks.OAuth{ClientID: f.clientID, TokenURL: f.tokenURL, Scope: f.scope,
		ClientSecret: f.clientSecret, HookKeyID: f.hookKeyID}
	if o.ClientID == "" {
		o.ClientID = env.Getenv("OKTA_HOOK_CLIENT_ID")
	}
	issuer, err := pick("issuer", p.HookIssuer, "OKTA_HOOK_ISSUER", env.Getenv("OKTA_HOOK_ISSUER"))
	if err != nil {
		return nil, err
	}
	if o.TokenURL == "" && issuer != "" {
		o.TokenURL = strings.TrimSuffix(issuer, "/") + "/v1/token"
	}
	o.Scope, err = pick("--scope", o.Scope, "hookScope of --from-pulumi", p.HookScope)
	if err != nil {
		return nil, err
	}
	if o.Scope == "" {
		o.Scope = env.Getenv("OKTA_HOOK_SCOPE")
	}
	if o.ClientSecret == "" && o.HookKeyID == "" && f.hookKeyName == "" {
		o.ClientSecret = env.Getenv("OKTA_HOOK_CLIENT_SECRET")
	}
	return o, checkOAuth(o, f.hookKeyName)
}

func checkOAuth(o *hooks.OAuth, hookKeyName string) error {
	n := 0
	for _, v := range []string{o.ClientSecret, o.HookKeyID, hookKeyName} {
		if v != "" {
			n++
		}
	}
	switch {
	case o.ClientID == "":
		return usagef("missing OAuth client id: set --client-id or OKTA_HOOK_CLIENT_ID")
	case o.TokenURL == "":
		return usagef("missing OAuth token URL: set --token-url, OKTA_HOOK_ISSUER or " +
			"--from-pulumi with hookIssuer")
	case o.Scope == "":
		return usagef("missing OAuth scope: set --scope, OKTA_HOOK_SCOPE or --from-pulumi " +
			"with hookScope")
	case n == 0:
		return usagef("missing OAuth client auth: give --client-secret (or " +
			"OKTA_HOOK_CLIENT_SECRET), --hook-key-id or --hook-key-name")
	case n > 1:
		return usagef("contradictory OAuth client auth: give only one of --client-secret, " +
			"--hook-key-id, --hook-key-name")
	}
	u, err := url.Parse(o.TokenURL)
	if err != nil || u.Scheme != "https" {
		return usagef("--token-url %q: must be https", hooks.RedactURL(o.TokenURL))
	}
	// The org authorization server (https://org/oauth2/v1/token) mints tokens meant for
	// Okta itself; the function refuses its issuer.
	if !strings.HasPrefix(u.Path, "/oauth2/") || u.Path == "/oauth2/v1/token" {
		return usagef("--token-url %q: must be a custom authorization server's, e.g. "+
			"https://<org>/oauth2/default/v1/token", hooks.RedactURL(o.TokenURL))
	}
	return nil
}
