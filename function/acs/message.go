package acs

import (
	"crypto/rand"
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
)

// sendRequest is the body of POST /sms (api-version 2021-03-07). Field order is the order
// on the wire; tests pin the exact bytes.
type sendRequest struct {
	From          string      `json:"from"`
	SMSRecipients []recipient `json:"smsRecipients"`
	Message       string      `json:"message"`
	Options       sendOptions `json:"smsSendOptions"`
}

type recipient struct {
	To string `json:"to"`

	// RepeatabilityRequestID and RepeatabilityFirstSent make the send idempotent: ACS answers
	// a request whose id and first-sent time it has seen before with the first result and
	// sends no second text. Both must be present, and identical on every retry.
	RepeatabilityRequestID string `json:"repeatabilityRequestId"`
	RepeatabilityFirstSent string `json:"repeatabilityFirstSent"`
}

type sendOptions struct {
	EnableDeliveryReport bool   `json:"enableDeliveryReport"`
	Tag                  string `json:"tag,omitempty"`
}

// marshalSend builds the request body once; the same bytes are hashed, signed and sent on
// every attempt.
func marshalSend(from, to, message, tag, requestID, firstSent string) ([]byte, error) {
	return json.Marshal(sendRequest{
		From: from,
		SMSRecipients: []recipient{{
			To:                     to,
			RepeatabilityRequestID: requestID,
			RepeatabilityFirstSent: firstSent,
		}},
		Message: message,
		Options: sendOptions{EnableDeliveryReport: true, Tag: tag},
	})
}

// repeatabilityNamespace is the fixed namespace of the name-based ids below. Changing it
// changes every id, so a retry across a deployment of the change could send twice.
var repeatabilityNamespace = [16]byte{
	0x6b, 0x1f, 0x3c, 0x52, 0x8e, 0x0a, 0x4d, 0x7b,
	0x9c, 0x2e, 0x51, 0xa4, 0x03, 0xd8, 0x6f, 0x17,
}

// repeatabilityID returns the repeatabilityRequestId for a text: a version 5 (SHA-1,
// name-based) UUID, as in RFC 9562 section 5.5, over repeatabilityNamespace and the name
// "<idempotency key>\n<recipient>". The same key and recipient always give the same id; ACS
// recognises a repeat by that id together with the same repeatabilityFirstSent, so a retry of
// ours, or a repeated Okta event sent with the same first-sent time, is one text. The
// recipient is part of the name so that one key reused for another number can never be
// mistaken for a repeat.
//
// An empty key means the caller does not want idempotency across calls: the id is then a
// random (version 4) UUID, still identical on every retry within one Send.
func repeatabilityID(key, to string) string {
	var u [16]byte
	if key == "" {
		rand.Read(u[:]) // never fails (crypto/rand panics instead, per its documentation)
		u[6] = u[6]&0x0f | 0x40
	} else {
		h := sha1.New()
		h.Write(repeatabilityNamespace[:])
		h.Write([]byte(key))
		h.Write([]byte{'\n'})
		h.Write([]byte(to))
		copy(u[:], h.Sum(nil))
		u[6] = u[6]&0x0f | 0x50
	}
	u[8] = u[8]&0x3f | 0x80
	return formatUUID(u)
}

func formatUUID(u [16]byte) string {
	var b [36]byte
	hex.Encode(b[0:8], u[0:4])
	b[8] = '-'
	hex.Encode(b[9:13], u[4:6])
	b[13] = '-'
	hex.Encode(b[14:18], u[6:8])
	b[18] = '-'
	hex.Encode(b[19:23], u[8:10])
	b[23] = '-'
	hex.Encode(b[24:], u[10:])
	return string(b[:])
}
