package delivery

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/messaging/eventgrid/azsystemevents"
)

// BindingName is the name of the Event Grid trigger binding in deliveryreport/function.json.
// The host puts the event under Data.<BindingName> of the invocation body.
const BindingName = "eventGridEvent"

// maxInvocationBytes bounds an invocation body. Event Grid events are at most 1 MB each.
const maxInvocationBytes = 4 << 20

// InvocationTimeout bounds the store work of one invocation. Reports not stored by then
// count as store failures (answer 500, Event Grid retries), so the answer is written well
// within Event Grid's 30 s wait and the handler server's write timeout.
const InvocationTimeout = 8 * time.Second

// EventHandler serves the deliveryreport function: the Functions host POSTs each Event Grid
// invocation to /deliveryreport in payload mode (not a forwarded HTTP request).
//
// Its answer is what the host reports to Event Grid, and a non-2xx answer makes Event Grid
// deliver the event again (for up to 24 hours). So it answers 200 for everything that another
// delivery cannot fix: events of other types (ignored), malformed events (logged and dropped;
// the good events of the same batch are still stored) and malformed bodies. It answers 500
// only when the store failed for at least one good report: the whole invocation is then
// retried, which is safe because storing a report twice changes nothing.
type EventHandler struct {
	rec     *Recorder
	log     *slog.Logger
	timeout time.Duration // InvocationTimeout; shorter in tests
}

// NewEventHandler returns the handler for the deliveryreport function. A nil log discards
// log lines.
func NewEventHandler(rec *Recorder, log *slog.Logger) *EventHandler {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &EventHandler{rec: rec, log: log, timeout: InvocationTimeout}
}

// invokeResponse is the custom-handler response shape the host expects for payload mode.
// Logs lines show up in Application Insights at information level.
type invokeResponse struct {
	Outputs     map[string]any `json:"Outputs"`
	Logs        []string       `json:"Logs"`
	ReturnValue any            `json:"ReturnValue"`
}

// tally counts what happened to the events of one invocation.
type tally struct {
	stored, unchanged, ignored, malformed, failed int
}

func (t tally) String() string {
	return fmt.Sprintf("delivery reports: %d stored, %d unchanged, %d ignored, %d malformed, "+
		"%d store failures", t.stored, t.unchanged, t.ignored, t.malformed, t.failed)
}

// ServeHTTP handles one invocation.
func (h *EventHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	id := cleanField(r.Header.Get("X-Azure-Functions-InvocationId"))
	log := h.log.With(slog.String("invocation_id", id))

	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxInvocationBytes))
	if err != nil {
		log.WarnContext(r.Context(), "delivery: invocation unreadable", "error", err)
		writeInvoke(w, http.StatusOK, "invocation body unreadable: dropped")
		return
	}
	events, err := eventsFromInvocation(body, BindingName)
	if err != nil {
		log.WarnContext(r.Context(), "delivery: invocation dropped", "error", err)
		writeInvoke(w, http.StatusOK, "invocation body malformed: dropped")
		return
	}

	ctx, cancel := context.WithTimeout(r.Context(), h.timeout)
	defer cancel()
	var t tally
	for i, raw := range events {
		h.handleEvent(ctx, log, i, raw, &t)
	}

	status := http.StatusOK
	if t.failed > 0 {
		// NOTE: the only non-2xx answer; it asks Event Grid to deliver the events again.
		status = http.StatusInternalServerError
	}
	writeInvoke(w, status, t.String())
}

// handleEvent decodes and stores one event and counts the outcome in t.
func (h *EventHandler) handleEvent(ctx context.Context, log *slog.Logger, i int,
	raw json.RawMessage, t *tally) {
	rep, kind, typ, err := decodeEvent(raw)
	switch {
	case errors.Is(err, errMalformed):
		t.malformed++
		log.WarnContext(ctx, "delivery: event dropped", "index", i, "error", err)
		return
	case kind == kindIgnored && typ == azsystemevents.TypeSubscriptionValidation:
		// With an eventGridTrigger the Functions extension answers the handshake itself.
		t.ignored++
		log.InfoContext(ctx, "delivery: subscription validation event ignored", "index", i)
		return
	case kind == kindIgnored:
		t.ignored++
		log.DebugContext(ctx, "delivery: event of another type ignored", "index", i,
			"event_type", typ)
		return
	}

	_, applied, err := h.rec.RecordReport(ctx, rep)
	switch {
	case errors.Is(err, ErrInvalidID):
		// The store can never hold this id: a retry from Event Grid would fail the same way
		// for a day, so the event is dropped like any other malformed one.
		t.malformed++
		log.WarnContext(ctx, "delivery: event dropped", "index", i, "error", err)
	case err != nil:
		t.failed++
		log.ErrorContext(ctx, "delivery: report not stored; Event Grid will retry",
			"message_id", rep.MessageID, "event_id", rep.EventID, "error", err)
	case applied:
		t.stored++
	default:
		t.unchanged++
	}
}

// writeInvoke writes a custom-handler response with one log line.
func writeInvoke(w http.ResponseWriter, status int, line string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(invokeResponse{
		Outputs: map[string]any{},
		Logs:    []string{line},
	})
}
