package tablestore

import (
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/data/aztables"

	"okta-acs-sms/function/delivery"
)

// Property names of a delivery entity. They are the stored schema: add, never rename.
const (
	propStatus        = "Status"
	propEventID       = "EventId"
	propRequestType   = "RequestType"
	propProvider      = "Provider"
	propSentAt        = "SentAt"
	propTo            = "To"
	propCode          = "StatusCode"
	propMeaning       = "StatusMeaning"
	propDetails       = "StatusDetails"
	propAction        = "Action"
	propAttempts      = "Attempts"
	propSegmentsOK    = "SegmentsSucceeded"
	propSegmentsFail  = "SegmentsFailed"
	propReportedAt    = "ReportedAt"
	propLastAttemptAt = "LastAttemptAt"
	propTag           = "Tag"
	propReportEventID = "ReportEventId"
)

// toEntity maps a record to its table entity, leaving out empty and zero values.
func toEntity(r delivery.Record) aztables.EDMEntity {
	p := map[string]any{}
	str := func(name, v string) {
		if v != "" {
			p[name] = v
		}
	}
	num := func(name string, v int) {
		if v != 0 {
			p[name] = int32(v)
		}
	}
	at := func(name string, v time.Time) {
		if !v.IsZero() {
			p[name] = aztables.EDMDateTime(v.UTC())
		}
	}

	str(propStatus, string(r.Status))
	str(propEventID, r.EventID)
	str(propRequestType, r.RequestType)
	str(propProvider, r.Provider)
	at(propSentAt, r.SentAt)
	str(propTo, r.To)
	num(propCode, r.Code)
	str(propMeaning, r.Meaning)
	str(propDetails, r.Details)
	str(propAction, string(r.Action))
	num(propAttempts, r.Attempts)
	num(propSegmentsOK, r.SegmentsOK)
	num(propSegmentsFail, r.SegmentsFail)
	at(propReportedAt, r.ReportedAt)
	at(propLastAttemptAt, r.LastAttemptAt)
	str(propTag, r.Tag)
	str(propReportEventID, r.ReportEventID)

	return aztables.EDMEntity{
		Entity:     aztables.Entity{PartitionKey: r.MessageID, RowKey: rowKey},
		Properties: p,
	}
}

// fromEntity maps a table entity back to a record. Properties of an unexpected type read as
// zero values rather than failing, so a hand-edited entity can still be looked up.
func fromEntity(e aztables.EDMEntity) delivery.Record {
	p := e.Properties
	str := func(name string) string { s, _ := p[name].(string); return s }
	num := func(name string) int {
		switch v := p[name].(type) {
		case int32:
			return int(v)
		case aztables.EDMInt64:
			return int(v)
		case float64:
			return int(v)
		}
		return 0
	}
	at := func(name string) time.Time {
		t, ok := p[name].(aztables.EDMDateTime)
		if !ok {
			return time.Time{}
		}
		return time.Time(t).UTC()
	}

	return delivery.Record{
		MessageID:     e.PartitionKey,
		Status:        delivery.Status(str(propStatus)),
		EventID:       str(propEventID),
		RequestType:   str(propRequestType),
		Provider:      str(propProvider),
		SentAt:        at(propSentAt),
		To:            str(propTo),
		Code:          num(propCode),
		Meaning:       str(propMeaning),
		Details:       str(propDetails),
		Action:        delivery.Action(str(propAction)),
		Attempts:      num(propAttempts),
		SegmentsOK:    num(propSegmentsOK),
		SegmentsFail:  num(propSegmentsFail),
		ReportedAt:    at(propReportedAt),
		LastAttemptAt: at(propLastAttemptAt),
		Tag:           str(propTag),
		ReportEventID: str(propReportEventID),
	}
}
