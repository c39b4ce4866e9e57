package main

import (
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// result is one phase of load.
type result struct {
	name      string
	workers   int
	rate      int
	handler   []time.Duration // latencies the handler logged for this phase
	sent      int
	errors    int
	firstErr  string
	elapsed   time.Duration
	latencies []time.Duration
}

// drive sends n hook requests from workers goroutines, each with its own eventId, and stops
// at max even if not all were sent.
// With rate > 0 the requests start at that many per second in all (an open loop), so the
// latencies show the handler rather than queueing on a saturated machine.
func drive(ctx context.Context, p *proc, n, workers, rate int, max time.Duration) result {
	ctx, cancel := context.WithTimeout(ctx, max)
	defer cancel()
	body := requestTemplate()
	auth := "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+secret))
	client := &http.Client{
		Timeout:   5 * time.Second,
		Transport: &http.Transport{MaxIdleConnsPerHost: workers, MaxIdleConns: workers},
	}

	var next atomic.Int64
	var mu sync.Mutex
	res := result{workers: workers, rate: rate, latencies: make([]time.Duration, 0, n)}
	var wg sync.WaitGroup
	start := time.Now()
	for w := range workers {
		wg.Go(func() {
			for ctx.Err() == nil {
				i := next.Add(1)
				if i > int64(n) {
					return
				}
				if rate > 0 {
					due := start.Add(time.Duration(i) * time.Second / time.Duration(rate))
					time.Sleep(time.Until(due))
				}
				id := "load-" + strconv.Itoa(w) + "-" + strconv.FormatInt(i, 10)
				d, err := post(ctx, client, p.base, auth, strings.Replace(body, "EVENT", id, 1))
				mu.Lock()
				res.sent++
				if err != nil {
					res.errors++
					if res.firstErr == "" {
						res.firstErr = err.Error()
					}
				} else {
					res.latencies = append(res.latencies, d)
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	res.elapsed = time.Since(start)
	client.CloseIdleConnections()
	return res
}

func post(ctx context.Context, c *http.Client, base, auth, body string) (time.Duration, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/api/telephony",
		strings.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", auth)
	start := time.Now()
	resp, err := c.Do(req)
	if err != nil {
		return 0, err
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	d := time.Since(start)
	switch {
	case err != nil:
		return 0, err
	case resp.StatusCode != http.StatusOK || !strings.Contains(string(b), `"SUCCESSFUL"`):
		return 0, fmt.Errorf("HTTP %d: %.200s", resp.StatusCode, b)
	}
	return d, nil
}

// requestTemplate is sample/request.json with its eventId replaced by the marker EVENT.
func requestTemplate() string {
	b, err := os.ReadFile("../sample/request.json")
	if err != nil {
		// Run from elsewhere than function/: a built-in copy of the sample's essentials.
		return `{"eventId":"EVENT","eventType":"com.okta.telephony.provider",` +
			`"requestType":"com.okta.user.telephony.mfa-verification","data":{"messageProfile":` +
			`{"msgTemplate":"Your code is 123456","phoneNumber":"+15555551212",` +
			`"otpExpires":"2026-01-28T21:48:34.321Z","deliveryChannel":"SMS",` +
			`"otpCode":"123456","locale":"EN-US"}}}`
	}
	s := string(b)
	i := strings.Index(s, `"eventId": "`)
	if i < 0 {
		return s
	}
	j := strings.Index(s[i+len(`"eventId": "`):], `"`)
	return s[:i] + `"eventId": "EVENT` + s[i+len(`"eventId": "`)+j:]
}
