package outbox

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"okta-acs-sms/function/sms"
)

var idPattern = regexp.MustCompile(
	`^outbox-[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

func TestOutboxWritesOneMaskedLogLineAndOneFileLine(t *testing.T) {
	path := filepath.Join(t.TempDir(), "outbox.jsonl")
	var logs bytes.Buffer
	o := open(t, path, slog.New(slog.NewJSONHandler(&logs, nil)))
	o.now = func() time.Time { return time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC) }
	defer o.Close()

	rc, err := o.Send(context.Background(), sms.Message{
		To: "+15555551212", Body: "Your code is 123456", Tag: "ev1", IdempotencyKey: "ev1",
	})
	if err != nil {
		t.Fatal(err)
	}
	if !idPattern.MatchString(rc.MessageID) || rc.Provider != "outbox" || rc.Attempts != 1 {
		t.Fatalf("receipt = %+v", rc)
	}

	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf(`{"messageId":%q,"time":"2026-01-02T03:04:05Z","to":"+15555551212",`+
		`"body":"Your code is 123456","tag":"ev1","idempotencyKey":"ev1"}`+"\n", rc.MessageID)
	if string(b) != want {
		t.Errorf("file = %s; want %s", b, want)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Errorf("file mode = %v; want 0600", fi.Mode().Perm())
	}
	log := logs.String()
	if strings.Contains(log, "123456") || strings.Contains(log, "+15555551212") {
		t.Errorf("log line leaks the code or the number: %s", log)
	}
	if !strings.Contains(log, `"to":"+1555***1212"`) {
		t.Errorf("log line lacks the masked number: %s", log)
	}
}

func TestOutboxConcurrentSendsWriteWholeLines(t *testing.T) {
	path := filepath.Join(t.TempDir(), "outbox.jsonl")
	o := open(t, path, nil)
	defer o.Close()

	const n = 64
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			body := strings.Repeat("x", 1000) + fmt.Sprint(i)
			m := sms.Message{To: "+15555551212", Body: body}
			if _, err := o.Send(context.Background(), m); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()

	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	ids := map[string]bool{}
	for sc.Scan() {
		var l Line
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatalf("line %d is not JSON: %v", len(ids)+1, err)
		}
		ids[l.MessageID] = true
	}
	if len(ids) != n {
		t.Errorf("got %d distinct lines; want %d", len(ids), n)
	}
}

// open returns a new Outbox for path, failing the test when it cannot be made.
func open(t *testing.T, path string, logger *slog.Logger) *Outbox {
	t.Helper()
	o, err := New(path, logger)
	if err != nil {
		t.Fatal(err)
	}
	return o
}

func TestNewRefusesAFileThatCannotBeOpened(t *testing.T) {
	path := filepath.Join(t.TempDir(), "missing-dir", "outbox.jsonl")
	o, err := New(path, nil)
	want := "outbox: open " + path + ": no such file or directory"
	if o != nil || err == nil || err.Error() != want || !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("New = %v, %v; want nil, %q", o, err, want)
	}
}

func TestOutboxFailsUnavailableAfterClose(t *testing.T) {
	o := open(t, filepath.Join(t.TempDir(), "outbox.jsonl"), nil)
	if err := o.Close(); err != nil {
		t.Fatal(err)
	}
	_, err := o.Send(context.Background(), sms.Message{To: "+15555551212", Body: "x"})
	if sms.KindOf(err) != sms.KindUnavailable || sms.AttemptsOf(err) != 1 ||
		!errors.Is(err, errClosed) {
		t.Fatalf("Send = %v; want an unavailable sms.Error wrapping errClosed", err)
	}
}

func TestOutboxHonoursAnExpiredContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	path := filepath.Join(t.TempDir(), "outbox.jsonl")
	o := open(t, path, nil)
	defer o.Close()
	_, err := o.Send(ctx, sms.Message{To: "+15555551212", Body: "x"})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Send = %v; want context.Canceled", err)
	}
	if b, err := os.ReadFile(path); err != nil || len(b) != 0 {
		t.Errorf("file after a cancelled send = %q, %v; want empty", b, err)
	}
}

func TestOutboxTightensAnExistingFileToOwnerOnly(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ob.jsonl")
	if err := os.WriteFile(path, []byte("{}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, 0o644); err != nil { // not left to the umask
		t.Fatal(err)
	}
	o := open(t, path, nil)
	defer o.Close()
	if fi, err := os.Stat(path); err != nil {
		t.Fatal(err)
	} else if fi.Mode() != 0o600 {
		t.Fatalf("file mode after New = %v; want -rw------- before any send", fi.Mode())
	}

	m := sms.Message{To: "+15555551212", Body: "x"}
	if _, err := o.Send(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode() != 0o600 {
		t.Errorf("file mode = %v; want -rw-------", fi.Mode())
	}
	b, _ := os.ReadFile(path)
	if !strings.HasPrefix(string(b), "{}\n{\"messageId\":\"outbox-") {
		t.Errorf("existing content not kept before the new line: %q", b)
	}
}

func TestOutboxRefusesAPathThatIsNotARegularFile(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "elsewhere.jsonl")
	if err := os.WriteFile(target, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link.jsonl")
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	dangling := filepath.Join(dir, "dangling.jsonl")
	if err := os.Symlink(filepath.Join(dir, "created-through-link"), dangling); err != nil {
		t.Fatal(err)
	}
	sub := filepath.Join(dir, "sub")
	if err := os.Mkdir(sub, 0o700); err != nil {
		t.Fatal(err)
	}

	tests := []struct{ name, path, what string }{
		{"symlink to a file", link, "a symbolic link"},
		{"dangling symlink", dangling, "a symbolic link"},
		{"directory", sub, "a directory"},
	}
	for _, tt := range tests {
		o, err := New(tt.path, nil)
		want := "outbox: open " + tt.path + ": " + tt.what +
			", not a regular file; the outbox holds codes and writes only to a regular " +
			"file it can make private (0600)"
		if o != nil || err == nil || err.Error() != want {
			t.Errorf("%s: New = %v, %v; want nil, %q", tt.name, o, err, want)
		}
		if !errors.Is(err, ErrNotRegular) {
			t.Errorf("%s: err %v is not ErrNotRegular", tt.name, err)
		}
	}

	if b, _ := os.ReadFile(target); len(b) != 0 {
		t.Errorf("the link's target was written: %q", b)
	}
	if fi, _ := os.Stat(target); fi.Mode() != 0o644 {
		t.Errorf("the link's target mode changed to %v", fi.Mode())
	}
	_, err := os.Lstat(filepath.Join(dir, "created-through-link"))
	if !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a file was created through the dangling link: %v", err)
	}
}
