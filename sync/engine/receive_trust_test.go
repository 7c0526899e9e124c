package engine

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"testing"
	"time"

	"filippo.io/age"

	"github.com/letapis/letapis/internal/hostile"
	"github.com/letapis/letapis/storage"
	"github.com/letapis/letapis/storage/envelope"
	"github.com/letapis/letapis/storage/hlc"
	"github.com/letapis/letapis/storage/record"
)

// seized is a member whose keys are out of its vault, with its engine's
// credentials at the relay.
type seized struct {
	*hostile.Member
	d *device
}

// seize closes d's vault and reads its keys from its files, as someone
// holding the laptop and the passphrase can. d's engine still reaches the
// relay with d's credentials.
func seize(t *testing.T, d *device) *seized {
	t.Helper()
	if err := d.v.Close(); err != nil {
		t.Fatal(err)
	}
	m, err := hostile.Seize(d.v.Dir(), "test passphrase")
	if err != nil {
		t.Fatal(err)
	}
	return &seized{Member: m, d: d}
}

// seal signs rev and encrypts it to to (the newest team key if nil).
func (s *seized) seal(t *testing.T, rev envelope.Revision, to age.Recipient) []byte {
	t.Helper()
	ct, err := s.Seal(rev, to)
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

	unknown := m.Note(`{"text":"a spell"}`)
	unknown.Kind = "spell"
	m.send(t, m.seal(t, m.Note(`{"text":7,"extra":"field"}`), nil), m.seal(t, unknown, nil))

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

	otherTeam := m.Note(`{"text":"for another team"}`)
	otherTeam.Team = storage.NewID()
	wrongEpoch := m.Note(`{"text":"for a later epoch"}`)
	wrongEpoch.Epoch = m.Newest() + 5
	restricted := m.Note(`{"text":"for the lawyers"}`)
	restricted.Audience = storage.NewID()
	device := m.Note(`{"text":"for one device"}`)
	device.Audience, device.Epoch = envelope.AudienceDevice, 0
	to, err := age.ParseHybridRecipient(other.v.Recipient())
	if err != nil {
		t.Fatal(err)
	}
	m.send(t, m.seal(t, otherTeam, nil), m.seal(t, wrongEpoch, nil), m.seal(t, restricted, nil), m.seal(t, device, to))

	syncAll(t, admin, other)
	wantQuarantined(t, other, "addressed to another team", "addressed to epoch "+strconv.FormatUint(m.Newest()+5, 10),
		"addressed to restricted audience "+restricted.Audience, "note addressed to devices' own keys")
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

	downgrade := m.Note(`{"text":"in the old format"}`)
	downgrade.Epoch = 0
	oldBuild := old.Note(`{"text":"from a device not updated yet"}`)
	oldBuild.Epoch = 0
	for _, s := range []struct {
		by  *seized
		rev envelope.Revision
	}{{m, downgrade}, {old, oldBuild}} {
		ct, err := s.by.SealVersion1(s.rev)
		if err != nil {
			t.Fatal(err)
		}
		s.by.send(t, ct)
	}
	syncAll(t, admin, other)
	for _, d := range []*device{admin, other} {
		wantQuarantined(t, d, "downgrade: written in the old envelope format by "+storage.Fingerprint(m.Device()))
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
	edit := m.Note(`{"text":"from year 292278994"}`)
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
			if h.Author == hex.EncodeToString(m.Device()) {
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
