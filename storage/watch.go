package storage

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/dgraph-io/badger/v4"

	"github.com/letapis/letapis/storage/envelope"
)

// What the heartbeats of the other devices (heartbeat.go) say about the
// relay, compared with what this vault holds and verified:
//
//   - A fork: another device verified a point of the relay's log that this
//     vault's own chain contradicts (another hash at the same entry), or
//     one beyond everything the relay showed this vault although its
//     heartbeat came through that log after the point. The relay shows the
//     two devices different histories.
//   - Hidden records: another device holds records of some author up to a
//     sequence number, and this vault lacks some of them. Records this
//     vault cannot decrypt (a restricted audience it is not in, key grants
//     to other devices, heartbeats from before it joined) raise no alarm.
//     A device whose verified relay head this vault's chain shares read
//     the same log as this vault: what it holds of other authors came
//     through that log, readable here or not, and so did its own
//     revisions up to the number its heartbeat says were logged. Above
//     that number, its heartbeat lists which of its own revisions are
//     sealed to less than the whole team. Heartbeats are sealed to every
//     member's own device key, so that a device from which the relay hid
//     a key rotation still reads them.
//
// Every device also shows when it was last heard from (its newest
// revision or heartbeat), so that a device the relay silences entirely is
// seen too.

// WarningKind says what a Warning is about.
type WarningKind string

// Kinds of warnings.
const (
	// WarnHidden: another device holds records this vault lacks.
	WarnHidden WarningKind = "hidden"
	// WarnFork: another device verified a history of the relay's log
	// that contradicts this vault's.
	WarnFork WarningKind = "fork"
)

// Warning is a sign that the relay hides or rewrites records.
type Warning struct {
	Kind WarningKind `json:"kind"`
	// Reporter is the fingerprint of the device whose heartbeat shows it.
	Reporter string `json:"reporter"`
	// Author is, for WarnHidden, the fingerprint of the device that wrote
	// the missing records.
	Author string `json:"author,omitempty"`
	// Count is, for WarnHidden, how many of Author's records are missing.
	Count int `json:"count,omitempty"`
	// Seq is, for WarnFork, the entry of the relay's log where the two
	// histories differ (the reporter's verified head); Own is the last
	// entry this vault verified.
	Seq uint64 `json:"seq,omitempty"`
	Own uint64 `json:"own,omitempty"`
	// Since is when the reporter wrote the heartbeat that shows it.
	Since time.Time `json:"since"`
}

// String says the warning in plain English.
func (w Warning) String() string {
	day := w.Since.Local().Format("2 Jan 2006 15:04")
	switch w.Kind {
	case WarnFork:
		if w.Seq > w.Own {
			return fmt.Sprintf("the relay may be showing device %s a different history: it verified the team's log up to entry %d (heartbeat of %s), the relay shows this device only %d", w.Reporter, w.Seq, day, w.Own)
		}
		return fmt.Sprintf("the relay may be showing device %s a different history: its entry %d differs from the one this device verified (heartbeat of %s)", w.Reporter, w.Seq, day)
	}
	from := "device " + w.Author
	if w.Author != w.Reporter {
		from += " (device " + w.Reporter + " holds them)"
	}
	return fmt.Sprintf("the relay may be hiding %d %s from %s since %s", w.Count, plural(w.Count, "record", "records"), from, day)
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// Heard is when a device of the team was last heard from.
type Heard struct {
	Fingerprint string `json:"fingerprint"`
	ThisDevice  bool   `json:"this_device,omitempty"`
	Removed     bool   `json:"removed,omitempty"`
	// Last is the time of its newest revision or heartbeat this vault
	// holds; zero if none.
	Last time.Time `json:"last,omitzero"`
}

// WatchReport is what Watch finds.
type WatchReport struct {
	Warnings []Warning `json:"warnings"`
	Devices  []Heard   `json:"devices"`
}

// Watch compares the latest heartbeat of every other device of the team
// with what this vault holds and verified, and says when each device was
// last heard from.
func (v *Vault) Watch() (*WatchReport, error) {
	rep := &WatchReport{Warnings: []Warning{}, Devices: []Heard{}}
	err := v.view(func(txn *badger.Txn) error {
		var t TeamState
		found, err := getJSON(txn, []byte(keyTeam), &t)
		if err != nil || !found {
			return errOr(err, ErrNoTeam)
		}
		ms, err := members(txn)
		if err != nil {
			return err
		}
		slices.SortStableFunc(ms, func(x, y Member) int { return x.Added.Compare(y.Added) })
		own := hex.EncodeToString(v.DeviceKey())
		removed := map[string]*Member{}
		for i := range ms {
			if ms[i].Removed {
				removed[hex.EncodeToString(ms[i].Device)] = &ms[i]
			}
		}
		seqs, err := heldSeqs(txn)
		if err != nil {
			return err
		}
		gaps, held := gapsIn(seqs, own), highestOf(seqs)
		// What each author says of its own private sequence numbers.
		private := map[string][][2]uint64{}
		for _, m := range ms {
			author := hex.EncodeToString(m.Device)
			if hb, err := loadHeartbeat(txn, author); err != nil {
				return err
			} else if hb != nil {
				private[author] = hb.Body.Private
			}
		}
		for _, m := range ms {
			author := hex.EncodeToString(m.Device)
			h := Heard{Fingerprint: m.Fingerprint(), ThisDevice: author == own, Removed: m.Removed}
			var heard int64
			if _, err := getJSON(txn, key(pfxHeard, author), &heard); err != nil {
				return err
			}
			if heard > 0 {
				h.Last = time.UnixMilli(heard).UTC()
			}
			rep.Devices = append(rep.Devices, h)
			if author == own || m.Removed {
				continue
			}
			hb, err := loadHeartbeat(txn, author)
			if err != nil {
				return err
			}
			if hb == nil {
				continue
			}
			ws, err := compareHeartbeat(txn, &m, hb, t.Cursor, own, removed, held, gaps, private)
			if err != nil {
				return err
			}
			rep.Warnings = append(rep.Warnings, ws...)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("watch the relay: %w", err)
	}
	return rep, nil
}

// compareHeartbeat compares the heartbeat hb of device m with this vault,
// which received the relay's log up to cursor and holds, per author (hex),
// sequence numbers up to held with gaps (by fingerprint, from Gaps), and
// knows from each author's own heartbeat its private sequence numbers.
func compareHeartbeat(txn *badger.Txn, m *Member, hb *storedHeartbeat, cursor uint64, own string,
	removed map[string]*Member, held map[string]uint64, gaps map[string][]uint64, private map[string][][2]uint64) ([]Warning, error) {
	var ws []Warning
	// sameLog: the reporter read the log this vault read, up to its head;
	// a reporter that has verified no head yet has read nothing of it.
	sameLog := hb.Body.Head == nil
	if head := hb.Body.Head; head != nil {
		fork := Warning{Kind: WarnFork, Reporter: m.Fingerprint(), Seq: head.Seq, Own: cursor, Since: hb.Time}
		switch {
		case head.Seq > cursor:
			// The heartbeat came through the log after its head: an honest
			// log shows this vault that head too.
			ws = append(ws, fork)
		default:
			mine, err := chainAt(txn, head.Seq)
			switch {
			case err != nil:
				return nil, err
			case mine == nil:
				// A point before this vault's chain began (a vault from
				// before chained logs): nothing to compare.
				sameLog = true
			case bytes.Equal(mine, head.Hash):
				sameLog = true
			default:
				ws = append(ws, fork)
			}
		}
	}
	reporter := hex.EncodeToString(m.Device)
	authors := make([]string, 0, len(hb.Body.Held))
	for a := range hb.Body.Held {
		authors = append(authors, a)
	}
	slices.Sort(authors)
	for _, author := range authors {
		upTo := hb.Body.Held[author]
		if author == own || (author != reporter && sameLog) {
			continue
		}
		if r := removed[author]; r != nil {
			upTo = min(upTo, r.LastSeq) // later ones are refused everywhere
		}
		device, err := hex.DecodeString(author)
		if err != nil {
			continue
		}
		// Below from, the reporter's own revisions are in the log this
		// vault read, if it read the same.
		from := uint64(0)
		if author == reporter && sameLog {
			from = hb.Body.Logged
		}
		missing := 0
		for _, s := range gaps[Fingerprint(device)] {
			if s > from && s <= upTo {
				missing++
			}
		}
		if upTo > max(held[author], from) {
			missing += int(upTo - max(held[author], from))
		}
		missing -= privateUpTo(private[author], upTo, func(s uint64) bool { return hasSeq(txn, author, s) })
		if missing > 0 {
			ws = append(ws, Warning{Kind: WarnHidden, Reporter: m.Fingerprint(), Author: Fingerprint(device), Count: missing, Since: hb.Time})
		}
	}
	return ws, nil
}

// privateUpTo counts the sequence numbers in ranges, up to upTo, that
// this vault does not hold (has reports whether it does).
// It looks at no more than maxPrivateChecked numbers, so that a heartbeat
// claiming huge ranges costs no more than that (and excuses no more).
func privateUpTo(ranges [][2]uint64, upTo uint64, has func(uint64) bool) int {
	const maxPrivateChecked = 100_000
	n, checked := 0, 0
	for _, r := range ranges {
		for s := r[0]; s <= min(r[1], upTo) && checked < maxPrivateChecked; s, checked = s+1, checked+1 {
			if !has(s) {
				n++
			}
		}
	}
	return n
}

// pfxRefused keys, per author (hex) and sequence number, the envelopes
// the vault verified and then set aside (quarantined or held): it has
// received them, so they are not records a relay withholds.
const pfxRefused = "refused/"

// noteRefused notes that the verified revision rev was set aside.
func noteRefused(txn *badger.Txn, rev *envelope.Revision) error {
	return txn.Set(key(pfxRefused, hex.EncodeToString(rev.Author), "/", fmt.Sprintf("%016x", rev.Seq)), nil)
}

// hasSeq reports whether the vault holds author's (hex) revision seq, or
// verified and set it aside.
func hasSeq(txn *badger.Txn, author string, seq uint64) bool {
	for _, pfx := range []string{pfxHave, pfxRefused} {
		if _, err := txn.Get(key(pfx, author, "/", fmt.Sprintf("%016x", seq))); err == nil {
			return true
		}
	}
	return false
}

// heldSeqs returns, per author (hex), the sorted sequence numbers of the
// revisions the vault holds (heartbeats included) or verified and set
// aside.
func heldSeqs(txn *badger.Txn) (map[string][]uint64, error) {
	held := map[string][]uint64{}
	for _, pfx := range []string{pfxHave, pfxRefused} {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: []byte(pfx)})
		for it.Rewind(); it.Valid(); it.Next() {
			a, s, ok := strings.Cut(string(it.Item().Key()[len(pfx):]), "/")
			var seq uint64
			if _, err := fmt.Sscanf(s, "%x", &seq); !ok || err != nil {
				continue
			}
			held[a] = append(held[a], seq)
		}
		it.Close()
	}
	for a := range held {
		slices.Sort(held[a])
		held[a] = slices.Compact(held[a])
	}
	return held, nil
}

// highestOf returns, per author (hex), the highest of the sequence numbers
// heldSeqs returned.
func highestOf(seqs map[string][]uint64) map[string]uint64 {
	held := make(map[string]uint64, len(seqs))
	for a, s := range seqs {
		held[a] = s[len(s)-1]
	}
	return held
}
