package tablestore

import (
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/data/aztables"
)

func TestWithDefaultsFillsOnlyWhatIsUnset(t *testing.T) {
	mine := &aztables.ClientOptions{}
	mine.Retry.MaxRetries = -1 // no retries, on purpose
	o := withDefaults(&Options{Client: mine})

	if o.Table != DefaultTable || o.MaxAttempts != 10 {
		t.Errorf("Table, MaxAttempts = %q, %d; want %q, 10", o.Table, o.MaxAttempts, DefaultTable)
	}
	r := o.Client.Retry
	if r.MaxRetries != -1 || r.TryTimeout != 5*time.Second ||
		r.RetryDelay != 200*time.Millisecond || r.MaxRetryDelay != 2*time.Second {
		t.Errorf("Retry = %+v; want MaxRetries -1 kept and the other defaults", r)
	}
	if mine.Retry.TryTimeout != 0 {
		t.Errorf("withDefaults changed the caller's options")
	}
}

func TestNewFromConnectionStringErrorsNeverEchoTheKey(t *testing.T) {
	const secret = "c2VjcmV0LWtleS1ub3QtdmFsaWQ!!!"
	for _, conn := range []string{
		"AccountName=acct;AccountKey=" + secret + ";TableEndpoint=http://127.0.0.1:1/acct",
		"AccountKey=" + secret,
		"garbage " + secret,
	} {
		_, err := NewFromConnectionString(conn, nil)
		if err == nil {
			t.Errorf("NewFromConnectionString accepted a malformed connection string")
			continue
		}
		if strings.Contains(err.Error(), secret) {
			t.Errorf("error echoes the key: %v", err)
		}
	}
}
