package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"okta-acs-sms/okta-setup/hooks"
)

type testFlags struct {
	common
	phone string
	yes   bool
}

// runTest has Okta's execute endpoint call the hook with an Okta-shaped SMS request.
// The function really sends the text, so it is confirmed first.
func runTest(ctx context.Context, env *Env, args []string) error {
	var f testFlags
	fs := newFlags("test")
	f.bind(fs, true)
	fs.StringVar(&f.id, "id", "", "hook id (cal...), instead of --name")
	fs.StringVar(&f.phone, "phone", "", "E.164 number to text, e.g. +15555551234 (a real SMS)")
	fs.BoolVar(&f.yes, "yes", false, "confirm sending a real SMS (required when stdin is "+
		"not a terminal)")
	if err := parse(env, fs, args); err != nil {
		return err
	}
	if err := f.resolve(env); err != nil {
		return err
	}
	if f.phone == "" {
		return usagef("missing --phone: the number that will receive a real test SMS")
	}
	if err := hooks.CheckPhone(f.phone); err != nil {
		return usagef("--phone: %v", err)
	}
	if f.dryRun {
		return f.printPlan(env)
	}
	if err := f.confirmSend(env); err != nil {
		return err
	}

	cl, err := f.client(env, hooks.ScopeManage)
	if err != nil {
		return err
	}
	h, err := f.target(ctx, cl)
	if err != nil {
		return err
	}
	req, err := hooks.NewTestRequest(cl.Org(), h.ID, f.phone, env.Now())
	if err != nil {
		return err
	}
	if !h.Active() {
		fmt.Fprintf(env.Stdout, "note: %q is %s: Okta does not call it for real sign-ins\n",
			h.Name, h.Status)
	}
	fmt.Fprintf(env.Stdout, "sending a real SMS to %s through %q (%s, %s), eventId %s\n",
		hooks.MaskPhone(f.phone), h.Name, h.ID, hooks.RedactURL(h.URI), req.EventID)
	a, err := cl.Execute(ctx, h.ID, req)
	if err != nil {
		return err
	}
	return report(env, a)
}

var errNotConfirmed = errors.New("not confirmed; nothing was sent")

func (f *testFlags) confirmSend(env *Env) error {
	if f.yes {
		return nil
	}
	if !env.StdinIsTerminal {
		return usagef("test sends a real SMS to %s: confirm with --yes (stdin is not a "+
			"terminal)", hooks.MaskPhone(f.phone))
	}
	ok, err := confirm(env, fmt.Sprintf("This sends a real SMS to %s.",
		hooks.MaskPhone(f.phone)))
	if err != nil {
		return err
	}
	if !ok {
		return errNotConfirmed
	}
	return nil
}

// report prints the hook's answer; anything but a delivered SMS is a failure.
func report(env *Env, a hooks.Answer) error {
	w := env.Stdout
	switch {
	case a.Problem != "":
		return fmt.Errorf("the hook's answer breaks Okta's contract, so Okta would skip it "+
			"and fall back to its own providers: %s", a.Problem)
	case a.Error != nil:
		msg := "the hook answered with an error: " + a.Error.Summary
		if len(a.Error.Causes) > 0 {
			msg += " (" + strings.Join(a.Error.Causes, "; ") + ")"
		}
		return errors.New(msg + "; Okta would fall back to its own providers")
	}
	fmt.Fprintf(w, "hook answered %s: provider %s, transactionId %s", a.Status,
		orNone(a.Provider), orNone(a.TransactionID))
	if a.Metadata != "" {
		fmt.Fprintf(w, ", transactionMetadata %s", a.Metadata)
	}
	fmt.Fprintln(w)
	if !a.Delivered() {
		return errors.New("the SMS was not delivered; Okta would fall back to its own providers")
	}
	return nil
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

// printPlan is test --dry-run: the execute request with the number masked and the code
// hidden.
func (f *testFlags) printPlan(env *Env) error {
	req, err := hooks.NewTestRequest(f.org, f.targetLabel(), f.phone, env.Now())
	if err != nil {
		return err
	}
	data := req.Payload["data"].(map[string]interface{})
	mp := data["messageProfile"].(map[string]interface{})
	mp["phoneNumber"] = hooks.MaskPhone(f.phone)
	mp["otpCode"], mp["msgTemplate"] = hooks.Redacted, hooks.Redacted
	body, err := json.MarshalIndent(req.Payload, "", "  ")
	if err != nil {
		return fmt.Errorf("dry run: %w", err)
	}
	fmt.Fprintf(env.Stdout, "dry run: nothing is sent to %s and no SMS goes out\n", f.org)
	plan(env.Stdout, "GET", f.org+"/api/v1/inlineHooks?type="+hooks.TelephonyType,
		"find the hook")
	plan(env.Stdout, "POST", f.org+"/api/v1/inlineHooks/"+f.targetLabel()+"/execute",
		"Okta calls the hook, which texts the number")
	fmt.Fprintf(env.Stdout, "%s\n", body)
	return nil
}
