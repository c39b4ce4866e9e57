package hookauth

import (
	"crypto/subtle"
	"encoding/base64"
	"net/http"
)

// Basic accepts a request whose whole Authorization header equals one of the accepted
// values. It holds more than one so that a secret can be rotated without downtime: the
// current one and the next one are both accepted until Okta has been moved over.
type Basic struct {
	accepted [][]byte
}

// BasicHeader returns the Authorization header value Okta must send for user and secret:
// "Basic " followed by base64("user:secret").
func BasicHeader(user, secret string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+secret))
}

// NewBasic returns a Basic that accepts user with any of the non-empty secrets.
func NewBasic(user string, secrets ...string) *Basic {
	b := &Basic{}
	for _, s := range secrets {
		if s != "" {
			b.accepted = append(b.accepted, []byte(BasicHeader(user, s)))
		}
	}
	return b
}

// Authenticate compares the whole header, "Basic " prefix included, in constant time
// against every accepted value. It compares against all of them even after a match, so
// the time taken does not tell which secret matched.
func (b *Basic) Authenticate(r *http.Request) error {
	got := r.Header.Get("Authorization")
	if got == "" {
		return &Error{Reason: ReasonMissing}
	}
	ok := 0
	for _, want := range b.accepted {
		ok |= subtle.ConstantTimeCompare([]byte(got), want)
	}
	if ok != 1 {
		return &Error{Reason: ReasonMismatch}
	}
	return nil
}
