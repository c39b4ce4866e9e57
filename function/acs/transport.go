package acs

import (
	"crypto/tls"
	"errors"
	"io"
	"net/http"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
)

// maxAnswerBytes bounds what is read of any ACS answer. A real answer for one recipient is
// well under 1 KiB (an item of six short fields), and an error body a few hundred bytes; 64
// KiB leaves room for any future field while a broken or hostile endpoint cannot make the
// handler hold megabytes per call.
const maxAnswerBytes = 64 << 10

// errAnswerTooLarge is the read error of an answer body longer than maxAnswerBytes.
var errAnswerTooLarge = errors.New("acs: answer larger than 64 KiB, not read")

// boundedTransport hands out response bodies that fail once they pass maxAnswerBytes.
//
// NOTE: it sits under the whole pipeline, as its transport, because azcore's body download
// policy reads every error body (and, unless told otherwise, every other body) whole before
// any policy of ours sees the response.
type boundedTransport struct {
	next policy.Transporter
}

func (t boundedTransport) Do(req *http.Request) (*http.Response, error) {
	resp, err := t.next.Do(req)
	if err != nil || resp == nil || resp.Body == nil {
		return resp, err
	}
	resp.Body = &boundedBody{rc: resp.Body, left: maxAnswerBytes}
	return resp, nil
}

// boundedBody reads at most left more bytes of rc; past them it closes rc and fails with
// errAnswerTooLarge.
type boundedBody struct {
	rc   io.ReadCloser
	left int64
	err  error
}

func (b *boundedBody) Read(p []byte) (int, error) {
	if b.err != nil {
		return 0, b.err
	}

	// Ask for one byte more than allowed: getting it is how an answer too large shows.
	if int64(len(p)) > b.left+1 {
		p = p[:b.left+1]
	}
	n, err := b.rc.Read(p)
	if int64(n) > b.left {
		b.err = errAnswerTooLarge
		b.rc.Close()
		return int(b.left), b.err
	}
	b.left -= int64(n)
	return n, err
}

func (b *boundedBody) Close() error { return b.rc.Close() }

// defaultTransport is the HTTP client used when ClientOptions.Transport is nil: Go's
// default transport (proxy from the environment, keep-alive, HTTP/2) with TLS 1.2 at least
// and 10 idle connections per host, as azcore's own default has.
func defaultTransport() policy.Transporter {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.TLSClientConfig = &tls.Config{MinVersion: tls.VersionTLS12}
	t.MaxIdleConnsPerHost = 10
	return &http.Client{Transport: t}
}
