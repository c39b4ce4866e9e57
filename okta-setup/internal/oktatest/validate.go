package oktatest

import (
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
)

// validateHook applies Okta's rules for an inline hook body and returns the error causes.
func validateHook(b map[string]interface{}, keys []Key) []string {
	var causes []string
	bad := func(s string) { causes = append(causes, s) }
	name, _ := b["name"].(string)
	if name == "" || len(name) > 255 {
		bad("name: must be 1 to 255 characters")
	}
	if b["type"] != telephonyType {
		bad("type: only " + telephonyType + " is served by this fake")
	}
	if b["version"] != "1.0.0" {
		bad("version: must be 1.0.0")
	}
	ch, _ := b["channel"].(map[string]interface{})
	if ch == nil {
		return append(causes, "channel: is required")
	}
	if ch["version"] != "1.0.0" {
		bad("channel.version: must be 1.0.0")
	}
	cfg, _ := ch["config"].(map[string]interface{})
	if cfg == nil {
		return append(causes, "channel.config: is required")
	}
	if uri, _ := cfg["uri"].(string); !strings.HasPrefix(uri, "https://") || len(uri) > 1024 {
		bad("channel.config.uri: must be an https URL of at most 1024 characters")
	}
	if cfg["method"] != "POST" {
		bad("channel.config.method: must be POST")
	}
	causes = append(causes, validateHeaders(cfg["headers"])...)
	switch ch["type"] {
	case "HTTP":
		as, _ := cfg["authScheme"].(map[string]interface{})
		if as == nil || as["type"] != "HEADER" || str(as, "key") == "" || str(as, "value") == "" {
			bad("channel.config.authScheme: type HEADER with key and value is required")
		}
	case "OAUTH":
		causes = append(causes, validateOAuth(cfg, keys)...)
	default:
		bad("channel.type: must be HTTP or OAUTH")
	}
	return causes
}

func validateHeaders(v interface{}) []string {
	if v == nil {
		return nil
	}
	hs, ok := v.([]interface{})
	if !ok {
		return []string{"channel.config.headers: must be a list of {key, value}"}
	}
	var causes []string
	for _, x := range hs {
		m, _ := x.(map[string]interface{})
		if str(m, "key") == "" || str(m, "value") == "" {
			causes = append(causes, "channel.config.headers: key and value are required")
		}
		if strings.EqualFold(str(m, "key"), "Accept") {
			causes = append(causes, "channel.config.headers: Accept is reserved")
		}
	}
	return causes
}

func validateOAuth(cfg map[string]interface{}, keys []Key) []string {
	var causes []string
	if cfg["authScheme"] != nil {
		causes = append(causes, "channel.config.authScheme: must be null for OAUTH")
	}
	for _, k := range []string{"clientId", "tokenUrl", "scope"} {
		if str(cfg, k) == "" {
			causes = append(causes, "channel.config."+k+": is required")
		}
	}
	if !strings.HasPrefix(str(cfg, "tokenUrl"), "https://") {
		causes = append(causes, "channel.config.tokenUrl: must be https")
	}
	switch cfg["authType"] {
	case "client_secret_post":
		if str(cfg, "clientSecret") == "" {
			causes = append(causes, "channel.config.clientSecret: is required")
		}
	case "private_key_jwt":
		if cfg["clientSecret"] != nil {
			causes = append(causes, "channel.config.clientSecret: must be null")
		}
		found := false
		for _, k := range keys {
			found = found || k.ID == str(cfg, "hookKeyId")
		}
		if !found {
			causes = append(causes, "channel.config.hookKeyId: no such hook key")
		}
	default:
		causes = append(causes, "channel.config.authType: must be client_secret_post or "+
			"private_key_jwt")
	}
	return causes
}

func str(m map[string]interface{}, k string) string {
	s, _ := m[k].(string)
	return s
}

var (
	e164   = regexp.MustCompile(`^\+[1-9][0-9]{7,14}$`)
	digits = regexp.MustCompile(`^[0-9]{4,10}$`)
)

// validateTelephonyRequest checks an execute payload against the telephony request
// contract.
func validateTelephonyRequest(p map[string]interface{}) []string {
	var causes []string
	bad := func(s string) { causes = append(causes, s) }
	if p["eventType"] != telephonyType {
		bad("eventType: must be " + telephonyType)
	}
	if str(p, "eventId") == "" {
		bad("eventId: is required")
	}
	if !strings.HasPrefix(str(p, "requestType"), "com.okta.user.telephony.") {
		bad("requestType: unknown")
	}
	data, _ := p["data"].(map[string]interface{})
	mp, _ := data["messageProfile"].(map[string]interface{})
	if !e164.MatchString(str(mp, "phoneNumber")) {
		bad("data.messageProfile.phoneNumber: must be E.164")
	}
	if !digits.MatchString(str(mp, "otpCode")) {
		bad("data.messageProfile.otpCode: must be digits")
	}
	if mp["deliveryChannel"] != "SMS" {
		bad("data.messageProfile.deliveryChannel: must be SMS")
	}
	if !strings.Contains(str(mp, "msgTemplate"), str(mp, "otpCode")) {
		bad("data.messageProfile.msgTemplate: must contain the code")
	}
	ctx, _ := data["context"].(map[string]interface{})
	if req, _ := ctx["request"].(map[string]interface{}); str(req, "id") == "" {
		bad("data.context.request.id: is required")
	}
	return causes
}

func (s *Server) execute(w http.ResponseWriter, r *http.Request) {
	var p map[string]interface{}
	if err := json.NewDecoder(r.Body).Decode(&p); err != nil {
		writeError(w, http.StatusBadRequest, "E0000003", "The request body was not well-formed.")
		return
	}
	if causes := validateTelephonyRequest(p); len(causes) > 0 {
		writeError(w, http.StatusBadRequest, "E0000001", "Api validation failed: payload",
			causes...)
		return
	}
	s.mu.Lock()
	h, a := s.find(r.PathValue("id")), s.answer
	s.mu.Unlock()
	if h == nil {
		notFound(w, r.PathValue("id"))
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(a.status)
	_, _ = w.Write([]byte(a.body))
}

func (s *Server) listKeys(w http.ResponseWriter, _ *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := []map[string]interface{}{}
	for _, k := range s.keys {
		out = append(out, keyView(k))
	}
	writeJSON(w, http.StatusOK, out)
}

func keyView(k Key) map[string]interface{} {
	return map[string]interface{}{"id": k.ID, "keyId": k.KeyID, "name": k.Name,
		// A string, as in Okta's own example of this answer.
		"isUsed": "false", "created": "2026-12-04T10:00:00.000Z",
		"lastUpdated": "2026-12-04T10:00:00.000Z"}
}

func (s *Server) createKey(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Name string `json:"name"`
	}
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil || body.Name == "" {
		writeError(w, http.StatusBadRequest, "E0000001", "Api validation failed: name",
			"name: is required")
		return
	}
	s.mu.Lock()
	k := Key{ID: s.nextID("HKY"), KeyID: s.nextID("kid-"), Name: body.Name}
	s.keys = append(s.keys, k)
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, keyView(k))
}
