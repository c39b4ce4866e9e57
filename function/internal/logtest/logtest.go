// Package logtest holds what tests need to read the log lines of code that logs from more
// than one goroutine.
package logtest

import (
	"bytes"
	"sync"
)

// Buffer is an io.Writer for a slog handler that is safe for concurrent writes, and whose
// String may be read while writers are still running. The zero value is ready to use.
type Buffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

// Write appends p under the lock.
func (s *Buffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

// String returns everything written so far.
func (s *Buffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
