package tablestore_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync/atomic"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/data/aztables"

	"okta-acs-sms/function/delivery"
	"okta-acs-sms/function/internal/azurite"
	"okta-acs-sms/function/tablestore"
)

// countingTransport sends requests with an http.Client and counts them.
type countingTransport struct {
	client *http.Client
	n      atomic.Int64
}

func (c *countingTransport) Do(r *http.Request) (*http.Response, error) {
	c.n.Add(1)
	return c.client.Do(r)
}

// countedStore is a Store on a fresh table of az whose requests are counted.
func countedStore(t *testing.T, az *azurite.Tables) (*tablestore.Store, *countingTransport) {
	t.Helper()
	tr := &countingTransport{client: az.Client}
	opts := &aztables.ClientOptions{ClientOptions: azcore.ClientOptions{Transport: tr}}
	opts.Retry.MaxRetries = -1 // one request per call, so the count is exact
	s, err := tablestore.NewFromConnectionString(az.ConnectionString, &tablestore.Options{
		Table: fmt.Sprintf("deliveries%d", tableSeq.Add(1)), Client: opts})
	if err != nil {
		t.Fatalf("NewFromConnectionString: %v", err)
	}
	return s, tr
}

// TestTableStoreRefusesUnusableKeysBeforeAnyRequest covers the ids Azurite mishandles when
// they reach it: "a'b" is written with its quote doubled and never found, "a/b" gets a
// 500, and "\", "#", "?" and control characters a 400.
func TestTableStoreRefusesUnusableKeysBeforeAnyRequest(t *testing.T) {
	az := azurite.StartTables(t)
	ctx := context.Background()
	ids := []string{"a'b", "'", "a/b", `a\b`, "a#b", "a?b", "a\x00b", "a\x01b", "a\x1fb",
		"a\nb", "a\x7fb", "a\u0080b", "a\u009fb", "", "a\xffb"}
	for _, id := range ids {
		t.Run(fmt.Sprintf("%q", id), func(t *testing.T) {
			s, tr := countedStore(t, az)

			_, getErr := s.Get(ctx, id)
			called := false
			_, updErr := s.Update(ctx, id, func(delivery.Record, bool) (delivery.Record, bool) {
				called = true
				return delivery.Record{MessageID: id, Status: delivery.StatusSent}, true
			})

			if !errors.Is(getErr, delivery.ErrInvalidID) ||
				errors.Is(getErr, delivery.ErrNotFound) {
				t.Errorf("Get: error = %v; want one wrapping ErrInvalidID only", getErr)
			}
			if !errors.Is(updErr, delivery.ErrInvalidID) || called {
				t.Errorf("Update: error = %v, fn called %v; want ErrInvalidID, not called",
					updErr, called)
			}
			if n := tr.n.Load(); n != 0 {
				t.Errorf("%d requests reached the table service; want none", n)
			}
		})
	}
}

// TestTableStoreKeepsKeysTableStorageAccepts shows the refusal is not wider than it must
// be: ids with other punctuation, spaces or non-ASCII letters round-trip on Azurite.
func TestTableStoreKeepsKeysTableStorageAccepts(t *testing.T) {
	az := azurite.StartTables(t)
	ctx := context.Background()
	ids := []string{"Outgoing_20260101000000_aBc-1", "a.b:c", "a b", "a%b", "a+b", "a&b",
		"a@b", `a"b`, "ü", "..", "a\u00a0b"}
	s, tr := countedStore(t, az)
	for _, id := range ids {
		_, err := s.Update(ctx, id, func(delivery.Record, bool) (delivery.Record, bool) {
			return delivery.Record{MessageID: id, Status: delivery.StatusSent, Attempts: 1},
				true
		})
		if err != nil {
			t.Errorf("Update(%q): %v", id, err)
			continue
		}
		got, err := s.Get(ctx, id)
		if err != nil || got.MessageID != id || got.Status != delivery.StatusSent {
			t.Errorf("Get(%q) = %+v, %v; want the record written", id, got, err)
		}
	}
	if tr.n.Load() == 0 {
		t.Error("no request was counted: the transport is not in use")
	}
}
