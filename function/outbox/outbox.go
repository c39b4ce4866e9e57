// Package outbox is the sender used when no ACS settings exist, on a developer's machine or
// in CI: each text becomes one JSON line in a file, the local stand-in for the phone.
//
// The file holds the full number and the text (codes included), which is why it is created
// with mode 0600 and why Outbox must never be wired in Azure. The log line it writes is
// masked like every other.
package outbox

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"

	"okta-acs-sms/function/sms"
)

// Provider is the Receipt.Provider of every text the outbox takes.
const Provider = "outbox"

// DefaultFile is the outbox file name used when none is configured, relative to the
// working directory.
const DefaultFile = "outbox.jsonl"

// Line is one line of the outbox file.
type Line struct {
	MessageID      string    `json:"messageId"`
	Time           time.Time `json:"time"`
	To             string    `json:"to"`
	Body           string    `json:"body"`
	Tag            string    `json:"tag,omitempty"`
	IdempotencyKey string    `json:"idempotencyKey,omitempty"`
}

// Outbox is an sms.Sender that appends each text to a file. It is safe for concurrent use.
type Outbox struct {
	path   string
	logger *slog.Logger
	now    func() time.Time

	mu sync.Mutex
	f  *os.File // opened on the first send
}

// New returns an Outbox writing to path (DefaultFile when empty). The file is opened on the
// first send, so a wrong path shows up as a failed send rather than at start.
func New(path string, logger *slog.Logger) *Outbox {
	if path == "" {
		path = DefaultFile
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Outbox{path: path, logger: logger, now: time.Now}
}

// Path returns the file the outbox writes to.
func (o *Outbox) Path() string { return o.path }

// Send appends m to the file as one JSON line and returns its message id.
func (o *Outbox) Send(ctx context.Context, m sms.Message) (sms.Receipt, error) {
	if err := ctx.Err(); err != nil {
		return sms.Receipt{}, &sms.Error{Kind: sms.KindUnavailable, Err: err}
	}
	line := Line{
		MessageID:      "outbox-" + newUUID(),
		Time:           o.now().UTC(),
		To:             m.To,
		Body:           m.Body,
		Tag:            m.Tag,
		IdempotencyKey: m.IdempotencyKey,
	}
	b, err := json.Marshal(line)
	if err != nil {
		return sms.Receipt{}, fmt.Errorf("outbox: encode line: %w", err)
	}
	if err := o.append(append(b, '\n')); err != nil {
		return sms.Receipt{}, &sms.Error{Kind: sms.KindUnavailable, Attempts: 1, Err: err}
	}

	o.logger.LogAttrs(ctx, slog.LevelInfo, "outbox: text written",
		slog.String("message_id", line.MessageID),
		slog.String("to", sms.MaskPhone(m.To)),
		slog.String("tag", m.Tag),
		slog.String("file", o.path))
	return sms.Receipt{MessageID: line.MessageID, Provider: Provider, Attempts: 1}, nil
}

// append writes b with a single write on a file opened for appending, so that lines from
// concurrent sends never interleave.
func (o *Outbox) append(b []byte) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.f == nil {
		f, err := os.OpenFile(o.path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
		if err != nil {
			return fmt.Errorf("outbox: open: %w", err)
		}
		o.f = f
	}
	if _, err := o.f.Write(b); err != nil {
		return fmt.Errorf("outbox: write: %w", err)
	}
	return nil
}

// Close closes the file, if it was opened.
func (o *Outbox) Close() error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.f == nil {
		return nil
	}
	err := o.f.Close()
	o.f = nil
	if err != nil {
		return fmt.Errorf("outbox: close: %w", err)
	}
	return nil
}

// newUUID returns a random (version 4) UUID in its usual text form.
func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24 and later)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
