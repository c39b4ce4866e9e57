package acstest

import (
	"net/http"
	"strconv"
	"time"
)

// Fault is one scripted misbehaviour: the server answers the next valid request with it
// instead of the normal answer. Queue faults with Server.Fail; each is used once, in order.
type Fault struct {
	name   string
	kind   faultKind
	status int
	header http.Header
	body   string

	// itemStatus and itemError shape a 202 whose recipient item failed.
	itemStatus int
	itemError  string

	// delay is how long a slow fault waits before its normal answer.
	delay time.Duration

	// size is the length of a huge fault's body.
	size int
}

type faultKind int

const (
	faultRespond faultKind = iota + 1 // write status, header, body
	faultItem                         // 202 with a failed recipient item
	faultHang                         // never answer
	faultReset                        // drop the connection
	faultSlow                         // answer normally, late
	faultHuge                         // answer with a body of a given size
)

// String names the fault in test logs.
func (f Fault) String() string { return f.name }

// Throttled answers 429 with the given Retry-After header value (seconds or an HTTP date;
// empty for none) and an ACS-style error body.
func Throttled(retryAfter string) Fault {
	f := respond("throttled", http.StatusTooManyRequests,
		`{"error":{"code":"TooManyRequests","message":"Rate limit exceeded."}}`)
	if retryAfter != "" {
		f.header.Set("Retry-After", retryAfter)
	}
	return f
}

// ThrottledMillis answers 429 with a retry-after-ms header.
func ThrottledMillis(ms int) Fault {
	f := respond("throttled-ms", http.StatusTooManyRequests,
		`{"error":{"code":"TooManyRequests","message":"Rate limit exceeded."}}`)
	f.header.Set("retry-after-ms", strconv.Itoa(ms))
	return f
}

// InternalError answers 500 with an ACS-style error body.
func InternalError() Fault {
	return respond("500", http.StatusInternalServerError,
		`{"error":{"code":"InternalServerError","message":"An internal error occurred."}}`)
}

// Unavailable answers 503 with an ACS-style error body.
func Unavailable() Fault {
	return respond("503", http.StatusServiceUnavailable,
		`{"error":{"code":"ServiceUnavailable","message":"The service is unavailable."}}`)
}

// BadRequestEnvelope answers 400 with the Azure error envelope.
func BadRequestEnvelope() Fault {
	return respond("400-envelope", http.StatusBadRequest,
		`{"error":{"code":"BadRequest","message":"Invalid from phone number format."}}`)
}

// BadRequestDictionary answers 400 with an ASP.NET validation dictionary, as ACS does for a
// malformed sender number.
func BadRequestDictionary() Fault {
	return respond("400-dictionary", http.StatusBadRequest,
		`{"From":["Invalid from phone number format."]}`)
}

// BadRequestProblem answers 400 with an RFC 7807 problem-details body.
func BadRequestProblem() Fault {
	return respond("400-problem", http.StatusBadRequest,
		`{"type":"https://tools.ietf.org/html/rfc7231#section-6.5.1",`+
			`"title":"One or more validation errors occurred.","status":400,`+
			`"errors":{"Message":["The Message field is required."]},`+
			`"traceId":"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00"}`)
}

// Denied answers 401 like ACS does for a bad signature or token.
func Denied() Fault {
	return respond("401", http.StatusUnauthorized, deniedBody("Denied by the fake."))
}

// NotFound answers 404 with an empty body, as ACS did for a sender the resource does not own.
func NotFound() Fault {
	return respond("404", http.StatusNotFound, "")
}

// NonJSON answers with status and an HTML body, like a gateway in front of ACS might.
func NonJSON(status int) Fault {
	f := respond("non-json", status,
		"<html><body><h1>502 Bad Gateway</h1><p>upstream closed</p></body></html>")
	f.header.Set("Content-Type", "text/html")
	return f
}

// RecipientFailed answers 202 with a failed item for the recipient: e.g. 400 "Invalid To
// phone number format." (a permanent failure) or 503 "ServiceUnavailable" (a transient one).
// No text is counted as sent.
func RecipientFailed(status int, message string) Fault {
	return Fault{name: "item-" + strconv.Itoa(status), kind: faultItem,
		itemStatus: status, itemError: message}
}

// Hang never answers: the handler blocks until the client goes away or the server closes.
func Hang() Fault { return Fault{name: "hang", kind: faultHang} }

// Slow answers normally, but only after d. Like ACS, which keeps working on a request whose
// client has gone, the fake accepts (and counts) the text at d even when the client gave up
// waiting before then. Closing the server ends the wait with no answer and no text.
func Slow(d time.Duration) Fault {
	return Fault{name: "slow-" + d.String(), kind: faultSlow, delay: d}
}

// Huge answers with status and a body of size bytes, streamed. For a 2xx the text is
// accepted and counted, and the body is the answer for the first recipient, padded with an
// extra field, so that it is valid JSON when read whole; otherwise it is an ACS-style error
// envelope with a message of padding.
func Huge(status, size int) Fault {
	return Fault{name: "huge-" + strconv.Itoa(status), kind: faultHuge, status: status,
		size: size}
}

// Reset drops the TCP connection without an answer (an RST where the OS allows).
func Reset() Fault { return Fault{name: "reset", kind: faultReset} }

// Respond answers with any status, headers and body.
func Respond(status int, header http.Header, body string) Fault {
	f := respond("custom-"+strconv.Itoa(status), status, body)
	for k, v := range header {
		f.header[k] = v
	}
	return f
}

func respond(name string, status int, body string) Fault {
	h := http.Header{}
	if body != "" {
		h.Set("Content-Type", "application/json; charset=utf-8")
	}
	return Fault{name: name, kind: faultRespond, status: status, header: h, body: body}
}

func deniedBody(msg string) string {
	return `{"error":{"code":"Denied","message":"` + msg + `"}}`
}
