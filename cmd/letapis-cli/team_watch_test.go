package main

import (
	"strings"
	"testing"

	"github.com/letapis/letapis/internal/withhold"
)

// TestSyncExitsOneWhenTheRelayHidesRecords: the relay leaves B's two
// records out of A's log (a fork, consistent and signed) but lets B's
// heartbeat through. A's sync succeeds as a pass, prints the warning in
// plain words and exits with 1; team members shows when B was last heard
// from.
func TestSyncExitsOneWhenTheRelayHidesRecords(t *testing.T) {
	r := startRelay(t)
	w, err := withhold.New(r.URL, r.store, r.key)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.Close)
	via := &testRelay{URL: w.URL, store: r.store, key: r.key}
	a, b := newDevice(t), newDevice(t)
	team := formTeam(t, via, a, b)
	a.ok("", "sync")
	b.ok("", "sync")
	head, err := w.Head(team)
	if err != nil {
		t.Fatal(err)
	}

	b.ok("", "note", "add", "--text", "first of two the relay hides")
	b.ok("", "note", "add", "--text", "second of two the relay hides")
	b.ok("", "sync")
	entries, err := w.Log(team, head)
	if err != nil || len(entries) != 3 {
		t.Fatalf("entries after B's sync: %v, %v; want its two records and its heartbeat", entries, err)
	}
	st, err := a.openTeam()
	if err != nil {
		t.Fatal(err)
	}
	w.Show(st.Pseudonym, withhold.View{Hide: map[string]bool{entries[0].ID: true, entries[1].ID: true}, Fork: true})

	res := a.run("", "sync")
	t.Logf("letapis-cli sync on A, exit %d:\n%s", res.code, res.stderr)
	want := "the relay may be hiding 2 records from device " + teamMembers(b).Device
	if res.code != 1 || !strings.Contains(res.stderr, want) || !strings.Contains(res.stderr, "the relay may be hiding or rewriting records") {
		t.Fatalf("sync with a relay hiding B's records: %v; want exit 1 and %q", res, want)
	}
	for _, m := range teamMembers(a).Members {
		if m.Fingerprint == teamMembers(b).Device && m.LastHeard == "" {
			t.Fatalf("team members on A: B has no last heard from: %+v", m)
		}
	}
	if out := a.ok("", "team", "members"); !strings.Contains(out, "LAST HEARD FROM") {
		t.Fatalf("team members:\n%s", out)
	}
}
