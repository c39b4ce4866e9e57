package hook

import (
	"container/list"
	"context"
	"fmt"
	"sync"
	"time"
)

// Store remembers the answer given for each Okta eventId, so that a repeated event gets
// the first answer again and never a second text. MemoryStore keeps it in the process; a
// store shared by several instances (e.g. a table) can implement the same contract.
type Store interface {
	// Claim reserves eventID for ttl. When the caller is the first to see it (or the earlier
	// entry has expired) Claim returns claimed=true, and the caller must call Complete exactly
	// once. Otherwise Claim returns the first caller's answer, waiting while that caller is
	// still working, until ctx ends (then it returns ctx's error).
	Claim(ctx context.Context, eventID string, ttl time.Duration) (
		a Answer, claimed bool, err error)

	// Complete records the answer for an eventID the caller claimed and wakes its waiters.
	Complete(eventID string, a Answer)
}

// DefaultStoreSize bounds the entries of a MemoryStore made by the hook. At one entry per
// code and ten minutes at most per entry, it covers over 16 codes a second.
const DefaultStoreSize = 4096

// MemoryStore is a Store held in memory, bounded in entries. It is safe for concurrent use.
type MemoryStore struct {
	max int
	now func() time.Time

	mu      sync.Mutex
	entries map[string]*entry
	order   *list.List // of *entry, oldest claim first
}

type entry struct {
	id      string
	expires time.Time
	done    chan struct{} // closed by Complete
	answer  Answer        // written before done is closed
	elem    *list.Element
}

// NewMemoryStore returns a MemoryStore holding at most max entries (DefaultStoreSize when
// max <= 0). When full it drops expired entries first, then the oldest finished ones.
func NewMemoryStore(max int) *MemoryStore {
	if max <= 0 {
		max = DefaultStoreSize
	}
	return &MemoryStore{
		max:     max,
		now:     time.Now,
		entries: make(map[string]*entry),
		order:   list.New(),
	}
}

// Claim implements Store.
func (s *MemoryStore) Claim(ctx context.Context, eventID string, ttl time.Duration) (
	Answer, bool, error) {
	s.mu.Lock()
	now := s.now()
	e, ok := s.entries[eventID]
	if ok && now.After(e.expires) && isDone(e) {
		s.remove(e)
		ok = false
	}
	if !ok {
		s.evict(now)
		e = &entry{id: eventID, expires: now.Add(ttl), done: make(chan struct{})}
		e.elem = s.order.PushBack(e)
		s.entries[eventID] = e
		s.mu.Unlock()
		return Answer{}, true, nil
	}
	s.mu.Unlock()

	select {
	case <-e.done:
		return e.answer, false, nil
	case <-ctx.Done():
		return Answer{}, false, fmt.Errorf("hook: wait for the first call of a repeated event: %w",
			ctx.Err())
	}
}

// Complete implements Store.
func (s *MemoryStore) Complete(eventID string, a Answer) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.entries[eventID]
	if !ok || isDone(e) {
		return
	}
	e.answer = a
	close(e.done)
}

// Len returns the number of entries held.
func (s *MemoryStore) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.entries)
}

// evict makes room for one entry. s.mu must be held.
func (s *MemoryStore) evict(now time.Time) {
	// Expired entries at the front go first; TTLs differ, so expired ones further back
	// wait until the store is full.
	for el := s.order.Front(); el != nil; {
		e := el.Value.(*entry)
		if !now.After(e.expires) || !isDone(e) {
			break
		}
		el = el.Next()
		s.remove(e)
	}
	for el := s.order.Front(); len(s.entries) >= s.max && el != nil; {
		e := el.Value.(*entry)
		el = el.Next()

		// NOTE: an entry still in flight is never dropped: its waiters hold it and its
		// claimer will Complete it. In-flight entries are bounded by concurrency.
		if isDone(e) {
			s.remove(e)
		}
	}
}

func (s *MemoryStore) remove(e *entry) {
	s.order.Remove(e.elem)
	delete(s.entries, e.id)
}

func isDone(e *entry) bool {
	select {
	case <-e.done:
		return true
	default:
		return false
	}
}
