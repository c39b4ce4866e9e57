package delivery

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/messaging/eventgrid/azsystemevents"

	"okta-acs-sms/function/sms"
)

// This file turns what the Functions host sends for an Event Grid trigger into Reports.
//
// The host POSTs {"Data":{"<binding name>": <event>}, "Metadata":{...}}. The event has been
// seen as an object and as a JSON string holding the object, and ACS samples spell keys both
// "tag" and "Tag". The Azure SDK's event types decode only the documented camelCase keys, so
// keys are first rewritten to that spelling (canonicalKeys) and then decoded with the SDK.

// errMalformed marks an event or payload that can never be processed, however often it is
// retried. Such input is logged and dropped.
var errMalformed = errors.New("malformed")

// invocation is the body of a non-HTTP invocation from the Functions host.
// encoding/json matches "Data" and "data" alike.
type invocation struct {
	Data map[string]json.RawMessage
}

// eventsFromInvocation returns the raw events found under the binding name in an invocation
// body: one for a single event, several for an array.
func eventsFromInvocation(body []byte, binding string) ([]json.RawMessage, error) {
	var inv invocation
	if err := json.Unmarshal(body, &inv); err != nil {
		return nil, fmt.Errorf("%w invocation body: %v", errMalformed, err)
	}

	var raw json.RawMessage
	for k, v := range inv.Data {
		if strings.EqualFold(k, binding) {
			raw = v
			break
		}
	}
	if raw == nil {
		return nil, fmt.Errorf("%w invocation body: no Data.%s", errMalformed, binding)
	}

	raw, err := unquote(raw)
	if err != nil {
		return nil, fmt.Errorf("%w Data.%s: %v", errMalformed, binding, err)
	}
	if raw[0] != '[' {
		return []json.RawMessage{raw}, nil
	}
	var list []json.RawMessage
	if err := json.Unmarshal(raw, &list); err != nil {
		return nil, fmt.Errorf("%w Data.%s: %v", errMalformed, binding, err)
	}
	return list, nil
}

// unquote undoes JSON-in-a-JSON-string encoding (at most twice) and returns the inner JSON
// value, which must be an object or an array.
func unquote(raw json.RawMessage) (json.RawMessage, error) {
	raw = bytes.TrimSpace(raw)
	for range 3 {
		if len(raw) == 0 || raw[0] != '"' {
			break
		}
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, err
		}
		raw = bytes.TrimSpace([]byte(s))
	}
	if len(raw) == 0 || (raw[0] != '{' && raw[0] != '[') {
		return nil, errors.New("not a JSON object or array")
	}
	return raw, nil
}

// eventKind says what decodeEvent found.
type eventKind int

const (
	kindReport  eventKind = iota + 1 // an SMS delivery report
	kindIgnored                      // a well-formed event of another type
)

// decodeEvent decodes one Event Grid event. For a delivery report it returns the Report;
// any other well-formed event is kindIgnored with its type; anything else is errMalformed.
func decodeEvent(raw json.RawMessage) (Report, eventKind, string, error) {
	canon, err := canonicalJSON(raw)
	if err != nil {
		return Report{}, 0, "", fmt.Errorf("%w event: %v", errMalformed, err)
	}
	var ev azsystemevents.EventGridEvent
	if err := json.Unmarshal(canon, &ev); err != nil {
		return Report{}, 0, "", fmt.Errorf("%w event: %v", errMalformed, err)
	}
	typ := deref(ev.EventType)
	if typ == "" {
		return Report{}, 0, "", fmt.Errorf("%w event: no eventType", errMalformed)
	}
	if typ != azsystemevents.TypeACSSMSDeliveryReportReceived {
		return Report{}, kindIgnored, typ, nil
	}

	rep, err := reportFromEvent(ev)
	if err != nil {
		return Report{}, 0, typ, fmt.Errorf("%w event %s: %v", errMalformed, deref(ev.ID), err)
	}
	return rep, kindReport, typ, nil
}

// reportFromEvent builds a Report from a decoded SMSDeliveryReportReceived event.
func reportFromEvent(ev azsystemevents.EventGridEvent) (Report, error) {
	rawData, _ := ev.Data.([]byte)
	if len(bytes.TrimSpace(rawData)) == 0 || string(bytes.TrimSpace(rawData)) == "null" {
		return Report{}, errors.New("no data")
	}
	rawData, err := unquote(rawData)
	if err != nil {
		return Report{}, fmt.Errorf("data: %v", err)
	}
	var d azsystemevents.ACSSMSDeliveryReportReceivedEventData
	if err := json.Unmarshal(rawData, &d); err != nil {
		return Report{}, fmt.Errorf("data: %v", err)
	}

	rep := Report{
		EventID:   deref(ev.ID),
		MessageID: deref(d.MessageID),
		Details:   deref(d.DeliveryStatusDetails),
		Tag:       deref(d.Tag),
	}
	if !ValidMessageID(rep.MessageID) {
		return Report{}, errors.New("data: messageId missing or not a valid id")
	}
	switch {
	case strings.EqualFold(deref(d.DeliveryStatus), string(StatusDelivered)):
		rep.Status = StatusDelivered
	case strings.EqualFold(deref(d.DeliveryStatus), string(StatusFailed)):
		rep.Status = StatusFailed
	default:
		return Report{}, fmt.Errorf("data: deliveryStatus %q is neither Delivered nor Failed",
			deref(d.DeliveryStatus))
	}
	rep.Code = ParseCode(rep.Details) // from the raw text, before it is scrubbed
	rep.scrub()
	if d.To != nil {
		rep.To = sms.MaskPhone(*d.To)
	}

	// Prefer ACS's own receivedTimestamp for ordering; the event time is the fallback.
	rep.ReceivedAt = cut(d.ReceivedTimestamp)
	if rep.ReceivedAt.IsZero() {
		rep.ReceivedAt = cut(ev.EventTime)
	}
	for _, a := range d.DeliveryAttempts {
		rep.Attempts++
		rep.SegmentsOK += int(deref(a.SegmentsSucceeded))
		rep.SegmentsFail += int(deref(a.SegmentsFailed))
		if t := cut(a.Timestamp); t.After(rep.LastAttemptAt) {
			rep.LastAttemptAt = t
		}
	}
	return rep, nil
}

// canonicalNames are the documented spellings of every key the decoder reads, in the
// Event Grid envelope and in the delivery-report data.
var canonicalNames = func() map[string]string {
	names := []string{
		"id", "topic", "subject", "eventType", "eventTime", "data", "dataVersion",
		"metadataVersion", "messageId", "from", "to", "deliveryStatus", "deliveryStatusDetails",
		"deliveryAttempts", "receivedTimestamp", "tag", "timestamp", "segmentsSucceeded",
		"segmentsFailed",
	}
	m := make(map[string]string, len(names))
	for _, n := range names {
		m[strings.ToLower(n)] = n
	}
	return m
}()

// canonicalJSON rewrites the keys of a JSON object, at every depth, to their documented
// spelling whatever their case ("Tag" and "TAG" become "tag"). A "data" value that is a JSON
// string holding an object is decoded in place. Unknown keys are kept as they are.
func canonicalJSON(raw json.RawMessage) ([]byte, error) {
	raw, err := unquote(raw)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if _, ok := v.(map[string]any); !ok {
		return nil, errors.New("not a JSON object")
	}
	return json.Marshal(canonicalKeys(v))
}

// canonicalKeys is the recursive step of canonicalJSON.
func canonicalKeys(v any) any {
	switch t := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, val := range t {
			if c, ok := canonicalNames[strings.ToLower(k)]; ok {
				k = c
			}
			if s, ok := val.(string); ok && k == "data" {
				if inner, err := canonicalJSON(json.RawMessage(s)); err == nil {
					val = json.RawMessage(inner)
				}
			}
			out[k] = canonicalKeys(val)
		}
		return out
	case []any:
		for i := range t {
			t[i] = canonicalKeys(t[i])
		}
		return t
	}
	return v
}

// cut returns *t in UTC cut to Table Storage's precision, or the zero time for nil.
func cut(t *time.Time) time.Time {
	if t == nil || t.IsZero() {
		return time.Time{}
	}
	return t.UTC().Truncate(tick)
}

// deref returns *p, or the zero value for nil.
func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}
