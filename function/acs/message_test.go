package acs

import (
	"regexp"
	"testing"

	"github.com/google/uuid"
)

var uuidForm = regexp.MustCompile(
	`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

func TestRepeatabilityIDIsAVersion5UUIDOfKeyAndRecipient(t *testing.T) {
	got := repeatabilityID("okta-event-1", "+14255550123")

	// Cross-check with an independent UUID v5 implementation.
	want := uuid.NewSHA1(uuid.UUID(repeatabilityNamespace), []byte("okta-event-1\n+14255550123"))
	if got != want.String() {
		t.Errorf("repeatabilityID = %s; want %s", got, want)
	}
	if !uuidForm.MatchString(got) || got[14] != '5' {
		t.Errorf("repeatabilityID = %s; want a version 5 RFC 9562 UUID", got)
	}

	// NOTE: this value must never change: a deployment that changed it could send a text
	// twice for an Okta event retried across the deployment.
	if got != "85deda3d-2672-5669-833c-963940b86b29" {
		t.Errorf("repeatabilityID changed: %s", got)
	}
}

func TestRepeatabilityIDIsStablePerKeyAndDistinctAcrossKeys(t *testing.T) {
	a := repeatabilityID("evt-1", "+14255550123")
	if b := repeatabilityID("evt-1", "+14255550123"); a != b {
		t.Errorf("same key gave %s and %s", a, b)
	}
	if b := repeatabilityID("evt-2", "+14255550123"); a == b {
		t.Errorf("different keys gave the same id %s", a)
	}
	if b := repeatabilityID("evt-1", "+14255550124"); a == b {
		t.Errorf("different recipients gave the same id %s", a)
	}
}

func TestRepeatabilityIDWithoutKeyIsRandomVersion4(t *testing.T) {
	a, b := repeatabilityID("", "+14255550123"), repeatabilityID("", "+14255550123")
	if a == b {
		t.Errorf("two random ids are equal: %s", a)
	}
	for _, id := range []string{a, b} {
		if !uuidForm.MatchString(id) || id[14] != '4' {
			t.Errorf("id = %s; want a version 4 RFC 9562 UUID", id)
		}
	}
}
