package delivery_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"okta-acs-sms/function/delivery"
	"okta-acs-sms/function/delivery/storetest"
)

func TestMemoryStoreMeetsStoreContract(t *testing.T) {
	storetest.Run(t, func(*testing.T) delivery.Store { return delivery.NewMemoryStore(nil) })
}

// fakeClock is a clock the test moves by hand.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// put stores a minimal sent record for id.
func put(t *testing.T, s delivery.Store, id string) {
	t.Helper()
	_, err := s.Update(context.Background(), id, func(delivery.Record, bool) (
		delivery.Record, bool) {
		return delivery.Record{MessageID: id, Status: delivery.StatusSent}, true
	})
	if err != nil {
		t.Fatalf("Update(%s): %v", id, err)
	}
}

func found(s delivery.Store, id string) bool {
	_, err := s.Get(context.Background(), id)
	return !errors.Is(err, delivery.ErrNotFound)
}

func TestMemoryStoreForgetsRecordsAfterTTL(t *testing.T) {
	clock := &fakeClock{now: time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)}
	s := delivery.NewMemoryStore(&delivery.MemoryOptions{TTL: time.Hour, Now: clock.Now})
	put(t, s, "Outgoing_a")

	clock.Advance(time.Hour - time.Nanosecond)
	if !found(s, "Outgoing_a") {
		t.Fatalf("record gone before its TTL")
	}
	clock.Advance(time.Nanosecond)
	if found(s, "Outgoing_a") {
		t.Fatalf("record still there at its TTL")
	}
	if got := s.Len(); got != 0 {
		t.Errorf("Len = %d after expiry, want 0", got)
	}
}

func TestMemoryStoreDropsOldestWhenFull(t *testing.T) {
	clock := &fakeClock{now: time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)}
	s := delivery.NewMemoryStore(&delivery.MemoryOptions{MaxRecords: 3, Now: clock.Now})
	for _, id := range []string{"Outgoing_1", "Outgoing_2", "Outgoing_3", "Outgoing_4"} {
		put(t, s, id)
		clock.Advance(time.Second)
	}
	want := map[string]bool{
		"Outgoing_1": false, "Outgoing_2": true, "Outgoing_3": true, "Outgoing_4": true,
	}
	for id, w := range want {
		if got := found(s, id); got != w {
			t.Errorf("found(%s) = %v, want %v", id, got, w)
		}
	}
	if got := s.Len(); got != 3 {
		t.Errorf("Len = %d, want 3", got)
	}
}
