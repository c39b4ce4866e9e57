// Package acstest is a fake Azure Communication Services SMS endpoint for tests: an httptest
// server on loopback that checks requests the way ACS does (path, api-version, JSON schema,
// HMAC signature or bearer token), honours repeatability ids, counts the texts it would have
// sent, and misbehaves on demand (throttling, 5xx, failed recipients, hangs, resets, and
// connections that hang in the TLS handshake).
package acstest

import (
	"crypto/rand"
	"encoding/base64"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"

	"okta-acs-sms/function/acs"
)

// APIVersion is the only api-version the fake accepts.
const APIVersion = "2021-03-07"

// maxBody bounds what the fake reads of a request body.
const maxBody = 1 << 20

// Server is a running fake ACS. Create it with NewServer; it closes itself when the test ends.
type Server struct {
	srv     *httptest.Server
	tls     bool
	keyB64  string
	key     []byte
	token   string
	maxSkew time.Duration
	now     func() time.Time
	done    chan struct{}
	close   sync.Once
	conns   atomic.Int64

	mu       sync.Mutex
	faults   []Fault
	hangs    int        // connections still to hang in the TLS handshake
	held     []net.Conn // hanging connections, closed by Close
	requests []Request
	texts    []Text
	repeats  map[string]repeat // repeatabilityRequestId → first result
}

type repeat struct {
	firstSent string
	messageID string
}

// Request is one request the fake received, as it arrived, with what it answered.
type Request struct {
	Method     string
	RequestURI string
	Header     http.Header
	Body       []byte
	Status     int    // the HTTP status answered; 0 for a hang or a reset
	Fault      string // the scripted fault used, if any
}

// Text is one text the fake counts as sent (a repeat of a known repeatability id is not).
type Text struct {
	MessageID string
	From      string
	To        string
	Message   string
	Tag       string
}

// Option configures a Server.
type Option func(*Server)

// WithKey sets the access key (base64) the fake checks HMAC signatures with. The default is a
// random 32-byte key.
func WithKey(accessKeyBase64 string) Option {
	return func(s *Server) { s.keyB64 = accessKeyBase64 }
}

// WithBearer switches the fake to Entra ID mode: it requires "Authorization: Bearer token"
// and ignores HMAC headers.
func WithBearer(token string) Option { return func(s *Server) { s.token = token } }

// WithPlainHTTP serves http:// instead of https://. Clients then need
// InsecureAllowCredentialWithHTTP, which ClientOptions sets.
func WithPlainHTTP() Option { return func(s *Server) { s.tls = false } }

// WithMaxClockSkew sets how far x-ms-date may be from the fake's clock (default 15 minutes).
// Zero or less turns the check off, for clients with a fixed test clock.
func WithMaxClockSkew(d time.Duration) Option { return func(s *Server) { s.maxSkew = d } }

// WithClock sets the fake's clock, used for the skew check and message ids.
func WithClock(now func() time.Time) Option { return func(s *Server) { s.now = now } }

// NewServer starts a fake ACS on loopback, TLS by default, and closes it when tb ends.
func NewServer(tb testing.TB, opts ...Option) *Server {
	tb.Helper()
	s := &Server{
		tls:     true,
		maxSkew: 15 * time.Minute,
		now:     time.Now,
		done:    make(chan struct{}),
		repeats: map[string]repeat{},
	}
	for _, o := range opts {
		o(s)
	}
	if s.keyB64 == "" {
		k := make([]byte, 32)
		rand.Read(k)
		s.keyB64 = base64.StdEncoding.EncodeToString(k)
	}
	key, err := base64.StdEncoding.DecodeString(s.keyB64)
	if err != nil {
		tb.Fatalf("acstest: WithKey: key is not base64: %v", err)
	}
	s.key = key

	s.srv = httptest.NewUnstartedServer(http.HandlerFunc(s.serve))
	// NOTE: the wrapper goes under the TLS listener StartTLS adds, so that a connection it
	// holds back has not started its handshake, and one it counts may never finish it.
	s.srv.Listener = &listener{Listener: s.srv.Listener, s: s}
	if s.tls {
		s.srv.StartTLS()
	} else {
		s.srv.Start()
	}
	tb.Cleanup(s.Close)
	return s
}

// Close ends hanging requests and handshakes and shuts the server down. It is safe to call
// twice.
func (s *Server) Close() {
	s.close.Do(func() {
		close(s.done)
		s.mu.Lock()
		for _, c := range s.held {
			c.Close()
		}
		s.held = nil
		s.mu.Unlock()
		s.srv.Close()
	})
}

// Endpoint is the ACS endpoint URL of the fake (no trailing slash).
func (s *Server) Endpoint() string { return s.srv.URL }

// AccessKey is the base64 access key the fake expects signatures with.
func (s *Server) AccessKey() string { return s.keyB64 }

// ConnectionString is an ACS connection string for the fake.
func (s *Server) ConnectionString() string {
	return "endpoint=" + s.srv.URL + "/;accesskey=" + s.keyB64
}

// Token is the bearer token the fake expects in Entra ID mode.
func (s *Server) Token() string { return s.token }

// Credential returns a fake token credential that hands out the fake's token.
func (s *Server) Credential() *Credential { return &Credential{Token: s.token} }

// Transport returns an HTTP client that trusts the fake's TLS certificate and keeps its
// connections alive, as an azcore transport.
func (s *Server) Transport() policy.Transporter { return s.srv.Client() }

// ClientOptions returns client options that reach the fake: its transport, and for a
// plain-HTTP fake the opt-in for http://. Fields of base, if given, are kept otherwise.
func (s *Server) ClientOptions(base *acs.ClientOptions) *acs.ClientOptions {
	var o acs.ClientOptions
	if base != nil {
		o = *base
	}
	o.Transport = s.srv.Client()
	if !s.tls {
		o.InsecureAllowCredentialWithHTTP = true
	}
	return &o
}

// NewClient returns an acs.Client for the fake in its mode (HMAC from the connection
// string, or bearer with Credential), sending from the given sender.
func (s *Server) NewClient(tb testing.TB, from string, base *acs.ClientOptions) *acs.Client {
	tb.Helper()
	var c *acs.Client
	var err error
	if s.token != "" {
		c, err = acs.NewClient(s.Endpoint(), from, s.Credential(), s.ClientOptions(base))
	} else {
		c, err = acs.NewClientFromConnectionString(s.ConnectionString(), from,
			s.ClientOptions(base))
	}
	if err != nil {
		tb.Fatalf("acstest: NewClient: %v", err)
	}
	return c
}

// Fail queues faults: the next valid requests get them, one each, in order.
func (s *Server) Fail(faults ...Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, faults...)
}

// Requests returns a copy of every request received so far, in order.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Request, len(s.requests))
	for i, r := range s.requests {
		r.Header = r.Header.Clone()
		r.Body = append([]byte(nil), r.Body...)
		out[i] = r
	}
	return out
}

// TextsSent counts the distinct texts the fake has accepted: repeats of a repeatability id
// and failed recipients are not counted.
func (s *Server) TextsSent() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.texts)
}

// HangHandshakes makes the next n connections hang in the TLS handshake, as an endpoint
// does when a network path or a TLS front end stalls: the fake accepts the TCP connection
// and reads what the client sends (its ClientHello), but never answers, so no request
// reaches it. Close releases them. Calls add up. Over plain HTTP (WithPlainHTTP) there is no
// handshake: such a connection takes the client's request bytes and never answers.
func (s *Server) HangHandshakes(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.hangs += max(n, 0)
}

// Connections counts the TCP connections clients opened to the fake, hanging ones
// included; a client that keeps its connections alive opens one for many sequential sends.
func (s *Server) Connections() int { return int(s.conns.Load()) }

// Texts returns a copy of the texts the fake has accepted, in order.
func (s *Server) Texts() []Text {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Text(nil), s.texts...)
}

// record stores a received request and returns its index for setStatus.
func (s *Server) record(r *http.Request, body []byte) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = append(s.requests, Request{
		Method: r.Method, RequestURI: r.RequestURI, Header: r.Header.Clone(), Body: body,
	})
	return len(s.requests) - 1
}

func (s *Server) setOutcome(i, status int, fault string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests[i].Status, s.requests[i].Fault = status, fault
}

func (s *Server) nextFault() (Fault, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.faults) == 0 {
		return Fault{}, false
	}
	f := s.faults[0]
	s.faults = s.faults[1:]
	return f, true
}

// listener counts accepted connections and keeps those told to hang from the server.
type listener struct {
	net.Listener
	s *Server
}

// Accept returns the next connection that is not to hang.
func (l *listener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		l.s.conns.Add(1)
		if !l.s.hold(c) {
			return c, nil
		}
	}
}

// hold keeps c, reading and discarding what arrives until Close, if a hang is due. It
// reports whether it took c.
func (s *Server) hold(c net.Conn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.hangs == 0 {
		return false
	}
	s.hangs--
	select {
	case <-s.done:
		c.Close()
		return true
	default:
	}
	s.held = append(s.held, c)
	go io.Copy(io.Discard, c) // ends when Close closes c
	return true
}

func readBody(r *http.Request) []byte {
	b, _ := io.ReadAll(io.LimitReader(r.Body, maxBody))
	return b
}
