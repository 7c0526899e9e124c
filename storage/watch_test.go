package storage

import (
	"encoding/json"
	"os"
	"path/filepath"
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
	open := func(name string) *Vault {
		dir := filepath.Join(t.TempDir(), name)
		if err := os.CopyFS(dir, os.DirFS(filepath.Join("testdata/legacyteam", name))); err != nil {
			t.Fatal(err)
		}
		return unlock(t, dir)
	}
	a, b := open("a"), open("b")
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
		return a.writeSystem(txn, kindHeartbeat, json.RawMessage(`{"held": "everything"}`), a.recipient)
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
