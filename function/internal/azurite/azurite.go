// Package azurite starts Azurite's Table service for tests: the real storage protocol on
// loopback, with its own data folder, stopped when the test ends.
//
// The binary comes from the repository's tools/ folder (npm package azurite, pinned by
// tools/package-lock.json, installed by `make tools`). A missing binary fails the test: a
// storage test that silently skips is a test that never runs.
package azurite

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Account and Key are Azurite's well-known development account, published in its docs.
const (
	Account = "devstoreaccount1"
	Key     = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/" +
		"K1SZFPTOtr/KBHBeksoGMGw=="
)

// startTimeout bounds how long Azurite may take to answer after it was started.
const startTimeout = 30 * time.Second

// Tables is a running Azurite Table service.
type Tables struct {
	// URL is the table endpoint with the account, e.g. http://127.0.0.1:41234/devstoreaccount1
	// (https with StartTablesOAuth).
	URL string

	// ConnectionString reaches URL with the development account's key.
	ConnectionString string

	// Client is an HTTP client that trusts the server's certificate (a plain client for
	// http).
	Client *http.Client
}

// StartTables starts Azurite's Table service over http on a free loopback port with a fresh
// data folder and stops it when t ends. It fails t if the binary is missing or does not
// answer. Requests authenticate with the development account's shared key.
func StartTables(t testing.TB) *Tables {
	t.Helper()
	return startTables(t, false)
}

// StartTablesOAuth is StartTables over https with a throwaway self-signed certificate and
// Azurite's basic OAuth check on: a Bearer token must be a JWT with a storage audience, an
// Entra issuer and a valid lifetime (Azurite does not check its signature). Use Tables.Client
// as the transport.
func StartTablesOAuth(t testing.TB) *Tables {
	t.Helper()
	return startTables(t, true)
}

func startTables(t testing.TB, oauth bool) *Tables {
	t.Helper()
	bin, err := binary()
	if err != nil {
		t.Fatalf("azurite: %v; run `make tools` at the repository root", err)
	}
	var c *certificate
	if oauth {
		if c, err = newCertificate(t.TempDir()); err != nil {
			t.Fatalf("azurite: %v", err)
		}
	}

	// A port picked free can be taken before Azurite binds it; try a few.
	var lastErr error
	for range 3 {
		tables, err := start(t, bin, c)
		if err == nil {
			return tables
		}
		lastErr = err
	}
	t.Fatalf("azurite: %v", lastErr)
	return nil
}

// binary finds tools/node_modules/.bin/azurite-table above the working directory.
func binary() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("find repository root: %w", err)
	}
	return binaryFrom(dir)
}

// binaryFrom finds tools/node_modules/.bin/azurite-table in dir or the nearest parent that
// has tools/package.json (the repository root).
func binaryFrom(dir string) (string, error) {
	for {
		if _, err := os.Stat(filepath.Join(dir, "tools", "package.json")); err == nil {
			bin := filepath.Join(dir, "tools", "node_modules", ".bin", "azurite-table")
			if _, err := os.Stat(bin); err != nil {
				return "", fmt.Errorf("%s is not installed", bin)
			}
			return bin, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no tools/package.json above the working directory")
		}
		dir = parent
	}
}

// start runs one Azurite process and waits until it answers. With a certificate it serves
// https and checks Bearer tokens.
func start(t testing.TB, bin string, c *certificate) (*Tables, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	args := []string{
		"--tableHost", "127.0.0.1",
		"--tablePort", strconv.Itoa(port),
		"--location", t.TempDir(),
		"--skipApiVersionCheck",
		"--disableTelemetry",
		"--silent",
	}
	scheme, client := "http", &http.Client{Timeout: 10 * time.Second}
	if c != nil {
		args = append(args, "--cert", c.certFile, "--key", c.keyFile, "--oauth", "basic")
		scheme, client = "https", c.client()
	}
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, bin, args...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		cancel()
		return nil, fmt.Errorf("start: %w", err)
	}
	cmd.Stderr = cmd.Stdout // the pipe's write end: errors are read with the output
	if err := cmd.Start(); err != nil {
		cancel()
		return nil, fmt.Errorf("start %s: %w", bin, err)
	}

	// Azurite prints "successfully started" once it listens; it exits on a taken port.
	ready := make(chan error, 1)
	exited := make(chan struct{})
	var output strings.Builder
	go watch(out, &output, ready, exited)

	stop := func() {
		cancel()
		<-exited
		_ = cmd.Wait()
	}
	base := fmt.Sprintf("%s://127.0.0.1:%d/", scheme, port)
	if err := awaitReady(ready, client, base); err != nil {
		stop()
		return nil, fmt.Errorf("%w; output: %s", err, output.String())
	}
	t.Cleanup(stop)

	url := base + Account
	return &Tables{
		URL: url,
		ConnectionString: fmt.Sprintf("DefaultEndpointsProtocol=%s;AccountName=%s;AccountKey=%s;"+
			"TableEndpoint=%s;", scheme, Account, Key, url),
		Client: client,
	}, nil
}

// watch copies Azurite's output into buf and reports on ready when it has started, or
// that it ended without starting. It closes exited at end of output.
func watch(r io.Reader, buf *strings.Builder, ready chan<- error, exited chan<- struct{}) {
	defer close(exited)
	sc := bufio.NewScanner(r)
	started := false
	for sc.Scan() {
		line := sc.Text()
		if buf.Len() < 4096 && !started {
			buf.WriteString(line + "\n")
		}
		if !started && strings.Contains(line, "successfully started") {
			started = true
			ready <- nil
		}
	}
	if !started {
		ready <- errors.New("exited before it started")
	}
}

// awaitReady waits for the start line, then checks that base answers HTTP.
func awaitReady(ready <-chan error, client *http.Client, base string) error {
	select {
	case err := <-ready:
		if err != nil {
			return err
		}
	case <-time.After(startTimeout):
		return fmt.Errorf("not started after %v", startTimeout)
	}
	resp, err := client.Get(base)
	if err != nil {
		return fmt.Errorf("not answering: %w", err)
	}
	resp.Body.Close()
	return nil
}

// freePort returns a loopback TCP port that was free a moment ago.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
