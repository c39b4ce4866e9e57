package hookauth

import (
	"fmt"
	"net/http"
	"reflect"
	"strings"
)

// A SchemeAuthenticator is an Authenticator for one authorization scheme of the
// Authorization header, such as "Basic" or "Bearer".
type SchemeAuthenticator interface {
	Authenticator
	Scheme() string
}

// Scheme returns "Basic", the authorization scheme Basic checks.
func (b *Basic) Scheme() string { return "Basic" }

// anyScheme hands each request to the Authenticator of its authorization scheme.
type anyScheme struct {
	by map[string]Authenticator // lower-case scheme name → authenticator
}

// Any returns an Authenticator that accepts a request when the Authenticator for the
// scheme of its Authorization header accepts it: a "Basic ..." header goes to the Basic
// one only and a "Bearer ..." header to the OAuth one only, so a Basic request never makes
// OAuth fetch keys. It serves a migration from Basic to OAuth with both enabled at once.
//
// A request without the header is refused with ReasonMissing, one with a scheme no
// Authenticator handles with ReasonWrongScheme. Nil entries, typed nil pointers included,
// are skipped. Every other
// entry must implement SchemeAuthenticator, and two entries may not share a scheme: Any
// panics otherwise, as this is a wiring mistake.
func Any(auths ...Authenticator) Authenticator {
	a := &anyScheme{by: make(map[string]Authenticator)}
	for _, auth := range auths {
		if v := reflect.ValueOf(auth); auth == nil || v.Kind() == reflect.Pointer && v.IsNil() {
			continue // an unconfigured mode, such as a nil *OAuth
		}
		s, ok := auth.(SchemeAuthenticator)
		if !ok {
			panic(fmt.Sprintf("hookauth: Any: %T does not name its scheme", auth))
		}
		key := strings.ToLower(s.Scheme())
		if _, dup := a.by[key]; dup {
			panic(fmt.Sprintf("hookauth: Any: two authenticators for scheme %q", s.Scheme()))
		}
		a.by[key] = auth
	}
	return a
}

// Authenticate dispatches r by the scheme of its Authorization header; the scheme name
// is matched without regard to case (RFC 9110 §11.1).
func (a *anyScheme) Authenticate(r *http.Request) error {
	h := r.Header.Get("Authorization")
	if h == "" {
		return &Error{Reason: ReasonMissing}
	}
	scheme, _, _ := strings.Cut(h, " ")
	auth, ok := a.by[strings.ToLower(scheme)]
	if !ok {
		return &Error{Reason: ReasonWrongScheme}
	}
	return auth.Authenticate(r)
}
