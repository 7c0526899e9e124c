package storage

import (
	"encoding/hex"
	"encoding/json"
	"testing"
	"time"

	"github.com/dgraph-io/badger/v4"
)

// TestLegacyTeamVaultHeartbeats: vaults of a team made by an older
// version (testdata/legacyteam: no chain of the relay's log, no
// heartbeats) write heartbeats, read each other's and show when the other
// was last heard from, without a warning; a heartbeat is written again
// only when something changed or it is old.
func TestLegacyTeamVaultHeartbeats(t *testing.T) {
	a, b := openLegacyTeam(t)
	if p, err := a.LogCursor(); err != nil || p.Hash != nil {
		t.Fatalf("a legacy vault's log cursor: %+v, %v; want no chain hash", p, err)
	}
	now := time.Now()
	for _, v := range []*Vault{a, b} {
		if wrote, err := v.WriteHeartbeat(now, HeartbeatEvery); err != nil || !wrote {
			t.Fatalf("first heartbeat of a legacy vault: %v, %v", wrote, err)
		}
	}
	log := &fakeLog{}
	log.exchange(t, a, b)
	for _, v := range []*Vault{a, b} {
		rep, err := v.Watch()
		if err != nil || len(rep.Warnings) != 0 {
			t.Fatalf("watch: %+v, %v; want no warning", rep, err)
		}
		heard := 0
		for _, h := range rep.Devices {
			if !h.ThisDevice && !h.Last.IsZero() {
				heard++
			}
		}
		if heard == 0 {
			t.Fatalf("no other device heard from: %+v", rep.Devices)
		}
	}
	if wrote, err := a.WriteHeartbeat(now.Add(time.Minute), HeartbeatEvery); err != nil || wrote {
		t.Fatalf("a heartbeat with nothing changed: %v, %v", wrote, err)
	}
	if wrote, err := a.WriteHeartbeat(now.Add(HeartbeatEvery+time.Minute), HeartbeatEvery); err != nil || !wrote {
		t.Fatalf("a heartbeat after %v: %v, %v", HeartbeatEvery, wrote, err)
	}
}

// TestMalformedHeartbeatIsQuarantined: a member's heartbeat whose body is
// not a heartbeat is set aside with a reason, and changes nothing.
func TestMalformedHeartbeatIsQuarantined(t *testing.T) {
	log, vs := newTeam(t, 2)
	a, b := vs[0], vs[1]
	err := a.update("write a bad heartbeat", func(txn *badger.Txn) error {
		return a.writeSystem(txn, kindHeartbeat, json.RawMessage(`{"held": "everything"}`), a.teamAddress())
	})
	if err != nil {
		t.Fatal(err)
	}
	log.exchange(t, a, b)
	qs, err := b.Quarantined()
	if err != nil || len(qs) != 1 {
		t.Fatalf("quarantine: %+v, %v; want the bad heartbeat", qs, err)
	}
	rep, err := b.Watch()
	if err != nil || len(rep.Warnings) != 0 {
		t.Fatalf("watch after a bad heartbeat: %+v, %v", rep, err)
	}
}

// TestSequenceNumbersFarAheadCannotStallTheWatch: a hostile member signs
// a revision numbered 2^40 and a heartbeat that claims records, and
// private ones, up to 2^62. Every other device lists a bounded number of
// gaps, its watch finishes, and it warns of the records the member claims
// are hidden rather than excusing them.
func TestSequenceNumbersFarAheadCannotStallTheWatch(t *testing.T) {
	log, vs := newTeam(t, 2)
	a, m := vs[0], vs[1]
	rev := forgedRevision(m, 1<<40)
	rev.Team = teamOf(t, a)
	ct, _, err := m.teamAddress().seal(&rev, m.signer)
	if err != nil {
		t.Fatal(err)
	}
	if out, err := a.Receive(ct); err != nil || out != Applied {
		t.Fatalf("a member's revision numbered 2^40: %v, %v", out, err)
	}
	gaps, err := a.Gaps()
	if err != nil {
		t.Fatal(err)
	}
	if n := len(gaps[Fingerprint(m.DeviceKey())]); n != 100_000 {
		t.Fatalf("%d gaps listed for the member, want the cap of 100,000", n)
	}

	own := hex.EncodeToString(m.DeviceKey())
	hb := heartbeat{Held: map[string]uint64{own: 1 << 62}, Private: [][2]uint64{{1, 1 << 62}}}
	err = m.update("write a boastful heartbeat", func(txn *badger.Txn) error {
		return m.writeSystem(txn, kindHeartbeat, hb, m.teamAddress())
	})
	if err != nil {
		t.Fatal(err)
	}
	log.exchange(t, a, m)
	rep, err := a.Watch()
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Warnings) == 0 || rep.Warnings[0].Kind != WarnHidden {
		t.Fatalf("warnings %+v; want the records the member claims, hidden", rep.Warnings)
	}
}
