package storage

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"errors"
	"path/filepath"
	"slices"
	"testing"

	"github.com/letapis/letapis/storage/envelope"
	"github.com/letapis/letapis/storage/record"
)

// fakeLog stands in for a relay's log and blob store in tests of the
// vault's team logic; the real relay is tested in package sync.
type fakeLog struct {
	entries [][]byte
	parts   map[string][]byte
}

// exchange pushes every vault's outbox to the log and then lets every vault
// receive the whole log in one batch, twice, so that everything written reaches everyone.
func (l *fakeLog) exchange(t *testing.T, vs ...*Vault) {
	t.Helper()
	for range 2 {
		for _, v := range vs {
			out, err := v.Outbox(1 << 20)
			if err != nil {
				t.Fatal(err)
			}
			for _, o := range out {
				l.entries = append(l.entries, o.CT)
			}
			if len(out) > 0 {
				if err := v.Acknowledge(out[len(out)-1].Pos); err != nil {
					t.Fatal(err)
				}
			}
		}
		for _, v := range vs {
			if _, err := v.ReceiveBatch(l.entries); err != nil {
				t.Fatal(err)
			}
		}
		l.moveBlobs(t, vs...)
	}
}

// moveBlobs uploads every vault's pending attachment parts and lets every
// vault fetch what it lacks.
func (l *fakeLog) moveBlobs(t *testing.T, vs ...*Vault) {
	t.Helper()
	if l.parts == nil {
		l.parts = map[string][]byte{}
	}
	for _, v := range vs {
		up, _ := v.BlobsToSend()
		for _, b := range up {
			for i, id := range b.Parts {
				p, err := v.ReadPart(b, i, nil)
				if err == nil {
					err = b.Check(i, p)
				}
				if err != nil {
					t.Fatal(err)
				}
				l.parts[id] = p
			}
			v.BlobSent(b.Blob)
		}
	}
	for _, v := range vs {
		need, _ := v.BlobsToFetch()
		for _, b := range need {
			next, _ := v.NextPart(b)
			for i := next; i < len(b.Parts); i++ {
				if err := v.WritePart(b, i, l.parts[b.Parts[i]]); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
}

// newTeam founds a team on a new vault and admits members into it.
func newTeam(t *testing.T, n int) (*fakeLog, []*Vault) {
	t.Helper()
	return newTeamOpts(t, n, testOptions)
}

// newTeamOpts is newTeam with other vault options for every member.
func newTeamOpts(t *testing.T, n int, opts Options) (*fakeLog, []*Vault) {
	t.Helper()
	log := &fakeLog{}
	admin := newVaultOpts(t, opts)
	if _, err := admin.CreateTeam(NewID(), "https://relay.invalid", ""); err != nil {
		t.Fatal(err)
	}
	vs := []*Vault{admin}
	for range n - 1 {
		m := newVaultOpts(t, opts)
		st, err := m.PrepareJoin(teamOf(t, admin), "https://relay.invalid", "", admin.DeviceKey())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := m.Add(&record.Note{Text: "too early"}); !errors.Is(err, ErrJoining) {
			t.Fatalf("write while joining: %v, want ErrJoining", err)
		}
		if err := admin.Admit(m.DeviceKey(), m.Recipient(), st.Pseudonym, RoleMember); err != nil {
			t.Fatal(err)
		}
		vs = append(vs, m)
		log.exchange(t, vs...)
		if st, _ := m.Team(); !st.Joined {
			t.Fatal("member did not join after the admin's grant")
		}
	}
	return log, vs
}

func TestTeamRecordsReachEveryMember(t *testing.T) {
	log, vs := newTeam(t, 3)
	a, b, c := vs[0], vs[1], vs[2]
	pa := mustAdd(t, a, &record.Person{Names: []record.Name{{Given: "Ганна", Family: "Сідарэнка"}}})
	nb := mustAdd(t, b, &record.Note{About: pa.ID, Text: "from B"})
	log.exchange(t, a, b, c)
	for _, v := range vs {
		for _, id := range []string{pa.ID, nb.ID} {
			if _, err := v.Get(id); err != nil {
				t.Errorf("%s missing on a member: %v", id, err)
			}
		}
		ms, _ := v.Members()
		if len(ms) != 3 {
			t.Errorf("roster has %d members, want 3", len(ms))
		}
		if qs, _ := v.Quarantined(); len(qs) != 0 {
			t.Errorf("genuine envelopes quarantined: %+v", qs)
		}
	}
}

func TestConcurrentEditsMergeOrConflictAndResolve(t *testing.T) {
	log, vs := newTeam(t, 2)
	a, b := vs[0], vs[1]
	p := mustAdd(t, a, &record.Person{Names: []record.Name{{Family: "Kowal"}}, Region: "Brest"})
	log.exchange(t, a, b)

	// Offline: A changes the region, B the occupation: no conflict.
	if _, err := a.Update(p.ID, &record.Person{Names: []record.Name{{Family: "Kowal"}}, Region: "Hrodna"}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Update(p.ID, &record.Person{Names: []record.Name{{Family: "Kowal"}}, Region: "Brest", Occupation: "teacher"}); err != nil {
		t.Fatal(err)
	}
	log.exchange(t, a, b)
	for _, v := range vs {
		r, _ := v.Get(p.ID)
		body, err := r.Decode()
		if err != nil {
			t.Fatal(err)
		}
		got := body.(*record.Person)
		if len(r.Heads) != 2 || r.Conflict || got.Region != "Hrodna" || got.Occupation != "teacher" {
			t.Fatalf("field merge: heads %d conflict %v body %+v", len(r.Heads), r.Conflict, got)
		}
	}

	// Offline: both change the region: a conflict, the same on both.
	a.Update(p.ID, &record.Person{Names: []record.Name{{Family: "Kowal"}}, Region: "Minsk", Occupation: "teacher"})
	b.Update(p.ID, &record.Person{Names: []record.Name{{Family: "Kowal"}}, Region: "Viciebsk", Occupation: "teacher"})
	log.exchange(t, a, b)
	ra, _ := a.Get(p.ID)
	rb, _ := b.Get(p.ID)
	if !ra.Conflict || !rb.Conflict || !bytes.Equal(ra.Body, rb.Body) {
		t.Fatalf("conflict not visible or not identical: A %v %s, B %v %s", ra.Conflict, ra.Body, rb.Conflict, rb.Body)
	}
	n := 0
	a.List(record.KindPerson, func(s Summary) bool {
		if s.Conflict {
			n++
		}
		return true
	})
	if n != 1 {
		t.Fatalf("%d conflicts listed, want 1", n)
	}
	if _, err := b.ResolveConflict(p.ID, &record.Person{Names: []record.Name{{Family: "Kowal"}}, Region: "Minsk", Occupation: "teacher"}); err != nil {
		t.Fatal(err)
	}
	log.exchange(t, a, b)
	for _, v := range vs {
		r, _ := v.Get(p.ID)
		if r.Conflict || len(r.Heads) != 1 {
			t.Fatalf("after resolve: conflict %v heads %v", r.Conflict, r.Heads)
		}
	}
}

func TestDeleteStaysDeletedEverywhere(t *testing.T) {
	clock := newTestClock()
	log, vs := newTeamOpts(t, 2, clock.options())
	a, b := vs[0], vs[1]
	n := mustAdd(t, a, &record.Note{Text: "to be deleted"})
	log.exchange(t, a, b)
	// B edits while A deletes: the tombstone wins.
	b.Update(n.ID, &record.Note{Text: "edited meanwhile"})
	if err := a.Delete(n.ID); err != nil {
		t.Fatal(err)
	}
	log.exchange(t, a, b)
	clock.advance(DefaultHold)
	for _, v := range vs {
		if err := v.PurgeIfNeeded(); err != nil {
			t.Fatal(err)
		}
		r, err := v.Get(n.ID)
		if err != nil || !r.Deleted || r.Body != nil {
			t.Fatalf("not deleted everywhere: %+v %v", r, err)
		}
	}
	b.Close()
	if rawStoreContains(t, b.Dir(), []byte("to be deleted")) {
		t.Fatal("deleted text still in the receiving member's store after purge")
	}
}

func TestRemovedMemberIsLockedOut(t *testing.T) {
	log, vs := newTeam(t, 3)
	a, b, c := vs[0], vs[1], vs[2]
	before := mustAdd(t, c, &record.Note{Text: "written by C while a member"})
	log.exchange(t, a, b, c)
	if err := a.Expel(c.DeviceKey()); err != nil {
		t.Fatal(err)
	}
	secret := mustAdd(t, a, &record.Note{Text: "after C left"})
	late := mustAdd(t, c, &record.Note{Text: "C writes after removal"})
	log.exchange(t, a, b, c)

	if _, err := c.Get(secret.ID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("removed member reads a record written after removal: %v", err)
	}
	for _, v := range []*Vault{a, b} {
		if _, err := v.Get(before.ID); err != nil {
			t.Errorf("C's record from before removal lost: %v", err)
		}
		if _, err := v.Get(late.ID); !errors.Is(err, ErrNotFound) {
			t.Errorf("C's record after removal accepted: %v", err)
		}
		qs, _ := v.Quarantined()
		if len(qs) == 0 {
			t.Errorf("C's late record not quarantined")
		}
	}
	if _, err := b.Get(secret.ID); err != nil {
		t.Fatalf("remaining member cannot read after rotation: %v", err)
	}
}

func TestForgedSignatureIsQuarantinedByEveryMember(t *testing.T) {
	log, vs := newTeam(t, 2)
	a := vs[0]
	// A member's envelope whose signature was made by someone else.
	_, stranger, _ := ed25519.GenerateKey(rand.Reader)
	rev := envelope.Revision{Record: NewID(), ID: NewID(), Author: a.DeviceKey(), Seq: 999,
		Time: a.clock.Now(), Kind: "note", Schema: 1, Op: "put", Body: json.RawMessage(`{"text":"forged"}`)}
	log.entries = append(log.entries, craftEnvelope(t, rev, stranger, a.recipient))
	log.exchange(t, vs...)
	for _, v := range vs {
		if _, err := v.Get(rev.Record); !errors.Is(err, ErrNotFound) {
			t.Errorf("forged record applied: %v", err)
		}
		if qs, _ := v.Quarantined(); len(qs) != 1 {
			t.Errorf("%d quarantined, want 1", len(qs))
		}
	}
}

func TestAttachmentReachesMembersAndDeletionDestroysIt(t *testing.T) {
	clock := newTestClock()
	log, vs := newTeamOpts(t, 2, clock.options())
	a, b := vs[0], vs[1]
	data := bytes.Repeat([]byte("recording "), 1<<20) // 10 MiB: three parts
	att, err := a.ImportAttachment(bytes.NewReader(data), "interview.wav", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	log.exchange(t, a, b)
	var got bytes.Buffer
	if _, err := b.ExportAttachment(att.ID, &got); err != nil || !bytes.Equal(got.Bytes(), data) {
		t.Fatalf("attachment on the other member: %v (%d bytes)", err, got.Len())
	}
	if err := a.Delete(att.ID); err != nil {
		t.Fatal(err)
	}
	log.exchange(t, a, b)
	for _, v := range vs {
		if err := v.PurgeIfNeeded(); err != nil {
			t.Fatal(err)
		}
		if files, _ := filepath.Glob(filepath.Join(v.Dir(), blobDirName, "*")); len(files) != 1 {
			t.Fatalf("the file of an attachment pending deletion: %v, want it kept for a restore", files)
		}
	}
	clock.advance(DefaultHold)
	for _, v := range vs {
		if err := v.PurgeIfNeeded(); err != nil {
			t.Fatal(err)
		}
		files, _ := filepath.Glob(filepath.Join(v.Dir(), blobDirName, "*"))
		if len(files) != 0 {
			t.Errorf("attachment files left after deletion: %v", files)
		}
	}
}

func TestSealedTestimonyWinsOverAConcurrentEdit(t *testing.T) {
	log, vs := newTeam(t, 2)
	a, b := vs[0], vs[1]
	tm := &record.Testimony{Interviewee: "W", Consent: record.Consent{Scopes: []string{"legal"}}, Text: "as told"}
	r := mustAdd(t, a, tm)
	log.exchange(t, a, b)
	if _, err := a.Seal(r.ID); err != nil {
		t.Fatal(err)
	}
	edited := *tm
	edited.Text = "edited by B before it heard of the seal"
	if _, err := b.Update(r.ID, &edited); err != nil {
		t.Fatal(err)
	}
	log.exchange(t, a, b)
	for _, v := range vs {
		got, _ := v.Get(r.ID)
		body, _ := got.Decode()
		if !got.Sealed || body.(*record.Testimony).Text != "as told" {
			t.Fatalf("sealed testimony changed by a concurrent edit: sealed=%v text=%q", got.Sealed, body.(*record.Testimony).Text)
		}
	}
}

func TestRestrictedAudienceKeepsOthersOut(t *testing.T) {
	log, vs := newTeam(t, 3)
	a, b, c := vs[0], vs[1], vs[2]
	lawyers, err := a.CreateAudience("lawyers of the case", []ed25519.PublicKey{b.DeviceKey()})
	if err != nil {
		t.Fatal(err)
	}
	photo := []byte("photo of injuries, restricted")
	att, err := a.ImportAttachmentTo(bytes.NewReader(photo), "injuries.jpg", "", nil, lawyers)
	if err != nil {
		t.Fatal(err)
	}
	tm := mustAdd(t, a, &record.Testimony{Interviewee: "Victim", Consent: record.Consent{Scopes: []string{"legal"}},
		Text: "names the guard", Audience: lawyers, Attachments: []string{att.ID}})
	log.exchange(t, a, b, c)

	if _, err := b.Get(tm.ID); err != nil {
		t.Fatalf("audience member cannot read the testimony: %v", err)
	}
	var got bytes.Buffer
	if _, err := b.ExportAttachment(att.ID, &got); err != nil || !bytes.Equal(got.Bytes(), photo) {
		t.Fatalf("audience member cannot read the attachment: %v", err)
	}
	for _, id := range []string{tm.ID, att.ID} {
		if _, err := c.Get(id); !errors.Is(err, ErrNotFound) {
			t.Fatalf("a member outside the audience has %s: %v", id, err)
		}
	}
	if auds, _ := c.Audiences(); len(auds) != 0 {
		t.Fatalf("outsider holds audiences: %+v", auds)
	}
	if _, err := c.Add(&record.Testimony{Interviewee: "x", Consent: record.Consent{Scopes: []string{"team"}}, Text: "y", Audience: lawyers}); err == nil {
		t.Fatal("an outsider wrote to a restricted audience it does not hold")
	}

	// Removing B rotates the audience: what A writes next, B cannot read.
	if err := a.Expel(b.DeviceKey()); err != nil {
		t.Fatal(err)
	}
	later := mustAdd(t, a, &record.Testimony{Interviewee: "Victim", Consent: record.Consent{Scopes: []string{"legal"}}, Text: "after B left", Audience: lawyers})
	log.exchange(t, a, b, c)
	if _, err := b.Get(later.ID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("removed member reads the rotated audience: %v", err)
	}
}

func TestWithheldRevisionShowsAsAGap(t *testing.T) {
	log, vs := newTeam(t, 2)
	a, b := vs[0], vs[1]
	mustAdd(t, a, &record.Note{Text: "one"})
	log.exchange(t, a, b)
	mustAdd(t, a, &record.Note{Text: "withheld by the relay"})
	mustAdd(t, a, &record.Note{Text: "three"})
	out, _ := a.Outbox(10)
	a.Acknowledge(out[len(out)-1].Pos)
	for _, o := range out[1:] { // the relay drops the first of the two
		if _, err := b.Receive(o.CT); err != nil {
			t.Fatal(err)
		}
	}
	gaps, err := b.Gaps()
	if err != nil {
		t.Fatal(err)
	}
	if got := gaps[Fingerprint(a.DeviceKey())]; len(got) != 1 {
		t.Fatalf("gaps of A seen by B: %v, want one", gaps)
	}
	b.Receive(out[0].CT) // the relay relents
	if gaps, _ := b.Gaps(); len(gaps) != 0 {
		t.Fatalf("gaps after everything arrived: %v", gaps)
	}
}

// TestDeletedUnsentRevisionLeavesNoGap: a revision deleted before any
// sync pass began to send it is replaced by a stand-in with its sequence
// number, so that the other devices see no gap; one deleted after a pass
// began to send it may be on the relay already and gets none (a stand-in
// would reuse its number).
func TestDeletedUnsentRevisionLeavesNoGap(t *testing.T) {
	log, vs := newTeam(t, 2)
	a, b := vs[0], vs[1]
	log.exchange(t, a, b)
	outboxLen := func() int { // what Outbox would send, without what Delete dropped
		out, err := a.Outbox(100)
		if err != nil {
			t.Fatal(err)
		}
		return len(out)
	}

	unsent := mustAdd(t, a, &record.Note{Text: "deleted before it was sent"})
	if err := a.Delete(unsent.ID); err != nil {
		t.Fatal(err)
	}
	if n := outboxLen(); n != 2 {
		t.Fatalf("%d envelopes to send, want the tombstone and the stand-in", n)
	}
	sending := mustAdd(t, a, &record.Note{Text: "deleted while a pass sends it"})
	if _, err := a.BeginSend(); err != nil {
		t.Fatal(err)
	}
	if err := a.Delete(sending.ID); err != nil {
		t.Fatal(err)
	}
	// A pass may have sent it: the record is held for the team's hold,
	// so it goes out with its tombstone.
	if n := outboxLen(); n != 4 {
		t.Fatalf("%d envelopes to send, want the record and its tombstone more", n)
	}
	log.exchange(t, a, b)
	gaps, err := b.Gaps()
	if err != nil {
		t.Fatal(err)
	}
	if len(gaps) != 0 {
		t.Fatalf("gaps of A seen by B: %v, want none", gaps)
	}
	if qs, _ := b.Quarantined(); len(qs) != 0 {
		t.Fatalf("B quarantined %d envelopes", len(qs))
	}
	want, _ := a.Get(unsent.ID)
	if r, err := b.Get(unsent.ID); err != nil || !r.Deleted || r.PendingDeletion || !slices.Equal(r.Heads, want.Heads) {
		t.Fatalf("B does not hold A's tombstone of a record that never left A: %+v, %v", r, err)
	}
	want, _ = a.Get(sending.ID)
	if r, err := b.Get(sending.ID); err != nil || !r.PendingDeletion || !slices.Equal(r.Heads, want.Heads) {
		t.Fatalf("B does not hold A's pending deletion of %s: %+v, %v", sending.ID, r, err)
	}
}

// TestReceiveOpenedUsesKeysReceivedMeanwhile: an envelope opened before
// the key it is sealed to reached the vault (the sync engine opens a batch
// while the vault stores the one before) is opened again when it is
// received, and applied, not kept pending.
func TestReceiveOpenedUsesKeysReceivedMeanwhile(t *testing.T) {
	_, vs := newTeam(t, 3)
	a, b, c := vs[0], vs[1], vs[2]
	if err := a.Expel(c.DeviceKey()); err != nil {
		t.Fatal(err)
	}
	secret := mustAdd(t, a, &record.Note{Text: "sealed to the new audience key"})
	out, err := a.Outbox(1 << 20)
	if err != nil {
		t.Fatal(err)
	}
	var cts [][]byte
	for _, o := range out {
		cts = append(cts, o.CT)
	}
	rotation, note := cts[:len(cts)-1], cts[len(cts)-1:]

	early, err := b.OpenBatch(note) // before B holds the new key
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.ReceiveBatch(rotation); err != nil {
		t.Fatal(err)
	}
	outs, err := b.ReceiveOpened(early)
	if err != nil || !slices.Equal(outs, []Outcome{Applied}) {
		t.Fatalf("outcomes %v, %v; want the note applied with the key received meanwhile", outs, err)
	}
	if _, err := b.Get(secret.ID); err != nil {
		t.Fatal(err)
	}
}
