// Command hooksecret prints a new random Basic secret for the Okta hook: 32 bytes from
// crypto/rand, base64url without padding (43 characters), and no newline. The stack runs it
// once, through a Pulumi local command, when no `hookSecret` is configured.
package main

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"os"
)

func main() {
	if _, err := fmt.Fprint(os.Stdout, newSecret()); err != nil {
		fmt.Fprintln(os.Stderr, "hooksecret: write:", err)
		os.Exit(1)
	}
}

// newSecret is 256 random bits; crypto/rand.Read never fails on supported platforms.
func newSecret() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}
