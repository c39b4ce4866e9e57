package delivery_test

import (
	"testing"

	"okta-acs-sms/function/delivery"
)

func TestParseCodeReadsEveryFormACSSends(t *testing.T) {
	tests := []struct {
		details string
		want    int
	}{
		{"2000: No Error", 2000},
		{"No error.", 2000},
		{"no error", 2000},
		{"  4007: Recipient opted out", 4007},
		{"4010", 4010},
		{"5002 Carrier does not support delivery reports", 5002},
		{"Sender blocked for given recipient", 4007},
		{"", 0},
		{"Something else", 0},
		{"12345678901234567890: overflow", 0},
		{"91827: five digits are no ACS code", 0},
	}
	for _, tc := range tests {
		if got := delivery.ParseCode(tc.details); got != tc.want {
			t.Errorf("ParseCode(%q) = %d, want %d", tc.details, got, tc.want)
		}
	}
}

func TestActionForMarksCodesThatMustStopSending(t *testing.T) {
	tests := []struct {
		code int
		want delivery.Action
	}{
		{2000, ""},
		{4002, delivery.ActionStopNumber},
		{4003, delivery.ActionStopNumber},
		{4004, delivery.ActionStopNumber},
		{4005, delivery.ActionStopNumber},
		{4007, delivery.ActionStopNumber},
		{4001, delivery.ActionFixSender},
		{4008, delivery.ActionFixSender},
		{4010, delivery.ActionFixSender},
		{4006, ""},
		{4020, ""},
		{5001, ""},
		{9999, ""},
		{1234, ""},
	}
	for _, tc := range tests {
		if got := delivery.ActionFor(tc.code); got != tc.want {
			t.Errorf("ActionFor(%d) = %q, want %q", tc.code, got, tc.want)
		}
	}
	if got := delivery.Meaning(4007); got != "Recipient opted out (STOP)" {
		t.Errorf("Meaning(4007) = %q", got)
	}
}

func TestValidMessageID(t *testing.T) {
	tests := map[string]bool{
		"Outgoing_202009180022138813a09b-0cbf-4304-9b03-1546683bb910": true,
		"outbox-1a2b.3:4": true,
		"":                false,
		"a/b":             false,
		"a#b":             false,
		"a?b":             false,
		"a'b":             false,
		"a b":             false,
		"é":               false,
	}
	for id, want := range tests {
		if got := delivery.ValidMessageID(id); got != want {
			t.Errorf("ValidMessageID(%q) = %v, want %v", id, got, want)
		}
	}
}
