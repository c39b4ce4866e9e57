// Command handler is the Azure Functions custom handler: one process serving the Okta
// telephony hook (/api/telephony), the delivery report function (/deliveryreport) and the
// delivery lookup (/api/deliveries/{transactionId}) on 127.0.0.1:$FUNCTIONS_CUSTOMHANDLER_PORT.
//
// It reads its settings from the environment (see config.go) and listens before anything
// touches the network, so the host's readiness probe (GET /) is answered within
// milliseconds. Connections, OAuth signing keys and the delivery table are made or fetched
// on first use, with one exception: in Entra ID mode (ACS_ENDPOINT), once listening, a
// background call fetches the first ACS token from the managed identity (see app.warm), so
// that the first hook call does not wait for it; its failure is logged, and the first send
// asks again.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"
	"time"
)

// shutdownGrace bounds the wait for calls in flight after SIGTERM.
const shutdownGrace = 10 * time.Second

// memoryLimit is the Go runtime's soft memory limit unless GOMEMLIMIT sets one. The live
// heap is small and bounded (the eventId and in-process delivery stores hold at most 4096
// entries each), so collecting earlier costs little CPU and keeps the resident set under
// 25 MiB under load instead of letting the heap double between collections.
const memoryLimit = 18 << 20

func main() {
	os.Exit(run(context.Background(), os.Getenv, os.Stdout, os.Stderr))
}

// run is main with its dependencies passed in; it returns the exit code: 0 after a clean
// shutdown, 2 for a configuration error, 1 for anything else.
func run(ctx context.Context, getenv func(string) string, stdout, stderr io.Writer) int {
	start := time.Now()

	// Catch SIGTERM before anything else, so that a stop sent while starting is a clean
	// shutdown rather than the default kill.
	ctx, stop := signal.NotifyContext(ctx, syscall.SIGTERM, os.Interrupt)
	defer stop()

	cfg, err := loadConfig(getenv)
	if err != nil {
		fmt.Fprintf(stderr, "handler: configuration: %v\n", err)
		return 2
	}
	logger := slog.New(slog.NewJSONHandler(stdout, nil))
	if getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(memoryLimit)
	}

	ln, err := net.Listen("tcp", cfg.addr())
	if err != nil {
		fmt.Fprintf(stderr, "handler: listen on %s: %v\n", cfg.addr(), err)
		return 1
	}
	a, err := wire(cfg, logger)
	if err != nil {
		ln.Close()
		fmt.Fprintf(stderr, "handler: configuration: %v\n", err)
		return 2
	}
	defer a.close()

	srv := newServer(a.mux, logger)
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	logger.Info("handler: listening", "addr", ln.Addr().String(), "sender", a.sender,
		"auth", a.auth, "deadline", cfg.Deadline.String(), "deliveries", a.deliveries,
		"startup_ms", float64(time.Since(start).Microseconds())/1000)
	a.warm(ctx, logger)

	select {
	case err := <-served:
		logger.Error("handler: serve stopped", "error", err.Error())
		return 1
	case <-ctx.Done():
	}

	shutdown(srv, a, logger)
	return 0
}

// newServer returns the HTTP server for h. Its timeouts are far above the hook's 2.5 s
// deadline, so they only ever end a stuck or idle connection.
func newServer(h http.Handler, logger *slog.Logger) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
}

// shutdown lets the calls in flight finish, then waits for the hook's SentRecorder calls,
// both within shutdownGrace.
func shutdown(srv *http.Server, a *app, logger *slog.Logger) {
	logger.Info("handler: shutting down")
	ctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		logger.Warn("handler: shutdown", "error", err.Error())
	}
	if err := a.hook.Drain(ctx); err != nil {
		logger.Warn("handler: shutdown", "error", err.Error())
	}
}
