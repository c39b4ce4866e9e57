package main

import (
	"fmt"
	"io"
	"slices"
	"time"
)

// report is the outcome of the phases against one handler.
type report struct {
	mode           string // "outbox" or "acs"
	phases         []result
	hwmKiB, rssKiB int
}

// printStarts prints the start-to-ready times and reports whether the target is met.
func printStarts(w io.Writer, starts []time.Duration) bool {
	fmt.Fprintf(w, "start to ready (%d cold starts): min %v  median %v  max %v  (target <= %v)\n",
		len(starts), pct(starts, 0), pct(starts, 50), pct(starts, 100), targetStartReady)
	return len(starts) > 0 && pct(starts, 50) <= targetStartReady
}

func (r report) print(w io.Writer) {
	note := "outbox sender: latencies are the handler's own"
	if r.mode == "acs" {
		note = "ACS client to a loopback fake ACS: latencies include its TLS round trip"
	}
	fmt.Fprintf(w, "== %s\n", note)
	for _, res := range r.phases {
		rate := "unpaced"
		if res.rate > 0 {
			rate = fmt.Sprintf("paced at %d req/s", res.rate)
		}
		fmt.Fprintf(w, "%s: %d requests, concurrency %d, %s, %d errors, %.1fs, %.0f req/s\n",
			res.name, res.sent, res.workers, rate, res.errors, res.elapsed.Seconds(),
			float64(res.sent)/res.elapsed.Seconds())
		fmt.Fprintf(w, "  client latency:  p50 %v  p90 %v  p99 %v  max %v\n",
			pct(res.latencies, 50), pct(res.latencies, 90), pct(res.latencies, 99),
			pct(res.latencies, 100))
		fmt.Fprintf(w, "  handler latency: p50 %v  p90 %v  p99 %v  max %v  "+
			"(as logged, %d calls)\n",
			pct(res.handler, 50), pct(res.handler, 90), pct(res.handler, 99),
			pct(res.handler, 100), len(res.handler))
		if res.firstErr != "" {
			fmt.Fprintf(w, "  first error: %s\n", res.firstErr)
		}
	}
	fmt.Fprintf(w, "handler memory: peak RSS (VmHWM) %.1f MiB, RSS at end %.1f MiB "+
		"(target <= %d MiB)\n", float64(r.hwmKiB)/1024, float64(r.rssKiB)/1024,
		targetPeakRSSKiB/1024)
}

// ok reports whether every request succeeded and the targets were met. The latency target
// is judged on the paced phase of the outbox run: on a saturated 2-core machine shared with
// the load generator, the saturating phase measures CPU queueing, not the handler, and the
// ACS run includes the fake's round trip.
func (r report) ok() bool {
	if r.hwmKiB == 0 || r.hwmKiB > targetPeakRSSKiB {
		return false
	}
	for _, res := range r.phases {
		if res.errors > 0 || res.sent == 0 {
			return false
		}
		if r.mode == "outbox" && res.rate > 0 && pct(res.handler, 99) > targetHandlerP99 {
			return false
		}
	}
	return true
}

// pct returns the p-th percentile (nearest rank) of ds, 0 for none.
func pct(ds []time.Duration, p int) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	i := (p*len(s) + 99) / 100
	i = min(max(i-1, 0), len(s)-1)
	return s[i].Round(time.Microsecond)
}
