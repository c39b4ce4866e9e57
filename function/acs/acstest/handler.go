package acstest

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"
	"unicode/utf16"
)

// sendRequest is the request body schema of POST /sms, 2021-03-07.
type sendRequest struct {
	From          *string     `json:"from"`
	SMSRecipients []recipient `json:"smsRecipients"`
	Message       *string     `json:"message"`
	Options       *struct {
		EnableDeliveryReport *bool  `json:"enableDeliveryReport"`
		Tag                  string `json:"tag"`
	} `json:"smsSendOptions"`
}

type recipient struct {
	To                     string `json:"to"`
	RepeatabilityRequestID string `json:"repeatabilityRequestId"`
	RepeatabilityFirstSent string `json:"repeatabilityFirstSent"`
}

type responseItem struct {
	To                  string `json:"to"`
	MessageID           string `json:"messageId,omitempty"`
	HTTPStatusCode      int    `json:"httpStatusCode"`
	RepeatabilityResult string `json:"repeatabilityResult,omitempty"`
	ErrorMessage        string `json:"errorMessage,omitempty"`
	Successful          bool   `json:"successful"`
}

// serve checks the request like ACS, then answers with the next fault or normally.
func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	body := readBody(r)
	idx := s.record(r, body)

	status, msg := s.check(r, body)
	if status != 0 {
		s.setOutcome(idx, status, "")
		writeJSON(w, status, msg)
		return
	}
	var req sendRequest
	if status, msg := decode(body, &req); status != 0 {
		s.setOutcome(idx, status, "")
		writeJSON(w, status, msg)
		return
	}
	if f, ok := s.nextFault(); ok {
		s.setOutcome(idx, s.apply(w, r, f, req), f.name)
		return
	}
	s.answer(w, req)
	s.setOutcome(idx, http.StatusAccepted, "")
}

// answer accepts every recipient of a valid request and writes the 202.
func (s *Server) answer(w http.ResponseWriter, req sendRequest) {
	items := make([]responseItem, len(req.SMSRecipients))
	for i, rc := range req.SMSRecipients {
		items[i] = s.accept(*req.From, rc, *req.Message, req.Options.Tag)
	}
	writeItems(w, items)
}

// check verifies method, path, api-version, authentication and content type, returning the
// status and body ACS would refuse with, or 0.
func (s *Server) check(r *http.Request, body []byte) (int, string) {
	switch {
	case r.URL.Path != "/sms":
		return http.StatusNotFound, envelope("NotFound", "Resource not found.")
	case r.Method != http.MethodPost:
		return http.StatusMethodNotAllowed, envelope("MethodNotAllowed", "Use POST.")
	case r.URL.Query().Get("api-version") != APIVersion:
		return http.StatusBadRequest, envelope("UnsupportedApiVersion",
			"The api-version query parameter is missing or not supported.")
	}
	if msg := s.authenticate(r, body); msg != "" {
		return http.StatusUnauthorized, envelope("Denied", msg)
	}
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		return http.StatusUnsupportedMediaType,
			envelope("UnsupportedMediaType", "Content-Type must be application/json.")
	}
	return 0, ""
}

// authenticate returns why the request is not authenticated, or "".
func (s *Server) authenticate(r *http.Request, body []byte) string {
	auth := r.Header.Get("Authorization")
	if s.token != "" {
		if !hmac.Equal([]byte(auth), []byte("Bearer "+s.token)) {
			return "Bearer token is missing or invalid."
		}
		return ""
	}

	sum := sha256.Sum256(body)
	contentHash := base64.StdEncoding.EncodeToString(sum[:])
	if r.Header.Get("x-ms-content-sha256") != contentHash {
		return "Request 'x-ms-content-sha256' differs from generated content hash."
	}
	date := r.Header.Get("x-ms-date")
	at, err := time.Parse(http.TimeFormat, date)
	if err != nil {
		return "Request 'x-ms-date' is missing or not an RFC1123 date."
	}
	if skew := s.now().Sub(at).Abs(); s.maxSkew > 0 && skew > s.maxSkew {
		return "Request 'x-ms-date' is too far from the server time."
	}
	const prefix = "HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256&Signature="
	sig, ok := strings.CutPrefix(auth, prefix)
	if !ok {
		return "Authorization header is not an HMAC-SHA256 signature over x-ms-date;host;" +
			"x-ms-content-sha256."
	}
	toSign := r.Method + "\n" + r.RequestURI + "\n" + date + ";" + r.Host + ";" + contentHash
	m := hmac.New(sha256.New, s.key)
	m.Write([]byte(toSign))
	want := base64.StdEncoding.EncodeToString(m.Sum(nil))
	if !hmac.Equal([]byte(sig), []byte(want)) {
		return "The request signature does not match the signature computed by the server."
	}
	return ""
}

// decode checks the JSON schema, answering like ASP.NET model validation does.
func decode(body []byte, req *sendRequest) (int, string) {
	if err := json.Unmarshal(body, req); err != nil {
		return http.StatusBadRequest, dictionary("request", "The request body is not valid JSON.")
	}
	switch {
	case req.From == nil || *req.From == "":
		return http.StatusBadRequest, dictionary("From", "The From field is required.")
	case !isE164(*req.From) && !isShortCode(*req.From):
		return http.StatusBadRequest, dictionary("From", "Invalid from phone number format.")
	case len(req.SMSRecipients) == 0 || len(req.SMSRecipients) > 100:
		return http.StatusBadRequest,
			dictionary("SmsRecipients", "Between 1 and 100 recipients are required.")
	case req.Message == nil:
		return http.StatusBadRequest, dictionary("Message", "The Message field is required.")
	case len(utf16.Encode([]rune(*req.Message))) > 2048: // .NET length: UTF-16 code units
		return http.StatusBadRequest,
			dictionary("Message", "The Message field has more than 2048 characters.")
	case req.Options == nil || req.Options.EnableDeliveryReport == nil:
		return http.StatusBadRequest, dictionary("SmsSendOptions.EnableDeliveryReport",
			"The EnableDeliveryReport field is required.")
	}
	for _, rc := range req.SMSRecipients {
		if rc.To == "" {
			return http.StatusBadRequest, dictionary("To", "The To field is required.")
		}
	}
	return 0, ""
}

// accept answers one valid recipient: a new text, a repeat, or a per-recipient failure.
func (s *Server) accept(from string, rc recipient, message, tag string) responseItem {
	if !isE164(rc.To) {
		return responseItem{To: rc.To, HTTPStatusCode: http.StatusBadRequest,
			ErrorMessage: "Invalid To phone number format."}
	}
	if rc.RepeatabilityRequestID != "" || rc.RepeatabilityFirstSent != "" {
		_, err := time.Parse(http.TimeFormat, rc.RepeatabilityFirstSent)
		if rc.RepeatabilityRequestID == "" || err != nil {
			return responseItem{To: rc.To, HTTPStatusCode: http.StatusBadRequest,
				RepeatabilityResult: "rejected",
				ErrorMessage: "Request sent with Invalid DateTime value for " +
					"repeatability-first-sent. Expected is DateTime ,RFC1123 pattern."}
		}
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	id := rc.RepeatabilityRequestID
	if prev, ok := s.repeats[id]; ok && id != "" && prev.firstSent == rc.RepeatabilityFirstSent {
		return responseItem{To: rc.To, MessageID: prev.messageID,
			HTTPStatusCode: http.StatusAccepted, RepeatabilityResult: "accepted", Successful: true}
	}
	// NOTE: the same id with another first-sent time is treated as a new text, so a client
	// that changes repeatabilityFirstSent between retries shows up as two texts sent.
	msgID := s.messageID()
	if id != "" {
		s.repeats[id] = repeat{firstSent: rc.RepeatabilityFirstSent, messageID: msgID}
	}
	s.texts = append(s.texts, Text{MessageID: msgID, From: from, To: rc.To,
		Message: message, Tag: tag})
	item := responseItem{To: rc.To, MessageID: msgID, HTTPStatusCode: http.StatusAccepted,
		Successful: true}
	if id != "" {
		item.RepeatabilityResult = "accepted"
	}
	return item
}

// messageID makes an id shaped like ACS's: Outgoing_<yyyyMMddHHmmss><guid>_noam.
func (s *Server) messageID() string {
	var u [16]byte
	rand.Read(u[:])
	u[6], u[8] = u[6]&0x0f|0x40, u[8]&0x3f|0x80
	h := hex.EncodeToString(u[:])
	guid := h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
	return "Outgoing_" + s.now().UTC().Format("20060102150405") + guid + "_noam"
}

// apply plays a fault and returns the status written (0 when none was).
func (s *Server) apply(w http.ResponseWriter, r *http.Request, f Fault, req sendRequest) int {
	switch f.kind {
	case faultRespond:
		for k, v := range f.header {
			w.Header()[k] = v
		}
		w.WriteHeader(f.status)
		w.Write([]byte(f.body))
		return f.status
	case faultItem:
		items := make([]responseItem, len(req.SMSRecipients))
		for i, rc := range req.SMSRecipients {
			items[i] = responseItem{To: rc.To, HTTPStatusCode: f.itemStatus,
				ErrorMessage: f.itemError}
		}
		writeItems(w, items)
		return http.StatusAccepted
	case faultHang:
		select {
		case <-r.Context().Done():
		case <-s.done:
			// Drop the connection rather than let net/http answer an empty 200.
			reset(w)
		}
		return 0
	case faultReset:
		reset(w)
		return 0
	case faultHuge:
		s.writeHuge(w, f, req)
		return f.status
	case faultSlow:
		t := time.NewTimer(f.delay)
		defer t.Stop()
		select {
		case <-t.C:
		case <-s.done:
			reset(w)
			return 0
		}
		s.answer(w, req)
		return http.StatusAccepted
	}
	panic(fmt.Sprintf("acstest: unknown fault %q", f.name))
}

// writeHuge streams a body of f.size bytes: the normal answer (or an error envelope) with
// padding inside, so the JSON is valid. It stops when the client goes or the server closes.
func (s *Server) writeHuge(w http.ResponseWriter, f Fault, req sendRequest) {
	head, tail := `{"error":{"code":"Huge","message":"`, `"}}`
	if f.status >= 200 && f.status < 300 {
		items := make([]responseItem, len(req.SMSRecipients))
		for i, rc := range req.SMSRecipients {
			items[i] = s.accept(*req.From, rc, *req.Message, req.Options.Tag)
		}
		b, _ := json.Marshal(items[0])
		head = `{"value":[` + string(b[:len(b)-1]) + `,"padding":"`
		tail = `"}]}`
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(f.status)
	w.Write([]byte(head))

	chunk := bytes.Repeat([]byte("x"), 32<<10)
	for left := f.size - len(head) - len(tail); left > 0; left -= len(chunk) {
		select {
		case <-s.done:
			return
		default:
		}
		if _, err := w.Write(chunk[:min(left, len(chunk))]); err != nil {
			return
		}
	}
	w.Write([]byte(tail))
}

// reset drops the connection, with an RST rather than a FIN where the socket allows it.
func reset(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic("acstest: cannot hijack the connection: " + err.Error())
	}
	raw := conn
	if nc, ok := conn.(interface{ NetConn() net.Conn }); ok {
		raw = nc.NetConn()
	}
	if tcp, ok := raw.(*net.TCPConn); ok {
		tcp.SetLinger(0)
	}
	raw.Close()
}

func writeItems(w http.ResponseWriter, items []responseItem) {
	b, _ := json.Marshal(struct {
		Value []responseItem `json:"value"`
	}{items})
	writeJSON(w, http.StatusAccepted, string(b))
}

func writeJSON(w http.ResponseWriter, status int, body string) {
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("api-supported-versions", "2020-07-20-preview1, 2020-08-20-preview, 2021-03-07")
	h.Set("MS-CV", "acstest.0")
	w.WriteHeader(status)
	w.Write([]byte(body))
}

func envelope(code, msg string) string {
	b, _ := json.Marshal(map[string]map[string]string{"error": {"code": code, "message": msg}})
	return string(b)
}

func dictionary(field, msg string) string {
	b, _ := json.Marshal(map[string][]string{field: {msg}})
	return string(bytes.TrimSpace(b))
}

func isE164(n string) bool {
	if len(n) < 9 || len(n) > 16 || n[0] != '+' || n[1] < '1' || n[1] > '9' {
		return false
	}
	return strings.Trim(n[1:], "0123456789") == ""
}

func isShortCode(n string) bool {
	return (len(n) == 5 || len(n) == 6) && strings.Trim(n, "0123456789") == ""
}
