package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

const (
	user   = "okta"
	secret = "loadtest-secret"
)

// extraEnv is added to the handler's environment (the -env flag), e.g. GODEBUG=gctrace=1.
var extraEnv []string

// proc is a running handler and the latencies it logged for itself.
type proc struct {
	cmd  *exec.Cmd
	base string
	logs sync.WaitGroup

	mu     sync.Mutex
	logged []time.Duration // latency_ms of each "telephony hook" line
	done   bool
}

// startHandler starts bin in dir on a free loopback port with env added to its settings,
// and waits for its readiness probe to answer.
func startHandler(ctx context.Context, bin, dir string, env []string) (*proc, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, bin)
	cmd.Dir = dir
	cmd.Env = []string{
		"FUNCTIONS_CUSTOMHANDLER_PORT=" + strconv.Itoa(port),
		"OKTA_USER=" + user, "OKTA_BASIC_SECRET=" + secret,
	}
	cmd.Env = append(append(cmd.Env, env...), extraEnv...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	cmd.Stderr = os.Stderr
	p := &proc{cmd: cmd, base: "http://127.0.0.1:" + strconv.Itoa(port)}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start handler: %w", err)
	}
	p.logs.Go(func() { p.readLogs(stdout) })
	if _, err := p.awaitReady(ctx, time.Now()); err != nil {
		p.stop()
		return nil, err
	}
	return p, nil
}

// measureStarts starts and stops the handler n times and returns each start-to-ready time:
// from just before the process is spawned to the first answer of GET /.
func measureStarts(ctx context.Context, bin, dir string, n int) ([]time.Duration, error) {
	var out []time.Duration
	for range n {
		port, err := freePort()
		if err != nil {
			return nil, err
		}
		cmd := exec.CommandContext(ctx, bin)
		cmd.Dir = dir
		cmd.Env = []string{"FUNCTIONS_CUSTOMHANDLER_PORT=" + strconv.Itoa(port),
			"OKTA_USER=" + user, "OKTA_BASIC_SECRET=" + secret}
		p := &proc{cmd: cmd, base: "http://127.0.0.1:" + strconv.Itoa(port)}
		start := time.Now()
		if err := cmd.Start(); err != nil {
			return nil, fmt.Errorf("start handler: %w", err)
		}
		d, err := p.awaitReady(ctx, start)
		p.stop()
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, nil
}

// awaitReady polls GET / as the Functions host does, but every 200µs instead of 25ms so
// the measurement is not rounded up to the host's polling interval.
func (p *proc) awaitReady(ctx context.Context, start time.Time) (time.Duration, error) {
	client := &http.Client{Timeout: 100 * time.Millisecond}
	deadline := start.Add(10 * time.Second)
	for time.Now().Before(deadline) && ctx.Err() == nil {
		resp, err := client.Get(p.base + "/")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return time.Since(start), nil
			}
		}
		time.Sleep(200 * time.Microsecond)
	}
	return 0, fmt.Errorf("handler not ready within 10s at %s", p.base)
}

func (p *proc) readLogs(r io.Reader) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Bytes()
		if !strings.Contains(string(line), `"msg":"telephony hook"`) {
			continue
		}
		var l struct {
			LatencyMS float64 `json:"latency_ms"`
		}
		if json.Unmarshal(line, &l) == nil {
			p.mu.Lock()
			p.logged = append(p.logged, time.Duration(l.LatencyMS*float64(time.Millisecond)))
			p.mu.Unlock()
		}
	}
}

func (p *proc) loggedCount() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.logged)
}

// loggedSince returns the latencies logged from index from on, waiting up to a second for
// the lines of n calls: the handler writes its line just after the answer.
func (p *proc) loggedSince(from, n int) []time.Duration {
	deadline := time.Now().Add(time.Second)
	for p.loggedCount() < from+n && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]time.Duration(nil), p.logged[from:]...)
}

// memory returns the handler's peak and current resident memory in KiB.
func (p *proc) memory() (hwm, rss int) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", p.cmd.Process.Pid))
	if err != nil {
		return 0, 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		n, _ := strconv.Atoi(f[1])
		switch f[0] {
		case "VmHWM:":
			hwm = n
		case "VmRSS:":
			rss = n
		}
	}
	return hwm, rss
}

// stop ends the handler with SIGTERM (a graceful shutdown), waits for it and its log
// reader, and returns the latencies it logged.
func (p *proc) stop() []time.Duration {
	p.mu.Lock()
	if p.done {
		defer p.mu.Unlock()
		return p.logged
	}
	p.done = true
	p.mu.Unlock()

	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	timer := time.AfterFunc(10*time.Second, func() { _ = p.cmd.Process.Kill() })
	p.logs.Wait() // the reader ends when the process closes its stdout
	_ = p.cmd.Wait()
	timer.Stop()
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.logged
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
