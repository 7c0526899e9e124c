package main

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// shownTestimony is what show --json prints of a testimony, in part.
type shownTestimony struct {
	Deleted         bool   `json:"deleted"`
	PendingDeletion bool   `json:"pending_deletion"`
	Sealed          bool   `json:"sealed"`
	SealHash        string `json:"seal_hash"`
}

// TestDeleteScenario runs the first attack of issue 12 through the real
// letapis-relay and letapis-cli binaries: a plain member deletes the
// admin's sealed testimony. Its own letapis-cli refuses, saying why; a
// member who deletes its own testimony while the admin's seal has not
// reached its laptop gets its delete set aside by the admin's device, with
// the reason; both testimonies survive sealed. The admin's delete with
// --reason is pending on both devices, and restore brings it back on both.
func TestDeleteScenario(t *testing.T) {
	tmp, br := t.TempDir(), startBinaryRelay(t)
	defer br.proc.stop()
	admin := &cliProcess{t: t, bin: br.cli, vault: filepath.Join(tmp, "admin")}
	member := &cliProcess{t: t, bin: br.cli, vault: filepath.Join(tmp, "member")}
	admin.ok("", "init")
	member.ok("", "init")
	admin.ok("", "team", "create", "--relay", "http://"+br.addr, "--team", br.team, "--token", br.token)
	member.ok("", "team", "join", admin.ok("", "team", "invite"))
	admin.ok("", "--yes", "team", "approve")
	member.ok("", "sync")
	testimony := func(c *cliProcess, id string) shownTestimony {
		t.Helper()
		var s shownTestimony
		c.okJSON(&s, "show", id)
		return s
	}

	// The member's letapis-cli refuses to delete the admin's sealed
	// testimony.
	tm := admin.ok("", "testimony", "add", "--interviewee", "W", "--consent", "legal", "--text", "what the guards did")
	admin.ok("", "--yes", "testimony", "seal", tm)
	sealed := testimony(admin, tm)
	admin.ok("", "sync")
	member.ok("", "sync")
	res := member.run("", "--yes", "delete", "--reason", "no", tm)
	if res.code != 1 || !strings.Contains(res.stderr, "only an admin may delete a sealed testimony") {
		t.Fatalf("the member's delete of a sealed testimony: %+v", res)
	}

	// The member deletes its own testimony that the admin sealed, before
	// the seal reached it: its laptop lets it, the admin's device refuses.
	own := member.ok("", "testimony", "add", "--interviewee", "V", "--consent", "legal", "--text", "the member's own")
	member.ok("", "sync")
	admin.ok("", "sync")
	admin.ok("", "--yes", "testimony", "seal", own)
	ownSealed := testimony(admin, own)
	admin.ok("", "sync")
	member.ok("", "--yes", "delete", own)
	if res := member.run("", "sync"); res.code != 0 {
		t.Fatalf("the member's sync: %+v", res)
	}
	admin.run("", "sync") // it reports the envelope set aside
	if q := admin.ok("", "quarantine"); !strings.Contains(q, "is not an admin: only an admin may delete a sealed testimony") {
		t.Fatalf("the admin's quarantine:\n%s", q)
	}
	for _, c := range []*cliProcess{admin, member} {
		if s := testimony(c, tm); s.Deleted || !s.Sealed || s.SealHash != sealed.SealHash {
			t.Fatalf("the admin's sealed testimony on %s: %+v", filepath.Base(c.vault), s)
		}
	}
	if s := testimony(admin, own); s.Deleted || !s.Sealed || s.SealHash != ownSealed.SealHash {
		t.Fatalf("the sealed testimony the member deleted, on the admin's device: %+v", s)
	}

	// The admin deletes with a reason: pending on both, then restored.
	if res := admin.run("", "--yes", "delete", tm); res.code != 1 || !strings.Contains(res.stderr, "needs a reason: give --reason") {
		t.Fatalf("the admin's delete without a reason: %+v", res)
	}
	admin.ok("", "--yes", "delete", "--reason", "the witness withdrew consent", tm)
	admin.ok("", "sync")
	member.ok("", "sync")
	for _, c := range []*cliProcess{admin, member} {
		var ds []deletionView // on the member, its own delete too
		c.okJSON(&ds, "deletions")
		i := slices.IndexFunc(ds, func(d deletionView) bool { return d.Record == tm })
		if i < 0 || ds[i].Reason != "the witness withdrew consent" || ds[i].SealHash != sealed.SealHash || ds[i].PurgeAt.Sub(ds[i].Deleted) != 7*24*time.Hour {
			t.Fatalf("deletions on %s: %+v", filepath.Base(c.vault), ds)
		}
		if s := testimony(c, tm); !s.PendingDeletion {
			t.Fatalf("not pending on %s: %+v", filepath.Base(c.vault), s)
		}
		if h := c.ok("", "history", tm); !strings.Contains(h, "deleted (reason: the witness withdrew consent), pending: kept until the team's hold ends") {
			t.Fatalf("history on %s:\n%s", filepath.Base(c.vault), h)
		}
		if table := c.ok("", "deletions"); !strings.Contains(table, "the witness withdrew consent") || !strings.Contains(table, "PURGED AFTER") {
			t.Fatalf("deletions table on %s:\n%s", filepath.Base(c.vault), table)
		}
	}
	if res := member.run("", "restore", tm); res.code != 1 || !strings.Contains(res.stderr, "only a team admin can restore") {
		t.Fatalf("the member's restore: %+v", res)
	}
	admin.ok("", "restore", tm)
	admin.ok("", "sync")
	member.ok("", "sync")
	for _, c := range []*cliProcess{admin, member} {
		if s := testimony(c, tm); s.Deleted || s.PendingDeletion || !s.Sealed || s.SealHash != sealed.SealHash {
			t.Fatalf("after the restore on %s: %+v", filepath.Base(c.vault), s)
		}
		if !strings.Contains(c.ok("", "--json", "list"), tm) {
			t.Fatalf("the restored testimony is not listed on %s", filepath.Base(c.vault))
		}
	}

	// The hold: only an admin sets it, and lowering it shows that the old
	// one still runs.
	if res := member.run("", "team", "hold", "1d"); res.code != 1 || !strings.Contains(res.stderr, "only a team admin") {
		t.Fatalf("the member sets the hold: %+v", res)
	}
	if res := admin.run("", "team", "hold", "1d"); res.code != 0 || !strings.Contains(res.stderr, "a record deleted now is kept 7 days") {
		t.Fatalf("the admin lowers the hold: %+v", res)
	}
}
