package main

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync/atomic"
)

// fakeACS is a loopback TLS server that accepts every text like ACS does: 202 with one
// successful recipient item. It does not verify signatures (the tests do that against
// acstest, which needs a testing.TB); it is here to put the real client path under load:
// the azcore pipeline, HMAC signing, TLS and keep-alive.
type fakeACS struct {
	srv      *httptest.Server
	conn     string // the ACS connection string for the handler
	certFile string // the server's certificate, for the handler's SSL_CERT_FILE
}

func startFakeACS(dir string) (*fakeACS, error) {
	var n atomic.Int64
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			SMSRecipients []struct {
				To string `json:"to"`
			} `json:"smsRecipients"`
		}
		err := json.NewDecoder(r.Body).Decode(&req)
		if r.URL.Path != "/sms" || r.Header.Get("x-ms-content-sha256") == "" || err != nil ||
			len(req.SMSRecipients) != 1 {
			http.Error(w, `{"error":{"code":"BadRequest","message":"not a send"}}`, 400)
			return
		}
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.WriteHeader(http.StatusAccepted)
		fmt.Fprintf(w, `{"value":[{"to":%q,"messageId":"Outgoing_load_%d",`+
			`"httpStatusCode":202,"repeatabilityResult":"accepted","successful":true}]}`,
			req.SMSRecipients[0].To, n.Add(1))
	}))

	f := &fakeACS{srv: srv, certFile: filepath.Join(dir, "fake-acs.pem")}
	cert := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	if err := os.WriteFile(f.certFile, cert, 0o600); err != nil {
		srv.Close()
		return nil, fmt.Errorf("write fake ACS certificate: %w", err)
	}
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	f.conn = "endpoint=" + srv.URL + "/;accesskey=" + base64.StdEncoding.EncodeToString(key)
	return f, nil
}

// env is the handler's ACS settings for the fake.
func (f *fakeACS) env() []string {
	return []string{"ACS_CONNECTION_STRING=" + f.conn, "ACS_SENDER=+18005550100",
		"SSL_CERT_FILE=" + f.certFile}
}

func (f *fakeACS) close() { f.srv.Close() }
