package sms

import (
	"errors"
	"strings"
)

// ErrNotE164 is returned by NormalizeE164 for a number it will not send to.
var ErrNotE164 = errors.New(
	"sms: phone number is not in E.164 form (+ country code, 8 to 15 digits)")

// NormalizeE164 strips the spaces, dashes, dots and parentheses people type into phone
// numbers and checks that what is left is E.164: a "+", a first digit 1-9, and 8 to 15 digits
// in all.
//
// A number without "+" is refused, never guessed: "9876543210" could be a US number, or with
// a "+" in front an Iranian one, and sending a one-time code to the wrong country is worse
// than not sending it.
func NormalizeE164(raw string) (string, error) {
	var b strings.Builder
	b.Grow(len(raw))
	for _, r := range raw {
		switch r {
		case ' ', '-', '(', ')', '.', '\t':
			continue
		}
		b.WriteRune(r)
	}
	n := b.String()
	if !isE164(n) {
		return "", ErrNotE164
	}
	return n, nil
}

func isE164(n string) bool {
	if len(n) < 9 || len(n) > 16 || n[0] != '+' || n[1] < '1' || n[1] > '9' {
		return false
	}
	for i := 2; i < len(n); i++ {
		if n[i] < '0' || n[i] > '9' {
			return false
		}
	}
	return true
}

// MaskPhone returns a phone number fit for a log line: the country code and first digits,
// then "***", then the last four digits ("+15551234567" becomes "+1555***4567"). At least
// three digits are always hidden. Anything that is not E.164 is masked whole but for its
// last two characters, since it may be a number typed in some other way.
func MaskPhone(n string) string {
	if !isE164(n) {
		if len(n) < 6 {
			return "***"
		}
		return "***" + n[len(n)-2:]
	}
	digits := len(n) - 1
	head := min(4, digits-4-3)
	return n[:1+head] + "***" + n[len(n)-4:]
}
