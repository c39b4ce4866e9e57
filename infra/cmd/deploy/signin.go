package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
)

// Sign-in kinds, in the order they are chosen (the order Pulumi's azure-native provider
// checks its ARM_* settings in).
const (
	signInOIDC    = "oidc"    // ARM_USE_OIDC: a federated token from the CI system
	signInMSI     = "msi"     // ARM_USE_MSI: the managed identity of the machine
	signInSecret  = "secret"  // ARM_CLIENT_ID + ARM_CLIENT_SECRET + ARM_TENANT_ID
	signInDefault = "default" // azidentity's DefaultAzureCredential (az login, …)
)

// signIn is how the deploy step authenticates to ARM, read from the same ARM_* settings the
// Pulumi provider uses, so that the code is deployed by the identity that created the app.
type signIn struct {
	kind     string
	tenantID string
	clientID string
	secret   string
	// oidcToken or oidcTokenFile is the federated token (ARM_OIDC_TOKEN,
	// ARM_OIDC_TOKEN_FILE_PATH); the file is read again for every token request.
	oidcToken     string
	oidcTokenFile string
}

// chooseSignIn picks the sign-in from getenv. deployTenant (DEPLOY_TENANT_ID, the stack's
// tenant) stands in for ARM_TENANT_ID. Settings it cannot honour are refused rather than
// silently replaced by another identity.
func chooseSignIn(getenv func(string) string, deployTenant string) (signIn, error) {
	s := signIn{tenantID: getenv("ARM_TENANT_ID"), clientID: getenv("ARM_CLIENT_ID")}
	if s.tenantID == "" {
		s.tenantID = deployTenant
	}
	useOIDC, err := envBool(getenv, "ARM_USE_OIDC")
	if err != nil {
		return signIn{}, err
	}
	useMSI, err := envBool(getenv, "ARM_USE_MSI")
	if err != nil {
		return signIn{}, err
	}

	switch {
	case useOIDC:
		s.kind = signInOIDC
		s.oidcToken = getenv("ARM_OIDC_TOKEN")
		s.oidcTokenFile = getenv("ARM_OIDC_TOKEN_FILE_PATH")
		if s.oidcToken == "" && s.oidcTokenFile == "" {
			return signIn{}, errors.New("ARM_USE_OIDC: the deploy step needs ARM_OIDC_TOKEN or" +
				" ARM_OIDC_TOKEN_FILE_PATH (ARM_OIDC_REQUEST_URL/_TOKEN are not supported)")
		}
		if s.clientID == "" || s.tenantID == "" {
			return signIn{}, errors.New("ARM_USE_OIDC: needs ARM_CLIENT_ID and ARM_TENANT_ID")
		}
	case useMSI:
		s.kind = signInMSI
	case getenv("ARM_CLIENT_CERTIFICATE_PATH") != "":
		return signIn{}, errors.New("ARM_CLIENT_CERTIFICATE_PATH: certificate sign-in is not" +
			" supported by the deploy step; use a secret, OIDC, a managed identity or az login")
	case s.clientID != "" && getenv("ARM_CLIENT_SECRET") != "" && getenv("ARM_TENANT_ID") != "":
		s.kind, s.secret = signInSecret, getenv("ARM_CLIENT_SECRET")
	default:
		s = signIn{kind: signInDefault, tenantID: deployTenant}
	}
	return s, nil
}

// envBool reads an optional boolean setting.
func envBool(getenv func(string) string, key string) (bool, error) {
	v := strings.TrimSpace(getenv(key))
	if v == "" {
		return false, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, fmt.Errorf("%s: want true or false, got %q", key, v)
	}
	return b, nil
}

// credential builds the azidentity credential. NOTE: tests never call it; a managed-identity
// or default credential would probe a metadata endpoint.
func (s signIn) credential() (azcore.TokenCredential, error) {
	switch s.kind {
	case signInOIDC:
		return azidentity.NewClientAssertionCredential(s.tenantID, s.clientID, s.assertion, nil)
	case signInMSI:
		o := &azidentity.ManagedIdentityCredentialOptions{}
		if s.clientID != "" {
			o.ID = azidentity.ClientID(s.clientID)
		}
		return azidentity.NewManagedIdentityCredential(o)
	case signInSecret:
		return azidentity.NewClientSecretCredential(s.tenantID, s.clientID, s.secret, nil)
	default:
		return azidentity.NewDefaultAzureCredential(&azidentity.DefaultAzureCredentialOptions{
			TenantID: s.tenantID,
		})
	}
}

// assertion is the federated token: the fixed one, or the file's current content.
func (s signIn) assertion(context.Context) (string, error) {
	if s.oidcToken != "" {
		return s.oidcToken, nil
	}
	b, err := os.ReadFile(s.oidcTokenFile)
	if err != nil {
		return "", fmt.Errorf("read ARM_OIDC_TOKEN_FILE_PATH: %w", err)
	}
	return strings.TrimSpace(string(b)), nil
}
