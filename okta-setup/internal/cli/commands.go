package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"text/tabwriter"

	"okta-acs-sms/okta-setup/hooks"
)

// printPlan is register --dry-run: every request register would send, bodies with
// secrets redacted. Nothing is sent, not even the list.
func (f *registerFlags) printPlan(env *Env, spec hooks.Spec) error {
	w := env.Stdout
	fmt.Fprintf(w, "dry run: nothing is sent to %s\n", f.org)
	list := f.org + "/api/v1/inlineHooks?type=" + hooks.TelephonyType
	plan(w, "GET", list, fmt.Sprintf("find hook %q and any other ACTIVE one", spec.Name))
	if f.hookKeyName != "" {
		plan(w, "GET", f.org+"/api/v1/hook-keys", "find hook key "+f.hookKeyName)
		plan(w, "POST", f.org+"/api/v1/hook-keys", "only if no hook key has that name")
		b, _ := json.MarshalIndent(map[string]string{"name": f.hookKeyName}, "", "  ")
		fmt.Fprintf(w, "%s\n", b)
	}
	if f.force {
		plan(w, "POST", f.org+"/api/v1/inlineHooks/{id}/lifecycle/deactivate",
			"for every other ACTIVE telephony hook, no body")
	} else {
		fmt.Fprintln(w, "# refused if another telephony hook is ACTIVE (--force deactivates it)")
	}
	plan(w, "POST", f.org+"/api/v1/inlineHooks", "create; or PUT "+f.org+
		"/api/v1/inlineHooks/{id} when \""+spec.Name+"\" exists")
	body, err := hooks.RedactedJSON(spec.InlineHook())
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "%s\n", body)
	plan(w, "POST", f.org+"/api/v1/inlineHooks/{id}/lifecycle/activate",
		"only if the hook is not ACTIVE afterwards, no body")
	return nil
}

func runStatus(ctx context.Context, env *Env, args []string) error {
	var c common
	fs := newFlags("status")
	c.bind(fs, false)
	if err := parse(env, fs, args); err != nil {
		return err
	}
	if err := c.resolve(env); err != nil {
		return err
	}
	cl, err := c.client(env, hooks.ScopeRead)
	if err != nil {
		return err
	}
	list, err := cl.List(ctx)
	if err != nil {
		return err
	}
	printStatus(env, c.org, list)
	return nil
}

func printStatus(env *Env, org string, list []hooks.Hook) {
	w := env.Stdout
	if len(list) == 0 {
		fmt.Fprintf(w, "%s has no telephony hook: Okta sends SMS through its own providers\n",
			org)
		return
	}
	var active []string
	for _, h := range list {
		if h.Active() {
			active = append(active, fmt.Sprintf("%q (%s)", h.Name, h.ID))
		}
	}
	switch len(active) {
	case 0:
		fmt.Fprintf(w, "%s: no telephony hook is active: Okta sends SMS through its own "+
			"providers\n", org)
	case 1:
		fmt.Fprintf(w, "%s: active telephony hook %s\n", org, active[0])
	default:
		fmt.Fprintf(w, "%s: WARNING: %d telephony hooks are active (%s); Okta uses only "+
			"one\n", org, len(active), strings.Join(active, ", "))
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "STATUS\tID\tNAME\tCHANNEL\tURL\tAUTH")
	for _, h := range list {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", h.Status, h.ID, h.Name, h.ChannelType,
			hooks.RedactURL(h.URI), describeAuth(h))
	}
	tw.Flush()
}

// describeAuth says how Okta authenticates to the hook, naming no secret.
func describeAuth(h hooks.Hook) string {
	var s string
	if h.ChannelType == "OAUTH" {
		s = fmt.Sprintf("OAUTH %s client %s scope %s token %s", h.AuthType, h.ClientID,
			h.Scope, hooks.RedactURL(h.TokenURL))
		if h.HookKeyID != "" {
			s += " hook key " + h.HookKeyID
		}
	} else {
		s = h.AuthScheme
	}
	if len(h.HeaderKeys) > 0 {
		s += "; headers " + strings.Join(h.HeaderKeys, ", ")
	}
	return s
}

// target is the hook a lifecycle command acts on: --id, else --name or its default.
func (c *common) target(ctx context.Context, cl *hooks.Client) (hooks.Hook, error) {
	return cl.Find(ctx, c.id, c.hookName())
}

func (c *common) targetLabel() string {
	if c.id != "" {
		return c.id
	}
	return "{id of \"" + c.hookName() + "\"}"
}

func lifecycleFlags(env *Env, name string, c *common, args []string) error {
	fs := newFlags(name)
	c.bind(fs, true)
	fs.StringVar(&c.id, "id", "", "hook id (cal...), instead of --name")
	if err := parse(env, fs, args); err != nil {
		return err
	}
	if c.id != "" && c.name != "" {
		return usagef("contradictory: --id and --name both given; use one")
	}
	return c.resolve(env)
}

func runDeactivate(ctx context.Context, env *Env, args []string) error {
	var c common
	if err := lifecycleFlags(env, "deactivate", &c, args); err != nil {
		return err
	}
	if c.dryRun {
		fmt.Fprintf(env.Stdout, "dry run: nothing is sent to %s\n", c.org)
		plan(env.Stdout, "POST", c.org+"/api/v1/inlineHooks/"+c.targetLabel()+
			"/lifecycle/deactivate", "no body")
		return nil
	}
	cl, err := c.client(env, hooks.ScopeManage)
	if err != nil {
		return err
	}
	h, err := c.target(ctx, cl)
	if err != nil {
		return err
	}
	if !h.Active() {
		fmt.Fprintf(env.Stdout, "%q (%s) is already %s\n", h.Name, h.ID, h.Status)
		return nil
	}
	if h, err = cl.Deactivate(ctx, h.ID); err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "deactivated %q (%s), status %s: until a telephony hook is "+
		"active, Okta sends SMS through its own providers\n", h.Name, h.ID, h.Status)
	return nil
}

func runRemove(ctx context.Context, env *Env, args []string) error {
	var c common
	if err := lifecycleFlags(env, "remove", &c, args); err != nil {
		return err
	}
	if c.dryRun {
		fmt.Fprintf(env.Stdout, "dry run: nothing is sent to %s\n", c.org)
		plan(env.Stdout, "DELETE", c.org+"/api/v1/inlineHooks/"+c.targetLabel(),
			"only if INACTIVE, no body")
		return nil
	}
	cl, err := c.client(env, hooks.ScopeManage)
	if err != nil {
		return err
	}
	h, err := c.target(ctx, cl)
	if err != nil {
		return err
	}
	if err := cl.Remove(ctx, h); err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "removed %q (%s)\n", h.Name, h.ID)
	return nil
}

// confirm asks on the terminal before a real SMS goes out.
func confirm(env *Env, prompt string) (bool, error) {
	fmt.Fprintf(env.Stderr, "%s Type yes to continue: ", prompt)
	line, err := bufio.NewReader(env.Stdin).ReadString('\n')
	if err != nil && line == "" {
		return false, nil
	}
	return strings.EqualFold(strings.TrimSpace(line), "yes"), nil
}
