// Package okta holds the contract of Okta's Telephony Inline Hook: the request Okta posts for
// every SMS or voice one-time passcode, and the two answers it understands (a
// com.okta.telephony.action command, or an error object).
//
// The structs are our own. The Okta Go SDK's telephony model nests context.request wrongly,
// and public samples answer with shapes Okta ignores ("SUCCESS", or value as an object), which
// silently sends users to Okta's rate-limited fallback providers. The golden tests beside this
// file pin the exact bytes.
package okta

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// EventType is the eventType of every telephony hook request.
const EventType = "com.okta.telephony.provider"

// The requestType values Okta sends, one per flow of the Phone authenticator.
const (
	RequestPreEnrollment   = "com.okta.user.telephony.pre-enrollment"
	RequestMFAVerification = "com.okta.user.telephony.mfa-verification"
	RequestAccountUnlock   = "com.okta.user.telephony.account-unlock"
	RequestPasswordReset   = "com.okta.user.telephony.password-reset"
)

// CommandTelephonyAction is the only command type a telephony hook may answer with.
const CommandTelephonyAction = "com.okta.telephony.action"

// The status values of a telephony action, spelled exactly as Okta expects. Any other
// spelling ("SUCCESS", "FAILURE") makes Okta skip the answer and fall back.
const (
	StatusSuccessful = "SUCCESSFUL"
	StatusPending    = "PENDING"
	StatusFailed     = "FAILED"
)

// previewPath ends the request URL Okta reports when an administrator runs the hook from
// the Admin console's Preview tab.
const previewPath = "/generatePreview"

// Request is one telephony hook call. Fields Okta may add later are ignored.
type Request struct {
	EventID          string `json:"eventId"`
	EventTime        string `json:"eventTime"`
	EventType        string `json:"eventType"`
	EventTypeVersion string `json:"eventTypeVersion"`
	Source           string `json:"source"`
	// RequestType says which flow asked for the code (see the Request* constants). It sits
	// at the top level; an early draft of the contract had it inside messageProfile.
	RequestType string `json:"requestType"`
	Data        Data   `json:"data"`
}

// Data is the data object of a Request.
type Data struct {
	Context        Context        `json:"context"`
	UserProfile    UserProfile    `json:"userProfile"`
	MessageProfile MessageProfile `json:"messageProfile"`
}

// Context describes the Okta API request that triggered the hook.
type Context struct {
	Request ContextRequest `json:"request"`
}

// ContextRequest is data.context.request.
type ContextRequest struct {
	ID     string `json:"id"`
	Method string `json:"method"`
	URL    struct {
		Value string `json:"value"`
	} `json:"url"`
	IPAddress string `json:"ipAddress"`
}

// UserProfile names the user the code is for. It holds no phone number.
type UserProfile struct {
	FirstName string `json:"firstName"`
	LastName  string `json:"lastName"`
	Login     string `json:"login"`
	UserID    string `json:"userId"`
}

// MessageProfile is what to send and where.
type MessageProfile struct {
	// MsgTemplate usually arrives already rendered with the code ("Your code is 123456").
	MsgTemplate string `json:"msgTemplate"`
	PhoneNumber string `json:"phoneNumber"`
	// OTPExpires is when the code stops working, ISO-8601 (see Request.OTPExpiry).
	OTPExpires string `json:"otpExpires"`
	// DeliveryChannel is "SMS" for a text; voice is spelled many ways ("CALL", "Voice").
	DeliveryChannel string  `json:"deliveryChannel"`
	OTPCode         OTPCode `json:"otpCode"`
	Locale          string  `json:"locale"`
}

// OTPCode is the one-time code Okta generated. Okta sends it as a JSON string; a JSON
// integer is accepted too, kept digit for digit. It must never be logged.
type OTPCode string

// UnmarshalJSON accepts a string, an integer literal or null.
func (c *OTPCode) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case bytes.Equal(b, []byte("null")):
		*c = ""
		return nil
	case len(b) > 0 && b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return fmt.Errorf("okta: otpCode: %w", err)
		}
		*c = OTPCode(strings.TrimSpace(s))
		return nil
	}
	for _, d := range b {
		if d < '0' || d > '9' {
			return errors.New("okta: otpCode is neither a string nor an integer")
		}
	}
	if len(b) == 0 {
		return errors.New("okta: otpCode is empty")
	}
	*c = OTPCode(b)
	return nil
}

// ParseRequest decodes a hook request body. It fails only when the body is not a JSON
// object (see Request.UnmarshalJSON): Okta's contract keeps HTTP errors for a request that
// could not be parsed, and anything else is for the caller to judge and answer in the
// contract.
func ParseRequest(body []byte) (*Request, error) {
	var r Request
	if err := json.Unmarshal(body, &r); err != nil {
		return nil, fmt.Errorf("okta: parse request: %w", err)
	}
	return &r, nil
}

// UnmarshalJSON reads a request tolerantly: it fails only when b is not a JSON object.
// Members are matched by their exact names; unknown members are ignored, and a member of
// the wrong type (a number where a string belongs, an array where an object does) reads as
// absent. Two forms are kept for what they say: an eventId number becomes its text as
// written, and an otpCode integer its digits (see OTPCode).
func (r *Request) UnmarshalJSON(b []byte) error {
	top, ok := members(b)
	if !ok {
		return errors.New("body is not a JSON object")
	}
	*r = Request{
		EventID:          idText(top["eventId"]),
		EventTime:        text(top["eventTime"]),
		EventType:        text(top["eventType"]),
		EventTypeVersion: text(top["eventTypeVersion"]),
		Source:           text(top["source"]),
		RequestType:      text(top["requestType"]),
	}

	data := object(top["data"])
	req := object(object(data["context"])["request"])
	r.Data.Context.Request = ContextRequest{
		ID:        text(req["id"]),
		Method:    text(req["method"]),
		IPAddress: text(req["ipAddress"]),
	}
	r.Data.Context.Request.URL.Value = text(object(req["url"])["value"])

	user := object(data["userProfile"])
	r.Data.UserProfile = UserProfile{
		FirstName: text(user["firstName"]),
		LastName:  text(user["lastName"]),
		Login:     text(user["login"]),
		UserID:    text(user["userId"]),
	}

	mp := object(data["messageProfile"])
	r.Data.MessageProfile = MessageProfile{
		MsgTemplate:     text(mp["msgTemplate"]),
		PhoneNumber:     text(mp["phoneNumber"]),
		OTPExpires:      text(mp["otpExpires"]),
		DeliveryChannel: text(mp["deliveryChannel"]),
		Locale:          text(mp["locale"]),
	}
	var code OTPCode
	if code.UnmarshalJSON(mp["otpCode"]) == nil {
		r.Data.MessageProfile.OTPCode = code
	}
	return nil
}

// members returns the members of a JSON object, and false for any other value.
func members(b []byte) (map[string]json.RawMessage, bool) {
	b = bytes.TrimSpace(b)
	if len(b) == 0 || b[0] != '{' {
		return nil, false
	}
	var m map[string]json.RawMessage
	if json.Unmarshal(b, &m) != nil {
		return nil, false
	}
	return m, true
}

// object returns the members of a JSON object, and none for any other value.
func object(b []byte) map[string]json.RawMessage {
	m, _ := members(b)
	return m
}

// text returns a JSON string's value, and "" for any other value.
func text(b []byte) string {
	var s string
	if len(b) == 0 || b[0] != '"' || json.Unmarshal(b, &s) != nil {
		return ""
	}
	return s
}

// idText returns a JSON string's value or a JSON number's text as written, and "" for any
// other value.
func idText(b []byte) string {
	if len(b) > 0 && (b[0] == '-' || (b[0] >= '0' && b[0] <= '9')) {
		var n json.Number
		if json.Unmarshal(b, &n) == nil {
			return n.String()
		}
	}
	return text(b)
}

// IsSMS reports whether the request asks for a text. The channel is matched without regard
// to ASCII case only; every other value is some spelling of a voice call.
//
// NOTE: not strings.EqualFold, whose Unicode folding takes "ſms" (long s) for "SMS": a
// channel no Okta tenant sends must never be read as a text.
func (r *Request) IsSMS() bool {
	ch := r.channel()
	if len(ch) != 3 {
		return false
	}
	for i, want := range []byte("sms") {
		if ch[i]|0x20 != want {
			return false
		}
	}
	return true
}

// HasChannel reports whether the request names a delivery channel at all. A request
// without one is broken, not a voice request.
func (r *Request) HasChannel() bool { return r.channel() != "" }

// channel is deliveryChannel without surrounding ASCII white space.
func (r *Request) channel() string {
	return strings.Trim(r.Data.MessageProfile.DeliveryChannel, " \t\r\n")
}

// IsPreview reports whether an administrator triggered the request from the Admin
// console's Preview tab rather than a user's sign-in.
func (r *Request) IsPreview() bool {
	return strings.HasSuffix(r.Data.Context.Request.URL.Value, previewPath)
}

// EventAt returns eventTime, when Okta raised the event, and false when Okta did not say or
// said something unreadable. Okta sends the same eventTime on every repeat of an event.
func (r *Request) EventAt() (time.Time, bool) {
	t, err := time.Parse(time.RFC3339Nano, r.EventTime)
	return t, err == nil
}

// OTPExpiry returns when the code expires, and false when Okta did not say or said
// something unreadable.
func (r *Request) OTPExpiry() (time.Time, bool) {
	t, err := time.Parse(time.RFC3339Nano, r.Data.MessageProfile.OTPExpires)
	return t, err == nil
}

// Response is the body of an answer to Okta: either Commands or Error is set.
type Response struct {
	Commands []Command `json:"commands,omitempty"`
	Error    *Error    `json:"error,omitempty"`
}

// Command is one command of a Response. For telephony Value is an array, even of one.
type Command struct {
	Type  string   `json:"type"`
	Value []Action `json:"value"`
}

// Action reports what happened to one code. Every field is a string, TransactionMetadata
// included: Okta copies it into its System Log.
type Action struct {
	Status              string `json:"status"`
	Provider            string `json:"provider,omitempty"`
	TransactionID       string `json:"transactionId,omitempty"`
	TransactionMetadata string `json:"transactionMetadata,omitempty"`
}

// Error is Okta's error object. ErrorSummary is shown to end users: keep it plain and safe.
type Error struct {
	ErrorSummary string       `json:"errorSummary"`
	ErrorCauses  []ErrorCause `json:"errorCauses,omitempty"`
}

// ErrorCause is one entry of Error.ErrorCauses.
type ErrorCause struct {
	ErrorSummary string `json:"errorSummary"`
	Reason       string `json:"reason,omitempty"`
	LocationType string `json:"locationType,omitempty"`
	Location     string `json:"location,omitempty"`
	Domain       string `json:"domain,omitempty"`
}

// ActionResponse returns a Response with one telephony action.
func ActionResponse(a Action) Response {
	return Response{Commands: []Command{{Type: CommandTelephonyAction, Value: []Action{a}}}}
}

// Successful returns the answer for a text the provider accepted.
func Successful(provider, transactionID, metadata string) Response {
	return ActionResponse(Action{
		Status:              StatusSuccessful,
		Provider:            provider,
		TransactionID:       transactionID,
		TransactionMetadata: metadata,
	})
}

// Failed returns the answer for a text that could not be sent. Okta then falls back to its
// own providers.
func Failed(provider, metadata string) Response {
	return ActionResponse(Action{
		Status:              StatusFailed,
		Provider:            provider,
		TransactionMetadata: metadata,
	})
}

// ErrorResponse returns an error object answer for a request that will not be served.
func ErrorResponse(summary string, causes ...ErrorCause) Response {
	return Response{Error: &Error{ErrorSummary: summary, ErrorCauses: causes}}
}

// Marshal returns the exact bytes sent to Okta: compact JSON, no HTML escaping, one
// trailing newline.
func (r Response) Marshal() []byte {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)

	// NOTE: Response holds only strings and slices of structs of strings, so encoding
	// cannot fail; a panic here means someone added a field that can.
	if err := enc.Encode(r); err != nil {
		panic("okta: marshal response: " + err.Error())
	}
	return b.Bytes()
}
