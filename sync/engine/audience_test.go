package engine

import (
	"context"
	"crypto/ed25519"
	"errors"
	"testing"

	"github.com/letapis/letapis/storage"
	"github.com/letapis/letapis/storage/record"
)

// An audience made by a plain member, rotated by an admin outside it when
// one of its members leaves the team, all through the real relay.
func TestRestrictedAudienceRotatesThroughARealRelay(t *testing.T) {
	r := startRelay(t)
	ds := formTeam(t, r, 4)
	a, b, c, d := ds[0], ds[1], ds[2], ds[3]
	aud, err := b.v.CreateAudience("case 17", []ed25519.PublicKey{c.v.DeviceKey(), d.v.DeviceKey()})
	if err != nil {
		t.Fatal(err)
	}
	syncAll(t, ds...)
	restricted := func(v *storage.Vault, text string) *storage.Record {
		rec, err := v.Add(&record.Testimony{Interviewee: "V", Consent: record.Consent{Scopes: []string{"legal"}}, Text: text, Audience: aud})
		if err != nil {
			t.Fatal(err)
		}
		return rec
	}
	before := restricted(c.v, "before C left")
	syncAll(t, ds...)
	for _, dv := range []*device{b, d} {
		if _, err := dv.v.Get(before.ID); err != nil {
			t.Fatalf("an audience member cannot read: %v", err)
		}
	}

	if err := a.e.Remove(context.Background(), storage.Fingerprint(c.v.DeviceKey())); err != nil {
		t.Fatal(err)
	}
	syncAll(t, a, b, d)
	after := restricted(d.v, "after C left")
	note, err := b.v.Add(&record.Note{Text: "team record after C left"})
	if err != nil {
		t.Fatal(err)
	}
	syncAll(t, a, b, d)
	if _, err := b.v.Get(after.ID); err != nil {
		t.Fatalf("the audience's creator cannot read after the admin's rotation: %v", err)
	}
	if _, err := a.v.Get(after.ID); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("the admin outside the audience reads it after rotating it: %v", err)
	}
	if _, err := a.v.Get(note.ID); err != nil {
		t.Fatalf("the founder cannot read the team's record after the rotation: %v", err)
	}
	all, _ := d.v.AllAudiences()
	if len(all) != 1 || all[0].Newest.Epoch != 2 || len(all[0].Members) != 2 {
		t.Fatalf("the audience after C left: %+v", all)
	}
	for _, dv := range ds {
		if qs, _ := dv.v.Quarantined(); len(qs) != 0 {
			t.Fatalf("genuine envelopes quarantined: %+v", qs)
		}
	}
	if _, err := c.v.Get(after.ID); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("the removed device reads the audience: %v", err)
	}
}
