package delivery

import (
	"strconv"
	"strings"
)

// Action tells an operator what a failed report asks of them. Empty means nothing.
type Action string

const (
	// ActionStopNumber marks codes that will fail the same way for this number every time:
	// the recipient opted out, the carrier blocks us, the number does not exist or cannot be
	// reached by SMS at all, or is not a valid E.164 number. Sending again only costs money
	// and, for an opt-out, breaks carrier rules; the user needs another factor.
	ActionStopNumber Action = "stop-sending-to-number"

	// ActionFixSender marks codes caused by our sender, not the recipient: an invalid or
	// unverified sender number or an exhausted messaging profile. Every text will fail
	// until an operator fixes the ACS setup.
	ActionFixSender Action = "fix-sender"
)

// CodeDelivered is the code of a successful delivery.
const CodeDelivered = 2000

// codeInfo is one row of the ACS delivery-report code table.
type codeInfo struct {
	meaning string
	action  Action
}

// codes is the delivery-report code table from the ACS SMS troubleshooting codes.
// NOTE: 4006 (unreachable), 4020 (volumetric) and the 5xxx/9999 codes are left without an
// action on purpose: they are temporary or unknown, and the next text may well arrive.
var codes = map[int]codeInfo{
	2000: {"Delivered successfully", ""},
	4000: {"Rejected: fraud detection", ""},
	4001: {"Rejected: invalid Source/From number format", ActionFixSender},
	4002: {"Rejected: invalid Destination/To number format", ActionStopNumber},
	4003: {"Unsupported destination", ActionStopNumber},
	4004: {"To number doesn't exist", ActionStopNumber},
	4005: {"Blocked by destination carrier", ActionStopNumber},
	4006: {"To number not reachable (retry later)", ""},
	4007: {"Recipient opted out (STOP)", ActionStopNumber},
	4008: {"Exceeded max messages for the messaging profile", ActionFixSender},
	4009: {"Rejected by Microsoft Entitlement System (fraud suspicion)", ""},
	4010: {"Blocked: toll-free number not verified", ActionFixSender},
	4020: {"Carrier volumetric violation", ""},
	5000: {"Failed; contact support", ""},
	5001: {"Temporary system unavailability", ""},
	5002: {"Carrier does not support delivery reports (may have been delivered)", ""},
	9999: {"Unknown error", ""},
}

// ParseCode reads the numeric code from a deliveryStatusDetails text. ACS has sent both
// "2000: No Error" and "No error.", so it takes a leading integer when there is one, reads
// "No error" as 2000, and reads ACS's opt-out text "Sender blocked for given recipient" as
// 4007. Anything else is 0, meaning unknown.
func ParseCode(details string) int {
	s := strings.TrimSpace(details)
	end := 0
	for end < len(s) && s[end] >= '0' && s[end] <= '9' {
		end++
	}
	if end > maxCodeDigits {
		return 0 // not a status code: ACS's have four digits, and a longer one may be a code
	}
	if end > 0 {
		n, _ := strconv.Atoi(s[:end]) // cannot fail: 1 to 4 digits
		return n
	}

	lower := strings.ToLower(s)
	switch {
	case strings.HasPrefix(lower, "no error"):
		return CodeDelivered
	case strings.Contains(lower, "sender blocked for given recipient"):
		return 4007
	}
	return 0
}

// Meaning returns what a code means, or "" for a code not in the table.
func Meaning(code int) string { return codes[code].meaning }

// ActionFor returns what an operator should do about a code.
func ActionFor(code int) Action { return codes[code].action }
