package delivery

import (
	"strings"
	"unicode"
	"unicode/utf8"
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
	for lead < len(s) && isDigit(s[lead]) {
		lead++
	}
	if lead > maxCodeDigits {
		lead = 0
	}
	return clipText(s[:lead]+hideDigits(printable(s[lead:])), MaxDetailsLen, "…")
}

// cleanField returns s with every rune that is not printable as "?", cut to maxFieldLen
// bytes. It is for identifiers (tag, event ids) that must stay comparable: no digits are
// hidden.
func cleanField(s string) string {
	return clipText(printable(s[:min(len(s), 4*maxFieldLen)]), maxFieldLen, "")
}

// printable replaces with "?" every rune that is not printable: control characters, line
// and paragraph separators, bidirectional overrides and other format characters, and bytes
// that are not UTF-8. Such runes could forge or hide parts of a log line or a lookup.
func printable(s string) string {
	return strings.Map(func(r rune) rune {
		if r == utf8.RuneError || !unicode.IsPrint(r) {
			return '?'
		}
		return r
	}, s)
}

// hideDigits replaces every run of minHiddenDigits or more ASCII digits with "***". Digits
// apart by at most two of " -.()" belong to one run, so a number written in groups is
// hidden whole.
func hideDigits(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		if !isDigit(s[i]) {
			b.WriteByte(s[i])
			i++
			continue
		}
		end, n := i, 0
		for j := i; j < len(s) && j-end <= 2; j++ {
			if isDigit(s[j]) {
				end, n = j+1, n+1
			} else if !strings.ContainsRune(" -.()", rune(s[j])) {
				break
			}
		}
		if n >= minHiddenDigits {
			b.WriteString("***")
		} else {
			b.WriteString(s[i:end])
		}
		i = end
	}
	return b.String()
}

// clipText cuts s to at most n bytes on a rune boundary; when it cuts, mark ends the result
// and counts towards n.
func clipText(s string, n int, mark string) string {
	if len(s) <= n {
		return s
	}
	n -= len(mark)
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + mark
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
