package oktatest

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strings"
	"time"
)

// token plays the org authorization server's client credentials grant with a
// private_key_jwt client assertion (RFC 7523), the way a service app gets a token for
// the management API.
func (s *Server) token(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		oauthError(w, http.StatusBadRequest, "invalid_request", "malformed form")
		return
	}
	f := r.PostForm
	switch {
	case f.Get("grant_type") != "client_credentials":
		oauthError(w, http.StatusBadRequest, "unsupported_grant_type", "client_credentials only")
		return
	case f.Get("client_assertion_type") !=
		"urn:ietf:params:oauth:client-assertion-type:jwt-bearer":
		oauthError(w, http.StatusUnauthorized, "invalid_client", "client assertion required")
		return
	}
	if err := s.verifyAssertion(f.Get("client_assertion")); err != nil {
		oauthError(w, http.StatusUnauthorized, "invalid_client", err.Error())
		return
	}
	scopes := scopesOf(f.Get("scope"))
	for _, sc := range scopes {
		if !slices.Contains(s.GrantedScopes, sc) {
			oauthError(w, http.StatusBadRequest, "invalid_scope",
				"The following scopes are not allowed: "+sc)
			return
		}
	}
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	tok := "fake-at-" + hex.EncodeToString(b)
	s.mu.Lock()
	s.tokens[tok] = scopes
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]interface{}{"token_type": "Bearer",
		"expires_in": 3600, "access_token": tok, "scope": strings.Join(scopes, " ")})
}

func oauthError(w http.ResponseWriter, status int, code, desc string) {
	writeJSON(w, status, map[string]string{"error": code, "error_description": desc})
}

// verifyAssertion checks an RS256 JWT signed by the service app's key: kid, iss = sub =
// client id, aud = this token endpoint, unexpired, with a jti.
func (s *Server) verifyAssertion(jwt string) error {
	if s.PublicKey == nil || s.ClientID == "" {
		return errors.New("no service app is configured")
	}
	parts := strings.Split(jwt, ".")
	if len(parts) != 3 {
		return errors.New("client assertion is not a JWS")
	}
	var hdr struct{ Alg, Kid string }
	var claims struct {
		Iss, Sub, Aud, Jti string
		Exp, Iat           int64
	}
	if err := decodeSegment(parts[0], &hdr); err != nil {
		return err
	}
	if err := decodeSegment(parts[1], &claims); err != nil {
		return err
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil {
		return errors.New("client assertion signature is not base64url")
	}
	digest := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	now := time.Now().Unix()
	switch {
	case hdr.Alg != "RS256":
		return errors.New("client assertion alg must be RS256")
	case s.KeyID != "" && hdr.Kid != s.KeyID:
		return errors.New("client assertion kid is unknown")
	case rsa.VerifyPKCS1v15(s.PublicKey, crypto.SHA256, digest[:], sig) != nil:
		return errors.New("The client_assertion signature is invalid.")
	case claims.Iss != s.ClientID || claims.Sub != s.ClientID:
		return errors.New("client assertion iss and sub must be the client id")
	case claims.Aud != s.URL+"/oauth2/v1/token":
		return errors.New("client assertion aud must be the token endpoint")
	case claims.Exp <= now || claims.Iat > now+60 || claims.Jti == "":
		return errors.New("client assertion is expired, from the future or has no jti")
	}
	return nil
}

func decodeSegment(seg string, v interface{}) error {
	b, err := base64.RawURLEncoding.DecodeString(seg)
	if err != nil {
		return errors.New("client assertion segment is not base64url")
	}
	if err := json.Unmarshal(b, v); err != nil {
		return errors.New("client assertion segment is not JSON")
	}
	return nil
}
