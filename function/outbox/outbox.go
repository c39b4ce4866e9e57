// Package outbox is the sender used when no ACS settings exist, on a developer's machine or
// in CI: each text becomes one JSON line in a file, the local stand-in for the phone.
//
// The file holds the full number and the text (codes included), which is why it is kept at
// mode 0600 (a file already there is tightened when the Outbox is made; a path that is not a
// regular file is refused there) and why Outbox must never be wired in Azure. The log line
// it writes is masked like every other.
package outbox

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
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
	f  *os.File // nil once closed
}

// New opens path (DefaultFile when empty) for appending, creating it with mode 0600 or
// tightening a file already there to 0600, and returns an Outbox writing to it. A path that
// is not a regular file, or cannot be opened, is refused here, at start, rather than on
// every text: a handler that starts healthy and then fails each hook call sends every user
// to Okta's fallback. The caller must Close the Outbox.
func New(path string, logger *slog.Logger) (*Outbox, error) {
	if path == "" {
		path = DefaultFile
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	f, err := openPrivate(path)
	if err != nil {
		return nil, err
	}
	return &Outbox{path: path, logger: logger, now: time.Now, f: f}, nil
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

// errClosed is returned by Send after Close.
var errClosed = errors.New("outbox: closed")

// ErrNotRegular is returned (wrapped) when the outbox path exists but is not a regular
// file: a symbolic link, a directory, a device or a pipe. The outbox refuses to follow or
// write into such a path, since the codes it holds would land wherever it points.
var ErrNotRegular = errors.New("not a regular file")

// append writes b with a single write on a file opened for appending, so that lines from
// concurrent sends never interleave.
func (o *Outbox) append(b []byte) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.f == nil {
		return errClosed
	}
	if _, err := o.f.Write(b); err != nil {
		return fmt.Errorf("outbox: write: %w", err)
	}
	return nil
}

// openPrivate opens path for appending, creating it if needed, and leaves it with mode
// 0600 whatever mode a file already there had: the outbox holds codes like a phone.
//
// NOTE: a path that is not a regular file is refused, never followed. It is checked
// three times: before opening (so that no file is created through a symbolic link), by
// the open itself (O_NOFOLLOW where the system has it), and after opening (the opened
// file must be the regular file now at path), which closes the window between the
// first check and the open.
func openPrivate(path string) (*os.File, error) {
	if fi, err := os.Lstat(path); err == nil && !fi.Mode().IsRegular() {
		return nil, notRegular(path, fi.Mode())
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND|oNoFollow, 0o600)
	if err != nil {
		if fi, lerr := os.Lstat(path); lerr == nil && !fi.Mode().IsRegular() {
			return nil, notRegular(path, fi.Mode()) // O_NOFOLLOW refused a link
		}
		return nil, fmt.Errorf("outbox: %w", err) // err names the operation and the path
	}

	opened, err := f.Stat()
	if err == nil {
		var atPath os.FileInfo
		atPath, err = os.Lstat(path)
		if err == nil && (!atPath.Mode().IsRegular() || !os.SameFile(opened, atPath)) {
			err = notRegular(path, atPath.Mode())
		}
	}
	if err == nil {
		err = f.Chmod(0o600)
	}
	if err != nil {
		_ = f.Close()
		var nr *notRegularError
		if errors.As(err, &nr) {
			return nil, err
		}
		return nil, fmt.Errorf("outbox: open %s: make it private (0600): %w", path, err)
	}
	return f, nil
}

// notRegularError says which path was refused and what it is.
type notRegularError struct {
	path string
	mode os.FileMode
}

func notRegular(path string, mode os.FileMode) error {
	return &notRegularError{path: path, mode: mode}
}

func (e *notRegularError) Error() string {
	what := "a special file"
	switch {
	case e.mode&os.ModeSymlink != 0:
		what = "a symbolic link"
	case e.mode.IsDir():
		what = "a directory"
	}
	return fmt.Sprintf("outbox: open %s: %s, not a regular file; the outbox holds codes "+
		"and writes only to a regular file it can make private (0600)", e.path, what)
}

func (e *notRegularError) Unwrap() error { return ErrNotRegular }

// Close closes the file. Sends after Close fail.
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
