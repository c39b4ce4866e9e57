// Package tablestore keeps delivery records in Azure Table Storage (delivery.Store).
//
// # Layout
//
// One entity per text: PartitionKey is the ACS message id, RowKey is the constant
// "delivery". The only query is a point read by message id (the transactionId Okta shows),
// and one partition per message spreads load across the service with no hot partition. The
// constant RowKey leaves room for more rows per message later (say, one per report). Times
// are Edm.DateTime properties; a property with an empty or zero value is left out. Ids the
// service cannot use as a key ("/", "\", "#", "?", "'", control characters) are refused
// before any request, with an error wrapping delivery.ErrInvalidID.
//
// # Concurrency
//
// Update is a read-modify-write guarded by the entity's ETag: insert when absent (409 if a
// concurrent writer inserted first), replace with If-Match otherwise (412 if it changed).
// Either conflict re-reads and re-applies the merge, up to Options.MaxAttempts times.
//
// # Retention
//
// TODO: Table Storage has no per-entity expiry, so records stay until deleted. They are small
// (under 1 KB) and hold no full phone number; a periodic purge of entities older than the
// retention period is not built yet.
package tablestore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/data/aztables"

	"okta-acs-sms/function/delivery"
)

// DefaultTable is the table name when Options.Table is empty.
const DefaultTable = "deliveries"

// rowKey is the RowKey of every delivery record (see the package comment).
const rowKey = "delivery"

// Options configures a Store. The zero value means the documented defaults.
type Options struct {
	// Table is the table name. Default DefaultTable. It is created on first write if missing.
	Table string

	// MaxAttempts bounds the read-merge-write rounds of one Update when other writers keep
	// winning. Default 10.
	MaxAttempts int

	// Client is passed to the aztables client (transport, retries, logging). Where its
	// Retry fields are zero, they default to DefaultRetry rather than azcore's defaults,
	// whose one-minute back-off would outlast every caller here (a 30 s Event Grid
	// delivery, an operator's lookup).
	Client *aztables.ClientOptions
}

// DefaultRetry is the retry policy used where Options.Client leaves one unset: three
// retries of 429/5xx and network errors, 5 s per try, 200 ms doubling to at most 2 s.
var DefaultRetry = policy.RetryOptions{
	MaxRetries:    3,
	TryTimeout:    5 * time.Second,
	RetryDelay:    200 * time.Millisecond,
	MaxRetryDelay: 2 * time.Second,
}

// Store is a delivery.Store in one Azure table. It is safe for concurrent use.
type Store struct {
	client      *aztables.Client
	maxAttempts int
}

var _ delivery.Store = (*Store)(nil)

// New returns a Store on the table service at endpoint (e.g.
// "https://<account>.table.core.windows.net"), authenticated with cred (in Azure, the
// function's managed identity, which needs the "Storage Table Data Contributor" role).
// It makes no request: the table is created lazily.
func New(endpoint string, cred azcore.TokenCredential, opts *Options) (*Store, error) {
	o := withDefaults(opts)
	svc, err := aztables.NewServiceClient(endpoint, cred, o.Client)
	if err != nil {
		return nil, fmt.Errorf("tablestore: new client: %w", err)
	}
	return newStore(svc, o), nil
}

// NewFromConnectionString returns a Store from a storage connection string (an account key,
// a SAS, or Azurite's development account). It makes no request.
func NewFromConnectionString(conn string, opts *Options) (*Store, error) {
	o := withDefaults(opts)
	svc, err := aztables.NewServiceClientFromConnectionString(conn, o.Client)
	if err != nil {
		// NOTE: err never includes the connection string's key, only that it is malformed.
		return nil, fmt.Errorf("tablestore: new client from connection string: %w", err)
	}
	return newStore(svc, o), nil
}

func withDefaults(opts *Options) Options {
	var o Options
	if opts != nil {
		o = *opts
	}
	if o.Table == "" {
		o.Table = DefaultTable
	}
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = 10
	}

	// Copy the client options so the caller's value is never changed.
	var c aztables.ClientOptions
	if o.Client != nil {
		c = *o.Client
	}
	r := &c.Retry
	if r.MaxRetries == 0 {
		r.MaxRetries = DefaultRetry.MaxRetries
	}
	if r.TryTimeout == 0 {
		r.TryTimeout = DefaultRetry.TryTimeout
	}
	if r.RetryDelay == 0 {
		r.RetryDelay = DefaultRetry.RetryDelay
	}
	if r.MaxRetryDelay == 0 {
		r.MaxRetryDelay = DefaultRetry.MaxRetryDelay
	}
	o.Client = &c
	return o
}

func newStore(svc *aztables.ServiceClient, o Options) *Store {
	return &Store{client: svc.NewClient(o.Table), maxAttempts: o.MaxAttempts}
}

// Get returns the record for messageID, or an error wrapping delivery.ErrNotFound. An id
// that cannot be a table key gives an error wrapping delivery.ErrInvalidID and no request.
func (s *Store) Get(ctx context.Context, messageID string) (Record, error) {
	if err := checkKey(messageID); err != nil {
		return Record{}, fmt.Errorf("tablestore: get %q: %w", messageID, err)
	}
	rec, _, found, err := s.read(ctx, messageID)
	if err != nil {
		return Record{}, fmt.Errorf("tablestore: get %s: %w", messageID, err)
	}
	if !found {
		return Record{}, fmt.Errorf("tablestore: get %s: %w", messageID, delivery.ErrNotFound)
	}
	return rec, nil
}

// Record is delivery.Record, named here for brevity.
type Record = delivery.Record

// ErrContention is returned by Update when other writers won every round.
var ErrContention = errors.New("tablestore: too many concurrent updates")

// Update applies fn to the record for messageID with ETag optimistic concurrency. An id
// that cannot be a table key gives an error wrapping delivery.ErrInvalidID; fn is not called
// and no request is made.
func (s *Store) Update(ctx context.Context, messageID string,
	fn delivery.UpdateFunc) (Record, error) {
	if err := checkKey(messageID); err != nil {
		return Record{}, fmt.Errorf("tablestore: update %q: %w", messageID, err)
	}
	for attempt := 1; attempt <= s.maxAttempts; attempt++ {
		cur, etag, found, err := s.read(ctx, messageID)
		if err != nil {
			return Record{}, fmt.Errorf("tablestore: update %s: %w", messageID, err)
		}
		next, write := fn(cur, found)
		if !write {
			return cur, nil
		}

		next.MessageID = messageID
		err = s.write(ctx, next, etag, found)
		if err == nil {
			return next, nil
		}
		if !isConflict(err) {
			return Record{}, fmt.Errorf("tablestore: update %s: %w", messageID, err)
		}
		if err := pause(ctx, attempt); err != nil {
			return Record{}, fmt.Errorf("tablestore: update %s: %w", messageID, err)
		}
	}
	return Record{}, fmt.Errorf("tablestore: update %s: %w", messageID, ErrContention)
}

// read fetches one record and its ETag; found is false when it (or the table) is missing.
func (s *Store) read(ctx context.Context, id string) (Record, azcore.ETag, bool, error) {
	resp, err := s.client.GetEntity(ctx, id, rowKey, nil)
	if statusOf(err) == http.StatusNotFound {
		return Record{}, "", false, nil
	}
	if err != nil {
		return Record{}, "", false, err
	}
	var ent aztables.EDMEntity
	if err := json.Unmarshal(resp.Value, &ent); err != nil {
		return Record{}, "", false, fmt.Errorf("decode entity: %w", err)
	}
	return fromEntity(ent), resp.ETag, true, nil
}

// write inserts the record (found=false) or replaces it if its ETag is still etag.
func (s *Store) write(ctx context.Context, rec Record, etag azcore.ETag, found bool) error {
	body, err := json.Marshal(toEntity(rec))
	if err != nil {
		return fmt.Errorf("encode entity: %w", err)
	}
	if found {
		_, err = s.client.UpdateEntity(ctx, body, &aztables.UpdateEntityOptions{
			IfMatch:    &etag,
			UpdateMode: aztables.UpdateModeReplace,
		})
		if statusOf(err) == http.StatusNotFound {
			return errVanished // deleted since it was read: insert it on the next round
		}
		return err
	}

	_, err = s.client.AddEntity(ctx, body, nil)
	if !isTableMissing(err) {
		return err
	}
	if err := s.createTable(ctx); err != nil {
		return err
	}
	_, err = s.client.AddEntity(ctx, body, nil)
	return err
}

// createTable creates the table; one that already exists (a concurrent creator) is fine.
func (s *Store) createTable(ctx context.Context) error {
	_, err := s.client.CreateTable(ctx, nil)
	if err != nil && !hasCode(err, aztables.TableAlreadyExists) {
		return fmt.Errorf("create table: %w", err)
	}
	return nil
}

// pause waits a short random time before the next round, so that writers that collided do
// not collide again in lockstep.
func pause(ctx context.Context, attempt int) error {
	d := time.Duration(rand.Int64N(int64(attempt) * int64(5*time.Millisecond)))
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// statusOf returns the HTTP status of a service error, or 0.
func statusOf(err error) int {
	var re *azcore.ResponseError
	if errors.As(err, &re) {
		return re.StatusCode
	}
	return 0
}

// hasCode reports whether err is a service error with the given code.
func hasCode(err error, code aztables.TableErrorCode) bool {
	var re *azcore.ResponseError
	return errors.As(err, &re) && re.ErrorCode == string(code)
}

// errVanished is a replace that found the entity deleted since it was read.
var errVanished = errors.New("entity deleted during update")

// isConflict reports whether a write lost to a concurrent writer: 409 on insert (the entity
// exists now), 412 on replace (its ETag changed) or errVanished.
func isConflict(err error) bool {
	s := statusOf(err)
	return s == http.StatusConflict || s == http.StatusPreconditionFailed ||
		errors.Is(err, errVanished)
}

// isTableMissing reports whether err says the table does not exist.
func isTableMissing(err error) bool {
	return statusOf(err) == http.StatusNotFound &&
		(hasCode(err, aztables.TableNotFound) || hasCode(err, aztables.ResourceNotFound))
}
