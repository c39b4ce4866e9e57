package tablestore_test

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/data/aztables"

	"okta-acs-sms/function/delivery"
	"okta-acs-sms/function/delivery/storetest"
	"okta-acs-sms/function/internal/azurite"
	"okta-acs-sms/function/tablestore"
)

// tableSeq names a fresh table per subtest, so subtests share one Azurite but no data.
var tableSeq atomic.Int64

func newStore(t *testing.T, az *azurite.Tables) (*tablestore.Store, string) {
	t.Helper()
	name := fmt.Sprintf("deliveries%d", tableSeq.Add(1))
	s, err := tablestore.NewFromConnectionString(az.ConnectionString,
		&tablestore.Options{Table: name})
	if err != nil {
		t.Fatalf("NewFromConnectionString: %v", err)
	}
	return s, name
}

func TestTableStoreMeetsStoreContractOnAzurite(t *testing.T) {
	az := azurite.StartTables(t)
	storetest.Run(t, func(t *testing.T) delivery.Store {
		s, _ := newStore(t, az)
		return s
	})
}

func TestTableStoreCreatesTheTableOnFirstWrite(t *testing.T) {
	az := azurite.StartTables(t)
	s, name := newStore(t, az)
	ctx := context.Background()

	// Reading from a table that does not exist yet is "not found", not an error.
	if _, err := s.Get(ctx, "Outgoing_x"); !errors.Is(err, delivery.ErrNotFound) {
		t.Fatalf("Get before any write: error = %v, want ErrNotFound", err)
	}
	if tableExists(t, az, name) {
		t.Fatalf("table %s exists before the first write", name)
	}

	_, err := s.Update(ctx, "Outgoing_x", func(delivery.Record, bool) (delivery.Record, bool) {
		return delivery.Record{MessageID: "Outgoing_x", Status: delivery.StatusSent}, true
	})
	if err != nil {
		t.Fatalf("Update: %v", err)
	}
	if !tableExists(t, az, name) {
		t.Fatalf("table %s missing after the first write", name)
	}
}

func tableExists(t *testing.T, az *azurite.Tables, name string) bool {
	t.Helper()
	svc, err := aztables.NewServiceClientFromConnectionString(az.ConnectionString, nil)
	if err != nil {
		t.Fatalf("service client: %v", err)
	}
	filter := fmt.Sprintf("TableName eq '%s'", name)
	pager := svc.NewListTablesPager(&aztables.ListTablesOptions{Filter: &filter})
	n := 0
	for pager.More() {
		page, err := pager.NextPage(context.Background())
		if err != nil {
			t.Fatalf("list tables: %v", err)
		}
		n += len(page.Tables)
	}
	return n == 1
}

func TestTableStoreUpdateInsertsAgainWhenTheEntityVanishesMidUpdate(t *testing.T) {
	az := azurite.StartTables(t)
	s, name := newStore(t, az)
	ctx := context.Background()
	id := "Outgoing_vanishing"
	put := func(delivery.Record, bool) (delivery.Record, bool) {
		return delivery.Record{MessageID: id, Status: delivery.StatusSent, Attempts: 1}, true
	}
	if _, err := s.Update(ctx, id, put); err != nil {
		t.Fatalf("first Update: %v", err)
	}

	svc, err := aztables.NewServiceClientFromConnectionString(az.ConnectionString, nil)
	if err != nil {
		t.Fatal(err)
	}
	other := svc.NewClient(name)
	var calls []bool
	got, err := s.Update(ctx, id, func(cur delivery.Record, found bool) (delivery.Record, bool) {
		calls = append(calls, found)
		if len(calls) == 1 {
			// Another writer deletes the entity between our read and our write.
			if _, err := other.DeleteEntity(ctx, id, "delivery", nil); err != nil {
				t.Errorf("DeleteEntity: %v", err)
			}
		}
		cur.MessageID, cur.Status = id, delivery.StatusSent
		cur.Attempts++
		return cur, true
	})
	if err != nil {
		t.Fatalf("second Update: %v", err)
	}
	if len(calls) != 2 || !calls[0] || calls[1] {
		t.Errorf("fn saw found = %v, want [true false]", calls)
	}
	if got.Attempts != 1 {
		t.Errorf("Attempts = %d, want 1 (re-inserted from scratch)", got.Attempts)
	}
}
