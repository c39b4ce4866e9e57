package delivery

import (
	"container/list"
	"context"
	"fmt"
	"sync"
	"time"
)

// MemoryOptions configures a MemoryStore. The zero value means the documented defaults.
type MemoryOptions struct {
	// MaxRecords bounds the records kept; when full, the oldest record is dropped.
	// Default 10000.
	MaxRecords int

	// TTL is how long a record is kept after it was first written. Default 24h, which is
	// also how long Event Grid keeps retrying a report.
	TTL time.Duration

	// Now is the clock. Default time.Now.
	Now func() time.Time
}

// MemoryStore is the in-process Store used when no Table Storage is configured (local runs).
// Its records live only as long as the process, bounded in number and age.
type MemoryStore struct {
	max int
	ttl time.Duration
	now func() time.Time

	mu      sync.Mutex
	records map[string]*memEntry
	order   *list.List // of message ids, oldest first; creation order is expiry order
}

// memEntry is one stored record and its place in the expiry order.
type memEntry struct {
	rec     Record
	expires time.Time
	elem    *list.Element
}

var _ Store = (*MemoryStore)(nil)

// NewMemoryStore returns an empty MemoryStore. opts may be nil.
func NewMemoryStore(opts *MemoryOptions) *MemoryStore {
	var o MemoryOptions
	if opts != nil {
		o = *opts
	}
	if o.MaxRecords <= 0 {
		o.MaxRecords = 10000
	}
	if o.TTL <= 0 {
		o.TTL = 24 * time.Hour
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return &MemoryStore{
		max:     o.MaxRecords,
		ttl:     o.TTL,
		now:     o.Now,
		records: make(map[string]*memEntry),
		order:   list.New(),
	}
}

// Get returns the record for messageID, or an error wrapping ErrNotFound.
func (s *MemoryStore) Get(ctx context.Context, messageID string) (Record, error) {
	s.mu.Lock()
	defer s.mu.Unlock()

	e := s.live(messageID)
	if e == nil {
		return Record{}, fmt.Errorf("delivery: get %s: %w", messageID, ErrNotFound)
	}
	return e.rec, nil
}

// Update applies fn to the record for messageID under the store's lock.
func (s *MemoryStore) Update(ctx context.Context, messageID string, fn UpdateFunc) (Record, error) {
	if err := ctx.Err(); err != nil {
		return Record{}, fmt.Errorf("delivery: update %s: %w", messageID, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()

	e := s.live(messageID)
	var cur Record
	if e != nil {
		cur = e.rec
	}
	next, write := fn(cur, e != nil)
	if !write {
		return cur, nil
	}

	if e != nil {
		e.rec = next
		return next, nil
	}
	s.makeRoom()
	e = &memEntry{rec: next, expires: s.now().Add(s.ttl)}
	e.elem = s.order.PushBack(messageID)
	s.records[messageID] = e
	return next, nil
}

// live returns the unexpired entry for id, dropping it if it has expired. s.mu must be held.
func (s *MemoryStore) live(id string) *memEntry {
	e := s.records[id]
	if e == nil {
		return nil
	}
	if !s.now().Before(e.expires) {
		s.drop(id, e)
		return nil
	}
	return e
}

// makeRoom drops expired records, then the oldest ones until one more fits. s.mu must be held.
func (s *MemoryStore) makeRoom() {
	now := s.now()
	for front := s.order.Front(); front != nil; front = s.order.Front() {
		id := front.Value.(string)
		e := s.records[id]
		if len(s.records) < s.max && now.Before(e.expires) {
			return
		}
		s.drop(id, e)
	}
}

// drop removes one entry. s.mu must be held.
func (s *MemoryStore) drop(id string, e *memEntry) {
	s.order.Remove(e.elem)
	delete(s.records, id)
}

// Len returns the number of records held, expired ones not yet dropped included.
func (s *MemoryStore) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.records)
}
