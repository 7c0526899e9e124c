package engine

import (
	"context"
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

// entriesAfter returns the ids of team's log entries after seq.
func entriesAfter(t *testing.T, r *testRelay, team string, seq uint64) map[string]bool {
	t.Helper()
	ids := map[string]bool{}
	for _, e := range relayLog(t, r, team) {
		if e.Seq > seq {
			ids[e.ID] = true
		}
	}
	return ids
}

// logHead returns the sequence number of the last entry of team's log.
func logHead(t *testing.T, r *testRelay, team string) uint64 {
	t.Helper()
	lr, err := r.store.ReadLog(context.Background(), team, 0, 1)
	if err != nil {
		t.Fatal(err)
	}
	return lr.Head
}
