// Package redact makes text fit for a log line, an error or a stored record.
//
// Personal data (phone numbers, one-time codes) and attacker-controlled text (a request
// value, a token claim, a provider's error body) must never reach a log line, an error or a
// stored record in full: a number must not be readable there, and a value must not be able
// to forge or hide parts of a line with control characters, line breaks or bidirectional
// overrides, nor fill it without bound. The functions here are the one place that does so.
package redact

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// separators are the bytes people type between the digits of a number.
const separators = " -.()"

// maxSeparators is how many separators may stand between two digits of one run.
const maxSeparators = 2

// Digits returns s with every run of least or more ASCII digits replaced by "***". Digits
// apart by at most two of " -.()" belong to one run, so a number written in groups
// ("+1 (425) 555-0123") is hidden whole; shorter runs (status codes, counts) are kept.
func Digits(s string, least int) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		if !isDigit(s[i]) {
			b.WriteByte(s[i])
			i++
			continue
		}

		// end is just past the last digit of the run; separators after it are not part of
		// the run unless another digit follows them.
		end, n := i, 0
		for j := i; j < len(s) && j-end <= maxSeparators; j++ {
			if isDigit(s[j]) {
				end, n = j+1, n+1
			} else if strings.IndexByte(separators, s[j]) < 0 {
				break
			}
		}
		if n >= least {
			b.WriteString("***")
		} else {
			b.WriteString(s[i:end])
		}
		i = end
	}
	return b.String()
}

// Printable returns s with every rune that is not printable replaced by "?" (control
// characters, line and paragraph separators, bidirectional overrides and other format
// characters, bytes that are not UTF-8), cut to at most limit bytes on a rune boundary and
// followed by mark when it was cut; mark does not count towards limit. It reads only as
// much of s as can survive the cut. The result before mark is never longer than s, so a
// limit of len(s) never cuts.
func Printable(s string, limit int, mark string) string {
	var b strings.Builder
	for _, r := range s {
		if r == utf8.RuneError || !unicode.IsPrint(r) {
			r = '?'
		}
		if b.Len()+utf8.RuneLen(r) > limit {
			b.WriteString(mark)
			return b.String()
		}
		b.WriteRune(r)
	}
	return b.String()
}

// Clip returns s cut to at most n bytes on a rune boundary, followed by mark when it was
// cut; mark does not count towards n.
func Clip(s string, n int, mark string) string {
	n = max(n, 0)
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + mark
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
