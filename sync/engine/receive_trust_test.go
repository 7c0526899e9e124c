package engine

import (
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"filippo.io/age"
	"github.com/dgraph-io/badger/v4"

	"github.com/letapis/letapis/storage"
	"github.com/letapis/letapis/storage/envelope"
	"github.com/letapis/letapis/storage/hlc"
	"github.com/letapis/letapis/storage/keyfile"
	"github.com/letapis/letapis/storage/record"
)

// seized is what a hostile member holds once it has its own laptop's
// keys out of the vault (or a seizure forced its passphrase): its signing
// key, its team, and the team's audience keys by epoch. With them it can
// sign and encrypt anything the code of an honest device never would.
type seized struct {
	d         *device
	signer    ed25519.PrivateKey
	team      string
	audiences map[uint64]age.Identity
	seq       uint64
}

// seize closes d's vault and reads its keys from its files, as someone
// holding the laptop and the passphrase can. d's engine still reaches the
// relay with d's credentials.
func seize(t *testing.T, d *device) *seized {
	t.Helper()
	dir := d.v.Dir()
	if err := d.v.Close(); err != nil {
		t.Fatal(err)
	}
	file, err := os.ReadFile(filepath.Join(dir, "key.age"))
	if err != nil {
		t.Fatal(err)
	}
	sec, err := keyfile.Decode(file, "test passphrase")
	if err != nil {
		t.Fatal(err)
	}
	store := filepath.Join(dir, "db", strconv.FormatUint(sec.StoreGeneration, 10))
	db, err := badger.Open(badger.DefaultOptions(store).WithEncryptionKey(sec.StoreKey).WithIndexCacheSize(1 << 20).WithLogger(nil))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	s := &seized{d: d, signer: sec.Signer(), audiences: map[uint64]age.Identity{}, seq: 1 << 20}
	err = db.View(func(txn *badger.Txn) error {
		item, err := txn.Get([]byte("team/state"))
		if err != nil {
			return err
		}
		var st storage.TeamState
		if err := item.Value(func(b []byte) error { return json.Unmarshal(b, &st) }); err != nil {
			return err
		}
		s.team = st.Team
		it := txn.NewIterator(badger.IteratorOptions{Prefix: []byte("aud/"), PrefetchValues: true})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			var a struct {
				Epoch    uint64 `json:"epoch"`
				Identity string `json:"identity"`
			}
			if err := it.Item().Value(func(b []byte) error { return json.Unmarshal(b, &a) }); err != nil {
				return err
			}
			id, err := age.ParseHybridIdentity(a.Identity)
			if err != nil {
				return err
			}
			s.audiences[a.Epoch] = id
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// newest returns the newest team epoch the seized vault holds.
func (s *seized) newest() uint64 {
	var e uint64
	for k := range s.audiences {
		e = max(e, k)
	}
	return e
}

// note is a new note revision by the seized member, addressed to the team
// key's newest epoch, with its next (forged) sequence number.
func (s *seized) note(body string) envelope.Revision {
	s.seq++
	return envelope.Revision{Team: s.team, Record: storage.NewID(), ID: storage.NewID(),
		Author: s.signer.Public().(ed25519.PublicKey), Seq: s.seq, Time: hlc.Timestamp{Wall: time.Now().UnixMilli()},
		Kind: "note", Schema: 1, Op: envelope.OpPut, Body: json.RawMessage(body), Epoch: s.newest()}
}

// seal signs rev and encrypts it to to (the newest team key if nil).
func (s *seized) seal(t *testing.T, rev envelope.Revision, to age.Recipient) []byte {
	t.Helper()
	if to == nil {
		to = s.audiences[s.newest()].(*age.HybridIdentity).Recipient()
	}
	ct, _, err := envelope.Seal(rev, s.signer, to)
	if err != nil {
		t.Fatal(err)
	}
	return ct
}

// send puts envelopes into the team's log with the seized device's
// credentials at the relay.
func (s *seized) send(t *testing.T, cts ...[]byte) {
	t.Helper()
	ctx := context.Background()
	if err := s.d.e.Client().PutBlobs(ctx, cts); err != nil {
		t.Fatal(err)
	}
	ids := make([]string, len(cts))
	for i, ct := range cts {
		ids[i] = envelope.IDOf(ct).String()
	}
	if _, err := s.d.e.Client().Append(ctx, ids); err != nil {
		t.Fatal(err)
	}
}

// wantQuarantined checks that d quarantined an envelope for each reason,
// each named by a part of its reason, and no other.
func wantQuarantined(t *testing.T, d *device, reasons ...string) {
	t.Helper()
	qs, err := d.v.Quarantined()
	if err != nil {
		t.Fatal(err)
	}
	if len(qs) != len(reasons) {
		t.Fatalf("%d envelopes quarantined, want %d: %+v", len(qs), len(reasons), qs)
	}
	for _, want := range reasons {
		found := false
		for _, q := range qs {
			found = found || strings.Contains(q.Reason, want)
		}
		if !found {
			t.Errorf("no quarantine reason says %q: %+v", want, qs)
		}
	}
}

// TestSignedGarbageCannotHaltReceive: a member signs, with its real key
// and to the team's real key, a note whose body does not validate and an
// entry of a kind no build knows, and puts them into the log before a key
// rotation. Every other device quarantines both with their reasons and
// goes on: the rotation reaches it and it reads what is written after.
func TestSignedGarbageCannotHaltReceive(t *testing.T) {
	r := startRelay(t)
	ds := formTeam(t, r, 3)
	admin, other := ds[0], ds[2]
	m := seize(t, ds[1])

	unknown := m.note(`{"text":"a spell"}`)
	unknown.Kind = "spell"
	m.send(t, m.seal(t, m.note(`{"text":7,"extra":"field"}`), nil), m.seal(t, unknown, nil))

	if err := admin.v.RotateTeamKey(); err != nil {
		t.Fatal(err)
	}
	after := mustAdd(t, admin.v, &record.Note{Text: "written to the new key"})
	syncAll(t, admin, other)
	for _, d := range []*device{admin, other} {
		if _, err := d.v.Get(after.ID); err != nil {
			t.Fatalf("a note written after the rotation did not reach a device: %v", err)
		}
		wantQuarantined(t, d, "the note it carries is not valid", `unknown kind "spell"`)
	}
}

// TestMisaddressedEnvelopesAreQuarantined: a member signs genuine-looking
// notes that name another team, an epoch or an audience other than the
// key they are encrypted to, or that go to one device's own key (only key
// grants do). Each is quarantined, saying which.
func TestMisaddressedEnvelopesAreQuarantined(t *testing.T) {
	r := startRelay(t)
	ds := formTeam(t, r, 3)
	admin, other := ds[0], ds[2]
	m := seize(t, ds[1])

	otherTeam := m.note(`{"text":"for another team"}`)
	otherTeam.Team = storage.NewID()
	wrongEpoch := m.note(`{"text":"for a later epoch"}`)
	wrongEpoch.Epoch = m.newest() + 5
	restricted := m.note(`{"text":"for the lawyers"}`)
	restricted.Audience = storage.NewID()
	device := m.note(`{"text":"for one device"}`)
	device.Audience, device.Epoch = envelope.AudienceDevice, 0
	to, err := age.ParseHybridRecipient(other.v.Recipient())
	if err != nil {
		t.Fatal(err)
	}
	m.send(t, m.seal(t, otherTeam, nil), m.seal(t, wrongEpoch, nil), m.seal(t, restricted, nil), m.seal(t, device, to))

	syncAll(t, admin, other)
	wantQuarantined(t, other, "addressed to another team", "addressed to epoch "+strconv.FormatUint(m.newest()+5, 10),
		"addressed to restricted audience "+restricted.Audience, "note addressed to one device's own key")
	wantQuarantined(t, admin, "addressed to another team", "addressed to epoch", "addressed to restricted audience")
	for _, rev := range []envelope.Revision{otherTeam, wrongEpoch, restricted, device} {
		if _, err := other.v.Get(rev.Record); err == nil {
			t.Fatal("a misaddressed note was applied")
		}
	}
}

// TestVersion1AfterVersion2IsADowngrade: a member that has written the
// new envelope format sends one in the old format, which signs no
// audience or epoch: it is quarantined as a downgrade. A device that
// never wrote the new format (an old build) is still heard.
func TestVersion1AfterVersion2IsADowngrade(t *testing.T) {
	r := startRelay(t)
	ds := formTeam(t, r, 4)
	admin, member, other := ds[0], ds[1], ds[2]
	mustAdd(t, member.v, &record.Note{Text: "in the new format"})
	syncAll(t, admin, member, other)
	m, old := seize(t, member), seize(t, ds[3])

	downgrade := m.note(`{"text":"in the old format"}`)
	downgrade.Epoch = 0
	oldBuild := old.note(`{"text":"from a device not updated yet"}`)
	oldBuild.Epoch = 0
	for _, s := range []struct {
		by  *seized
		rev envelope.Revision
	}{{m, downgrade}, {old, oldBuild}} {
		ct, _, err := envelope.SealVersion1(s.rev, s.by.signer, s.by.audiences[s.by.newest()].(*age.HybridIdentity).Recipient())
		if err != nil {
			t.Fatal(err)
		}
		s.by.send(t, ct)
	}
	syncAll(t, admin, other)
	for _, d := range []*device{admin, other} {
		wantQuarantined(t, d, "downgrade: written in the old envelope format by "+storage.Fingerprint(m.signer.Public().(ed25519.PublicKey)))
		if _, err := d.v.Get(oldBuild.Record); err != nil {
			t.Fatalf("the old device's note was not applied: %v", err)
		}
	}
}

// TestFarFutureClockDoesNotDragTheTeam: a member edits a shared note with
// a time in year 292278994 and a full logical counter. The edit applies
// with that time, but the other devices' clocks stay near now: two of
// them then edit the note concurrently, and the one that edits later wins
// the merge everywhere, as it would have without the attacker.
func TestFarFutureClockDoesNotDragTheTeam(t *testing.T) {
	r := startRelay(t)
	ds := formTeam(t, r, 4)
	admin, other, third := ds[0], ds[2], ds[3]
	shared := mustAdd(t, admin.v, &record.Note{Text: "shared"})
	syncAll(t, ds...)
	m := seize(t, ds[1])

	cur, err := admin.v.Get(shared.ID)
	if err != nil {
		t.Fatal(err)
	}
	edit := m.note(`{"text":"from year 292278994"}`)
	edit.Record, edit.Parents = shared.ID, cur.Heads
	edit.Time = hlc.Timestamp{Wall: math.MaxInt64 - 1, Logical: math.MaxUint32}
	m.send(t, m.seal(t, edit, nil))
	syncAll(t, admin, other, third)
	for _, d := range []*device{admin, other, third} {
		got, err := d.v.Get(shared.ID)
		if err != nil || got.Updated != edit.Time {
			t.Fatalf("the far-future edit did not apply with its time as written: %+v, %v", got, err)
		}
	}

	first, err := other.v.Update(shared.ID, &record.Note{Text: "earlier honest edit"})
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(5 * time.Millisecond)
	later, err := third.v.Update(shared.ID, &record.Note{Text: "later honest edit"})
	if err != nil {
		t.Fatal(err)
	}
	if first.Updated != edit.Time || later.Updated != edit.Time {
		t.Fatalf("update times %v and %v, want the far-future edit's %v: no honest edit may be stamped after it", first.Updated, later.Updated, edit.Time)
	}
	now := time.Now()
	syncAll(t, admin, other, third)
	for _, d := range []*device{admin, other, third} {
		got, err := d.v.Get(shared.ID)
		if err != nil {
			t.Fatal(err)
		}
		var n record.Note
		if err := json.Unmarshal(got.Body, &n); err != nil || n.Text != "later honest edit" {
			t.Fatalf("merged note says %q, %v; want the later honest edit", n.Text, err)
		}
		hist, err := d.v.History(shared.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, h := range hist {
			if h.Author == hex.EncodeToString(m.signer.Public().(ed25519.PublicKey)) {
				continue
			}
			if ahead := h.Time.Time().Sub(now); ahead > time.Minute {
				t.Fatalf("an honest revision is stamped %v, %v ahead of now: the attacker dragged a clock", h.Time, ahead)
			}
		}
	}
}

// mustAdd saves a record in v.
func mustAdd(t *testing.T, v *storage.Vault, b record.Body) *storage.Record {
	t.Helper()
	r, err := v.Add(b)
	if err != nil {
		t.Fatal(err)
	}
	return r
}
