package storage

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dgraph-io/badger/v4"

	"github.com/letapis/letapis/storage/envelope"
	"github.com/letapis/letapis/storage/record"
)

// testClock is a wall clock that tests move by hand.
type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func newTestClock() *testClock {
	return &testClock{now: time.Date(2026, 5, 5, 9, 0, 0, 0, time.UTC)}
}

// Now returns the clock's time.
func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// advance moves the clock on by d.
func (c *testClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// options are the test options with this clock.
func (c *testClock) options() Options {
	o := testOptions
	o.Now = c.Now
	return o
}

// forgeDelete writes on the hostile vault v what a modified client would:
// a delete of record id with tombstone ts (none if its version is 0, as
// older clients wrote), past every check of its own.
func forgeDelete(t *testing.T, v *Vault, id string, ts Tombstone) {
	t.Helper()
	v.mu.Lock()
	defer v.mu.Unlock()
	err := v.writeRecords(func(txn *badger.Txn) error {
		cur, err := loadRecord(txn, id)
		if err != nil {
			return err
		}
		var body []byte // version 0: no body
		if ts.V > 0 {
			body, _ = json.Marshal(ts)
		}
		rev, err := v.newRevision(txn, id, cur.Kind, envelope.OpDelete, body, cur)
		if err != nil {
			return err
		}
		ct, envID, err := v.teamAddress().seal(rev, v.signer)
		if err != nil {
			return err
		}
		if err := txn.Set(key(pfxEnvelope, envID.String()), ct); err != nil {
			return err
		}
		if err := recordSeq(txn, rev.Author, rev.Seq, rev.ID); err != nil {
			return err
		}
		return queue(txn, envID.String())
	})
	if err != nil {
		t.Fatal(err)
	}
}

// forgeSystem writes on the hostile vault v a system revision of kind
// with body, as a modified client would, past every check of its own.
func forgeSystem(t *testing.T, v *Vault, kind string, body any) {
	t.Helper()
	if err := v.update("forge", func(txn *badger.Txn) error { return v.writeSystem(txn, kind, body, v.teamAddress()) }); err != nil {
		t.Fatal(err)
	}
}

// mustQuarantine fails the test unless v quarantined an envelope whose
// reason contains want.
func mustQuarantine(t *testing.T, v *Vault, want string) {
	t.Helper()
	if len(quarantinedFor(t, v, want)) == 0 {
		qs, _ := v.Quarantined()
		t.Fatalf("quarantine of %s: %+v, want a reason with %q", Fingerprint(v.DeviceKey()), qs, want)
	}
}

// listed reports whether record id is in v's list of its kind.
func listed(t *testing.T, v *Vault, k record.Kind, id string) bool {
	t.Helper()
	found := false
	if err := v.List(k, func(s Summary) bool { found = found || s.ID == id; return true }); err != nil {
		t.Fatal(err)
	}
	return found
}

func sealedTestimony(t *testing.T, v *Vault, text string) *Record {
	t.Helper()
	r := mustAdd(t, v, &record.Testimony{Interviewee: "W", Consent: record.Consent{Scopes: []string{"legal"}}, Text: text})
	r, err := v.Seal(r.ID)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestMemberCannotDeleteASealedTestimony: a member's laptop, seized and
// run with a modified client, deletes the admin's sealed testimony. Its
// own client refuses first; the forged tombstone is quarantined with the
// reason on every other device, and the testimony stays, sealed, listed.
func TestMemberCannotDeleteASealedTestimony(t *testing.T) {
	log, vs := newTeam(t, 3)
	admin, member, other := vs[0], vs[1], vs[2]
	tm := sealedTestimony(t, admin, "what the guards did")
	log.exchange(t, vs...)

	if err := member.DeleteWithReason(tm.ID, "consent withdrawn"); !errors.Is(err, ErrDeleteRefused) || !strings.Contains(err.Error(), "only an admin may delete a sealed testimony") {
		t.Fatalf("member's delete of a sealed testimony: %v, want refused", err)
	}
	forgeDelete(t, member, tm.ID, Tombstone{V: 1, Reason: "consent withdrawn"})
	log.exchange(t, vs...)
	for _, v := range []*Vault{admin, other} {
		mustQuarantine(t, v, "is not an admin: only an admin may delete a sealed testimony")
		if err := v.PurgeIfNeeded(); err != nil {
			t.Fatal(err)
		}
		r, err := v.Get(tm.ID)
		if err != nil || r.Deleted || !r.Sealed || r.SealHash != tm.SealHash || !listed(t, v, record.KindTestimony, tm.ID) {
			t.Fatalf("the sealed testimony after a member's delete: %+v, %v", r, err)
		}
	}
	// The old form, a delete without a body, fares no better.
	forgeDelete(t, member, tm.ID, Tombstone{})
	log.exchange(t, vs...)
	if r, _ := admin.Get(tm.ID); r.Deleted {
		t.Fatal("a body-less delete of a sealed testimony was applied")
	}
	// Nor does an attachment of the testimony.
	att, err := admin.ImportAttachment(strings.NewReader("photo"), "cell.jpg", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	withPhoto := mustAdd(t, admin, &record.Testimony{Interviewee: "W", Consent: record.Consent{Scopes: []string{"legal"}}, Text: "and the photo", Attachments: []string{att.ID}})
	if _, err := admin.Seal(withPhoto.ID); err != nil {
		t.Fatal(err)
	}
	log.exchange(t, vs...)
	forgeDelete(t, member, att.ID, Tombstone{V: 1, Reason: "no"})
	log.exchange(t, vs...)
	mustQuarantine(t, other, "only an admin may delete an attachment of a sealed testimony")
	if r, _ := other.Get(att.ID); r.Deleted {
		t.Fatal("an attachment of a sealed testimony was deleted by a member")
	}
	// An admin needs a reason.
	if err := admin.DeleteWithReason(tm.ID, "  "); !errors.Is(err, ErrDeleteRefused) || !strings.Contains(err.Error(), "needs a reason") {
		t.Fatalf("admin's delete of a sealed testimony without a reason: %v", err)
	}
}

// TestMemberCannotDeleteAnotherMembersRecord: a member deletes a note
// another member wrote; refused on its own device and quarantined on
// every other. Its own note it may delete.
func TestMemberCannotDeleteAnotherMembersRecord(t *testing.T) {
	log, vs := newTeam(t, 3)
	admin, member, writer := vs[0], vs[1], vs[2]
	n := mustAdd(t, writer, &record.Note{Text: "the transfer to Hlybokaye"})
	own := mustAdd(t, member, &record.Note{Text: "my own draft"})
	log.exchange(t, vs...)
	if err := member.Delete(n.ID); !errors.Is(err, ErrDeleteRefused) || !strings.Contains(err.Error(), "may delete only records it wrote") {
		t.Fatalf("member's delete of another member's note: %v, want refused", err)
	}
	forgeDelete(t, member, n.ID, Tombstone{V: 1})
	if err := member.Delete(own.ID); err != nil {
		t.Fatalf("member's delete of its own note: %v", err)
	}
	log.exchange(t, vs...)
	for _, v := range []*Vault{admin, writer} {
		mustQuarantine(t, v, "may delete only records it wrote; this note was written by "+Fingerprint(writer.DeviceKey()))
		if r, err := v.Get(n.ID); err != nil || r.Deleted {
			t.Fatalf("the note after another member's delete: %+v, %v", r, err)
		}
		if r, err := v.Get(own.ID); err != nil || !r.PendingDeletion {
			t.Fatalf("the member's own note after its delete: %+v, %v", r, err)
		}
	}
}

// TestAdminDeleteIsPendingAndRestorable: an admin deletes a member's sealed
// testimony with a reason; on every device it is pending deletion, out of
// the lists, with the reason, seal hash and authors; an admin restores it
// and it is back everywhere, sealed with the same seal hash.
func TestAdminDeleteIsPendingAndRestorable(t *testing.T) {
	log, vs := newTeam(t, 3)
	admin, member, other := vs[0], vs[1], vs[2]
	tm := sealedTestimony(t, member, "the interrogation on 5 May")
	log.exchange(t, vs...)
	if err := admin.DeleteWithReason(tm.ID, "the witness withdrew consent"); err != nil {
		t.Fatal(err)
	}
	log.exchange(t, vs...)
	for _, v := range vs {
		r, err := v.Get(tm.ID)
		if err != nil || !r.Deleted || !r.PendingDeletion || listed(t, v, record.KindTestimony, tm.ID) {
			t.Fatalf("after the admin's delete: %+v, %v", r, err)
		}
		ps, err := v.PendingDeletions()
		if err != nil || len(ps) != 1 {
			t.Fatalf("pending deletions: %+v, %v", ps, err)
		}
		p := ps[0]
		if p.Record != tm.ID || p.Reason != "the witness withdrew consent" || p.SealHash != tm.SealHash || !p.By.Equal(admin.DeviceKey()) ||
			!slices.Equal(p.Authors, []string{hex.EncodeToString(member.DeviceKey())}) || p.PurgeAt.Sub(p.Deleted) != DefaultHold {
			t.Fatalf("pending deletion: %+v", p)
		}
	}
	if err := member.Restore(tm.ID); !errors.Is(err, ErrNotAdmin) {
		t.Fatalf("member's restore: %v, want ErrNotAdmin", err)
	}
	if err := admin.Restore(tm.ID); err != nil {
		t.Fatal(err)
	}
	log.exchange(t, vs...)
	for _, v := range []*Vault{admin, member, other} {
		if err := v.PurgeIfNeeded(); err != nil {
			t.Fatal(err)
		}
		r, err := v.Get(tm.ID)
		if err != nil || r.Deleted || r.PendingDeletion || !r.Sealed || r.SealHash != tm.SealHash || !listed(t, v, record.KindTestimony, tm.ID) {
			t.Fatalf("after the restore: %+v, %v", r, err)
		}
		b, err := r.Decode()
		if err != nil || b.(*record.Testimony).Text != "the interrogation on 5 May" {
			t.Fatalf("restored content: %+v, %v", b, err)
		}
		if ps, _ := v.PendingDeletions(); len(ps) != 0 {
			t.Fatalf("still pending after the restore: %+v", ps)
		}
	}
	if _, err := member.Update(tm.ID, &record.Testimony{Interviewee: "W", Consent: record.Consent{Scopes: []string{"legal"}}, Text: "x"}); !errors.Is(err, ErrSealed) {
		t.Fatalf("edit of the restored testimony: %v, want ErrSealed", err)
	}
}

// TestPendingDeletionPurgedAfterHold: each device purges a deletion once
// the hold has passed on its own clock, and not before.
func TestPendingDeletionPurgedAfterHold(t *testing.T) {
	clock := newTestClock()
	log, vs := newTeamOpts(t, 2, clock.options())
	admin, member := vs[0], vs[1]
	n := mustAdd(t, member, &record.Note{Text: "names of the witnesses"})
	log.exchange(t, vs...)
	if err := member.Delete(n.ID); err != nil {
		t.Fatal(err)
	}
	log.exchange(t, vs...)
	clock.advance(DefaultHold - time.Minute)
	for _, v := range vs {
		if err := v.PurgeIfNeeded(); err != nil {
			t.Fatal(err)
		}
		if r, _ := v.Get(n.ID); !r.PendingDeletion || r.Body == nil {
			t.Fatalf("purged before the hold ended: %+v", r)
		}
	}
	clock.advance(time.Minute)
	for _, v := range vs {
		if err := v.PurgeIfNeeded(); err != nil {
			t.Fatal(err)
		}
		if r, _ := v.Get(n.ID); r.PendingDeletion || !r.Deleted || r.Body != nil {
			t.Fatalf("not purged after the hold: %+v", r)
		}
		if ps, _ := v.PendingDeletions(); len(ps) != 0 {
			t.Fatalf("still pending: %+v", ps)
		}
	}
	if err := admin.Restore(n.ID); !errors.Is(err, ErrNotPending) {
		t.Fatalf("restore after the hold: %v, want ErrNotPending", err)
	}
	for _, v := range vs {
		v.Close()
		if rawStoreContains(t, v.Dir(), []byte("names of the witnesses")) {
			t.Fatalf("the deleted note is still in %s's store after the hold", Fingerprint(v.DeviceKey()))
		}
	}
}

// TestMemberCannotRestore: a member forges a restore (and a team setting);
// both are quarantined on every other device and the record stays pending.
func TestMemberCannotRestore(t *testing.T) {
	log, vs := newTeam(t, 3)
	admin, member, other := vs[0], vs[1], vs[2]
	n := mustAdd(t, admin, &record.Note{Text: "deleted by the admin"})
	log.exchange(t, vs...)
	if err := admin.Delete(n.ID); err != nil {
		t.Fatal(err)
	}
	log.exchange(t, vs...)
	ps, _ := member.PendingDeletions()
	if len(ps) != 1 {
		t.Fatalf("pending on the member: %+v", ps)
	}
	r, _ := member.Get(n.ID)
	forgeSystem(t, member, kindRestore, restoreBody{V: 1, Record: n.ID, Tombstone: r.Heads[0]})
	forgeSystem(t, member, kindRestore, restoreBody{V: 1, Record: n.ID, Tombstone: mustHeldTombstone(t, member, n.ID)})
	forgeSystem(t, member, kindTeamConf, teamConfBody{V: 1, N: 9, HoldSeconds: int64(MinHold / time.Second)})
	log.exchange(t, vs...)
	for _, v := range []*Vault{admin, other} {
		mustQuarantine(t, v, "restore signed by "+Fingerprint(member.DeviceKey())+", who is not an admin")
		mustQuarantine(t, v, "team setting signed by "+Fingerprint(member.DeviceKey())+", who is not an admin")
		if r, _ := v.Get(n.ID); !r.PendingDeletion {
			t.Fatalf("restored by a member: %+v", r)
		}
		if set, _, _ := v.DeletionHold(); set != DefaultHold {
			t.Fatalf("a member changed the hold to %s", set)
		}
	}
	if err := member.SetDeletionHold(MinHold); !errors.Is(err, ErrNotAdmin) {
		t.Fatalf("member sets the hold: %v, want ErrNotAdmin", err)
	}
}

// mustHeldTombstone returns the revision id of the tombstone that holds id.
func mustHeldTombstone(t *testing.T, v *Vault, id string) string {
	t.Helper()
	var d heldDeletion
	err := v.view(func(txn *badger.Txn) error {
		_, err := getJSON(txn, key(pfxPendingDeletion, id), &d)
		return err
	})
	if err != nil || d.Tombstone == "" {
		t.Fatalf("held deletion of %s: %+v, %v", id, d, err)
	}
	return d.Tombstone
}

// TestLoweringTheHoldDoesNotEraseAtOnce: a coerced admin lowers the hold
// to a day and deletes; the record is still held for the old hold on
// every device. Only deletions after the old hold has run since the
// lowering get the lower one. A hold below the floor is refused.
func TestLoweringTheHoldDoesNotEraseAtOnce(t *testing.T) {
	clock := newTestClock()
	log, vs := newTeamOpts(t, 2, clock.options())
	admin := vs[0]
	if err := admin.SetDeletionHold(time.Hour); err == nil {
		t.Fatal("a hold of an hour was accepted")
	}
	n := mustAdd(t, admin, &record.Note{Text: "the list of detainees"})
	log.exchange(t, vs...)
	if err := admin.SetDeletionHold(MinHold); err != nil {
		t.Fatal(err)
	}
	if err := admin.Delete(n.ID); err != nil {
		t.Fatal(err)
	}
	log.exchange(t, vs...)
	for _, v := range vs {
		set, now, err := v.DeletionHold()
		if err != nil || set != MinHold || now != DefaultHold {
			t.Fatalf("hold on %s: set %s, now %s, %v; want %s, %s", Fingerprint(v.DeviceKey()), set, now, err, MinHold, DefaultHold)
		}
	}
	clock.advance(2 * MinHold)
	for _, v := range vs {
		if err := v.PurgeIfNeeded(); err != nil {
			t.Fatal(err)
		}
		if r, _ := v.Get(n.ID); !r.PendingDeletion {
			t.Fatalf("purged %s after the hold was lowered: %+v", Fingerprint(v.DeviceKey()), r)
		}
	}
	clock.advance(DefaultHold - 2*MinHold)
	later := mustAdd(t, admin, &record.Note{Text: "deleted once the old hold ran"})
	log.exchange(t, vs...)
	if err := admin.Delete(later.ID); err != nil {
		t.Fatal(err)
	}
	log.exchange(t, vs...)
	for _, v := range vs {
		if err := v.PurgeIfNeeded(); err != nil {
			t.Fatal(err)
		}
		if r, _ := v.Get(n.ID); r.PendingDeletion || r.Body != nil {
			t.Fatalf("not purged after the old hold: %+v", r)
		}
		ps, _ := v.PendingDeletions()
		if len(ps) != 1 || ps[0].PurgeAt.Sub(ps[0].Deleted) != MinHold {
			t.Fatalf("a deletion after the old hold ran: %+v, want the lower hold", ps)
		}
	}
}

// TestLegacyTombstoneStillReads: a delete without a body, as devices
// wrote before tombstones had one, still applies (held, with no reason)
// and reads; a vault's old body-less tombstones read too.
func TestLegacyTombstoneStillReads(t *testing.T) {
	log, vs := newTeam(t, 2)
	admin, member := vs[0], vs[1]
	n := mustAdd(t, member, &record.Note{Text: "an old client deletes this"})
	log.exchange(t, vs...)
	forgeDelete(t, member, n.ID, Tombstone{}) // what an older client writes
	log.exchange(t, vs...)
	if qs, _ := admin.Quarantined(); len(qs) != 0 {
		t.Fatalf("a legacy delete was quarantined: %+v", qs)
	}
	ps, err := admin.PendingDeletions()
	if err != nil || len(ps) != 1 || ps[0].Reason != "" || ps[0].Record != n.ID {
		t.Fatalf("a legacy delete: %+v, %v", ps, err)
	}
	hist, err := admin.History(n.ID)
	if err != nil || len(hist) != 2 || hist[1].Op != envelope.OpDelete || len(hist[1].Body) != 0 {
		t.Fatalf("history with a legacy tombstone: %+v, %v", hist, err)
	}
	if ts, err := parseTombstone(hist[1].Body); err != nil || ts.V != 0 {
		t.Fatalf("a legacy tombstone reads as %+v, %v", ts, err)
	}
	// A vault on its own that deleted with an old version keeps the
	// tombstone: it opens and its history reads.
	solo := newVault(t)
	old := mustAdd(t, solo, &record.Note{Text: "deleted long ago"})
	solo.mu.Lock()
	err = solo.writeRecords(func(txn *badger.Txn) error {
		cur, err := loadRecord(txn, old.ID)
		if err != nil {
			return err
		}
		rev, err := solo.newRevision(txn, old.ID, cur.Kind, envelope.OpDelete, nil, cur)
		if err != nil {
			return err
		}
		ct, envID, err := solo.teamAddress().seal(rev, solo.signer)
		if err != nil {
			return err
		}
		_, err = solo.apply(txn, &envelope.Opened{ID: envID, Revision: *rev}, ct, cur)
		return err
	})
	solo.mu.Unlock()
	if err != nil {
		t.Fatal(err)
	}
	solo = reopen(t, solo)
	if r, err := solo.Get(old.ID); err != nil || !r.Deleted || r.PendingDeletion {
		t.Fatalf("an old tombstone after reopening: %+v, %v", r, err)
	}
	if h, err := solo.History(old.ID); err != nil || len(h) != 1 || len(h[0].Body) != 0 {
		t.Fatalf("history of an old tombstone: %+v, %v", h, err)
	}
}

// TestRemovedMembersDeleteIsRefused: a member's laptop is seized and its
// deletes go out; the admin removes the member. Its deletions still held
// are cancelled on every device (the records come back), and a delete it
// writes after its removal is quarantined.
func TestRemovedMembersDeleteIsRefused(t *testing.T) {
	log, vs := newTeam(t, 3)
	admin, seized, other := vs[0], vs[1], vs[2]
	n := mustAdd(t, seized, &record.Note{Text: "the seized member's own note"})
	later := mustAdd(t, seized, &record.Note{Text: "deleted after the removal"})
	log.exchange(t, vs...)
	if err := seized.Delete(n.ID); err != nil {
		t.Fatal(err)
	}
	log.exchange(t, vs...)
	if r, _ := other.Get(n.ID); !r.PendingDeletion {
		t.Fatalf("the member's delete of its own note: %+v", r)
	}
	if err := admin.Expel(seized.DeviceKey()); err != nil {
		t.Fatal(err)
	}
	log.exchange(t, admin, other)
	for _, v := range []*Vault{admin, other} {
		if err := v.PurgeIfNeeded(); err != nil {
			t.Fatal(err)
		}
		if r, err := v.Get(n.ID); err != nil || r.Deleted || r.PendingDeletion || !listed(t, v, record.KindNote, n.ID) {
			t.Fatalf("a removed member's held deletion: %+v, %v; want it cancelled", r, err)
		}
	}
	forgeDelete(t, seized, later.ID, Tombstone{V: 1})
	log.exchange(t, vs...)
	for _, v := range []*Vault{admin, other} {
		mustQuarantine(t, v, "after it was removed")
		if r, _ := v.Get(later.ID); r.Deleted {
			t.Fatalf("a delete written after the removal was applied: %+v", r)
		}
	}
}

// TestAttachmentOfAHeldTestimonyStaysProtected: while a sealed testimony
// is pending deletion, its attachments are still sealed evidence: a member
// who wrote the attachment may not delete it.
func TestAttachmentOfAHeldTestimonyStaysProtected(t *testing.T) {
	log, vs := newTeam(t, 2)
	admin, member := vs[0], vs[1]
	att, err := member.ImportAttachment(strings.NewReader("the member's photo"), "cell.jpg", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	log.exchange(t, vs...)
	tm := mustAdd(t, admin, &record.Testimony{Interviewee: "W", Consent: record.Consent{Scopes: []string{"legal"}}, Text: "with the photo", Attachments: []string{att.ID}})
	if _, err := admin.Seal(tm.ID); err != nil {
		t.Fatal(err)
	}
	log.exchange(t, vs...)
	if err := admin.DeleteWithReason(tm.ID, "moved to the case file"); err != nil {
		t.Fatal(err)
	}
	log.exchange(t, vs...)
	if err := member.Delete(att.ID); !errors.Is(err, ErrDeleteRefused) || !strings.Contains(err.Error(), "an attachment of a sealed testimony") {
		t.Fatalf("the member's delete of an attachment of a held testimony: %v", err)
	}
	forgeDelete(t, member, att.ID, Tombstone{V: 1})
	log.exchange(t, vs...)
	mustQuarantine(t, admin, "only an admin may delete an attachment of a sealed testimony")
	if err := admin.Restore(tm.ID); err != nil {
		t.Fatal(err)
	}
	log.exchange(t, vs...)
	for _, v := range vs {
		var out strings.Builder
		if _, err := v.ExportAttachment(att.ID, &out); err != nil || out.String() != "the member's photo" {
			t.Fatalf("the attachment after the testimony's restore: %q, %v", out.String(), err)
		}
	}
}

// TestEditDuringTheHoldComesBackWithTheRestore: a member edits a note
// while, unknown to it, an admin deletes it; the edit arrives while the
// note is pending deletion, stays hidden, and comes back with the restore.
func TestEditDuringTheHoldComesBackWithTheRestore(t *testing.T) {
	log, vs := newTeam(t, 2)
	admin, member := vs[0], vs[1]
	n := mustAdd(t, member, &record.Note{Text: "first words"})
	log.exchange(t, vs...)
	if err := admin.Delete(n.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := member.Update(n.ID, &record.Note{Text: "words added meanwhile"}); err != nil {
		t.Fatal(err)
	}
	log.exchange(t, vs...)
	for _, v := range vs {
		if r, _ := v.Get(n.ID); !r.PendingDeletion || listed(t, v, record.KindNote, n.ID) {
			t.Fatalf("after the delete and a concurrent edit: %+v", r)
		}
	}
	if err := admin.Restore(n.ID); err != nil {
		t.Fatal(err)
	}
	log.exchange(t, vs...)
	for _, v := range vs {
		r, err := v.Get(n.ID)
		if err != nil || r.Deleted {
			t.Fatalf("after the restore: %+v, %v", r, err)
		}
		if b, err := r.Decode(); err != nil || b.(*record.Note).Text != "words added meanwhile" {
			t.Fatalf("the restored note on %s: %+v, %v", Fingerprint(v.DeviceKey()), b, err)
		}
	}
}

// TestATeamSettingCannotJumpAhead: an admin numbers a setting far past
// the next one, so that no later setting could replace it; it waits
// (pending) and the team's hold is unchanged.
func TestATeamSettingCannotJumpAhead(t *testing.T) {
	log, vs := newTeam(t, 2)
	admin, member := vs[0], vs[1]
	forgeSystem(t, admin, kindTeamConf, teamConfBody{V: 1, N: 1 << 62, HoldSeconds: int64(MinHold / time.Second)})
	log.exchange(t, vs...)
	if set, _, _ := member.DeletionHold(); set != DefaultHold {
		t.Fatalf("a setting numbered 2^62 became the hold: %s", set)
	}
	if err := admin.SetDeletionHold(30 * 24 * time.Hour); err != nil {
		t.Fatal(err)
	}
	log.exchange(t, vs...)
	if set, _, _ := member.DeletionHold(); set != 30*24*time.Hour {
		t.Fatalf("the next setting did not apply: %s", set)
	}
}

// TestMemberCannotDeleteARecordBeforeItArrives: a member sends a delete
// (the old, body-less kind) of another member's note to a device that has
// not received the note yet. The device keeps a tombstone until the note
// arrives, then sees that the deleter did not write it: the delete is
// quarantined with the reason and the note is there.
func TestMemberCannotDeleteARecordBeforeItArrives(t *testing.T) {
	log, vs := newTeam(t, 3)
	lagging, member, writer := vs[0], vs[1], vs[2]
	log.exchange(t, vs...)
	n := mustAdd(t, writer, &record.Note{Text: "written by the writer"})
	if reasons := deliver(t, writer, member); len(reasons) != 0 {
		t.Fatal(reasons)
	}
	forgeDelete(t, member, n.ID, Tombstone{})
	if reasons := deliver(t, member, lagging); len(reasons) != 0 {
		t.Fatalf("the delete of a record the device lacks: %q", reasons)
	}
	if reasons := deliver(t, writer, lagging); len(reasons) != 0 {
		t.Fatal(reasons)
	}
	mustQuarantine(t, lagging, "may delete only records it wrote; this one was written by "+Fingerprint(writer.DeviceKey()))
	r, err := lagging.Get(n.ID)
	if err != nil || r.Deleted || !listed(t, lagging, record.KindNote, n.ID) {
		t.Fatalf("the note on the device that had the delete first: %+v, %v", r, err)
	}
	if b, _ := r.Decode(); b.(*record.Note).Text != "written by the writer" {
		t.Fatalf("the note: %+v", b)
	}
}
