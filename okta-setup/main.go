// Command okta-setup registers, checks, tests and retires the Okta telephony inline hook
// that sends Okta's SMS one-time passcodes through Azure Communication Services.
// See README.md.
package main

import (
	"context"
	"os"
	"os/signal"

	"okta-acs-sms/okta-setup/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := cli.Run(ctx, cli.Env{
		Args:            os.Args[1:],
		Stdin:           os.Stdin,
		StdinIsTerminal: isTerminal(os.Stdin),
		Stdout:          os.Stdout,
		Stderr:          os.Stderr,
		Getenv:          os.Getenv,
	})
	stop()
	os.Exit(code)
}

// isTerminal reports whether f is a character device (an interactive terminal).
func isTerminal(f *os.File) bool {
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
