package deploy

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// probe POSTs an empty JSON object to the hook without credentials until the handler answers
// 401, the answer only a running, configured handler gives. Anything else (the host's 5xx
// while the handler cannot start, 404 before the routes load) is retried up to
// ProbeAttempts times. No token is ever sent: the hook is not ARM.
func (p *Publisher) probe(ctx context.Context) error {
	last := "no answer"
	for i := 0; i < p.probeAttempts(); i++ {
		if i > 0 {
			if err := p.sleep(ctx, p.pollInterval()); err != nil {
				return fmt.Errorf("deploy: probe %s: %w", p.ProbeURL, err)
			}
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.ProbeURL,
			strings.NewReader("{}"))
		if err != nil {
			return fmt.Errorf("deploy: probe: %w", err)
		}
		req.Header.Set("Content-Type", "application/json")
		resp, err := p.client().Do(req)
		if err != nil {
			last = err.Error()
			continue
		}
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
		resp.Body.Close()
		if resp.StatusCode == http.StatusUnauthorized {
			p.logger().Info("hook answers", "url", p.ProbeURL, "http_status", resp.StatusCode)
			return nil
		}
		last = fmt.Sprintf("HTTP %d", resp.StatusCode)
		p.logger().Info("hook not answering yet", "http_status", resp.StatusCode)
	}
	return fmt.Errorf("deploy: the hook at %s did not answer an unauthenticated call with"+
		" 401 after %d tries (last: %s); check the app's log stream and its Key Vault"+
		" reference status, then run `pulumi up` again to redeploy and restart it",
		p.ProbeURL, p.probeAttempts(), last)
}
