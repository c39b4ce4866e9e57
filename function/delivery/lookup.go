package delivery

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"time"
)

// LookupPattern is the Go 1.22 mux pattern LookupHandler serves. The Functions host forwards
// GET /api/deliveries/{transactionId} at its original path (function "deliveries").
const LookupPattern = "GET /api/deliveries/{transactionId}"

// maxIDLen bounds a transactionId. ACS message ids are about 50 characters.
const maxIDLen = 128

// lookupTimeout bounds the store read of one lookup.
const lookupTimeout = 5 * time.Second

// LookupHandler answers GET /api/deliveries/{transactionId}, where transactionId is the ACS
// message id Okta shows in its System Log:
//
//	200 the Record as JSON (see Record for the field names)
//	400 {"error":"invalid_transaction_id"} for an id that cannot be a message id (see
//	    ValidMessageID) or that the store refuses (ErrInvalidID)
//	404 {"error":"not_found","transactionId":"..."} when nothing is known about it
//	503 {"error":"store_unavailable"} when the store cannot be read
//
// It does no authentication of its own: the function is authLevel "function", so the
// Functions front end has checked the function key before forwarding the request.
type LookupHandler struct {
	rec *Recorder
	log *slog.Logger
}

// NewLookupHandler returns the lookup handler. A nil log discards log lines.
func NewLookupHandler(rec *Recorder, log *slog.Logger) *LookupHandler {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &LookupHandler{rec: rec, log: log}
}

// ServeHTTP handles one lookup. It must be mounted with LookupPattern so that the
// transactionId path value is set.
func (h *LookupHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("transactionId")
	if !ValidMessageID(id) {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_transaction_id"})
		return
	}

	ctx, cancel := context.WithTimeout(r.Context(), lookupTimeout)
	defer cancel()
	rec, err := h.rec.Get(ctx, id)
	switch {
	case errors.Is(err, ErrInvalidID):
		// The store refuses ids it cannot hold as keys, even if ValidMessageID let them by.
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_transaction_id"})
	case errors.Is(err, ErrNotFound):
		writeJSON(w, http.StatusNotFound,
			map[string]string{"error": "not_found", "transactionId": id})
	case err != nil:
		h.log.ErrorContext(r.Context(), "delivery: lookup failed", "message_id", id, "error", err)
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"error": "store_unavailable"})
	default:
		writeJSON(w, http.StatusOK, rec)
	}
}

// ValidMessageID reports whether id can be a message id: 1 to 128 letters, digits and
// ". _ : -", not only dots. That covers ACS ids ("Outgoing_2020...-...") and keeps out every
// character Table Storage refuses in a key ("/", "\", "#", "?", "'", control characters).
// An id of dots alone ("." or "..") is a path segment, not an id: a router cleans it out
// of the URL and redirects, so it could never be looked up.
func ValidMessageID(id string) bool {
	if id == "" || len(id) > maxIDLen {
		return false
	}
	onlyDots := true
	for i := 0; i < len(id); i++ {
		c := id[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case c == '_', c == ':', c == '-':
		case c == '.':
			continue
		default:
			return false
		}
		onlyDots = false
	}
	return !onlyDots
}

// writeJSON writes v as a JSON answer that no cache keeps.
func writeJSON(w http.ResponseWriter, status int, v any) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
