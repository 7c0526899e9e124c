package storage

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"errors"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"filippo.io/age"
	"github.com/dgraph-io/badger/v4"

	"github.com/letapis/letapis/storage/envelope"
	"github.com/letapis/letapis/storage/hlc"
	"github.com/letapis/letapis/storage/record"
)

// withCaps lowers the caps on pending and set-aside envelopes for a test.
func withCaps(t *testing.T, count int, bytes int64) {
	oldCount, oldBytes := maxSetAsideCount, maxSetAsideBytes
	maxSetAsideCount, maxSetAsideBytes = count, bytes
	t.Cleanup(func() { maxSetAsideCount, maxSetAsideBytes = oldCount, oldBytes })
}

// strangerNote is a note signed by a key no roster holds, sealed to to.
func strangerNote(t *testing.T, to age.Recipient) []byte {
	t.Helper()
	pub, key, _ := ed25519.GenerateKey(rand.Reader)
	rev := envelope.Revision{Record: NewID(), ID: NewID(), Author: pub, Seq: 1, Time: hlc.Timestamp{Wall: time.Now().UnixMilli()},
		Kind: "note", Schema: 1, Op: envelope.OpPut, Body: json.RawMessage(`{"text":"flood"}`)}
	ct, _, err := envelope.Seal(rev, key, to)
	if err != nil {
		t.Fatal(err)
	}
	return ct
}

func isPending(t *testing.T, v *Vault, ct []byte) bool {
	t.Helper()
	found := false
	err := v.view(func(txn *badger.Txn) error {
		_, err := txn.Get(key(pfxPending, envelope.IDOf(ct).String()))
		found = err == nil
		if errors.Is(err, badger.ErrKeyNotFound) {
			return nil
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return found
}

// TestFloodOfUndecryptableEnvelopesStaysWithinTheCap: a relay (or any
// member) floods a device with envelopes it cannot decrypt, then with
// envelopes whose signatures fail. The device keeps no more of each than
// its caps allow, drops and counts the rest, makes room for an envelope it
// can decrypt by dropping the oldest undecryptable one, and keeps
// receiving its team's records; nothing it applied is touched.
func TestFloodOfUndecryptableEnvelopesStaysWithinTheCap(t *testing.T) {
	log, vs := newTeam(t, 2)
	a, b := vs[0], vs[1]
	withCaps(t, 20, 1<<30)
	nobody, _ := age.GenerateHybridIdentity()

	var flood [][]byte
	for range 30 {
		flood = append(flood, strangerNote(t, nobody.Recipient()))
	}
	early, err := b.ReceiveBatch(flood[:10])
	if err != nil {
		t.Fatal(err)
	}
	outs, err := b.ReceiveBatch(flood[10:])
	if err != nil {
		t.Fatal(err)
	}
	want := append(slices.Repeat([]Outcome{Pending}, 20), slices.Repeat([]Outcome{Dropped}, 10)...)
	if outs = append(early, outs...); !slices.Equal(outs, want) {
		t.Fatalf("flood of 30 undecryptable envelopes: %v, want 20 pending and 10 dropped", outs)
	}
	if s, err := b.SetAside(); err != nil || s.Pending != 20 || s.Dropped != 10 || s.LastDropped.IsZero() {
		t.Fatalf("SetAside = %+v, %v; want 20 pending, 10 dropped", s, err)
	}

	// One it can decrypt, waiting for its author's roster entry, takes
	// the place of the oldest undecryptable one.
	waiting := strangerNote(t, b.recipient)
	if outs, err := b.ReceiveBatch([][]byte{waiting}); err != nil || outs[0] != Pending {
		t.Fatalf("a decryptable envelope at the cap: %v, %v; want it pending", outs, err)
	}
	kept := func(cts [][]byte) (n int) {
		for _, ct := range cts {
			if isPending(t, b, ct) {
				n++
			}
		}
		return n
	}
	if !isPending(t, b, waiting) || kept(flood[:10]) != 9 || kept(flood[10:20]) != 10 {
		t.Fatal("one of the oldest undecryptable envelopes did not make room for the decryptable one")
	}

	// Envelopes whose signatures fail: as many as the cap are quarantined.
	_, stranger, _ := ed25519.GenerateKey(rand.Reader)
	var forged [][]byte
	for i := range 25 {
		forged = append(forged, craftEnvelope(t, forgedRevision(b, uint64(5000+i)), stranger, b.recipient))
	}
	if outs, err = b.ReceiveBatch(forged); err != nil {
		t.Fatal(err)
	}
	if want := append(slices.Repeat([]Outcome{Quarantined}, 20), slices.Repeat([]Outcome{Dropped}, 5)...); !slices.Equal(outs, want) {
		t.Fatalf("25 forged envelopes: %v, want 20 quarantined and 5 dropped", outs)
	}
	// A relay replaying them changes nothing.
	if outs, err = b.ReceiveBatch(forged[:20]); err != nil || !slices.Equal(outs, slices.Repeat([]Outcome{Quarantined}, 20)) {
		t.Fatalf("the quarantined envelopes again: %v, %v", outs, err)
	}
	s, err := b.SetAside()
	if err != nil || s.Pending != 20 || s.Quarantined != 20 || s.Dropped != 16 {
		t.Fatalf("SetAside = %+v, %v; want 20 pending, 20 quarantined, 16 dropped", s, err)
	}

	// The bytes cap holds too.
	withCaps(t, 1000, s.SetAsideBytes+int64(len(forged[0]))+1)
	more := [][]byte{craftEnvelope(t, forgedRevision(b, 6000), stranger, b.recipient), craftEnvelope(t, forgedRevision(b, 6001), stranger, b.recipient)}
	if outs, err = b.ReceiveBatch(more); err != nil || !slices.Equal(outs, []Outcome{Quarantined, Dropped}) {
		t.Fatalf("at the bytes cap: %v, %v; want one quarantined, one dropped", outs, err)
	}

	// The team goes on, and its roster is whole.
	n := mustAdd(t, a, &record.Note{Text: "after the flood"})
	log.exchange(t, a, b)
	if _, err := b.Get(n.ID); err != nil {
		t.Fatalf("a record after the flood: %v", err)
	}
	if ms, err := b.Members(); err != nil || len(ms) != 2 {
		t.Fatalf("roster after the flood: %v, %v", ms, err)
	}
}

// TestNewerSchemaIsKeptNotLost: an admin on a newer build writes a roster
// entry in a schema this build does not read. The device holds it intact,
// says why, and does not apply it, whatever it receives after; once
// updated (a build that reads the schema), it applies it.
func TestNewerSchemaIsKeptNotLost(t *testing.T) {
	_, vs := newTeam(t, 2)
	a, b := vs[0], vs[1]
	newcomer := newVault(t)
	entry, err := json.Marshal(rosterEntry{Op: "add", Member: Member{Device: newcomer.DeviceKey(), Recipient: newcomer.Recipient(), Role: RoleMember}})
	if err != nil {
		t.Fatal(err)
	}
	var ct []byte
	err = a.db.View(func(txn *badger.Txn) error {
		rev, err := a.newRevision(txn, NewID(), kindRoster, envelope.OpPut, entry, nil)
		if err != nil {
			return err
		}
		rev.Schema = knownSchema + 1
		ct, _, err = a.teamAddress().seal(rev, a.signer)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if outs, err := b.ReceiveBatch([][]byte{ct}); err != nil || outs[0] != Held {
			t.Fatalf("a roster entry of a newer schema: %v, %v; want it held", outs, err)
		}
	}
	held, err := b.Held()
	if err != nil || len(held) != 1 || !strings.Contains(held[0].Reason, "written by a newer version of Letapis") {
		t.Fatalf("Held = %+v, %v; want the entry, saying why", held, err)
	}
	if s, _ := b.SetAside(); s.Held != 1 || s.Quarantined != 0 {
		t.Fatalf("SetAside = %+v, want 1 held and none quarantined", s)
	}
	if ms, _ := b.Members(); len(ms) != 2 {
		t.Fatalf("the held entry was applied: %d members", len(ms))
	}

	knownSchema++ // the device is updated
	t.Cleanup(func() { knownSchema-- })
	b = reopen(t, b)
	if _, err := b.ReceiveBatch(nil); err != nil {
		t.Fatal(err)
	}
	if held, _ := b.Held(); len(held) != 0 {
		t.Fatalf("still held after the update: %+v", held)
	}
	ms, _ := b.Members()
	if !slices.ContainsFunc(ms, func(m Member) bool { return m.Device.Equal(newcomer.DeviceKey()) }) {
		t.Fatal("the updated device did not apply the held entry")
	}
}

// TestFoundersRecordsFromBeforeTheTeamStillReachIt: records a vault wrote
// on its own name no team; once it founds one they reach every member.
// Another member cannot pass a new envelope off as such history: it is
// addressed to no team, and written after its author joined.
func TestFoundersRecordsFromBeforeTheTeamStillReachIt(t *testing.T) {
	founder := newVault(t)
	early := mustAdd(t, founder, &record.Note{Text: "written before the team"})
	if _, err := founder.CreateTeam(NewID(), "https://relay.invalid", ""); err != nil {
		t.Fatal(err)
	}
	member := newVault(t)
	st, err := member.PrepareJoin(teamOf(t, founder), "https://relay.invalid", "", founder.DeviceKey())
	if err != nil {
		t.Fatal(err)
	}
	if err := founder.Admit(member.DeviceKey(), member.Recipient(), st.Pseudonym, RoleMember); err != nil {
		t.Fatal(err)
	}
	log := &fakeLog{}
	log.exchange(t, founder, member)
	if _, err := member.Get(early.ID); err != nil {
		t.Fatalf("the founder's record from before the team: %v", err)
	}

	var ct []byte
	err = member.db.View(func(txn *badger.Txn) error {
		rev, err := member.newRevision(txn, NewID(), record.KindNote, envelope.OpPut, []byte(`{"text":"posing as history"}`), nil)
		if err != nil {
			return err
		}
		rev.Team = ""
		ct, _, err = member.teamAddress().seal(rev, member.signer)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := founder.Receive(ct); !errors.Is(err, ErrRejected) || !strings.Contains(err.Error(), `addressed to another team ("", this vault is in`) {
		t.Fatalf("a member's new envelope naming no team: %v, want it quarantined", err)
	}
}

// TestDraggedClockRecoversAtUnlock: a vault whose clock a remote time
// dragged to year 292278994 (before remote times were bounded) starts
// again from the wall clock when it is unlocked; what it writes next is
// stamped now.
func TestDraggedClockRecoversAtUnlock(t *testing.T) {
	v := newVault(t)
	err := v.db.Update(func(txn *badger.Txn) error {
		return setJSON(txn, []byte(keyClock), hlc.Timestamp{Wall: math.MaxInt64 - 1, Logical: math.MaxUint32})
	})
	if err != nil {
		t.Fatal(err)
	}
	v = reopen(t, v)
	n := mustAdd(t, v, &record.Note{Text: "after the recovery"})
	if ahead := n.Updated.Time().Sub(time.Now()); ahead > time.Minute {
		t.Fatalf("a record written after unlock is stamped %v, %v ahead", n.Updated, ahead)
	}
	v = reopen(t, v)
	if last, _ := v.loadClock(); last.Wall > time.Now().Add(time.Minute).UnixMilli() {
		t.Fatalf("the saved clock is still %v", last)
	}
}
