package acstest_test

import (
	"context"
	"testing"
	"time"

	"okta-acs-sms/function/acs/acstest"
	"okta-acs-sms/function/sms"
)

func TestFakeAcceptsASignedSendAndCountsOneText(t *testing.T) {
	srv := acstest.NewServer(t)
	c := srv.NewClient(t, "+18005550100", nil)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()

	r, err := c.Send(ctx, sms.Message{To: "+14255550123", Body: "Your code is 123456",
		Tag: "evt-1", IdempotencyKey: "evt-1"})
	if err != nil {
		t.Fatalf("Send: %v", err)
	}
	if r.Provider != "ACS" || r.Attempts != 1 || len(r.MessageID) < 20 {
		t.Errorf("receipt = %+v", r)
	}
	texts := srv.Texts()
	if len(texts) != 1 || texts[0].MessageID != r.MessageID || texts[0].To != "+14255550123" ||
		texts[0].Tag != "evt-1" || texts[0].Message != "Your code is 123456" {
		t.Errorf("texts = %+v", texts)
	}
}
