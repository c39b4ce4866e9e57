package sms

import (
	"errors"
	"testing"
)

func TestNormalizeE164(t *testing.T) {
	tests := []struct {
		in, want string
		err      error
	}{
		{"+15555551212", "+15555551212", nil},
		{"+1 (555) 555-1212", "+15555551212", nil},
		{"+44 20 7946.0958", "+442079460958", nil},
		{"+12345678", "+12345678", nil},
		{"+123456789012345", "+123456789012345", nil},
		{"9876543210", "", ErrNotE164},
		{"15555551212", "", ErrNotE164},
		{"+05555551212", "", ErrNotE164},
		{"+1234567", "", ErrNotE164},
		{"+1234567890123456", "", ErrNotE164},
		{"+1555abc1212", "", ErrNotE164},
		{"++15555551212", "", ErrNotE164},
		{"", "", ErrNotE164},
		{"+", "", ErrNotE164},
	}
	for _, tt := range tests {
		got, err := NormalizeE164(tt.in)
		if got != tt.want || !errors.Is(err, tt.err) {
			t.Errorf("NormalizeE164(%q) = %q, %v; want %q, %v", tt.in, got, err, tt.want, tt.err)
		}
	}
}

func TestMaskPhone(t *testing.T) {
	tests := []struct{ in, want string }{
		{"+15551234567", "+1555***4567"},
		{"+442079460958", "+4420***0958"},
		{"+12345678", "+1***5678"},
		{"+123456789", "+12***6789"},
		{"9876543210", "***10"},
		{"12345", "***"},
		{"", "***"},
	}
	for _, tt := range tests {
		if got := MaskPhone(tt.in); got != tt.want {
			t.Errorf("MaskPhone(%q) = %q; want %q", tt.in, got, tt.want)
		}
	}
}
