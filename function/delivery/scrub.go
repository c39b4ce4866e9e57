package delivery

import (
	"strings"

	"okta-acs-sms/function/redact"
)

// This file cleans the free text a delivery report carries before it is stored, served by
// the lookup or logged. ACS writes deliveryStatusDetails and echoes the send tag; neither
// is ours, and a carrier's text may quote the number or the message.

// MaxDetailsLen bounds the stored deliveryStatusDetails, in bytes. ACS's texts are a status
// code and a sentence.
const MaxDetailsLen = 256

// maxFieldLen bounds the tag and the Event Grid event id, in bytes. Our tag is the Okta
// eventId (at most 128 bytes, see hook.MaxEventIDLen) and event ids are GUIDs.
const maxFieldLen = 128

// maxCodeDigits is the longest leading status code kept as written: ACS's codes have four
// digits (2000, 4007). A longer leading number is no code and is hidden like any other.
const maxCodeDigits = 4

// minHiddenDigits is the shortest run of digits ScrubDetails hides. Shorter runs are
// status codes; a phone number has at least 8 digits and an Okta code at least 5.
const minHiddenDigits = 5

// ScrubDetails returns a deliveryStatusDetails text fit to store, serve and log: a leading
// status code of up to four digits ("4007: ...") is kept as written; every other run of
// five or more digits, counted across the separators people type in numbers ("+44 7700
// 900999", "555-0123"), becomes "***"; every rune that is not printable becomes "?"; and the
// result is cut to MaxDetailsLen bytes, marked by "…". ParseCode must read the raw text
// first (ScrubDetails keeps its answer for texts that start with a code).
func ScrubDetails(s string) string {
	s = strings.TrimSpace(s)
	lead := 0
	for lead < len(s) && '0' <= s[lead] && s[lead] <= '9' {
		lead++
	}
	if lead > maxCodeDigits {
		lead = 0
	}
	s = s[:lead] + redact.Digits(redact.Printable(s[lead:], len(s), ""), minHiddenDigits)

	// The mark counts towards the bound: what is stored is at most MaxDetailsLen bytes.
	const cut = "…"
	if len(s) > MaxDetailsLen {
		s = redact.Clip(s, MaxDetailsLen-len(cut), cut)
	}
	return s
}

// cleanField returns s with every rune that is not printable as "?", cut to maxFieldLen
// bytes. It is for identifiers (tag, event ids) that must stay comparable: no digits are
// hidden.
func cleanField(s string) string { return redact.Printable(s, maxFieldLen, "") }
