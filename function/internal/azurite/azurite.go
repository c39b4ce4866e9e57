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
	// URL is the table endpoint with the account, e.g. http://127.0.0.1:41234/devstoreaccount1.
	URL string

	// ConnectionString reaches URL with the development account's key.
	ConnectionString string
}

// StartTables starts Azurite's Table service on a free loopback port with a fresh data
// folder and stops it when t ends. It fails t if the binary is missing or does not answer.
func StartTables(t testing.TB) *Tables {
	t.Helper()
	bin, err := binary()
	if err != nil {
		t.Fatalf("azurite: %v; run `make tools` at the repository root", err)
	}

	// A port picked free can be taken before Azurite binds it; try a few.
	var lastErr error
	for range 3 {
		tables, err := start(t, bin)
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

// start runs one Azurite process and waits until it answers.
func start(t testing.TB, bin string) (*Tables, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, bin,
		"--tableHost", "127.0.0.1",
		"--tablePort", strconv.Itoa(port),
		"--location", t.TempDir(),
		"--skipApiVersionCheck",
		"--disableTelemetry",
		"--silent",
	)
	cmd.Stderr = cmd.Stdout // both end up in the pipe below
	out, err := cmd.StdoutPipe()
	if err != nil {
		cancel()
		return nil, fmt.Errorf("start: %w", err)
	}
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
	if err := awaitReady(ready, port); err != nil {
		stop()
		return nil, fmt.Errorf("%w; output: %s", err, output.String())
	}
	t.Cleanup(stop)

	url := fmt.Sprintf("http://127.0.0.1:%d/%s", port, Account)
	return &Tables{
		URL: url,
		ConnectionString: fmt.Sprintf("DefaultEndpointsProtocol=http;AccountName=%s;AccountKey=%s;"+
			"TableEndpoint=%s;", Account, Key, url),
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

// awaitReady waits for the start line, then checks that the port answers HTTP.
func awaitReady(ready <-chan error, port int) error {
	select {
	case err := <-ready:
		if err != nil {
			return err
		}
	case <-time.After(startTimeout):
		return fmt.Errorf("not started after %v", startTimeout)
	}
	client := &http.Client{Timeout: 5 * time.Second}
	resp, err := client.Get(fmt.Sprintf("http://127.0.0.1:%d/", port))
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
