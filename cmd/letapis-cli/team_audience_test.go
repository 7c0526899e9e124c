package main

import (
	"strings"
	"testing"
)

func TestAudiencesAndRotationFromTheCLI(t *testing.T) {
	r := startRelay(t)
	a, b := newDevice(t), newDevice(t)
	formTeam(t, r, a, b)
	fb := teamMembers(b).Device

	var made map[string]string
	a.okJSON(&made, "", "audience", "create", "--name", "lawyers of case 17", "--member", fb[:8])
	id := made["id"]
	a.ok("", "sync")
	b.ok("", "sync")
	var seen []audienceView
	b.okJSON(&seen, "", "audience", "list")
	if len(seen) != 1 || seen[0].ID != id || seen[0].Name != "lawyers of case 17" || len(seen[0].Members) != 2 || !seen[0].Writable {
		t.Fatalf("audience list on the member: %+v", seen)
	}
	tm := strings.TrimSpace(a.ok("", "testimony", "add", "--interviewee", "W", "--consent", "legal", "--audience", id, "--text", "restricted words"))
	a.ok("", "sync")
	b.ok("", "sync")
	if out := b.ok("", "show", tm); !strings.Contains(out, "restricted words") {
		t.Fatalf("the audience member cannot read the testimony: %s", out)
	}

	// B is not the creator nor an admin: it cannot change the audience.
	msg := b.fail(1, "", "audience", "remove", id, teamMembers(a).Device)
	if !strings.Contains(msg, "only the audience's creator or a team admin can change it") {
		t.Fatalf("audience remove by a plain member: %s", msg)
	}
	if msg := b.fail(1, "", "team", "rotate"); !strings.Contains(msg, "admin") {
		t.Fatalf("team rotate by a plain member: %s", msg)
	}

	a.ok("", "audience", "remove", id, fb)
	a.ok("", "team", "rotate")
	b.ok("", "sync")
	b.okJSON(&seen, "", "audience", "list")
	if len(seen) != 1 || len(seen[0].Members) != 1 || seen[0].Writable {
		t.Fatalf("audience list after B's removal from it: %+v", seen)
	}
	later := strings.TrimSpace(a.ok("", "testimony", "add", "--interviewee", "W", "--consent", "legal", "--audience", id, "--text", "after B left"))
	note := strings.TrimSpace(a.ok("", "note", "add", "--text", "after the rotation"))
	a.ok("", "sync")
	b.ok("", "sync")
	if res := b.run("", "show", later); res.code == 0 {
		t.Fatalf("B reads the audience after its removal: %v", res)
	}
	if out := b.ok("", "show", note); !strings.Contains(out, "after the rotation") {
		t.Fatalf("B cannot read the team's record after the rotation: %s", out)
	}
}
