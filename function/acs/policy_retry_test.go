package acs

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestRetryAfterReadsEveryHeaderForm(t *testing.T) {
	now := time.Date(2026, 12, 4, 17, 0, 0, 0, time.UTC)
	tests := []struct {
		name   string
		header http.Header
		want   time.Duration
	}{
		{"none", http.Header{}, 0},
		{"seconds", http.Header{"Retry-After": {"3"}}, 3 * time.Second},
		{"http date", http.Header{"Retry-After": {"Fri, 04 Dec 2026 17:00:02 GMT"}},
			2 * time.Second},
		{"date in the past", http.Header{"Retry-After": {"Fri, 04 Dec 2026 16:59:00 GMT"}}, 0},
		{"retry-after-ms", http.Header{"Retry-After-Ms": {"250"}}, 250 * time.Millisecond},
		{"x-ms-retry-after-ms", http.Header{"X-Ms-Retry-After-Ms": {"40"}},
			40 * time.Millisecond},
		{"ms wins over seconds", http.Header{"Retry-After": {"9"}, "Retry-After-Ms": {"10"}},
			10 * time.Millisecond},
		{"garbage", http.Header{"Retry-After": {"soon"}}, 0},
		{"zero", http.Header{"Retry-After": {"0"}}, 0},
		{"negative", http.Header{"Retry-After": {"-5"}}, 0},
	}
	for _, tt := range tests {
		if got := retryAfter(tt.header, now); got != tt.want {
			t.Errorf("%s: retryAfter = %v; want %v", tt.name, got, tt.want)
		}
	}
}

func TestBackoffGrowsWithJitterAndCap(t *testing.T) {
	p := &retryPolicy{baseDelay: 100 * time.Millisecond, maxDelay: 300 * time.Millisecond}
	bounds := []struct {
		attempt  int
		min, max time.Duration
	}{
		{1, 50 * time.Millisecond, 100 * time.Millisecond},
		{2, 100 * time.Millisecond, 200 * time.Millisecond},
		{3, 150 * time.Millisecond, 300 * time.Millisecond}, // capped at 300ms
		{60, 150 * time.Millisecond, 300 * time.Millisecond},
	}
	for _, b := range bounds {
		for range 200 {
			if d := p.backoff(b.attempt); d < b.min || d >= b.max {
				t.Fatalf("backoff(%d) = %v; want in [%v, %v)", b.attempt, d, b.min, b.max)
			}
		}
	}
}

func TestTooLongRefusesWaitsPastTheDeadline(t *testing.T) {
	p := &retryPolicy{maxDelay: 2 * time.Second}
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	if why := p.tooLong(ctx, 100*time.Millisecond, false); why != "" {
		t.Errorf("100ms wait in 500ms refused: %s", why)
	}
	if why := p.tooLong(ctx, 480*time.Millisecond, true); !strings.Contains(why, "not fit") {
		t.Errorf("480ms wait + %v try in <500ms accepted: %q", minUsefulTry, why)
	}
	if why := p.tooLong(context.Background(), 3*time.Second, true); !strings.Contains(why,
		"more than the 2s allowed") {
		t.Errorf("server wait over the cap accepted: %q", why)
	}
}

func TestTryBudgetWaitsForASlowAnswerAndLeavesRoomForOneRetry(t *testing.T) {
	p := &retryPolicy{minTry: time.Second, reserve: 500 * time.Millisecond}
	tests := []struct {
		left, want time.Duration
	}{
		{2300 * time.Millisecond, 1800 * time.Millisecond}, // the hook's default send budget
		{5 * time.Second, 4500 * time.Millisecond},
		{1400 * time.Millisecond, time.Second}, // the floor wins over the reserve
		{1000 * time.Millisecond, time.Second},
		{600 * time.Millisecond, 600 * time.Millisecond}, // never past the deadline
		{450 * time.Millisecond, 450 * time.Millisecond}, // the retry after a hung attempt
		{0, 0},
	}
	for _, tt := range tests {
		if got := p.tryBudget(tt.left); got != tt.want {
			t.Errorf("tryBudget(%v) = %v; want %v", tt.left, got, tt.want)
		}
	}
	if got := p.tryTimeout(context.Background()); got != time.Second {
		t.Errorf("tryTimeout without a deadline = %v; want the floor, 1s", got)
	}
}
