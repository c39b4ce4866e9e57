package deploy

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
)

// maxErrorBody bounds how much of an error body ends up in an error message.
const maxErrorBody = 512

// maxUnreadable bounds consecutive status reads that get no record (about five minutes at
// the default interval); then the attempt fails with the last HTTP status.
const maxUnreadable = 60

// tokenError is a credential failure; retrying the publish does not fix it.
type tokenError struct{ err error }

func (e *tokenError) Error() string { return "deploy: get ARM token: " + e.err.Error() }
func (e *tokenError) Unwrap() error { return e.err }

// publishOnce is one POST of the package followed by polling its deployment record.
func (p *Publisher) publishOnce(ctx context.Context, pkg []byte) (*Deployment, error) {
	base := p.scmURL()
	before := p.latestBefore(ctx, base)
	req, err := p.newRequest(ctx, http.MethodPost, base+"/api/publish?RemoteBuild=false",
		bytes.NewReader(pkg))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/zip")
	resp, err := p.client().Do(req)
	if err != nil {
		return nil, fmt.Errorf("deploy: post package: %w", err)
	}
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusAccepted {
		return nil, &StatusError{Op: "post package", StatusCode: resp.StatusCode,
			Body: truncate(body)}
	}

	// NOTE: a 200 or 202 here only means "received": Flex answers the same way for a
	// deployment that is about to fail, so the record's status is what counts.
	statusURL, isLatest := p.statusURL(base, resp.Header, body)
	p.logger().Info("package accepted", "http_status", resp.StatusCode, "status_url", statusURL)
	if !isLatest {
		return p.poll(ctx, statusURL, nil)
	}
	return p.poll(ctx, statusURL, before.isNew)
}

// statusURL picks where the deployment's record is read: its id (header or body) if given,
// else a Location on the same SCM host, else the latest deployment (isLatest).
func (p *Publisher) statusURL(base string, h http.Header, body []byte) (u string,
	isLatest bool) {
	if id := h.Get("SCM-DEPLOYMENT-ID"); id != "" {
		return base + "/api/deployments/" + url.PathEscape(id), false
	}
	if id := idFromBody(body); id != "" {
		return base + "/api/deployments/" + url.PathEscape(id), false
	}
	// The bearer token is sent to the status URL, so never to another host.
	if loc, err := url.Parse(h.Get("Location")); err == nil && loc.Host != "" {
		if b, err := url.Parse(base); err == nil && strings.EqualFold(loc.Host, b.Host) &&
			loc.Scheme == b.Scheme {
			return loc.String(), false
		}
	}
	return base + latestPath, true
}

// latestPath is the record of the SCM site's most recent deployment.
const latestPath = "/api/deployments/latest"

// previous is what the latest deployment was before a publish. Only with it can the
// publisher tell its own deployment from the previous one when Flex names neither: on a
// redeploy, "latest" shows the previous, already successful deployment until the new one
// is registered.
type previous struct {
	// known is true when the read answered: id is then the previous deployment's id, or ""
	// when the site had none.
	known bool
	id    string
	// started is when the publish began; it judges records when known is false.
	started time.Time
}

// latestBefore reads the latest deployment's id before a publish. Any failure leaves it
// unknown: a transient answer here must not cost the publish.
func (p *Publisher) latestBefore(ctx context.Context, base string) previous {
	prev := previous{started: time.Now()}
	var d Deployment
	code, err := p.getJSON(ctx, base+latestPath, &d)
	switch {
	case err != nil:
		p.logger().Debug("latest deployment not readable before publish", "error", err.Error())
	case code == http.StatusOK:
		prev.known, prev.id = true, d.ID
	case code == http.StatusNotFound:
		prev.known = true
	default:
		p.logger().Debug("latest deployment not readable before publish", "http_status", code)
	}
	return prev
}

// isNew reports whether d, read from "latest" after the publish, is this publish's record:
// a different id than before, or, when the id before is unknown, a record received or
// started after the publish began (by the local clock: a clock far off Kudu's can make
// this wait in vain, which ends in an error, never in a false success).
func (prev previous) isNew(d Deployment) bool {
	if prev.known {
		return d.ID != prev.id
	}
	for _, v := range []string{d.ReceivedTime, d.StartTime} {
		if t, err := time.Parse(time.RFC3339Nano, v); err == nil && t.After(prev.started) {
			return true
		}
	}
	return false
}

// idFromBody accepts the two shapes seen: a JSON string, or a deployment record.
func idFromBody(body []byte) string {
	var s string
	if json.Unmarshal(body, &s) == nil {
		return strings.TrimSpace(s)
	}
	var d Deployment
	if json.Unmarshal(body, &d) == nil {
		return d.ID
	}
	return ""
}

// poll reads the deployment record until it succeeds, fails, or ctx ends. Transient answers
// (the record not written yet, throttling, a restarting SCM site) are polled through. With
// isNew set, a record it refuses (the previous deployment, still shown as latest) is polled
// through the same way.
func (p *Publisher) poll(ctx context.Context, statusURL string,
	isNew func(Deployment) bool) (*Deployment, error) {
	last, unreadable := -1, 0
	for {
		if err := p.sleep(ctx, p.pollInterval()); err != nil {
			return nil, fmt.Errorf("deploy: wait for deployment status: %w", err)
		}
		var d Deployment
		code, err := p.getJSON(ctx, statusURL, &d)
		if err != nil {
			return nil, err
		}
		stale := code == http.StatusOK && isNew != nil && !isNew(d)
		switch {
		case code == http.StatusUnauthorized:
			return nil, &StatusError{Op: "read deployment status", StatusCode: code}
		case code != http.StatusOK || stale:
			if unreadable++; unreadable >= maxUnreadable {
				return nil, unreadableError(code, stale, d, unreadable)
			}
			p.logger().Debug("deployment status not readable yet", "http_status", code,
				"previous_deployment", stale)
			continue
		case d.Status == StatusSuccess:
			return &d, nil
		case d.Status == StatusFailed:
			return nil, &FailedError{Deployment: d}
		case d.Complete:
			return nil, &FailedError{Deployment: d}
		}
		unreadable = 0
		if d.Status != last {
			p.logger().Info("deployment in progress", "status", d.Status,
				"status_text", firstNonEmpty(d.StatusText, d.Progress))
			last = d.Status
		}
	}
}

// unreadableError is the end of polling a record that never became this deployment's.
func unreadableError(code int, stale bool, d Deployment, reads int) error {
	why := fmt.Sprintf("no record after %d reads", reads)
	if stale {
		why = fmt.Sprintf("after %d reads the latest deployment is still %q, not this"+
			" publish's", reads, d.ID)
	}
	return &StatusError{Op: "read deployment status", StatusCode: code, Body: why}
}

// functionList is the ARM list of a site's functions.
type functionList struct {
	Value []struct {
		Name string `json:"name"`
	} `json:"value"`
}

// waitForFunctions polls ARM until every wanted function is listed for the app, which is
// when Event Grid accepts a subscription to it.
func (p *Publisher) waitForFunctions(ctx context.Context) error {
	if p.AppID == "" {
		return fmt.Errorf("deploy: waiting for functions needs the app's resource id")
	}
	listURL := fmt.Sprintf("%s%s/functions?api-version=%s", p.armURL(), p.AppID,
		functionsAPIVersion)
	ctx, cancel := context.WithTimeout(ctx, p.functionsTimeout())
	defer cancel()
	for {
		var list functionList
		code, err := p.getJSON(ctx, listURL, &list)
		if err != nil {
			return err
		}
		if code == http.StatusUnauthorized || code == http.StatusForbidden {
			return &StatusError{Op: "list functions", StatusCode: code}
		}
		missing := p.missing(list)
		if code == http.StatusOK && len(missing) == 0 {
			p.logger().Info("functions listed", "functions", strings.Join(p.Functions, ","))
			return nil
		}
		p.logger().Info("waiting for functions", "missing", strings.Join(missing, ","))
		if err := p.sleep(ctx, p.pollInterval()); err != nil {
			return fmt.Errorf("deploy: functions %s not listed within %s (the deployment"+
				" succeeded; does the package hold their folders?): %w",
				strings.Join(missing, ","), p.functionsTimeout(), err)
		}
	}
}

// missing lists the wanted functions absent from list; ARM names them "<app>/<function>".
func (p *Publisher) missing(list functionList) []string {
	have := map[string]bool{}
	for _, f := range list.Value {
		_, name, _ := strings.Cut(f.Name, "/")
		have[strings.ToLower(name)] = true
	}
	var out []string
	for _, want := range p.Functions {
		if !have[strings.ToLower(want)] {
			out = append(out, want)
		}
	}
	return out
}

// getJSON GETs u and decodes a 200 body into v. Only transport and token errors are errors.
func (p *Publisher) getJSON(ctx context.Context, u string, v any) (int, error) {
	req, err := p.newRequest(ctx, http.MethodGet, u, nil)
	if err != nil {
		return 0, err
	}
	resp, err := p.client().Do(req)
	if err != nil {
		return 0, fmt.Errorf("deploy: get %s: %w", redact(u), err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
		return resp.StatusCode, nil
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 4<<20)).Decode(v); err != nil {
		return 0, fmt.Errorf("deploy: decode %s: %w", redact(u), err)
	}
	return resp.StatusCode, nil
}

// newRequest builds a request carrying a fresh bearer token (the credential caches it).
func (p *Publisher) newRequest(ctx context.Context, method, u string,
	body io.Reader) (*http.Request, error) {
	tok, err := p.Credential.GetToken(ctx, policy.TokenRequestOptions{Scopes: []string{ARMScope}})
	if err != nil {
		return nil, &tokenError{err: err}
	}
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		return nil, fmt.Errorf("deploy: build request: %w", err)
	}
	req.Header.Set("Authorization", "Bearer "+tok.Token)
	req.Header.Set("Accept", "application/json")
	return req, nil
}

func (p *Publisher) scmURL() string {
	if p.SCMURL != "" {
		return strings.TrimSuffix(p.SCMURL, "/")
	}
	return "https://" + p.SCMHost
}

func (p *Publisher) armURL() string {
	if p.ARMURL != "" {
		return strings.TrimSuffix(p.ARMURL, "/")
	}
	return defaultARMURL
}

func (p *Publisher) client() *http.Client {
	if p.Client != nil {
		return p.Client
	}
	return &http.Client{Timeout: 10 * time.Minute}
}

// redact drops the query of a URL for messages.
func redact(u string) string {
	base, _, _ := strings.Cut(u, "?")
	return base
}

func truncate(b []byte) string {
	s := strings.TrimSpace(string(b))
	if len(s) > maxErrorBody {
		return s[:maxErrorBody] + "…"
	}
	return s
}
