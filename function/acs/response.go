package acs

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"unicode/utf8"

	"okta-acs-sms/function/redact"
	"okta-acs-sms/function/sms"
)

// maxErrorText bounds any provider text copied into an error, so a huge or hostile body
// never ends up whole in a log line.
const maxErrorText = 200

// NOTE: every provider text copied into an error goes through a scrubber's clip or clipTo,
// which hide the text's own message body and recipient, then digit runs (see redactDigits):
// the hook logs these errors, and ACS may quote the recipient's number, or the message text
// with its code, which may be too short for redactDigits alone.

// sendSummary is what Send knows of a finished send besides the answer itself.
type sendSummary struct {
	to       string // the recipient, E.164
	attempts int
	stopped  string   // why retrying stopped before success, if it did
	scrub    scrubber // hides this send's body and recipient in provider texts
}

// sendResponse is the 202 body: one item per recipient.
type sendResponse struct {
	Value []responseItem `json:"value"`
}

type responseItem struct {
	To                  string `json:"to"`
	MessageID           string `json:"messageId"`
	HTTPStatusCode      int    `json:"httpStatusCode"`
	RepeatabilityResult string `json:"repeatabilityResult"`
	Successful          bool   `json:"successful"`
	ErrorMessage        string `json:"errorMessage"`
}

// itemFor finds the item for recipient to. readable is false when the body is not the
// expected JSON; found is false when it is not, or when it holds no item for to.
//
// Every request carries exactly one recipient, so a single item is its answer whatever its
// "to" says: ACS may write the number its own way (without the "+", say), and matching it
// exactly would report an accepted text as failed. Only several items are matched by "to".
func itemFor(body []byte, to string) (it responseItem, readable, found bool) {
	var r sendResponse
	if err := json.Unmarshal(body, &r); err != nil {
		return responseItem{}, false, false
	}
	if len(r.Value) == 1 {
		return r.Value[0], true, true
	}
	for _, it := range r.Value {
		if it.To == to {
			return it, true, true
		}
	}
	return responseItem{}, true, false
}

// recipientTransient reports whether a 2xx answer holds an item that failed for a reason
// worth retrying (ACS answers per-recipient 503 "ServiceUnavailable" under load).
func recipientTransient(body []byte) bool {
	var r sendResponse
	if err := json.Unmarshal(body, &r); err != nil {
		return false
	}
	for _, it := range r.Value {
		if !it.Successful && (it.HTTPStatusCode >= 500 || it.HTTPStatusCode == 429) {
			return true
		}
	}
	return false
}

// fromAccepted turns a 2xx answer into a receipt or an error. contentType and attempts are
// for the error.
func fromAccepted(body []byte, contentType string, s sendSummary) (sms.Receipt, error) {
	it, readable, found := itemFor(body, s.to)
	if !found {
		// NOTE: no retry here. A 2xx means ACS took the request and may have queued the text;
		// a body we cannot read says nothing about whether it did, and a repeat would spend
		// the time Okta needs for its own fallback on an answer we could again not read.
		// The message says which: the items' "to" may hold the number, so none is quoted.
		msg := "ACS accepted the request but its answer has no item for the recipient"
		if !readable {
			msg = "ACS accepted the request but its answer has no readable result for the " +
				"recipient: " + describeAccepted(body, contentType, s.scrub)
		}
		return sms.Receipt{}, &sms.Error{Kind: sms.KindUnavailable,
			Status: http.StatusAccepted, Attempts: s.attempts, Message: msg}
	}
	if it.Successful && it.MessageID != "" {
		return sms.Receipt{MessageID: it.MessageID, Provider: Provider, Attempts: s.attempts},
			nil
	}

	e := &sms.Error{Kind: sms.KindRejected, Status: it.HTTPStatusCode, Attempts: s.attempts,
		Message: s.scrub.clip(it.ErrorMessage)}
	switch {
	case strings.EqualFold(it.RepeatabilityResult, "rejected"):
		e.Code = "RepeatabilityRejected"
	case it.Successful:
		e.Kind, e.Message = sms.KindUnavailable, "ACS reported success without a messageId"
	case it.HTTPStatusCode >= 500 || it.HTTPStatusCode == 429:
		e.Kind = sms.KindUnavailable
		e.Message = joinText(e.Message, s.stopped)
	case it.HTTPStatusCode < 400:
		e.Kind = sms.KindUnavailable
		e.Message = joinText("ACS reported the recipient as not successful", e.Message)
	}
	return sms.Receipt{}, e
}

// fromFailed turns a non-2xx answer into an *sms.Error.
func fromFailed(resp *http.Response, body []byte, s sendSummary) error {
	code, msg := parseErrorBody(body, s.scrub)
	e := &sms.Error{Status: resp.StatusCode, Code: code, Message: msg, Attempts: s.attempts}
	switch st := resp.StatusCode; {
	case st == http.StatusUnauthorized || st == http.StatusForbidden:
		e.Kind = sms.KindAuth
	case st == http.StatusNotFound:
		e.Kind = sms.KindAuth
		e.Message = joinText("ACS answered 404: the sender may not belong to this "+
			"Communication Services resource", msg)
	case st == http.StatusTooManyRequests || st == http.StatusRequestTimeout || st >= 500:
		e.Kind = sms.KindUnavailable
		e.Message = joinText(msg, s.stopped)
	case st >= 400:
		e.Kind = sms.KindRejected
	default:
		e.Kind = sms.KindUnavailable
		e.Message = joinText(fmt.Sprintf("unexpected status %d", st), msg)
	}
	return e
}

// fromTooLarge turns an answer whose body was too large to read into an *sms.Error. A 2xx
// is not retried (see fromAccepted): ACS may have queued the text, and nothing in the
// answer says whether it did.
func fromTooLarge(resp *http.Response, s sendSummary) error {
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return &sms.Error{Kind: sms.KindUnavailable, Status: resp.StatusCode,
			Attempts: s.attempts, Message: "ACS accepted the request but its answer is " +
				"larger than 64 KiB and was not read"}
	}
	err := fromFailed(resp, nil, s)
	var e *sms.Error
	if errors.As(err, &e) {
		e.Message = joinText("answer larger than 64 KiB, not read", e.Message)
	}
	return err
}

// parseErrorBody reads the three error shapes ACS uses:
//
//	{"error":{"code":"Denied","message":"..."}}                   (the Azure envelope)
//	{"From":["Invalid from phone number format."]}                 (ASP.NET validation dictionary)
//	{"type":"...","title":"...","status":400,"errors":{"From":["..."]},"traceId":"..."}
//
// Anything else gives a short description of the body instead of the body. Every text is
// scrubbed with sc.
func parseErrorBody(body []byte, sc scrubber) (code, message string) {
	if len(strings.TrimSpace(string(body))) == 0 {
		return "", ""
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(body, &raw); err != nil {
		return "", describeBody(body, sc)
	}
	if env, ok := raw["error"]; ok {
		var e struct{ Code, Message string }
		if json.Unmarshal(env, &e) == nil {
			return sc.clipTo(e.Code, 64), sc.clip(e.Message)
		}
	}
	if t, ok := raw["title"]; ok {
		var title string
		_ = json.Unmarshal(t, &title)
		var fields map[string]json.RawMessage
		_ = json.Unmarshal(raw["errors"], &fields)
		return "", sc.clip(joinText(title, fieldMessages(fields)))
	}
	return "", sc.clip(fieldMessages(raw))
}

// fieldMessages renders {"Field":["msg", ...]} as "Field: msg; ..." in a stable order.
// Values that are not lists of strings are skipped.
func fieldMessages(fields map[string]json.RawMessage) string {
	names := make([]string, 0, len(fields))
	for n := range fields {
		names = append(names, n)
	}
	slices.Sort(names)
	var parts []string
	for _, n := range names {
		var msgs []string
		if json.Unmarshal(fields[n], &msgs) != nil || len(msgs) == 0 {
			continue
		}
		parts = append(parts, n+": "+strings.Join(msgs, " "))
	}
	return strings.Join(parts, "; ")
}

// describeAccepted says what a 2xx body that is not the expected JSON looks like without
// echoing any of it: a 2xx answer to a send may quote the request, recipient and text
// included.
func describeAccepted(body []byte, contentType string, sc scrubber) string {
	if len(body) == 0 {
		return "empty body"
	}
	return fmt.Sprintf("body is not the expected JSON (%d bytes, Content-Type %q)",
		len(body), sc.clipTo(contentType, 64))
}

// describeBody says what an error body that is not the expected JSON looks like, without
// echoing more than a short, printable prefix of it, scrubbed.
func describeBody(body []byte, sc scrubber) string {
	if len(body) == 0 {
		return "empty body"
	}
	// The secrets are hidden in the whole body before its prefix is cut, so that a body or
	// number cut by the prefix's end is hidden too.
	text := strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || r == utf8.RuneError {
			return ' '
		}
		return r
	}, strings.ToValidUTF8(string(body[:min(len(body), 64+sc.longest())]), ""))
	prefix := sc.hide(text)
	prefix = prefix[:min(len(prefix), 64)]
	prefix = strings.ToValidUTF8(prefix, "")
	return fmt.Sprintf("body is not the expected JSON (%d bytes, starts %q)", len(body),
		redactDigits(prefix))
}

// minRedactedDigits is the shortest run of digits redactDigits hides. Shorter runs are
// statuses and ACS's delivery codes (4007); a phone number has at least 8 digits and an
// Okta code at least 6.
const minRedactedDigits = 5

// redactDigits replaces every run of minRedactedDigits or more digits with "***". Digits
// separated by up to two spaces, dashes, dots or parentheses count as one run, so a number
// typed as "+1 (425) 555-0123" is hidden whole.
func redactDigits(s string) string { return redact.Digits(s, minRedactedDigits) }

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func joinText(a, b string) string {
	switch {
	case a == "":
		return b
	case b == "":
		return a
	}
	return a + "; " + b
}

// scrubber hides the texts of one send in what a provider says: the message body, the
// recipient with and without its "+", and every run of 4 or more digits in the body (the
// code, which may be too short for redactDigits). The zero value hides digit runs only.
type scrubber struct {
	secrets []string // longest first, so that a text holding another is hidden whole
}

// minSecret is the shortest text a scrubber hides: shorter ones (a one-letter body) would
// blank out ordinary words.
const minSecret = 4

func newScrubber(body, to string) scrubber {
	secrets := []string{body, to, strings.TrimPrefix(to, "+")}
	for i := 0; i < len(body); {
		j := i
		for j < len(body) && isDigit(body[j]) {
			j++
		}
		if j > i {
			secrets = append(secrets, body[i:j])
			i = j
		} else {
			i++
		}
	}
	secrets = slices.DeleteFunc(secrets, func(s string) bool { return len(s) < minSecret })
	slices.SortFunc(secrets, func(a, b string) int { return len(b) - len(a) })
	return scrubber{secrets: slices.Compact(secrets)}
}

// hide replaces every occurrence of a secret in s with "***".
func (sc scrubber) hide(s string) string {
	for _, secret := range sc.secrets {
		s = strings.ReplaceAll(s, secret, "***")
	}
	return s
}

// longest is the length of the longest secret.
func (sc scrubber) longest() int {
	if len(sc.secrets) == 0 {
		return 0
	}
	return len(sc.secrets[0])
}

func (sc scrubber) clip(s string) string { return sc.clipTo(s, maxErrorText) }

// clipTo hides the secrets and digit runs in s and cuts it to at most n bytes on a rune
// boundary, marking the cut.
func (sc scrubber) clipTo(s string, n int) string {
	return redact.Clip(redactDigits(sc.hide(s)), n, "…")
}
