package hooks

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"regexp"
	"time"

	"github.com/okta/okta-sdk-golang/v5/okta"
)

// RequestTypeMFA is the requestType of a sign-in (MFA verification) text.
const RequestTypeMFA = "com.okta.user.telephony.mfa-verification"

var e164 = regexp.MustCompile(`^\+[1-9][0-9]{7,14}$`)

// CheckPhone accepts an E.164 number with its leading +, as Okta stores phone factors.
func CheckPhone(phone string) error {
	if !e164.MatchString(phone) {
		return fmt.Errorf("phone %q: must be E.164, e.g. +15555551234", MaskPhone(phone))
	}
	return nil
}

// MaskPhone keeps the country prefix and the last four digits: +1555***4567.
func MaskPhone(phone string) string {
	if len(phone) <= 8 {
		return "***"
	}
	return phone[:5] + "***" + phone[len(phone)-4:]
}

// TestRequest is a telephony hook request shaped the way Okta sends one for an SMS
// sign-in code. EventID identifies it in the hook's log.
type TestRequest struct {
	EventID string
	Payload map[string]interface{}
}

// NewTestRequest builds the request for hook id of org, texting phone now. The code is
// random and appears only in the text the phone receives.
func NewTestRequest(org, id, phone string, now time.Time) (TestRequest, error) {
	if err := CheckPhone(phone); err != nil {
		return TestRequest{}, err
	}
	eventID, err := randomID()
	if err != nil {
		return TestRequest{}, err
	}
	code, err := rand.Int(rand.Reader, big.NewInt(1_000_000))
	if err != nil {
		return TestRequest{}, fmt.Errorf("test code: %w", err)
	}
	otp := fmt.Sprintf("%06d", code.Int64())
	const ts = "2006-01-02T15:04:05.000Z"
	return TestRequest{EventID: eventID, Payload: map[string]interface{}{
		"eventId":           eventID,
		"eventTime":         now.UTC().Truncate(time.Second).Format(ts),
		"eventType":         TelephonyType,
		"eventTypeVersion":  "1.0",
		"contentType":       "application/json",
		"cloudEventVersion": "0.1",
		"source":            org + "/api/v1/inlineHooks/" + id,
		"requestType":       RequestTypeMFA,
		"data": map[string]interface{}{
			"context": map[string]interface{}{"request": map[string]interface{}{
				"id":     "okta-setup-" + eventID,
				"method": "POST",
				"url": map[string]interface{}{
					"value": "/api/v1/inlineHooks/" + id + "/execute",
				},
				"ipAddress": "127.0.0.1",
			}},
			"userProfile": map[string]interface{}{
				"firstName": "okta-setup", "lastName": "test",
				"login": "okta-setup-test", "userId": "00uoktasetuptest",
			},
			"messageProfile": map[string]interface{}{
				"msgTemplate":     "Your okta-setup test code is " + otp,
				"phoneNumber":     phone,
				"otpExpires":      now.UTC().Add(5 * time.Minute).Format(ts),
				"deliveryChannel": "SMS",
				"otpCode":         otp,
				"locale":          "EN-US",
			},
		},
	}}, nil
}

func randomID() (string, error) {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("event id: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// Execute has Okta send req to hook id (Okta's execute endpoint calls the hook with its
// registered auth) and returns the hook's answer.
//
// NOTE: the SDK decodes the answer as a token-hook response, which cannot represent a
// telephony answer; the raw body is parsed instead.
func (c *Client) Execute(ctx context.Context, id string, req TestRequest) (Answer, error) {
	ctx = withRecord(ctx)
	_, resp, err := c.api.InlineHookAPI.ExecuteInlineHook(ctx, id).
		PayloadData(req.Payload).Execute()
	if resp == nil || resp.Response == nil || resp.StatusCode >= 300 {
		return Answer{}, c.fail(ctx, "execute hook "+id, resp, err)
	}
	var body []byte
	var ge *okta.GenericOpenAPIError
	if errors.As(err, &ge) && len(ge.Body()) > 0 {
		body = ge.Body()
	} else if body, err = io.ReadAll(io.LimitReader(resp.Body, maxErrorBody)); err != nil {
		return Answer{}, fmt.Errorf("execute hook %s: read answer: %w", id, err)
	}
	return ParseAnswer(body), nil
}

// Answer is what a telephony hook answered, judged by Okta's contract.
type Answer struct {
	Status        string // SUCCESSFUL, PENDING or FAILED
	Provider      string
	TransactionID string
	Metadata      string // transactionMetadata
	// Error is set when the hook answered with an error object.
	Error *AnswerError
	// Problem says why Okta would not accept the answer (and fall back to its own
	// providers); empty when it follows the contract.
	Problem string
}

// AnswerError is the error object of a hook answer.
type AnswerError struct {
	Summary string
	Causes  []string
}

// Delivered reports whether the hook answered SUCCESSFUL or PENDING within the contract.
func (a Answer) Delivered() bool {
	return a.Problem == "" && a.Error == nil &&
		(a.Status == "SUCCESSFUL" || a.Status == "PENDING")
}

// ParseAnswer reads a telephony hook answer. It is strict where Okta is: commands is an
// array, the command type is com.okta.telephony.action, value is an array, status is
// exactly SUCCESSFUL, PENDING or FAILED, and error is an object.
func ParseAnswer(body []byte) Answer {
	var raw struct {
		Commands []struct {
			Type  string          `json:"type"`
			Value json.RawMessage `json:"value"`
		} `json:"commands"`
		Error json.RawMessage `json:"error"`
	}
	if err := json.Unmarshal(body, &raw); err != nil {
		return Answer{Problem: "answer is not a JSON object of Okta's contract: " + err.Error()}
	}
	if len(raw.Error) > 0 && string(raw.Error) != "null" {
		return parseAnswerError(raw.Error)
	}
	if len(raw.Commands) == 0 {
		return Answer{Problem: "answer has no commands and no error"}
	}
	cmd := raw.Commands[0]
	if cmd.Type != "com.okta.telephony.action" {
		return Answer{Problem: fmt.Sprintf("command type %q is not com.okta.telephony.action",
			cmd.Type)}
	}
	var values []struct {
		Status        string `json:"status"`
		Provider      string `json:"provider"`
		TransactionID string `json:"transactionId"`
		Metadata      string `json:"transactionMetadata"`
	}
	if err := json.Unmarshal(cmd.Value, &values); err != nil || len(values) == 0 {
		return Answer{Problem: "command value must be a non-empty array of {status, provider, " +
			"transactionId, transactionMetadata} strings"}
	}
	v := values[0]
	a := Answer{Status: v.Status, Provider: v.Provider, TransactionID: v.TransactionID,
		Metadata: v.Metadata}
	switch v.Status {
	case "SUCCESSFUL", "PENDING", "FAILED":
	default:
		a.Problem = fmt.Sprintf("status %q is not SUCCESSFUL, PENDING or FAILED", v.Status)
	}
	return a
}

func parseAnswerError(raw json.RawMessage) Answer {
	var e struct {
		Summary string `json:"errorSummary"`
		Causes  []struct {
			Summary string `json:"errorSummary"`
			Reason  string `json:"reason"`
		} `json:"errorCauses"`
	}
	if err := json.Unmarshal(raw, &e); err != nil {
		return Answer{Problem: "error must be an object with errorSummary"}
	}
	ae := &AnswerError{Summary: e.Summary}
	for _, c := range e.Causes {
		s := c.Summary
		if c.Reason != "" {
			s += " (" + c.Reason + ")"
		}
		ae.Causes = append(ae.Causes, s)
	}
	return Answer{Error: ae}
}
