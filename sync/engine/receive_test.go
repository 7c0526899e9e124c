package engine

import (
	"context"
	"errors"
	"testing"

	"github.com/letapis/letapis/storage"
	"github.com/letapis/letapis/storage/envelope"
	"github.com/letapis/letapis/storage/record"
	"github.com/letapis/letapis/storage/synth"
)

// The receiving pass opens a batch of envelopes while the vault stores the
// one before (see Engine.receive). These tests hold it to what receiving
// one envelope at a time guarantees.

// TestPullAppliesAdmissionBeforeTheNewMembersRecords: a device that was
// offline while a member joined and wrote receives, in one pass, the
// roster change and then the new member's records, spread over several
// batches that were opened before the roster change was stored. Each
// record is applied when it arrives (counted in the pass), not kept
// pending for want of its author in the roster.
func TestPullAppliesAdmissionBeforeTheNewMembersRecords(t *testing.T) {
	r := startRelay(t)
	ds := formTeam(t, r, 2)
	a, b := ds[0], ds[1]
	ctx := context.Background()

	// C joins while B is offline.
	code, err := a.e.Invite(ctx)
	if err != nil {
		t.Fatal(err)
	}
	cv := newVault(t)
	ce, _, err := Join(ctx, cv, code, fast)
	if err != nil {
		t.Fatal(err)
	}
	apps, err := a.e.Applicants(ctx)
	if err != nil || len(apps) != 1 {
		t.Fatalf("applicants: %v, %v", apps, err)
	}
	if err := a.e.Approve(ctx, &apps[0], storage.RoleMember); err != nil {
		t.Fatal(err)
	}
	c := &device{cv, ce}
	syncAll(t, a, c)
	notes := 2*openBatch + 10
	ids := make([]string, notes)
	for i := range ids {
		rec, err := cv.Add(&record.Note{Text: "from the new member"})
		if err != nil {
			t.Fatal(err)
		}
		ids[i] = rec.ID
	}
	syncAll(t, c)

	rep, err := b.e.Once(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Received < notes || rep.Quarantined != 0 {
		t.Fatalf("pass: %+v; want the %d records of the new member received as they came, none quarantined", rep, notes)
	}
	for _, id := range ids {
		if _, err := b.v.Get(id); err != nil {
			t.Fatalf("a record of the new member is missing: %v", err)
		}
	}
}

// TestPullQuarantinesABadEnvelopeInTheMiddleOfABatch: an envelope damaged
// on the relay between two runs of genuine ones is quarantined, and every
// genuine one around it, in the same batch, is received.
func TestPullQuarantinesABadEnvelopeInTheMiddleOfABatch(t *testing.T) {
	r := startRelay(t)
	ds := formTeam(t, r, 2)
	a, b := ds[0], ds[1]
	ctx := context.Background()
	gen := synth.New(7)
	half := openBatch + openBatch/2
	importRecords(t, a.v, gen, half)
	if _, err := a.e.Once(ctx); err != nil {
		t.Fatal(err)
	}
	var bad []byte
	if err := a.v.Envelopes(func(_ string, ct []byte) error {
		if bad == nil {
			bad = append([]byte(nil), ct...)
			bad[len(bad)-40] ^= 0x20
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if err := a.e.Client().PutBlobs(ctx, [][]byte{bad}); err != nil {
		t.Fatal(err)
	}
	if _, err := a.e.Client().Append(ctx, []string{envelope.IDOf(bad).String()}); err != nil {
		t.Fatal(err)
	}
	importRecords(t, a.v, gen, half)
	if _, err := a.e.Once(ctx); err != nil {
		t.Fatal(err)
	}

	rep, err := b.e.Once(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Received != 2*half || rep.Quarantined != 1 {
		t.Fatalf("pass: %+v; want %d received and 1 quarantined", rep, 2*half)
	}
	qs, err := b.v.Quarantined()
	if err != nil || len(qs) != 1 || qs[0].ID != envelope.IDOf(bad).String() || qs[0].Reason == "" {
		t.Fatalf("quarantine: %+v, %v; want the damaged envelope with its reason", qs, err)
	}
}

// TestCancelledPullLeavesACursorOverStoredEnvelopes: a pass cancelled
// after its first batch leaves the cursor where every envelope below it
// is stored; the next pass receives the rest, none twice.
func TestCancelledPullLeavesACursorOverStoredEnvelopes(t *testing.T) {
	r := startRelay(t)
	ds := formTeam(t, r, 2)
	a, b := ds[0], ds[1]
	team, err := a.v.Team()
	if err != nil {
		t.Fatal(err)
	}
	log := relayLog(t, r, team.Team)
	since := log[len(log)-1].Seq
	n := 4 * openBatch
	importRecords(t, a.v, synth.New(8), n)
	if _, err := a.e.Once(context.Background()); err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cfg := fast
	cfg.OnEvent = func(ev Event) {
		if ev.Received > 0 {
			cancel()
		}
	}
	e, err := New(b.v, cfg)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := e.Once(ctx)
	if err == nil || rep.Received == 0 || rep.Received >= n {
		t.Fatalf("cancelled pass: %+v, %v; want an error after some of %d received", rep, err, n)
	}
	st, err := b.v.Team()
	if err != nil {
		t.Fatal(err)
	}
	var below, above []string
	for _, en := range relayLog(t, r, team.Team) {
		switch {
		case en.Seq <= since:
		case en.Seq <= st.Cursor:
			below = append(below, en.ID)
		default:
			above = append(above, en.ID)
		}
	}
	if len(below) == 0 || len(above) == 0 {
		t.Fatalf("cursor %d after a cancelled pass: %d entries below it, %d above", st.Cursor, len(below), len(above))
	}
	if missing, err := b.v.MissingEnvelopes(below); err != nil || len(missing) != 0 {
		t.Fatalf("%d envelopes below the cursor are not stored (%v)", len(missing), err)
	}
	stored := len(below)
	if missing, err := b.v.MissingEnvelopes(above); err == nil {
		stored += len(above) - len(missing)
	}

	rep, err = b.e.Once(context.Background())
	if err != nil || rep.Received != n-stored || rep.Quarantined != 0 {
		t.Fatalf("next pass: %+v, %v; want the other %d received", rep, err, n-stored)
	}
	if missing, err := b.v.MissingEnvelopes(append(below, above...)); err != nil || len(missing) != 0 {
		t.Fatalf("after the next pass %d envelopes are missing (%v)", len(missing), err)
	}
	if gaps, err := b.v.Gaps(); err != nil || len(gaps) != 0 {
		t.Fatalf("gaps after the next pass: %v, %v", gaps, err)
	}
	if !errors.Is(ctx.Err(), context.Canceled) {
		t.Fatal("the pass was not cancelled")
	}
}
