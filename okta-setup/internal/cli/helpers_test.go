package cli

import (
	"os"
	"path/filepath"
	"testing"

	"okta-acs-sms/okta-setup/internal/oktatest"
)

// terminalStdin makes runCLI pretend stdin is a terminal.
var terminalStdin bool

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// runTerminal is runCLI with stdin playing an interactive terminal.
func runTerminal(t *testing.T, srv *oktatest.Server, env map[string]string, stdin string,
	args ...string) result {
	t.Helper()
	terminalStdin = true
	defer func() { terminalStdin = false }()
	return runCLI(t, srv, env, stdin, args...)
}
