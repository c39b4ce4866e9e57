package acstest

import (
	"sync"
	"time"
)

// SteppingClock returns a clock for ClientOptions.Now that starts at start and moves step
// ahead on every reading, so that no two readings ever fall in the same second: a test can
// show that what must stay the same across sends (repeatabilityFirstSent) does not come from
// the clock.
func SteppingClock(start time.Time, step time.Duration) func() time.Time {
	var mu sync.Mutex
	next := start
	return func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		t := next
		next = next.Add(step)
		return t
	}
}
