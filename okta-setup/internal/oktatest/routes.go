package oktatest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"time"
)

func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /oauth2/v1/token", s.token)
	mux.HandleFunc("GET /api/v1/inlineHooks", s.api(scopeRead, s.list))
	mux.HandleFunc("POST /api/v1/inlineHooks", s.api(scopeManage, s.create))
	mux.HandleFunc("PUT /api/v1/inlineHooks/{id}", s.api(scopeManage, s.replace))
	mux.HandleFunc("DELETE /api/v1/inlineHooks/{id}", s.api(scopeManage, s.delete))
	mux.HandleFunc("POST /api/v1/inlineHooks/{id}/lifecycle/{action}",
		s.api(scopeManage, s.lifecycle))
	mux.HandleFunc("POST /api/v1/inlineHooks/{id}/execute", s.api(scopeManage, s.execute))
	mux.HandleFunc("GET /api/v1/hook-keys", s.api(scopeRead, s.listKeys))
	mux.HandleFunc("POST /api/v1/hook-keys", s.api(scopeManage, s.createKey))
	return s.record(mux)
}

const (
	scopeRead   = "okta.inlineHooks.read"
	scopeManage = "okta.inlineHooks.manage"
)

// record logs the request, stamps a request id and plays scripted faults.
func (s *Server) record(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		s.mu.Lock()
		s.requests = append(s.requests, Request{Method: r.Method, Path: r.URL.Path,
			RawQuery: r.URL.RawQuery, Authorization: r.Header.Get("Authorization"), Body: body})
		n := len(s.requests)
		s.mu.Unlock()

		w.Header().Set("X-Okta-Request-Id", fmt.Sprintf("req-fake-%d", n))
		if f, ok := s.takeFault(r.Method, r.URL.Path); ok {
			writeFault(w, f)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// api checks the SSWS token or the bearer token and its scope, as Okta does.
func (s *Server) api(scope string, h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		auth := r.Header.Get("Authorization")
		switch {
		case strings.HasPrefix(auth, "SSWS "):
			if s.APIToken == "" || auth != "SSWS "+s.APIToken {
				writeError(w, http.StatusUnauthorized, "E0000011", "Invalid token provided")
				return
			}
		case strings.HasPrefix(auth, "Bearer "):
			s.mu.Lock()
			scopes, ok := s.tokens[strings.TrimPrefix(auth, "Bearer ")]
			s.mu.Unlock()
			if !ok {
				writeError(w, http.StatusUnauthorized, "E0000011", "Invalid token provided")
				return
			}
			// manage includes read.
			if !slices.Contains(scopes, scope) && !slices.Contains(scopes, scopeManage) {
				writeError(w, http.StatusForbidden, "E0000006",
					"You do not have permission to perform the requested action")
				return
			}
		default:
			writeError(w, http.StatusUnauthorized, "E0000005", "Invalid session")
			return
		}
		if r.Method != http.MethodGet && r.ContentLength > 0 &&
			!strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
			writeError(w, http.StatusUnsupportedMediaType, "E0000021", "Bad request. Accept "+
				"and/or Content-Type headers likely do not match supported values.")
			return
		}
		h(w, r)
	}
}

// view is the hook as Okta returns it: secrets removed.
func (h *Hook) view() map[string]interface{} {
	var out map[string]interface{}
	b, _ := json.Marshal(h.Body)
	_ = json.Unmarshal(b, &out)
	out["id"], out["status"] = h.ID, h.Status
	out["created"] = "2026-12-04T10:00:00.000Z"
	out["lastUpdated"] = time.Now().UTC().Format("2006-01-02T15:04:05.000Z")
	if ch, ok := out["channel"].(map[string]interface{}); ok {
		if cfg, ok := ch["config"].(map[string]interface{}); ok {
			if as, ok := cfg["authScheme"].(map[string]interface{}); ok {
				delete(as, "value")
			}
			delete(cfg, "clientSecret")
			if hs, ok := cfg["headers"].([]interface{}); ok {
				for _, x := range hs {
					if m, ok := x.(map[string]interface{}); ok {
						delete(m, "value")
					}
				}
			}
		}
	}
	return out
}

func (s *Server) list(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := []map[string]interface{}{}
	for _, h := range s.hooks {
		if t := r.URL.Query().Get("type"); t == "" || t == h.Body["type"] {
			out = append(out, h.view())
		}
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) find(id string) *Hook {
	for _, h := range s.hooks {
		if h.ID == id {
			return h
		}
	}
	return nil
}

func (s *Server) otherActive(id string) *Hook {
	for _, h := range s.hooks {
		if h.ID != id && h.Status == "ACTIVE" && h.Body["type"] == telephonyType {
			return h
		}
	}
	return nil
}

func (s *Server) decodeHook(w http.ResponseWriter, r *http.Request) (map[string]interface{},
	bool) {
	var body map[string]interface{}
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		writeError(w, http.StatusBadRequest, "E0000003",
			"The request body was not well-formed.")
		return nil, false
	}
	s.mu.Lock()
	causes := validateHook(body, s.keys)
	s.mu.Unlock()
	if len(causes) > 0 {
		writeError(w, http.StatusBadRequest, "E0000001", "Api validation failed: inlineHook",
			causes...)
		return nil, false
	}
	return body, true
}

func (s *Server) create(w http.ResponseWriter, r *http.Request) {
	body, ok := s.decodeHook(w, r)
	if !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, h := range s.hooks {
		if h.Name == body["name"] {
			writeError(w, http.StatusBadRequest, "E0000001", "Api validation failed: name",
				"name: An object with this field already exists in the current organization")
			return
		}
	}
	// Okta creates hooks ACTIVE. Stricter than documented: the fake never lets two
	// telephony hooks be active, so a test catches a tool that would.
	status := "ACTIVE"
	if s.otherActive("") != nil {
		status = "INACTIVE"
	}
	h := &Hook{ID: s.nextID("cal"), Name: body["name"].(string), Status: status, Body: body}
	s.hooks = append(s.hooks, h)
	writeJSON(w, http.StatusOK, h.view())
}

func (s *Server) replace(w http.ResponseWriter, r *http.Request) {
	body, ok := s.decodeHook(w, r)
	if !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	h := s.find(r.PathValue("id"))
	if h == nil {
		notFound(w, r.PathValue("id"))
		return
	}
	h.Body, h.Name = body, body["name"].(string)
	writeJSON(w, http.StatusOK, h.view())
}

func notFound(w http.ResponseWriter, id string) {
	writeError(w, http.StatusNotFound, "E0000007",
		"Not found: Resource not found: "+id+" (InlineHook)")
}

func (s *Server) delete(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	id := r.PathValue("id")
	for i, h := range s.hooks {
		if h.ID != id {
			continue
		}
		if h.Status == "ACTIVE" {
			writeError(w, http.StatusBadRequest, "E0000001",
				"Api validation failed: status", "Cannot delete an active inline hook")
			return
		}
		s.hooks = append(s.hooks[:i], s.hooks[i+1:]...)
		w.WriteHeader(http.StatusNoContent)
		return
	}
	notFound(w, id)
}

func (s *Server) lifecycle(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	h := s.find(r.PathValue("id"))
	if h == nil {
		notFound(w, r.PathValue("id"))
		return
	}
	switch r.PathValue("action") {
	case "activate":
		if o := s.otherActive(h.ID); o != nil {
			writeError(w, http.StatusBadRequest, "E0000001", "Api validation failed: status",
				"Only one telephony inline hook can be active; "+o.ID+" is active")
			return
		}
		h.Status = "ACTIVE"
	case "deactivate":
		h.Status = "INACTIVE"
	default:
		writeError(w, http.StatusNotFound, "E0000022", "The endpoint does not support the "+
			"provided HTTP method")
		return
	}
	writeJSON(w, http.StatusOK, h.view())
}
