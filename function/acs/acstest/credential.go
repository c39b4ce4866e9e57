package acstest

import (
	"context"
	"errors"
	"slices"
	"sync/atomic"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"

	"okta-acs-sms/function/acs"
)

// Credential is a fake azcore.TokenCredential for Entra ID mode tests: it never calls an
// identity endpoint, checks that the ACS scope is asked for, and hands out Token.
type Credential struct {
	// Token is the access token returned.
	Token string

	// Err, when set, is returned instead of a token (a managed identity that fails).
	Err error

	calls atomic.Int64
}

// GetToken returns c.Token valid for an hour, or c.Err.
func (c *Credential) GetToken(_ context.Context, o policy.TokenRequestOptions) (
	azcore.AccessToken, error) {
	c.calls.Add(1)
	if c.Err != nil {
		return azcore.AccessToken{}, c.Err
	}
	if !slices.Equal(o.Scopes, []string{acs.Scope}) {
		return azcore.AccessToken{}, errors.New("acstest: token asked for the wrong scopes")
	}
	return azcore.AccessToken{Token: c.Token, ExpiresOn: time.Now().Add(time.Hour)}, nil
}

// Calls counts GetToken calls.
func (c *Credential) Calls() int { return int(c.calls.Load()) }
