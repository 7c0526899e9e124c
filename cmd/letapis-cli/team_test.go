package main

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/letapis/letapis/storage"
	"github.com/letapis/letapis/sync/client"
	"github.com/letapis/letapis/sync/relay"
	"github.com/letapis/letapis/sync/wire"
)

// testRelay is the real relay handler with a Badger store on disk, served
// over HTTP on 127.0.0.1.
type testRelay struct {
	URL   string
	store *relay.BadgerStore
	srv   *httptest.Server
	key   ed25519.PrivateKey // signs receipts and heads
}

func startRelay(t *testing.T) *testRelay {
	t.Helper()
	store, err := relay.OpenBadgerStore(t.TempDir(), relay.BadgerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	_, key, _ := ed25519.GenerateKey(rand.Reader)
	srv := httptest.NewServer(relay.New(store, relay.Options{Key: key}))
	t.Cleanup(func() { srv.Close(); store.Close() })
	return &testRelay{URL: srv.URL, store: store, srv: srv, key: key}
}

// newTeam creates a team as the relay's operator does.
func (r *testRelay) newTeam(t *testing.T) (team, token string) {
	t.Helper()
	team, token, err := relay.NewTeam(context.Background(), r.store)
	if err != nil {
		t.Fatal(err)
	}
	return team, token
}

// fastClient makes the relay client retry quickly.
func fastClient(c *client.Config) {
	c.MinBackoff, c.MaxBackoff, c.Timeout, c.MaxRetries = 5*time.Millisecond, 20*time.Millisecond, 5*time.Second, 2
}

// newDevice is a vault harness whose sync commands retry quickly.
func newDevice(t *testing.T) *harness {
	t.Helper()
	h := newVaultHarness(t)
	h.tune = fastClient
	return h
}

// teamMembers reads team members --json.
func teamMembers(h *harness) teamView {
	h.t.Helper()
	var tv teamView
	h.okJSON(&tv, "", "team", "members")
	return tv
}

var safetyPattern = regexp.MustCompile(`^\d{5}( \d{5}){6}$`)

// formTeam founds a team on r with admin a and brings b in through
// invite, join, comparison of safety numbers and approval.
func formTeam(t *testing.T, r *testRelay, a, b *harness) (team string) {
	t.Helper()
	team, token := r.newTeam(t)
	res := a.run("", "team", "create", "--relay", r.URL, "--team", team, "--token", token)
	if res.code != 0 || strings.TrimSpace(res.stdout) != team || !strings.Contains(res.stderr, "this device ("+teamMembers(a).Device+") is the admin") {
		t.Fatalf("team create: %v", res)
	}
	res = a.run("", "team", "invite")
	code := strings.TrimSpace(res.stdout)
	if res.code != 0 || !strings.HasPrefix(code, "letapis-invite-v2:") || strings.Contains(code, "\n") ||
		!strings.Contains(res.stderr, "in person, or over a channel you both trust") || !strings.Contains(res.stderr, "safety number") {
		t.Fatalf("team invite: %v", res)
	}
	res = b.run("", "team", "join", code)
	safety := strings.TrimSpace(res.stdout)
	if res.code != 0 || !safetyPattern.MatchString(safety) ||
		!strings.Contains(res.stderr, "read this number to the admin; they approve only if it matches what they see") ||
		!strings.Contains(res.stderr, "usable once the admin has approved it and you have run 'letapis-cli sync'") {
		t.Fatalf("team join: %v", res)
	}
	if tv := teamMembers(b); tv.Joined || tv.SafetyNumber != safety || tv.Team != team {
		t.Fatalf("team members of a waiting device: %+v", tv)
	}
	var approvals []approval
	a.okJSON(&approvals, "", "--yes", "team", "approve")
	if len(approvals) != 1 || !approvals[0].Approved || approvals[0].SafetyNumber != safety || approvals[0].Fingerprint != teamMembers(b).Device {
		t.Fatalf("team approve: %+v, want safety number %s", approvals, safety)
	}
	res = b.run("", "sync")
	if res.code != 0 || !strings.Contains(res.stderr, "this device is now a member of team "+team) {
		t.Fatalf("first sync of the new member: %v", res)
	}
	return team
}

// syncReportOf runs sync --json.
func syncReportOf(h *harness) syncReport {
	h.t.Helper()
	var rep syncReport
	h.okJSON(&rep, "", "sync")
	return rep
}

func TestTeamOfTwoDevices(t *testing.T) {
	r := startRelay(t)
	a, b := newDevice(t), newDevice(t)
	// Records written before the team was founded go to the team too.
	early := a.ok("", "person", "add", "--given", "Марфа", "--family", "Рабкова", "--status", "convicted")
	team := formTeam(t, r, a, b)

	ta, tb := teamMembers(a), teamMembers(b)
	if ta.Team != team || tb.Team != team || ta.Relay != r.URL || !tb.Joined || len(ta.Members) != 2 || len(tb.Members) != 2 {
		t.Fatalf("team members: %+v / %+v", ta, tb)
	}
	for _, m := range ta.Members {
		want := memberView{Fingerprint: ta.Device, Role: "admin", Status: "member", ThisDevice: true, Added: m.Added}
		if m.Fingerprint == tb.Device {
			want = memberView{Fingerprint: tb.Device, Role: "member", Status: "member", Added: m.Added}
		}
		if m != want {
			t.Errorf("member %+v, want %+v", m, want)
		}
	}
	out := a.ok("", "team", "members")
	for _, want := range []string{"team:", team, "relay:", r.URL, "to send:", "FINGERPRINT", ta.Device + "  admin", tb.Device + "  member", "this device"} {
		if !strings.Contains(out, want) {
			t.Errorf("team members lacks %q:\n%s", want, out)
		}
	}
	if !strings.Contains(b.ok("", "show", early), "Рабкова") {
		t.Error("a record from before the team did not reach the new member")
	}

	// A record written on A reaches B, and one written on B reaches A.
	p := a.ok("", "person", "add", "--given", "Алесь", "--family", "Бяляцкі", "--region", "Minsk")
	if rep := syncReportOf(a); rep.Sent == 0 {
		t.Errorf("sync on A sent nothing: %+v", rep)
	}
	if rep := syncReportOf(b); rep.Received != 1 {
		t.Errorf("sync on B: %+v, want one received", rep)
	}
	if show := b.ok("", "show", p); !strings.Contains(show, "family: Бяляцкі") {
		t.Fatalf("B after sync:\n%s", show)
	}
	n := b.ok("", "note", "add", "--about", p, "--text", "Перавезены ў калонію")
	res := b.run("", "sync")
	if res.code != 0 || res.stderr != "letapis-cli: synced: sent 1, received 0\n" {
		t.Errorf("sync on B: %v", res)
	}
	a.ok("", "sync")
	if show := a.ok("", "show", n); !strings.Contains(show, "Перавезены ў калонію") {
		t.Fatalf("A after sync:\n%s", show)
	}
	if res := a.run("", "sync"); res.stderr != "letapis-cli: synced: sent 0, received 0\n" {
		t.Errorf("sync with nothing to do: %v", res)
	}

	// The same field changed on both devices between syncs: a conflict on
	// both, resolved on A by keeping A's version.
	a.ok("", "person", "edit", p, "--region", "Homiel")
	b.ok("", "person", "edit", p, "--region", "Hrodna")
	syncReportOf(a)
	if rep := syncReportOf(b); rep.Conflicts != 1 {
		t.Errorf("sync on B after concurrent edits: %+v", rep)
	}
	res = a.run("", "sync")
	if res.code != 0 || !strings.Contains(res.stderr, "1 record is in conflict (changed on two devices at once): see 'letapis-cli conflicts'") {
		t.Errorf("sync on A after concurrent edits: %v", res)
	}
	for _, h := range []*harness{a, b} {
		var cs []conflictView
		h.okJSON(&cs, "", "conflicts")
		if len(cs) != 1 || cs[0].ID != p || cs[0].Kind != "person" || len(cs[0].Heads) != 2 || cs[0].Title != "Алесь Бяляцкі" {
			t.Fatalf("conflicts: %+v", cs)
		}
		if out := h.ok("", "conflicts"); !regexp.MustCompile(`(?m)^` + p[:idWidth] + ` +person +2 +Алесь Бяляцкі$`).MatchString(out) {
			t.Errorf("conflicts:\n%s", out)
		}
		if show := h.ok("", "show", p); !strings.Contains(show, "conflict:   2 versions; see 'letapis-cli resolve "+p+"'") {
			t.Errorf("show of a record in conflict:\n%s", show)
		}
	}
	versions := a.ok("", "resolve", p)
	if !strings.Contains(versions, `region: "Homiel"`) || !strings.Contains(versions, `region: "Hrodna"`) || strings.Contains(versions, "family") {
		t.Errorf("resolve without flags:\n%s", versions)
	}
	var vs []struct {
		ID     string          `json:"id"`
		Body   json.RawMessage `json:"body"`
		Differ []string        `json:"differ"`
	}
	a.okJSON(&vs, "", "resolve", p)
	pick := ""
	for _, v := range vs {
		if strings.Contains(string(v.Body), "Homiel") {
			pick = v.ID
		}
	}
	if len(vs) != 2 || pick == "" || len(vs[0].Differ) != 1 || vs[0].Differ[0] != "region" {
		t.Fatalf("resolve --json: %+v", vs)
	}
	if msg := a.fail(exitError, "", "resolve", p, "--pick", "zzzz"); !strings.Contains(msg, `no version of `+p+` has a revision id starting with "zzzz"`) {
		t.Errorf("resolve --pick of an unknown revision: %q", msg)
	}
	if got := a.ok("", "resolve", p, "--pick", pick[:8]); got != p {
		t.Errorf("resolve printed %q", got)
	}
	syncReportOf(a)
	syncReportOf(b)
	for _, h := range []*harness{a, b} {
		var cs []conflictView
		h.okJSON(&cs, "", "conflicts")
		if len(cs) != 0 {
			t.Errorf("conflicts after resolving: %+v", cs)
		}
		if show := h.ok("", "show", p); !strings.Contains(show, "region:") || !strings.Contains(show, "Homiel") || strings.Contains(show, "conflict") {
			t.Errorf("show after resolving:\n%s", show)
		}
	}
	if msg := a.fail(exitError, "", "resolve", p, "--pick", pick); msg != "person "+p+" is not in conflict" {
		t.Errorf("resolve of a record without conflict: %q", msg)
	}

	// A sealed testimony edited elsewhere keeps its sealed content.
	tm := a.ok("", "testimony", "add", "--interviewee", "Witness A", "--consent", "legal", "--text", "Першая версія")
	syncReportOf(a)
	syncReportOf(b)
	a.ok("", "--yes", "testimony", "seal", tm)
	b.ok("", "testimony", "edit", tm, "--text", "Другая версія")
	syncReportOf(a)
	syncReportOf(b)
	syncReportOf(a)
	var cs []conflictView
	a.okJSON(&cs, "", "conflicts")
	if len(cs) != 1 || cs[0].ID != tm {
		t.Fatalf("conflicts after an edit of a sealed testimony: %+v", cs)
	}
	a.okJSON(&vs, "", "resolve", tm)
	for _, v := range vs {
		if strings.Contains(string(v.Body), "Другая") {
			pick = v.ID
		}
	}
	res = a.run("", "resolve", tm, "--pick", pick)
	if res.code != 0 || !strings.Contains(res.stderr, "its sealed content stays, whatever was chosen; the other versions remain in its history") {
		t.Errorf("resolve of a sealed testimony: %v", res)
	}
	syncReportOf(a)
	syncReportOf(b)
	for _, h := range []*harness{a, b} {
		show := h.ok("", "show", tm)
		if !strings.Contains(show, "Першая версія") || strings.Contains(show, "Другая") || strings.Contains(show, "conflict") || !strings.Contains(show, "sealed:") {
			t.Errorf("sealed testimony after resolving:\n%s", show)
		}
	}

	// Removing B: the relay refuses it, and it says so in plain words.
	res = a.run("", "team", "remove", tb.Device)
	if res.code != exitError || !strings.Contains(res.stderr, "refusing to remove device "+tb.Device+" without confirmation: pass --yes") {
		t.Errorf("team remove without --yes: %v", res)
	}
	a.term, a.interactive = &fakeTerminal{answers: []string{"y"}}, true
	res = a.run("", "team", "remove", tb.Device[:6])
	a.term, a.interactive = nil, false
	if res.code != 0 || !strings.Contains(res.stderr, "removed device "+tb.Device+": the relay refuses it") {
		t.Fatalf("team remove: %v", res)
	}
	if msg := b.fail(exitError, "", "sync"); msg != "the relay refused this device: it was removed from the team" {
		t.Errorf("sync of a removed device: %q", msg)
	}
	if msg := b.fail(exitError, "", "sync", "--watch"); msg != "the relay refused this device: it was removed from the team" {
		t.Errorf("sync --watch of a removed device: %q", msg)
	}
	ta = teamMembers(a)
	for _, m := range ta.Members {
		if m.Fingerprint == tb.Device && m.Status != "removed" {
			t.Errorf("removed device in the roster: %+v", m)
		}
	}
	if !strings.Contains(a.ok("", "team", "members"), tb.Device+"  member  removed") {
		t.Errorf("team members after remove:\n%s", a.ok("", "team", "members"))
	}
	// Removing it again only makes sure the relay refuses it.
	if res := a.run("", "team", "remove", tb.Device); res.code != 0 || !strings.Contains(res.stderr, "was already removed from the team") {
		t.Errorf("team remove again: %v", res)
	}
	if msg := a.fail(exitError, "", "team", "remove", ta.Device); !strings.Contains(msg, "a device cannot remove itself") {
		t.Errorf("team remove of itself: %q", msg)
	}
}

func TestJoiningAndApproving(t *testing.T) {
	r := startRelay(t)
	a, b, c := newDevice(t), newDevice(t), newDevice(t)
	team, token := r.newTeam(t)

	if msg := a.fail(exitError, "", "team", "invite"); !strings.HasPrefix(msg, "this vault is not part of a team: found one with 'letapis-cli team create'") {
		t.Errorf("invite without a team: %q", msg)
	}
	if msg := a.fail(exitError, "", "sync"); !strings.HasPrefix(msg, "this vault is not part of a team") {
		t.Errorf("sync without a team: %q", msg)
	}
	if msg := a.fail(exitUsage, "", "team", "create", "--relay", "ftp://x", "--team", team, "--token", token); !strings.Contains(msg, "not an http(s) URL") {
		t.Errorf("team create with a bad relay address: %q", msg)
	}
	if msg := a.fail(exitUsage, "", "team", "create", "--relay", "http://127.0.0.1:1", "--team", team, "--token", token, "--pin", "ab"); !strings.Contains(msg, "pin needs an https:// relay") {
		t.Errorf("team create with a pin and http: %q", msg)
	}
	if _, err := a.openTeam(); err == nil {
		t.Fatal("a refused team create changed the vault")
	}

	// The relay is down while the team is founded: run it again.
	down := httptest.NewServer(nil)
	down.Close()
	if msg := a.fail(exitError, "", "team", "create", "--relay", down.URL, "--team", team, "--token", token); !strings.HasPrefix(msg, "the team is set up in this vault, but the relay did not register this device: cannot reach the relay: ") {
		t.Errorf("team create with the relay down: %q", msg)
	}
	if msg := a.fail(exitError, "", "team", "create", "--relay", r.URL, "--team", team, "--token", token); msg != "this vault is already part of team "+team+", through the relay at "+down.URL {
		t.Errorf("team create for another relay: %q", msg)
	}
	if msg := a.fail(exitError, "", "sync"); !strings.HasPrefix(msg, "cannot reach the relay: ") {
		t.Errorf("sync with the relay down: %q", msg)
	}
	// A wrong token: the vault keeps the team, and the right token
	// completes the registration.
	d := newDevice(t)
	team2, token2 := r.newTeam(t)
	if msg := d.fail(exitUsage, "", "team", "create", "--relay", r.URL, "--team", team2, "--token", "not a token"); !strings.Contains(msg, "--token: this is not a token from 'letapis-relay team create'") {
		t.Errorf("team create with a malformed token: %q", msg)
	}
	if msg := d.fail(exitError, "", "team", "create", "--relay", r.URL, "--team", team2, "--token", strings.Repeat("A", 43)); msg != "this vault now belongs to team "+team2+", but the relay did not register this device: the relay refused the token: it is unknown, already used or expired; ask for a new one; run the command again with the right token, or, if the team id was wrong, from a new vault" {
		t.Errorf("team create with a wrong token: %q", msg)
	}
	if out := d.ok("", "team", "create", "--relay", r.URL, "--team", team2, "--token", token2); out != team2 {
		t.Errorf("team create with the right token after a wrong one: %q", out)
	}
	d.ok("", "team", "invite")

	// (A team founded on a relay that is gone stays there: a new vault is
	// needed. Found the team properly on a fresh vault.)
	a = newDevice(t)
	if out := a.ok("", "team", "create", "--relay", r.URL, "--team", team, "--token", token); out != team {
		t.Fatalf("team create: %q", out)
	}
	// Again: the relay accepts the same device, and nothing changes.
	if out := a.ok("", "team", "create", "--relay", r.URL, "--team", team, "--token", token); out != team {
		t.Fatalf("team create again: %q", out)
	}

	// Joining needs an empty vault and a valid code.
	code := a.ok("", "team", "invite")
	b.ok("", "note", "add", "--text", "x")
	if msg := b.fail(exitError, "", "team", "join", code); !strings.Contains(msg, "this vault already holds records; join the team from a new, empty vault (--vault NEWDIR)") {
		t.Errorf("join from a vault with records: %q", msg)
	}
	b = newDevice(t)
	if msg := b.fail(exitError, "", "team", "join", "hello"); !strings.Contains(msg, "not a Letapis invite code") {
		t.Errorf("join with a bad code: %q", msg)
	}
	v1 := "letapis-invite-v1:" + base64.RawURLEncoding.EncodeToString([]byte(`{"relay":"`+r.URL+`","team":"`+team+`","token":"`+strings.Repeat("k", 32)+`","admin":"0123456789ab"}`))
	if msg := b.fail(exitError, "", "team", "join", v1); msg != "this invite code is from an older version of Letapis and can no longer be used: ask the admin for a new invite code" {
		t.Errorf("join with a version 1 code: %q", msg)
	}
	plainCode := (&wire.InviteCode{Relay: "http://relay.example", Team: team, Token: strings.Repeat("k", 32), Admin: make([]byte, 32)}).String()
	if msg := b.fail(exitError, "", "team", "join", plainCode); !strings.Contains(msg, "plain http://, which is allowed only for a relay on this computer") {
		t.Errorf("join with a code naming a plain http relay across the network: %q", msg)
	}
	if msg := b.fail(exitUsage, "", "team", "join"); !strings.Contains(msg, "team join needs the invite code") {
		t.Errorf("join without a code: %q", msg)
	}
	safety := b.ok(code+"\n", "team", "join", "--code-file", "-")
	if !safetyPattern.MatchString(safety) {
		t.Fatalf("join: %q", safety)
	}
	// Joining again with the same code shows the same number.
	if again := b.ok("", "team", "join", code); again != safety {
		t.Errorf("join again: %q, want %q", again, safety)
	}
	if msg := c.fail(exitError, "", "team", "join", code); msg != "the relay refused the invite code: it is unknown, already used or expired; ask the admin for a new one" {
		t.Errorf("join with a used code: %q", msg)
	}
	if msg := b.fail(exitError, "", "person", "add", "--family", "X"); !strings.HasPrefix(msg, "this device is waiting for an admin to approve it") {
		t.Errorf("person add while waiting: %q", msg)
	}
	if msg := b.fail(exitError, "", "sync"); msg != "this device is still waiting for an admin to approve it: ask the admin to run 'letapis-cli team approve', then sync again" {
		t.Errorf("sync while waiting: %q", msg)
	}
	if msg := b.fail(exitError, "", "team", "invite"); !strings.HasPrefix(msg, "this device is waiting for an admin") {
		t.Errorf("invite while waiting: %q", msg)
	}

	// C joins too; two devices wait.
	cSafety := c.ok("", "team", "join", a.ok("", "team", "invite"))
	if msg := a.fail(exitUsage, "", "--yes", "team", "approve"); !strings.Contains(msg, "2 devices are waiting to join: with --yes, name the one to approve by its fingerprint") {
		t.Errorf("approve --yes with two waiting: %q", msg)
	}
	if msg := a.fail(exitError, "", "team", "approve"); !strings.Contains(msg, "without confirmation: pass --yes") {
		t.Errorf("approve without a terminal: %q", msg)
	}
	if msg := a.fail(exitUsage, "", "team", "approve", "--role", "boss"); !strings.Contains(msg, `--role must be member or admin, not "boss"`) {
		t.Errorf("approve --role boss: %q", msg)
	}
	// On a terminal: the admin says no to C's number and yes to B's.
	bFP, cFP := teamMembers(b).Device, teamMembers(c).Device
	term := &fakeTerminal{decide: func(q string) string {
		if strings.Contains(q, safety) {
			return "y"
		}
		return "no"
	}}
	a.term, a.interactive = term, true
	res := a.run("", "team", "approve")
	a.term, a.interactive = nil, false
	if res.code != 0 {
		t.Fatalf("approve on a terminal: %v", res)
	}
	for _, want := range []string{bFP + "  " + safety, cFP + "  " + cSafety} {
		if !strings.Contains(res.stdout, want) {
			t.Errorf("approve lists %q:\n%s", want, res.stdout)
		}
	}
	asked := slices.Clone(term.asked)
	slices.Sort(asked)
	want := []string{"Does the new member's device show " + safety + "? [y/N]", "Does the new member's device show " + cSafety + "? [y/N]"}
	slices.Sort(want)
	if !slices.Equal(asked, want) {
		t.Errorf("questions: %q", asked)
	}
	if !strings.Contains(res.stderr, "approved device "+bFP+" as a member") || !strings.Contains(res.stderr, "did not approve device "+cFP) {
		t.Errorf("approve on a terminal: %v", res)
	}
	b.ok("", "sync")
	if tv := teamMembers(b); !tv.Joined || tv.SafetyNumber != "" {
		t.Errorf("B after approval and sync: %+v", tv)
	}
	if msg := a.fail(exitError, "", "team", "approve", "ffff"); msg != `no device waiting to join has a fingerprint starting with "ffff"` {
		t.Errorf("approve of an unknown device: %q", msg)
	}
	res = a.run("", "--yes", "--json", "team", "approve", cFP[:5], "--role", "admin")
	var approvals []approval
	if err := json.Unmarshal([]byte(res.stdout), &approvals); err != nil || res.code != 0 {
		t.Fatalf("approve by fingerprint: %v", res)
	}
	if len(approvals) != 1 || !approvals[0].Approved || approvals[0].Fingerprint != cFP || approvals[0].Role != "admin" {
		t.Errorf("approve by fingerprint: %+v", approvals)
	}
	if strings.Contains(res.stderr, "warning") {
		t.Errorf("approve --role admin warns: %v", res)
	}
	if res := a.run("", "team", "approve"); res.code != 0 || res.stderr != "letapis-cli: no device is waiting to join\n" {
		t.Errorf("approve with nobody waiting: %v", res)
	}
	if msg := b.fail(exitError, "", "team", "approve"); msg != "only a team admin can do this" {
		t.Errorf("approve by a member: %q", msg)
	}
	c.ok("", "sync")
	if code := c.ok("", "team", "invite"); !strings.HasPrefix(code, "letapis-invite-v2:") { // an admin at the relay too
		t.Errorf("invite by the device approved as admin: %q", code)
	}
	p := b.ok("", "person", "add", "--family", "Калеснікава")
	b.ok("", "sync")
	if show := c.ok("", "sync"); show != "" {
		t.Errorf("sync printed on standard output: %q", show)
	}
	if !strings.Contains(c.ok("", "show", p), "Калеснікава") {
		t.Error("a record from B did not reach C")
	}
}

// openTeam opens the harness's vault and returns its team state.
func (h *harness) openTeam() (*storage.TeamState, error) {
	v, err := storage.Open(h.dir, testPassphrase, storage.Options{WorkFactor: 10, MinFreeBytes: 1})
	if err != nil {
		h.t.Fatal(err)
	}
	defer v.Close()
	return v.Team()
}

// TestForgedEnvelopeIsQuarantined puts an envelope on the relay that no
// member wrote, signed in as a member: the other member sets it aside and
// lists it.
func TestForgedEnvelopeIsQuarantined(t *testing.T) {
	r := startRelay(t)
	a, b := newDevice(t), newDevice(t)
	formTeam(t, r, a, b)
	if res := b.run("", "quarantine"); res.code != 0 || res.stderr != "letapis-cli: no envelope was set aside\n" {
		t.Errorf("quarantine when empty: %v", res)
	}

	v, err := storage.Open(a.dir, testPassphrase, storage.Options{WorkFactor: 10, MinFreeBytes: 1})
	if err != nil {
		t.Fatal(err)
	}
	st, err := v.Team()
	v.Close()
	if err != nil {
		t.Fatal(err)
	}
	cl, err := client.New(client.Config{Relay: st.Relay, Team: st.Team, Pseudonym: st.Pseudonym, AuthKey: st.AuthKey()})
	if err != nil {
		t.Fatal(err)
	}
	forged := []byte("age-encryption.org/v1\n-> X25519 not really\nthis is not an envelope")
	sum := sha256.Sum256(forged)
	id := hex.EncodeToString(sum[:])
	ctx := context.Background()
	if err := cl.PutBlob(ctx, id, forged); err != nil {
		t.Fatal(err)
	}
	if _, err := cl.Append(ctx, []string{id}); err != nil {
		t.Fatal(err)
	}

	res := b.run("", "sync")
	if res.code != 0 || !strings.Contains(res.stderr, "quarantined 1") || !strings.Contains(res.stderr, "1 envelope from the relay failed verification and was set aside: see 'letapis-cli quarantine'") {
		t.Errorf("sync with a forged envelope: %v", res)
	}
	out := b.ok("", "quarantine")
	if !regexp.MustCompile(`(?m)^ENVELOPE +STATE +RECEIVED +REASON\n` + id[:12] + ` +quarantined +\d{4}-\d\d-\d\d .+ \S`).MatchString(out) {
		t.Errorf("quarantine:\n%s", out)
	}
	var qs []storage.Quarantine
	b.okJSON(&qs, "", "quarantine")
	if len(qs) != 1 || qs[0].ID != id || qs[0].Reason == "" || len(qs[0].CT) != 0 {
		t.Errorf("quarantine --json: %+v", qs)
	}
	if tv := teamMembers(b); tv.Quarantined != 1 {
		t.Errorf("team members: %+v", tv)
	}
}

// TestRecoverAfterTheAdminIsLost: the admin's laptop is lost; with the
// operator's recovery token the member becomes the relay's admin and has
// the relay refuse the lost laptop, while the roster stays as it is.
func TestRecoverAfterTheAdminIsLost(t *testing.T) {
	r := startRelay(t)
	a, b := newDevice(t), newDevice(t)
	team := formTeam(t, r, a, b)
	token, err := relay.RecoverTeam(context.Background(), r.store, team)
	if err != nil {
		t.Fatal(err)
	}
	aFP := teamMembers(a).Device
	if msg := b.fail(exitError, "", "--yes", "team", "remove", "--relay-only", aFP); msg != "the relay refused: only a team admin may do this" {
		t.Errorf("a member revoking at the relay before recovery: %q", msg)
	}
	res := b.run("", "team", "recover", "--token", token)
	if res.code != 0 || !strings.Contains(res.stderr, "now an admin of team "+team+" at the relay") || !strings.Contains(res.stderr, "not an admin of the team's signed roster") {
		t.Fatalf("team recover: %v", res)
	}
	if msg := b.fail(exitError, "", "--yes", "team", "remove", aFP); msg != "only a team admin can do this" {
		t.Errorf("the recovered device changing the roster: %q", msg)
	}
	res = b.run("", "--yes", "team", "remove", "--relay-only", aFP)
	if res.code != 0 || !strings.Contains(res.stderr, "the relay refuses device "+aFP) {
		t.Fatalf("remove --relay-only: %v", res)
	}
	if msg := a.fail(exitError, "", "sync"); msg != "the relay refused this device: it was removed from the team" {
		t.Errorf("the lost laptop syncing: %q", msg)
	}
	for _, m := range teamMembers(b).Members {
		if m.Status != "member" {
			t.Errorf("the roster changed: %+v", m)
		}
	}
	b.ok("", "sync")
}
