package hook

import (
	"context"
	"errors"
	"testing"
	"time"
)

type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time { return c.t }

func newTestStore(max int) (*MemoryStore, *fakeClock) {
	c := &fakeClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	s := NewMemoryStore(max)
	s.now = c.now
	return s, c
}

func TestMemoryStoreReturnsTheFirstAnswerUntilItExpires(t *testing.T) {
	s, clock := newTestStore(0)
	ctx := context.Background()
	if _, claimed, _ := s.Claim(ctx, "e1", time.Minute); !claimed {
		t.Fatal("first Claim not claimed")
	}
	s.Complete("e1", Answer{Outcome: OutcomeSent, MessageID: "m1"})

	clock.t = clock.t.Add(59 * time.Second)
	a, claimed, err := s.Claim(ctx, "e1", time.Minute)
	if claimed || err != nil || a.MessageID != "m1" {
		t.Fatalf("repeat within ttl: %+v, %v, %v", a, claimed, err)
	}

	clock.t = clock.t.Add(2 * time.Second)
	if _, claimed, _ := s.Claim(ctx, "e1", time.Minute); !claimed {
		t.Fatal("repeat after ttl not claimed afresh")
	}
}

func TestMemoryStoreStaysWithinItsBound(t *testing.T) {
	s, clock := newTestStore(3)
	ctx := context.Background()
	for _, id := range []string{"a", "b", "c", "d", "e"} {
		clock.t = clock.t.Add(time.Second)
		if _, claimed, _ := s.Claim(ctx, id, time.Hour); !claimed {
			t.Fatalf("%s not claimed", id)
		}
		s.Complete(id, Answer{MessageID: id})
	}
	if s.Len() != 3 {
		t.Errorf("Len = %d; want 3", s.Len())
	}
	// The oldest went first: "a" is new again, "e" is remembered.
	if _, claimed, _ := s.Claim(ctx, "e", time.Hour); claimed {
		t.Error("newest entry was evicted")
	}
	if _, claimed, _ := s.Claim(ctx, "a", time.Hour); !claimed {
		t.Error("oldest entry was kept")
	}
}

func TestMemoryStoreNeverEvictsAnEntryInFlight(t *testing.T) {
	s, _ := newTestStore(1)
	ctx := context.Background()
	s.Claim(ctx, "busy", time.Hour)
	s.Claim(ctx, "other", time.Hour) // store over its bound: "busy" must stay
	s.Complete("other", Answer{})

	done := make(chan Answer)
	go func() {
		a, _, _ := s.Claim(ctx, "busy", time.Hour)
		done <- a
	}()
	s.Complete("busy", Answer{MessageID: "late"})
	if a := <-done; a.MessageID != "late" {
		t.Errorf("waiter got %+v", a)
	}
}

func TestMemoryStoreWaiterGivesUpWhenItsContextEnds(t *testing.T) {
	s, _ := newTestStore(0)
	s.Claim(context.Background(), "e", time.Hour)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, claimed, err := s.Claim(ctx, "e", time.Hour)
	if claimed || !errors.Is(err, context.Canceled) {
		t.Fatalf("Claim = %v, %v; want context.Canceled", claimed, err)
	}
}

func TestDedupeTTLFollowsTheCodeExpiryWithinBounds(t *testing.T) {
	h, _ := newHandler(t, &fakeSender{})
	now := time.Date(2026, 1, 28, 21, 43, 40, 0, time.UTC)
	h.now = func() time.Time { return now }
	tests := []struct {
		expires string
		want    time.Duration
	}{
		{"2026-01-28T21:48:40.000Z", 5 * time.Minute},
		{"2026-01-28T22:43:40Z", 10 * time.Minute},
		{"2026-01-28T21:43:50Z", time.Minute},
		{"2020-01-01T00:00:00Z", time.Minute},
		{"", 5 * time.Minute},
		{"tomorrow", 5 * time.Minute},
	}
	for _, tt := range tests {
		r := parseSample(t, map[string]any{"otpExpires": tt.expires})
		if got := h.dedupeTTL(r); got != tt.want {
			t.Errorf("otpExpires %q: ttl %v; want %v", tt.expires, got, tt.want)
		}
	}
}
