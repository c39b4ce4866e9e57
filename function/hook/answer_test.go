package hook

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"okta-acs-sms/function/sms"
)

func TestDecideGivesTheExactAnswerBytes(t *testing.T) {
	tests := []struct {
		name string
		r    result
		want string
	}{
		{"sent", result{
			receipt:  sms.Receipt{MessageID: "Outgoing_1", Provider: "ACS", Attempts: 2},
			provider: "ACS", latency: 412 * time.Millisecond},
			`{"commands":[{"type":"com.okta.telephony.action","value":[{"status":"SUCCESSFUL",` +
				`"provider":"ACS","transactionId":"Outgoing_1",` +
				`"transactionMetadata":"attempts=2;latencyMs=412"}]}]}` + "\n"},
		{"rejected", result{err: &sms.Error{Kind: sms.KindRejected, Status: 400, Attempts: 1},
			provider: "ACS", latency: 80 * time.Millisecond},
			`{"commands":[{"type":"com.okta.telephony.action","value":[{"status":"FAILED",` +
				`"provider":"ACS",` +
				`"transactionMetadata":"reason=rejected;attempts=1;latencyMs=80;` +
				`status=400"}]}]}` + "\n"},
		{"deadline", result{err: &sms.Error{Kind: sms.KindUnavailable, Attempts: 3,
			Err: fmt.Errorf("x: %w", context.DeadlineExceeded)}, provider: "ACS",
			latency: 2300 * time.Millisecond},
			`{"commands":[{"type":"com.okta.telephony.action","value":[{"status":"FAILED",` +
				`"provider":"ACS","transactionMetadata":"reason=deadline;attempts=3;` +
				`latencyMs=2300"}]}]}` + "\n"},
		{"panic", result{err: errPanic, provider: "outbox"},
			`{"commands":[{"type":"com.okta.telephony.action","value":[{"status":"FAILED",` +
				`"provider":"outbox","transactionMetadata":"reason=internal;attempts=0;` +
				`latencyMs=0"}]}]}` + "\n"},
		{"refused", result{refusal: refuseCode, receipt: sms.Receipt{MessageID: "ignored"}},
			`{"error":{"errorSummary":"The request carried no usable one-time code.",` +
				`"errorCauses":[{"errorSummary":"The request carried no usable one-time code.",` +
				`"reason":"MISSING_OTP_CODE","locationType":"body",` +
				`"location":"data.messageProfile.otpCode","domain":"external-service"}]}}` + "\n"},
		{"refused request", result{refusal: refuseRequest},
			`{"error":{"errorSummary":"The verification code could not be sent.",` +
				`"errorCauses":[{"errorSummary":"The verification code could not be sent.",` +
				`"reason":"INVALID_REQUEST","locationType":"body",` +
				`"location":"data.messageProfile.deliveryChannel",` +
				`"domain":"external-service"}]}}` + "\n"},
		{"refused voice", result{refusal: refuseVoice},
			`{"error":{"errorSummary":"This provider sends text messages only.",` +
				`"errorCauses":[{"errorSummary":"This provider sends text messages only.",` +
				`"reason":"UNSUPPORTED_CHANNEL","locationType":"body",` +
				`"location":"data.messageProfile.deliveryChannel",` +
				`"domain":"external-service"}]}}` + "\n"},
		{"refused phone", result{refusal: refusePhone, provider: "ACS"},
			`{"error":{"errorSummary":"The phone number must start with + and the country ` +
				`code.","errorCauses":[{"errorSummary":"The phone number must start with + ` +
				`and the country code.","reason":"INVALID_PHONE_NUMBER","locationType":"body",` +
				`"location":"data.messageProfile.phoneNumber","domain":"external-service"}]}}` +
				"\n"},
	}
	for _, tt := range tests {
		if got := string(decide(tt.r).Response.Marshal()); got != tt.want {
			t.Errorf("%s:\n got %s\nwant %s", tt.name, got, tt.want)
		}
	}
}

func TestFailureOutcome(t *testing.T) {
	tests := []struct {
		err  error
		want Outcome
	}{
		{&sms.Error{Kind: sms.KindRejected}, OutcomeFailedRejected},
		{&sms.Error{Kind: sms.KindAuth}, OutcomeFailedAuth},
		{&sms.Error{Kind: sms.KindUnavailable}, OutcomeFailedUnavailable},
		{&sms.Error{Kind: sms.KindUnavailable, Err: context.DeadlineExceeded},
			OutcomeFailedDeadline},
		{fmt.Errorf("wrapped: %w", errPanic), OutcomeFailedInternal},
		{errors.New("other"), OutcomeFailedUnavailable},
	}
	for _, tt := range tests {
		if got := failureOutcome(tt.err); got != tt.want {
			t.Errorf("failureOutcome(%v) = %s; want %s", tt.err, got, tt.want)
		}
	}
}
