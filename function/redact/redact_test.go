package redact

import (
	"regexp"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

func TestDigitsHidesLongRunsAcrossSeparators(t *testing.T) {
	tests := []struct {
		in    string
		least int
		want  string
	}{
		{"", 5, ""},
		{"1234", 5, "1234"},
		{"12345", 5, "***"},
		{`{"to":"14255550123"}`, 5, `{"to":"***"}`},
		{"call +1 (425) 555-0123 now", 5, "call +*** now"},
		{"+44 7700 900999", 5, "+***"},
		{"status 400, code 4007, 3 attempts", 5, "status 400, code 4007, 3 attempts"},
		{"12 34 5", 5, "***"},            // one separator apart
		{"12  34--5", 5, "***"},          // two separators apart
		{"12   345", 5, "12   345"},      // three separators end the run
		{"12 -.345", 5, "12 -.345"},      // three mixed separators end the run
		{"1234 ", 5, "1234 "},            // trailing separators are not the run's
		{"12345 x", 5, "*** x"},          // nor when it is hidden
		{"12a345", 3, "12a***"},          // a letter ends the run
		{"١٢٣٤٥٦", 5, "١٢٣٤٥٦"},          // only ASCII digits count
		{"code 123456.", 6, "code ***."}, // Okta's six-digit code
		{"code 12345.", 6, "code 12345."},
		{"1", 1, "***"},
		{"a1b2", 0, "a***b***"},
	}
	for _, tt := range tests {
		if got := Digits(tt.in, tt.least); got != tt.want {
			t.Errorf("Digits(%q, %d) = %q; want %q", tt.in, tt.least, got, tt.want)
		}
	}
}

func TestPrintableReplacesUnprintableAndCutsOnARuneBoundary(t *testing.T) {
	tests := []struct {
		in    string
		limit int
		mark  string
		want  string
	}{
		{"", 10, "...", ""},
		{"plain text", 10, "...", "plain text"},
		{"plain text!", 10, "...", "plain text..."},
		{"a\nb\tc\x00d\x7f", 20, "", "a?b?c?d?"},
		{"\u202eevil\u2028x\u200b", 20, "", "?evil?x?"}, // override, line separator, ZWSP
		{"bad\xff\xfeutf8", 20, "", "bad??utf8"},
		{"\ufffd", 5, "", "?"},
		{"héllo", 2, "~", "h~"}, // é does not fit in 2 bytes
		{"héllo", 3, "~", "hé~"},
		{"日本", 5, "", "日"},
		{"\U000e0001\U000e0001", 1, "!", "?!"}, // 4-byte invisible runes become "?"
		{"\U000e0001\U000e0001", 2, "!", "??"},
		{"abc", 0, "(cut)", "(cut)"},
	}
	for _, tt := range tests {
		if got := Printable(tt.in, tt.limit, tt.mark); got != tt.want {
			t.Errorf("Printable(%q, %d, %q) = %q; want %q",
				tt.in, tt.limit, tt.mark, got, tt.want)
		}
	}
}

func TestClipCutsOnARuneBoundaryAndMarksTheCut(t *testing.T) {
	tests := []struct {
		in   string
		n    int
		mark string
		want string
	}{
		{"", 3, "…", ""},
		{"abc", 3, "…", "abc"},
		{"abcd", 3, "…", "abc…"},
		{"aé", 2, "…", "a…"}, // é starts at byte 1 and ends at byte 3
		{"日本語", 7, "", "日本"},
		{"日本語", 9, "", "日本語"},
		{"abc", 0, "…", "…"},
		{"abc", -1, "…", "…"},
	}
	for _, tt := range tests {
		if got := Clip(tt.in, tt.n, tt.mark); got != tt.want {
			t.Errorf("Clip(%q, %d, %q) = %q; want %q", tt.in, tt.n, tt.mark, got, tt.want)
		}
	}
}

// run matches one run of digits as Digits counts them: digits apart by at most two
// separators. It is a second, independent statement of the rule for the fuzz target.
var run = regexp.MustCompile(`[0-9](?:[ \-.()]{0,2}[0-9])*`)

// FuzzDigits checks Digits against the regular expression and that no run of least or
// more digits survives.
func FuzzDigits(f *testing.F) {
	f.Add("call +1 (425) 555-0123 now", 5)
	f.Add("12   345 6-7.8(9)0", 3)
	f.Add("4007: 14255550123", 5)
	f.Fuzz(func(t *testing.T, s string, least int) {
		least = 1 + abs(least%12)
		got := Digits(s, least)

		want := run.ReplaceAllStringFunc(s, func(m string) string {
			if digits(m) >= least {
				return "***"
			}
			return m
		})
		if got != want {
			t.Fatalf("Digits(%q, %d) = %q; the rule gives %q", s, least, got, want)
		}
		for _, m := range run.FindAllString(got, -1) {
			if digits(m) >= least {
				t.Fatalf("Digits(%q, %d) = %q keeps the run %q", s, least, got, m)
			}
		}
		if utf8.ValidString(s) && !utf8.ValidString(got) {
			t.Fatalf("Digits(%q, %d) = %q is not UTF-8", s, least, got)
		}
	})
}

// FuzzPrintable checks that the result is printable UTF-8 within its bound, and a prefix
// of what it would be without one.
func FuzzPrintable(f *testing.F) {
	f.Add("a\nb\u202ec\xff", 3)
	f.Add("héllo 日本", 4)
	f.Add("\U000e0001\U000e0001\U000e0001", 2)
	f.Fuzz(func(t *testing.T, s string, limit int) {
		limit = abs(limit % 200)
		const mark = "…"
		got := Printable(s, limit, mark)

		body, cut := strings.CutSuffix(got, mark)
		full := Printable(s, len(s), "")
		if !cut && got != full || cut && len(full) <= limit {
			t.Fatalf("Printable(%q, %d) = %q; whole it is %q", s, limit, got, full)
		}
		if len(body) > limit || !strings.HasPrefix(full, body) || len(full) > len(s) {
			t.Fatalf("Printable(%q, %d) = %q; whole it is %q", s, limit, got, full)
		}
		if !utf8.ValidString(got) {
			t.Fatalf("Printable(%q, %d) = %q is not UTF-8", s, limit, got)
		}
		for _, r := range body {
			if !unicode.IsPrint(r) || r == utf8.RuneError {
				t.Fatalf("Printable(%q, %d) = %q holds %U", s, limit, got, r)
			}
		}
	})
}

// FuzzClip checks that Clip cuts to a prefix within the bound, on a rune boundary.
func FuzzClip(f *testing.F) {
	f.Add("héllo 日本", 4)
	f.Add("abc", 3)
	f.Fuzz(func(t *testing.T, s string, n int) {
		n = abs(n % 200)
		got := Clip(s, n, "…")
		if len(s) <= n {
			if got != s {
				t.Fatalf("Clip(%q, %d) = %q; want it whole", s, n, got)
			}
			return
		}
		body, ok := strings.CutSuffix(got, "…")
		if !ok || len(body) > n || !strings.HasPrefix(s, body) {
			t.Fatalf("Clip(%q, %d) = %q", s, n, got)
		}
		if utf8.ValidString(s) && (!utf8.ValidString(got) || n-len(body) >= utf8.UTFMax) {
			t.Fatalf("Clip(%q, %d) = %q does not cut at the last rune boundary", s, n, got)
		}
	})
}

func digits(s string) int {
	n := 0
	for i := range len(s) {
		if isDigit(s[i]) {
			n++
		}
	}
	return n
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}
