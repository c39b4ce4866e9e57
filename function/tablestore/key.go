package tablestore

import (
	"fmt"
	"unicode/utf8"

	"okta-acs-sms/function/delivery"
)

// checkKey refuses a message id that cannot be a PartitionKey, before any request is made,
// with an error wrapping delivery.ErrInvalidID (the lookup answers 400 for it).
//
// The service refuses "/", "\", "#", "?" and the control characters U+0000 to U+001F and
// U+007F to U+009F in a key, with a 400 or, on Azurite, a 500 that the retry policy would
// repeat; an empty key or one that is not UTF-8 breaks the request too.
//
// NOTE: "'" is refused as well. This package builds no OData filter (reads are point reads
// by key), but the SDK doubles every "'" both in the request path, where OData quoting
// needs it, and in the entity body, where it does not: "a'b" would be stored with its quote
// doubled and never found again. Do not escape "'" here; it would be doubled twice.
func checkKey(id string) error {
	if id == "" {
		return fmt.Errorf("message id is empty: %w", delivery.ErrInvalidID)
	}
	if !utf8.ValidString(id) {
		return fmt.Errorf("message id is not UTF-8: %w", delivery.ErrInvalidID)
	}
	for _, r := range id {
		switch {
		case r == '/', r == '\\', r == '#', r == '?', r == '\'',
			r <= 0x1f, r >= 0x7f && r <= 0x9f:
			return fmt.Errorf("message id has %q, which a Table Storage key cannot hold: %w",
				r, delivery.ErrInvalidID)
		}
	}
	return nil
}
