package tablestore_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/data/aztables"

	"okta-acs-sms/function/delivery"
	"okta-acs-sms/function/delivery/storetest"
	"okta-acs-sms/function/internal/azurite"
	"okta-acs-sms/function/tablestore"
)

// fakeIdentity plays the managed identity: it hands out JWT-shaped tokens with the given
// audience and records the scopes it was asked for. It never touches the network.
type fakeIdentity struct {
	audience string

	mu     sync.Mutex
	scopes [][]string
}

func (f *fakeIdentity) GetToken(_ context.Context, o policy.TokenRequestOptions) (
	azcore.AccessToken, error) {
	f.mu.Lock()
	f.scopes = append(f.scopes, slices.Clone(o.Scopes))
	f.mu.Unlock()

	now := time.Now()
	claims, _ := json.Marshal(map[string]any{
		"aud": f.audience,
		"iss": "https://sts.windows.net/00000000-0000-4000-8000-000000000001/",
		"iat": now.Add(-time.Minute).Unix(), "nbf": now.Add(-time.Minute).Unix(),
		"exp": now.Add(time.Hour).Unix(),
		"oid": "00000000-0000-4000-8000-000000000002",
	})
	enc := base64.RawURLEncoding.EncodeToString
	token := enc([]byte(`{"alg":"HS256","typ":"JWT"}`)) + "." + enc(claims) + "." +
		enc([]byte("unsigned-test-token"))
	return azcore.AccessToken{Token: token, ExpiresOn: now.Add(time.Hour)}, nil
}

func (f *fakeIdentity) askedScopes() [][]string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.scopes)
}

func identityStore(t *testing.T, az *azurite.Tables,
	cred azcore.TokenCredential) *tablestore.Store {
	t.Helper()
	s, err := tablestore.New(az.URL, cred, &tablestore.Options{
		Table: fmt.Sprintf("identity%d", tableSeq.Add(1)),
		Client: &aztables.ClientOptions{ClientOptions: azcore.ClientOptions{
			Transport: az.Client,
		}},
	})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return s
}

func TestTableStoreWithManagedIdentityMeetsStoreContractOnAzurite(t *testing.T) {
	az := azurite.StartTablesOAuth(t)
	cred := &fakeIdentity{audience: "https://storage.azure.com"}
	storetest.Run(t, func(t *testing.T) delivery.Store { return identityStore(t, az, cred) })

	scopes := cred.askedScopes()
	if len(scopes) == 0 {
		t.Fatalf("the credential was never asked for a token")
	}
	for _, s := range scopes {
		if !slices.Equal(s, []string{"https://storage.azure.com/.default"}) {
			t.Errorf("token scopes = %q, want [https://storage.azure.com/.default]", s)
		}
	}
}

func TestTableStoreFailsWithATokenForAnotherAudience(t *testing.T) {
	az := azurite.StartTablesOAuth(t)
	s := identityStore(t, az, &fakeIdentity{audience: "https://vault.azure.net"})
	_, err := s.Update(context.Background(), "Outgoing_x", func(delivery.Record, bool) (
		delivery.Record, bool) {
		return delivery.Record{MessageID: "Outgoing_x", Status: delivery.StatusSent}, true
	})
	var re *azcore.ResponseError
	if !errors.As(err, &re) || re.StatusCode != http.StatusForbidden {
		t.Fatalf("Update error = %v, want a 403 from the table service", err)
	}
}
