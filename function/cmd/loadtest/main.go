// Command loadtest measures the real handler binary on loopback: how fast it starts, how
// much latency it adds, and how much memory it holds under a bounded load.
//
//	go run ./cmd/loadtest [-n 20000] [-c 16] [-max 30s]
//
// It builds the handler (or uses -bin), starts it with the embedded outbox as sender (so no
// provider time is in the numbers), measures process start to first answer of the readiness
// probe over several starts, then sends -n hook requests from -c workers, each with its own
// eventId so every one is really sent, and stops at -max whatever happens. It then does the
// same with the real ACS client sending to a loopback fake ACS (-mode). It reports
// client-side latency percentiles, the latency the handler logged for itself, errors, and
// the handler's peak resident memory (VmHWM).
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"time"
)

// Targets from the issue, on a 2-core machine.
const (
	targetStartReady = 30 * time.Millisecond
	targetHandlerP99 = time.Millisecond
	targetPeakRSSKiB = 25 * 1024
)

func main() {
	o := options{}
	flag.IntVar(&o.requests, "n", 20000, "requests of the load phase")
	flag.IntVar(&o.workers, "c", 16, "concurrent workers of the load phase")
	flag.IntVar(&o.sequential, "seq", 2000, "requests of the one-at-a-time phase")
	flag.IntVar(&o.paced, "paced", 5000, "requests of the paced phase")
	flag.IntVar(&o.rate, "rate", 1000, "requests per second of the paced phase")
	flag.IntVar(&o.starts, "starts", 5, "cold starts measured")
	flag.DurationVar(&o.max, "max", 30*time.Second, "hard cap of each load phase")
	flag.StringVar(&o.bin, "bin", "", "handler binary (default: build ./cmd/handler)")
	flag.StringVar(&o.mode, "mode", "both", "sender: outbox, acs (a loopback fake ACS) or both")
	flag.Func("env", "KEY=VALUE added to the handler's environment (repeatable)",
		func(v string) error { extraEnv = append(extraEnv, v); return nil })
	flag.Parse()

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	ok, err := run(ctx, o)
	if err != nil {
		fmt.Fprintf(os.Stderr, "loadtest: %v\n", err)
		os.Exit(2)
	}
	if !ok {
		os.Exit(1)
	}
}

type options struct {
	requests, workers, sequential, starts int
	paced, rate                           int
	max                                   time.Duration
	bin, mode                             string
}

func run(ctx context.Context, o options) (bool, error) {
	work, err := os.MkdirTemp("", "loadtest")
	if err != nil {
		return false, err
	}
	defer os.RemoveAll(work)
	if o.bin == "" {
		o.bin = filepath.Join(work, "handler")
		build := exec.CommandContext(ctx, "go", "build", "-trimpath", "-ldflags=-s -w",
			"-o", o.bin, "./cmd/handler")
		build.Env = append(os.Environ(), "CGO_ENABLED=0")
		build.Stderr = os.Stderr
		if err := build.Run(); err != nil {
			return false, fmt.Errorf("build handler: %w", err)
		}
	}

	starts, err := measureStarts(ctx, o.bin, work, o.starts)
	if err != nil {
		return false, err
	}
	ok := printStarts(os.Stdout, starts)

	for _, mode := range []string{"outbox", "acs"} {
		if o.mode != "both" && o.mode != mode {
			continue
		}
		r, err := loadMode(ctx, o, work, mode)
		if err != nil {
			return false, err
		}
		r.print(os.Stdout)
		ok = ok && r.ok()
	}
	verdict := "PASS"
	if !ok {
		verdict = "FAIL"
	}
	fmt.Printf("targets (start to ready; handler p99 of the paced outbox phase; peak RSS; "+
		"no errors): %s\n", verdict)
	return ok, nil
}

// loadMode starts the handler with the given sender and runs every phase against it.
func loadMode(ctx context.Context, o options, work, mode string) (report, error) {
	env := []string{"OUTBOX_FILE=" + filepath.Join(work, "outbox.jsonl")}
	if mode == "acs" {
		fake, err := startFakeACS(work)
		if err != nil {
			return report{}, err
		}
		defer fake.close()
		env = fake.env()
	}
	h, err := startHandler(ctx, o.bin, work, env)
	if err != nil {
		return report{}, err
	}
	defer h.stop()

	phases := []struct {
		name             string
		n, workers, rate int
	}{
		{"one at a time", o.sequential, 1, 0},
		{"paced", o.paced, o.workers, o.rate},
		{"saturating", o.requests, o.workers, 0},
	}
	r := report{mode: mode}
	for _, ph := range phases {
		before := h.loggedCount()
		res := drive(ctx, h, ph.n, ph.workers, ph.rate, o.max)
		res.name = ph.name
		res.handler = h.loggedSince(before, res.sent)
		r.phases = append(r.phases, res)
	}
	r.hwmKiB, r.rssKiB = h.memory()
	return r, nil
}
