package acs

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"unicode/utf8"

	"okta-acs-sms/function/sms"
)

// maxErrorText bounds any provider text copied into an error, so a huge or hostile body
// never ends up whole in a log line.
const maxErrorText = 200

// NOTE: every provider text copied into an error goes through clip or clipTo, which replace
// digit runs (see redactDigits): the hook logs these errors, and ACS may quote the
// recipient's number, or a body may hold the message text and its code.

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

// itemFor finds the item for recipient to. It returns false when the body is not the
// expected JSON or holds no item for to.
//
// Every request carries exactly one recipient, so a single item is its answer whatever its
// "to" says: ACS may write the number its own way (without the "+", say), and matching it
// exactly would report an accepted text as failed. Only several items are matched by "to".
func itemFor(body []byte, to string) (responseItem, bool) {
	var r sendResponse
	if err := json.Unmarshal(body, &r); err != nil {
		return responseItem{}, false
	}
	if len(r.Value) == 1 {
		return r.Value[0], true
	}
	for _, it := range r.Value {
		if it.To == to {
			return it, true
		}
	}
	return responseItem{}, false
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
func fromAccepted(body []byte, contentType, to string, attempts int,
	stopped string) (sms.Receipt, error) {
	it, ok := itemFor(body, to)
	if !ok {
		// NOTE: no retry here. A 2xx means ACS took the request and may have queued the text;
		// a body we cannot read says nothing about whether it did, and a repeat would spend
		// the time Okta needs for its own fallback on an answer we could again not read.
		return sms.Receipt{}, &sms.Error{
			Kind: sms.KindUnavailable, Status: http.StatusAccepted, Attempts: attempts,
			Message: "ACS accepted the request but its answer has no readable result " +
				"for the recipient: " + describeAccepted(body, contentType),
		}
	}
	if it.Successful && it.MessageID != "" {
		return sms.Receipt{MessageID: it.MessageID, Provider: Provider, Attempts: attempts}, nil
	}

	e := &sms.Error{Kind: sms.KindRejected, Status: it.HTTPStatusCode, Attempts: attempts,
		Message: clip(it.ErrorMessage)}
	switch {
	case strings.EqualFold(it.RepeatabilityResult, "rejected"):
		e.Code = "RepeatabilityRejected"
	case it.Successful:
		e.Kind, e.Message = sms.KindUnavailable, "ACS reported success without a messageId"
	case it.HTTPStatusCode >= 500 || it.HTTPStatusCode == 429:
		e.Kind = sms.KindUnavailable
		e.Message = joinText(e.Message, stopped)
	case it.HTTPStatusCode < 400:
		e.Kind = sms.KindUnavailable
		e.Message = joinText("ACS reported the recipient as not successful", e.Message)
	}
	return sms.Receipt{}, e
}

// fromFailed turns a non-2xx answer into an *sms.Error.
func fromFailed(resp *http.Response, body []byte, attempts int, stopped string) error {
	code, msg := parseErrorBody(body)
	e := &sms.Error{Status: resp.StatusCode, Code: code, Message: msg, Attempts: attempts}
	switch s := resp.StatusCode; {
	case s == http.StatusUnauthorized || s == http.StatusForbidden:
		e.Kind = sms.KindAuth
	case s == http.StatusNotFound:
		e.Kind = sms.KindAuth
		e.Message = joinText("ACS answered 404: the sender may not belong to this "+
			"Communication Services resource", msg)
	case s == http.StatusTooManyRequests || s == http.StatusRequestTimeout || s >= 500:
		e.Kind = sms.KindUnavailable
		e.Message = joinText(msg, stopped)
	case s >= 400:
		e.Kind = sms.KindRejected
	default:
		e.Kind = sms.KindUnavailable
		e.Message = joinText(fmt.Sprintf("unexpected status %d", s), msg)
	}
	return e
}

// parseErrorBody reads the three error shapes ACS uses:
//
//	{"error":{"code":"Denied","message":"..."}}                   (the Azure envelope)
//	{"From":["Invalid from phone number format."]}                 (ASP.NET validation dictionary)
//	{"type":"...","title":"...","status":400,"errors":{"From":["..."]},"traceId":"..."}
//
// Anything else gives a short description of the body instead of the body.
func parseErrorBody(body []byte) (code, message string) {
	if len(strings.TrimSpace(string(body))) == 0 {
		return "", ""
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(body, &raw); err != nil {
		return "", describeBody(body)
	}
	if env, ok := raw["error"]; ok {
		var e struct{ Code, Message string }
		if json.Unmarshal(env, &e) == nil {
			return clipTo(e.Code, 64), clip(e.Message)
		}
	}
	if t, ok := raw["title"]; ok {
		var title string
		_ = json.Unmarshal(t, &title)
		var fields map[string]json.RawMessage
		_ = json.Unmarshal(raw["errors"], &fields)
		return "", clip(joinText(title, fieldMessages(fields)))
	}
	return "", clip(fieldMessages(raw))
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
func describeAccepted(body []byte, contentType string) string {
	if len(body) == 0 {
		return "empty body"
	}
	return fmt.Sprintf("body is not the expected JSON (%d bytes, Content-Type %q)",
		len(body), clipTo(contentType, 64))
}

// describeBody says what an error body that is not the expected JSON looks like, without
// echoing more than a short, printable prefix of it, digit runs redacted.
func describeBody(body []byte) string {
	if len(body) == 0 {
		return "empty body"
	}
	prefix := strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || r == utf8.RuneError {
			return ' '
		}
		return r
	}, strings.ToValidUTF8(string(body[:min(len(body), 64)]), ""))
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
func redactDigits(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		if !isDigit(s[i]) {
			b.WriteByte(s[i])
			i++
			continue
		}
		end, digits := i, 0
		for j := i; j < len(s); j++ {
			if isDigit(s[j]) {
				end, digits = j+1, digits+1
			} else if !strings.ContainsRune(" -.()", rune(s[j])) || j-end >= 2 {
				break
			}
		}
		if digits >= minRedactedDigits {
			b.WriteString("***")
		} else {
			b.WriteString(s[i:end])
		}
		i = end
	}
	return b.String()
}

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

func clip(s string) string { return clipTo(s, maxErrorText) }

// clipTo redacts digit runs in s and cuts it to at most n bytes on a rune boundary,
// marking the cut.
func clipTo(s string, n int) string {
	s = redactDigits(s)
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}
