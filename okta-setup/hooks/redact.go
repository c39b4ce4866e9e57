package hooks

import (
	"strings"
)

// redactedValue replaces a query value (or a user:password) in a printed URL.
const redactedValue = "***"

// RedactURL returns raw fit to print: every query value becomes "***"
// ("?code=QSECRET&x=1" prints as "?code=***&x=***"), a query part with no "=" becomes
// "***", a fragment becomes "#***", and a "user:password@" before the host becomes
// "***@".
//
// Azure's usual way to pass a function key is "?code=<key>" in the URL, so a hook URL
// read back from Okta may carry one; it must never reach a terminal, a log or a CI
// transcript. It works on the text, not on a parsed URL, so that a URL too malformed to
// parse (the one an error message is about) is redacted all the same.
func RedactURL(raw string) string {
	base, frag, hasFrag := strings.Cut(raw, "#")
	base, rest, hasQuery := strings.Cut(base, "?")

	var b strings.Builder
	b.WriteString(redactUserinfo(base))
	if hasQuery {
		b.WriteByte('?')
		b.WriteString(redactQuery(rest))
	}
	if hasFrag {
		b.WriteByte('#')
		if frag != "" {
			b.WriteString(redactedValue)
		}
	}
	return b.String()
}

// redactUserinfo hides everything between "://" and the last "@" of base (the URL
// before its query). NOTE: the last "@", not the first "/", ends the user info here: a
// password may hold "/", and hiding too much of a rare path with "@" is the safe mistake.
func redactUserinfo(base string) string {
	scheme, rest, ok := strings.Cut(base, "://")
	if !ok {
		return base
	}
	at := strings.LastIndexByte(rest, '@')
	if at < 0 {
		return base
	}
	return scheme + "://" + redactedValue + rest[at:]
}

// redactQuery keeps the names of a query and hides the values.
func redactQuery(q string) string {
	parts := strings.Split(q, "&")
	for i, p := range parts {
		if p == "" {
			continue
		}
		name, _, hasValue := strings.Cut(p, "=")
		if hasValue {
			parts[i] = name + "=" + redactedValue
		} else {
			parts[i] = redactedValue
		}
	}
	return strings.Join(parts, "&")
}

// RedactURLsIn returns text with every URL in it passed through RedactURL: a URL is a
// scheme, "://" and what follows up to white space, a quote or an angle bracket. It is
// for text written by others, such as Okta's error summaries, which may quote a hook URL.
func RedactURLsIn(text string) string {
	if !strings.Contains(text, "://") {
		return text
	}
	var b strings.Builder
	for {
		i := strings.Index(text, "://")
		if i < 0 {
			b.WriteString(text)
			return b.String()
		}
		start := i
		for start > 0 && isSchemeByte(text[start-1]) {
			start--
		}
		end := i + len("://")
		for end < len(text) && !isURLEnd(text[end]) {
			end++
		}
		b.WriteString(text[:start])
		b.WriteString(RedactURL(text[start:end]))
		text = text[end:]
	}
}

func isSchemeByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
		c == '+' || c == '-' || c == '.'
}

func isURLEnd(c byte) bool {
	return c <= ' ' || c == 0x7f || strings.IndexByte(`"'<>`+"`", c) >= 0
}
