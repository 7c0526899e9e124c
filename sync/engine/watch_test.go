package engine

import (
	"context"
	"crypto/ed25519"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/letapis/letapis/internal/withhold"
	"github.com/letapis/letapis/storage"
	"github.com/letapis/letapis/storage/record"
	"github.com/letapis/letapis/sync/client"
)

// teamOf returns the team id of d's vault.
func teamOf(t *testing.T, d *device) string {
	t.Helper()
	st, err := d.v.Team()
	if err != nil {
		t.Fatal(err)
	}
	return st.Team
}

// watch returns d's warnings, in plain words.
func watch(t *testing.T, d *device) []string {
	t.Helper()
	rep, err := d.v.Watch()
	if err != nil {
		t.Fatal(err)
	}
	var ws []string
	for _, w := range rep.Warnings {
		ws = append(ws, w.String())
	}
	return ws
}

// note adds a note to d's vault.
func note(t *testing.T, d *device, text string) *storage.Record {
	t.Helper()
	rec, err := d.v.Add(&record.Note{Text: text})
	if err != nil {
		t.Fatal(err)
	}
	return rec
}

// once runs one pass on d and returns its error.
func once(d *device) error {
	_, err := d.e.Once(context.Background())
	return err
}

// isMember reports whether d's roster lists other as a member.
func isMember(t *testing.T, d, other *device) bool {
	t.Helper()
	ms, err := d.v.Members()
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range ms {
		if m.Device.Equal(other.v.DeviceKey()) {
			return !m.Removed
		}
	}
	return false
}

// TestRelayHidingTheRemovalIsCaught: the attack. An admin
// removes a member (a roster entry and new team keys); the relay hides
// those entries from one member. With a plain gap, the victim's sync fails
// naming the missing entries, and what it writes meanwhile (sealed to the
// old key, which the removed member holds) is not sent. With a consistent
// fork instead, the victim syncs, but the admin's heartbeat exposes the
// fork and the hidden records.
func TestRelayHidingTheRemovalIsCaught(t *testing.T) {
	for _, fork := range []bool{false, true} {
		name := map[bool]string{false: "gap", true: "fork"}[fork]
		t.Run(name, func(t *testing.T) {
			w, ds, team := withheldTeam(t, 3)
			admin, victim, removed := ds[0], ds[1], ds[2]
			before := logHead(t, w, team)
			if err := admin.e.Remove(context.Background(), storage.Fingerprint(removed.v.DeviceKey())); err != nil {
				t.Fatal(err)
			}
			if err := once(admin); err != nil {
				t.Fatal(err)
			}
			w.Show(pseudonymOf(t, victim), withhold.View{Hide: entriesAfter(t, w, team, before), Fork: fork})
			note(t, admin, "after the removal")
			if err := once(admin); err != nil {
				t.Fatal(err)
			}

			secret := note(t, victim, "written while the relay hides the removal")
			err := once(victim)
			if !fork {
				if !errors.Is(err, ErrWithheld) || !errors.Is(err, client.ErrTampered) || !strings.Contains(err.Error(), "missing") {
					t.Fatalf("victim's sync over a log with a gap: %v, want ErrWithheld naming the missing entries", err)
				}
				if n, _ := victim.v.OutboxLen(); n == 0 {
					t.Fatal("the victim sent its record through a log with a gap")
				}
				if entriesAfter(t, w, team, 0)[envelopeOf(t, victim, secret)] {
					t.Fatal("the victim's record, sealed to the old key, reached the relay")
				}
				if err := once(victim); !errors.Is(err, ErrWithheld) {
					t.Fatalf("victim's second sync: %v, want ErrWithheld again", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("victim's sync over a consistent fork: %v", err)
			}
			if !isMember(t, victim, removed) {
				t.Fatal("the fork did not hide the removal: the test proves nothing")
			}
			ws := watch(t, victim)
			if !hasWarning(ws, "different history") || !hasWarning(ws, "hiding") {
				t.Fatalf("victim's warnings after the relay hid the removal: %q; want a fork and hidden records from %s", ws, storage.Fingerprint(admin.v.DeviceKey()))
			}
		})
	}
}

// envelopeOf returns the envelope id of the newest revision of rec.
func envelopeOf(t *testing.T, d *device, rec *storage.Record) string {
	t.Helper()
	h, err := d.v.History(rec.ID)
	if err != nil || len(h) == 0 {
		t.Fatalf("history of %s: %v", rec.ID, err)
	}
	return h[len(h)-1].Envelope
}

func hasWarning(ws []string, part string) bool {
	for _, w := range ws {
		if strings.Contains(w, part) {
			return true
		}
	}
	return false
}

// TestLogGapIsRefused: the relay leaves one entry out of a page. The
// receiving device refuses the page, names the entry and receives none
// of it; once the relay shows the whole log again, it receives all.
func TestLogGapIsRefused(t *testing.T) {
	w, ds, _ := withheldTeam(t, 2)
	a, b := ds[0], ds[1]
	hidden := note(t, a, "the relay hides this one")
	note(t, a, "and shows this one")
	if err := once(a); err != nil {
		t.Fatal(err)
	}
	w.Show(pseudonymOf(t, b), withhold.View{Hide: map[string]bool{envelopeOf(t, a, hidden): true}})
	cursor, _ := b.v.LogCursor()
	err := once(b)
	if !errors.Is(err, ErrWithheld) || !strings.Contains(err.Error(), "missing from the log") {
		t.Fatalf("a page with a gap: %v, want ErrWithheld naming the missing entry", err)
	}
	if after, _ := b.v.LogCursor(); after.Seq != cursor.Seq {
		t.Fatalf("the cursor moved from %d to %d over a gap", cursor.Seq, after.Seq)
	}
	w.Show(pseudonymOf(t, b), withhold.View{})
	if err := once(b); err != nil {
		t.Fatalf("the whole log again: %v", err)
	}
	if _, err := b.v.Get(hidden.ID); err != nil {
		t.Fatalf("the record once hidden: %v", err)
	}
}

// TestRewrittenLogIsRefused: after a device verified the log, the relay
// shows it another history of what it verified (an entry taken out and
// the rest renumbered, re-chained and signed). The device refuses it.
func TestRewrittenLogIsRefused(t *testing.T) {
	w, ds, _ := withheldTeam(t, 2)
	a, b := ds[0], ds[1]
	first := note(t, a, "the relay will erase this one from history")
	if err := once(a); err != nil {
		t.Fatal(err)
	}
	syncAll(t, a, b)
	if _, err := b.v.Get(first.ID); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		note(t, a, "later")
	}
	if err := once(a); err != nil {
		t.Fatal(err)
	}
	w.Show(pseudonymOf(t, b), withhold.View{Hide: map[string]bool{envelopeOf(t, a, first): true}, Fork: true})
	err := once(b)
	if !errors.Is(err, ErrWithheld) || !strings.Contains(err.Error(), "rewritten") {
		t.Fatalf("a rewritten history: %v, want ErrWithheld saying it was rewritten", err)
	}
}

// TestForkedHistoryIsReported: the relay shows two devices two different
// histories, each consistent and signed: one device never sees a record
// of the other. Their heartbeats expose the fork on both sides.
func TestForkedHistoryIsReported(t *testing.T) {
	w, ds, team := withheldTeam(t, 2)
	a, b := ds[0], ds[1]
	before := logHead(t, w, team)
	hidden := note(t, a, "shown to A only")
	if err := once(a); err != nil {
		t.Fatal(err)
	}
	w.Show(pseudonymOf(t, b), withhold.View{Hide: entriesAfter(t, w, team, before), Fork: true})
	for range 2 {
		note(t, a, "shown to both")
		note(t, b, "from B")
		syncAll(t, a, b)
	}
	if _, err := b.v.Get(hidden.ID); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("B has the hidden record: %v; the test proves nothing", err)
	}
	for _, d := range []*device{a, b} {
		if ws := watch(t, d); !hasWarning(ws, "different history") {
			t.Errorf("device %s's warnings: %q, want a fork", storage.Fingerprint(d.v.DeviceKey()), ws)
		}
	}
}

// TestWithheldAuthorIsReported: the relay leaves one device's records out
// of everyone else's log (a fork they share, consistent and signed) but
// lets its heartbeat through. The others learn from its version vector
// that it holds records they lack, and how many.
func TestWithheldAuthorIsReported(t *testing.T) {
	w, ds, _ := withheldTeam(t, 3)
	a, b, x := ds[0], ds[1], ds[2]
	var withheld []*storage.Record
	for i := range 3 {
		withheld = append(withheld, note(t, x, "withheld "+string(rune('1'+i))))
	}
	if err := once(x); err != nil {
		t.Fatal(err)
	}
	// X's three records are hidden from A and B; its heartbeats are not.
	hide := map[string]bool{}
	for _, rec := range withheld {
		hide[envelopeOf(t, x, rec)] = true
	}
	for _, d := range []*device{a, b} {
		w.Show(pseudonymOf(t, d), withhold.View{Hide: hide, Fork: true})
	}
	note(t, a, "from A")
	syncAll(t, a, b, x)
	want := "hiding 3 records from device " + storage.Fingerprint(x.v.DeviceKey())
	for _, d := range []*device{a, b} {
		if ws := watch(t, d); !hasWarning(ws, want) {
			t.Errorf("device %s's warnings: %q, want %q", storage.Fingerprint(d.v.DeviceKey()), ws, want)
		}
	}
}

// TestRestrictedRecordsRaiseNoFalseAlarm: through an honest relay, a
// device outside a restricted audience cannot open the audience's
// records, nor the key grants to other devices, and holds none of their
// sequence numbers; the heartbeats of those who hold them raise no
// warning on it, and none on anyone else.
func TestRestrictedRecordsRaiseNoFalseAlarm(t *testing.T) {
	r := startRelay(t)
	ds := formTeam(t, r, 3)
	a, b, outsider := ds[0], ds[1], ds[2]
	aud, err := a.v.CreateAudience("lawyers", []ed25519.PublicKey{b.v.DeviceKey()})
	if err != nil {
		t.Fatal(err)
	}
	syncAll(t, ds...)
	for _, d := range []*device{a, b} {
		if _, err := d.v.Add(&record.Testimony{Interviewee: "V", Consent: record.Consent{Scopes: []string{"legal"}}, Text: "restricted", Audience: aud}); err != nil {
			t.Fatal(err)
		}
	}
	note(t, a, "for everyone")
	syncAll(t, ds...)
	gaps, err := outsider.v.Gaps()
	if err != nil || len(gaps) == 0 {
		t.Fatalf("the outsider's gaps: %v, %v; want the restricted records' numbers (the test proves nothing otherwise)", gaps, err)
	}
	for _, d := range ds {
		if ws := watch(t, d); len(ws) != 0 {
			t.Errorf("device %s warns through an honest relay: %q", storage.Fingerprint(d.v.DeviceKey()), ws)
		}
	}
}

// TestSilentDeviceShowsLastHeard: every device shows when each other was
// last heard from; a device the relay silences (nothing of it shown any
// more) keeps the time of its last record, which grows old while the
// others' move on.
func TestSilentDeviceShowsLastHeard(t *testing.T) {
	w, ds, team := withheldTeam(t, 3)
	a, b, silent := ds[0], ds[1], ds[2]
	note(t, silent, "the last thing heard from it")
	syncAll(t, ds...)
	heard := lastHeard(t, a, silent)
	if heard.IsZero() || time.Since(heard) > time.Minute {
		t.Fatalf("the silent device was last heard from at %v, want just now", heard)
	}
	time.Sleep(20 * time.Millisecond)
	head := logHead(t, w, team)
	note(t, silent, "never shown")
	if err := once(silent); err != nil {
		t.Fatal(err)
	}
	// The relay shows the others a log without anything the device sends
	// from now on (consistent and signed, so their syncs go on).
	hide := entriesAfter(t, w, team, head)
	for _, d := range []*device{a, b} {
		w.Show(pseudonymOf(t, d), withhold.View{Hide: hide, Fork: true})
	}
	note(t, b, "B goes on")
	syncAll(t, a, b)
	if got := lastHeard(t, a, silent); !got.Equal(heard) {
		t.Fatalf("the silenced device was last heard from at %v, want %v still", got, heard)
	}
	if got := lastHeard(t, a, b); !got.After(heard) {
		t.Fatalf("B was last heard from at %v, not after the silenced device (%v)", got, heard)
	}
}

// lastHeard returns when d last heard from other.
func lastHeard(t *testing.T, d, other *device) time.Time {
	t.Helper()
	rep, err := d.v.Watch()
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range rep.Devices {
		if h.Fingerprint == storage.Fingerprint(other.v.DeviceKey()) {
			return h.Last
		}
	}
	t.Fatalf("device %s is not in the report", storage.Fingerprint(other.v.DeviceKey()))
	return time.Time{}
}

// TestUnpublishedRecordIsRefused: the relay acknowledges a device's
// record under its signature but leaves it out of the log, which it
// re-chains and signs. Reading the log past the acknowledged entry, the
// device finds another one there and refuses the log.
func TestUnpublishedRecordIsRefused(t *testing.T) {
	w, ds, _ := withheldTeam(t, 2)
	a, b := ds[0], ds[1]
	rec := note(t, a, "acknowledged, never published")
	w.Show(pseudonymOf(t, a), withhold.View{Fork: true, RealReceipts: true})
	if err := once(a); err != nil {
		t.Fatal(err)
	}
	w.Show(pseudonymOf(t, a), withhold.View{Hide: map[string]bool{envelopeOf(t, a, rec): true}, Fork: true, RealReceipts: true})
	note(t, b, "something after it")
	if err := once(b); err != nil {
		t.Fatal(err)
	}
	err := once(a)
	if !errors.Is(err, ErrWithheld) || !strings.Contains(err.Error(), "did not publish") {
		t.Fatalf("a log without an acknowledged record: %v, want ErrWithheld saying the relay did not publish it", err)
	}
}
