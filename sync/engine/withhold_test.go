package engine

import (
	"testing"

	"github.com/letapis/letapis/internal/withhold"
)

// startWithholder puts a withholding relay (package internal/withhold) in
// front of r. It returns it and a view of r whose URL is the proxy's.
func startWithholder(t *testing.T, r *testRelay) (*withhold.Relay, *testRelay) {
	t.Helper()
	w, err := withhold.New(r.URL, r.store, r.key)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.Close)
	via := *r
	via.URL = w.URL
	return w, &via
}

// withheldTeam forms a team of n devices that reach the relay through a
// withholding relay, and returns it, the devices and the team id.
func withheldTeam(t *testing.T, n int) (*withhold.Relay, []*device, string) {
	t.Helper()
	w, via := startWithholder(t, startRelay(t))
	ds := formTeam(t, via, n)
	return w, ds, teamOf(t, ds[0])
}

// entriesAfter returns the ids of team's log entries after seq.
func entriesAfter(t *testing.T, w *withhold.Relay, team string, seq uint64) map[string]bool {
	t.Helper()
	es, err := w.Log(team, seq)
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]bool{}
	for _, e := range es {
		ids[e.ID] = true
	}
	return ids
}

// logHead returns the sequence number of the last entry of team's log.
func logHead(t *testing.T, w *withhold.Relay, team string) uint64 {
	t.Helper()
	head, err := w.Head(team)
	if err != nil {
		t.Fatal(err)
	}
	return head
}
