// Package cli is the okta-setup command line: it reads flags, settings and Pulumi stack
// outputs, and drives package hooks. Exit status: 0 done, 1 failed or refused, 2 missing
// or contradictory input.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"time"

	"okta-acs-sms/okta-setup/hooks"
)

// Exit statuses.
const (
	ExitOK    = 0
	ExitFail  = 1
	ExitUsage = 2
)

// runTimeout bounds one command run.
const runTimeout = 10 * time.Minute

// Env is everything a run reads from and writes to the outside world.
type Env struct {
	Args            []string // without the program name
	Stdin           io.Reader
	StdinIsTerminal bool
	Stdout, Stderr  io.Writer
	Getenv          func(string) string
	Now             func() time.Time

	// Tests only: the HTTP client (to trust a test server's certificate in-process; the
	// binary always uses the system pool) and the rate-limit policy.
	httpClient *http.Client
	rateLimit  hooks.RateLimit
}

// usageError is missing or contradictory input: reported on one line, exit status 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...interface{}) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}

type command struct {
	summary string
	run     func(ctx context.Context, env *Env, args []string) error
}

var commands = map[string]command{
	"register":   {"create or replace the telephony hook and leave it active", runRegister},
	"status":     {"list the org's telephony hooks, which is active, where each points", runStatus},
	"test":       {"have Okta call the hook for a phone number (sends a real SMS)", runTest},
	"deactivate": {"take the hook out of service", runDeactivate},
	"remove":     {"delete the hook (only an inactive one)", runRemove},
}

// Run runs one okta-setup command and returns its exit status.
func Run(ctx context.Context, env Env) int {
	if env.Now == nil {
		env.Now = time.Now
	}
	if len(env.Args) == 0 {
		usage(env.Stderr)
		return ExitUsage
	}
	name := env.Args[0]
	switch name {
	case "help", "-h", "-help", "--help":
		usage(env.Stdout)
		return ExitOK
	}
	cmd, ok := commands[name]
	if !ok {
		fmt.Fprintf(env.Stderr, "okta-setup: unknown command %q (try okta-setup help)\n", name)
		return ExitUsage
	}

	// Every wait inside is bounded already (connect, TLS, headers, rate-limit resets);
	// this bounds the whole run, e.g. a body that trickles in forever.
	ctx, cancel := context.WithTimeout(ctx, runTimeout)
	defer cancel()
	err := cmd.run(ctx, &env, env.Args[1:])
	var ue *usageError
	switch {
	case err == nil:
		return ExitOK
	case errors.Is(err, flag.ErrHelp):
		return ExitOK
	case errors.As(err, &ue):
		fmt.Fprintf(env.Stderr, "okta-setup %s: %s\n", name, ue.msg)
		return ExitUsage
	}
	fmt.Fprintf(env.Stderr, "okta-setup %s: %v\n", name, err)
	return ExitFail
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: okta-setup <command> [flags]   (okta-setup <command> -h for flags)")
	fmt.Fprintln(w)
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-11s %s\n", n, commands[n].summary)
	}
	fmt.Fprintln(w, "\nsettings: OKTA_ORG_URL, OKTA_API_TOKEN or OKTA_CLIENT_ID + "+
		"OKTA_PRIVATE_KEY [+ OKTA_PRIVATE_KEY_ID],\n"+
		"          OKTA_USER + OKTA_BASIC_SECRET (hook secret), "+
		"OKTA_HOOK_CLIENT_ID, OKTA_HOOK_CLIENT_SECRET")
}

// newFlags returns a flag set whose errors come back as usage errors, not printed
// half-way; -h prints the flags to stdout.
func newFlags(name string) *flag.FlagSet {
	fs := flag.NewFlagSet("okta-setup "+name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	return fs
}

func parse(env *Env, fs *flag.FlagSet, args []string) error {
	err := fs.Parse(args)
	if errors.Is(err, flag.ErrHelp) {
		fs.SetOutput(env.Stdout)
		fmt.Fprintf(env.Stdout, "usage: %s [flags]\n", fs.Name())
		fs.PrintDefaults()
		return err
	}
	if err != nil {
		return usagef("%v", err)
	}
	if fs.NArg() > 0 {
		return usagef("unexpected argument %q (flags only)", fs.Arg(0))
	}
	return nil
}

// listFlag is a repeatable flag.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }
