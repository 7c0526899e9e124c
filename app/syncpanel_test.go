package app

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/letapis/letapis/storage"
	"github.com/letapis/letapis/storage/record"
	"github.com/letapis/letapis/sync/client"
	"github.com/letapis/letapis/sync/engine"
	"github.com/letapis/letapis/sync/relay"
	"github.com/letapis/letapis/sync/wire"
)

// fastSync shortens the engine's and the relay client's retries.
func fastSync(c *engine.Config) {
	c.MaxBackoff = 200 * time.Millisecond
	c.Client = func(cc *client.Config) {
		cc.MinBackoff, cc.MaxBackoff, cc.Timeout, cc.MaxRetries = 5*time.Millisecond, 50*time.Millisecond, 5*time.Second, 2
	}
}

// testRelay is the real relay handler with a Badger store on disk,
// served on 127.0.0.1.
type testRelay struct {
	url   string
	store *relay.BadgerStore
	stop  func()
}

func startTestRelay(t *testing.T) *testRelay {
	t.Helper()
	store, err := relay.OpenBadgerStore(t.TempDir(), relay.BadgerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	_, key, _ := ed25519.GenerateKey(rand.Reader)
	srv := httptest.NewServer(relay.New(store, relay.Options{Key: key})) // on 127.0.0.1
	r := &testRelay{url: srv.URL, store: store}
	stopped := false
	r.stop = func() {
		if !stopped {
			stopped = true
			srv.CloseClientConnections() // long polls end now
			srv.Close()
			store.Close()
		}
	}
	t.Cleanup(r.stop)
	return r
}

// syncUI is an unlocked UI over a new vault whose engine retries fast.
func syncUI(t *testing.T) *UI {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "vault")
	makeVault(t, dir)
	return syncUIOn(t, dir)
}

// syncUIOn is syncUI over the vault in dir.
func syncUIOn(t *testing.T, dir string) *UI {
	t.Helper()
	u, _ := newTestUI(t, Config{VaultDir: dir, engineConfig: fastSync})
	unlockWith(t, u, testPass)
	if u.Locked() || u.main == nil || u.main.sync.facts == nil {
		t.Fatal("not unlocked, or the sync panel did not read the vault")
	}
	for i, it := range u.main.tabs.Items {
		if it.Text == "Sync" {
			u.main.tabs.SelectIndex(i)
		}
	}
	return u
}

// panelTexts returns the text of every label in the sync panel.
func panelTexts(u *UI) string {
	var b strings.Builder
	for _, o := range test.LaidOutObjects(u.main.sync.content) {
		if l, ok := o.(*widget.Label); ok && l.Visible() {
			b.WriteString(l.Text + "\n")
		}
	}
	return b.String()
}

func TestSyncPanelTwoDevicesThroughARealRelay(t *testing.T) {
	r := startTestRelay(t)
	teamID, token, err := relay.NewTeam(context.Background(), r.store)
	if err != nil {
		t.Fatal(err)
	}

	// A starts the team.
	a := syncUI(t)
	pa := a.main.sync
	if pa.view != "none" || a.sync.engine != nil {
		t.Fatalf("a vault in no team shows %q", pa.view)
	}
	pa.team.relay.SetText(r.url)
	pa.team.teamID.SetText(teamID)
	pa.team.token.SetText(token)
	test.Tap(pa.team.start)
	a.wait()
	if pa.view != "member" || !a.sync.running() {
		t.Fatalf("after Start the team: view %q, running %v, note %q", pa.view, a.sync.running(), pa.team.startNote.Text)
	}
	if !pa.facts.admin || len(pa.facts.members) != 1 {
		t.Fatalf("the founder is not the one admin: %+v", pa.facts.members)
	}

	// A makes an invite code; B joins with it and shows a safety number.
	test.Tap(pa.team.invite)
	a.wait()
	code := pa.team.inviteCode.Text
	if !strings.HasPrefix(code, "letapis-invite-v2:") || !pa.team.copyCode.Visible() {
		t.Fatalf("no invite code shown: %q %q", code, pa.team.inviteNote.Text)
	}
	test.Tap(pa.team.copyCode)
	if got := a.app.Clipboard().Content(); got != code {
		t.Errorf("Copy put %q on the clipboard", got)
	}
	b := syncUI(t)
	pb := b.main.sync
	pb.team.code.SetText("  " + code + "\n")
	test.Tap(pb.team.join)
	b.wait()
	if pb.view != "joining" {
		t.Fatalf("after Ask to join: view %q, note %q", pb.view, pb.team.joinNote.Text)
	}
	safety := pb.team.safety.Text
	// 35 digits in seven groups of five.
	if len(safety) != 41 || !strings.Contains(panelTexts(b), safety) {
		t.Fatalf("no safety number shown on B: %q", safety)
	}
	if !b.pumpUntil(func() bool { return !b.sync.running() && b.sync.stopped != nil }) {
		t.Fatal("B's engine did not stop while waiting for approval")
	}
	if !strings.Contains(pb.problem.Text, "Waiting for an admin") {
		t.Errorf("B says %q while waiting", pb.problem.Text)
	}

	// A sees B's request with the same safety number and approves it.
	test.Tap(pa.team.checkJoins)
	a.wait()
	if !strings.Contains(panelTexts(a), safety) {
		t.Fatalf("A's applicants do not show B's safety number %s:\n%s", safety, panelTexts(a))
	}
	test.Tap(button(t, a, "Approve…"))
	if !hasText(a, safety) {
		t.Error("the approval dialog does not show the safety number")
	}
	test.Tap(button(t, a, "Same number: approve"))
	a.wait()
	if len(pa.facts.members) != 2 || !strings.Contains(pa.team.joinsNote.Text, "Approved") {
		t.Fatalf("after approval: %d members, note %q", len(pa.facts.members), pa.team.joinsNote.Text)
	}

	// A record added on A reaches B.
	rec, err := a.vault.Add(&record.Person{Names: []record.Name{{Given: "Ганна", Family: "Сінтэтычная"}}})
	if err != nil {
		t.Fatal(err)
	}
	a.kickSync()
	if !a.pumpUntil(func() bool { n, _ := a.vault.OutboxLen(); return n == 0 }) {
		t.Fatal("A did not send its outbox")
	}
	test.Tap(pb.syncNow) // B asks again at once instead of waiting for the next poll
	v := b.vault
	if !b.pumpUntil(func() bool { _, err := v.Get(rec.ID); return err == nil && pb.view == "member" }) {
		t.Fatalf("the record did not reach B (view %q, problem %q)", pb.view, pb.problem.Text)
	}

	// Both edit the record before either syncs: a conflict, listed on the
	// panel; tapping it opens the record in its tab.
	for i, u := range []*UI{a, b} {
		body := &record.Person{Names: []record.Name{{Given: "Ганна", Family: "Сінтэтычная"}}, Region: []string{"Hrodna", "Homiel"}[i]}
		if _, err := u.vault.Update(rec.ID, body); err != nil {
			t.Fatal(err)
		}
	}
	a.kickSync()
	b.kickSync()
	if !b.pumpUntil(func() bool { return len(pb.facts.conflicts) == 1 }) {
		t.Fatalf("no conflict listed on B: %+v", pb.facts.conflicts)
	}
	test.Tap(pb.conflictList.Objects[0].(*widget.Button))
	b.wait()
	if got := b.main.tabs.Selected().Text; got != "People" || !hasText(b, "Conflict: edits made on different devices disagree.") {
		t.Errorf("tapping the conflict shows tab %q without the record's conflict", got)
	}
	for _, u := range []*UI{a, b} {
		p := u.main.sync
		if !u.pumpUntil(func() bool {
			return p.facts.outbox == 0 && !u.sync.last.LastSuccess.IsZero() && !p.reading
		}) {
			t.Fatalf("no successful pass shown: %q, %q", p.lastSync.Text, p.pending.Text)
		}
		if strings.Contains(p.lastSync.Text, "none") || !strings.HasPrefix(p.pending.Text, "Waiting to be sent: 0 changes") || p.problem.Visible() {
			t.Errorf("status: %q / %q / problem %q", p.lastSync.Text, p.pending.Text, p.problem.Text)
		}
	}
	if !strings.Contains(panelTexts(b), storage.Fingerprint(a.vault.DeviceKey())) {
		t.Error("B's roster does not show A")
	}

	// Locking A while its engine runs stops the engine before the vault
	// closes.
	if !a.sync.running() {
		t.Fatal("A's engine is not running")
	}
	done := a.sync.done
	a.Lock()
	select {
	case <-done:
	default:
		t.Fatal("Lock returned while the engine still runs")
	}
	if a.sync != nil || !a.Locked() {
		t.Fatal("not locked")
	}

	// The relay goes away: B says so in plain words and stays usable.
	r.stop()
	b.kickSync()
	if !b.pumpUntil(func() bool { return pb.problem.Visible() }) {
		t.Fatal("no problem shown without a relay")
	}
	if !strings.HasPrefix(pb.problem.Text, "No relay reachable") || !b.sync.running() {
		t.Errorf("without a relay: %q, running %v", pb.problem.Text, b.sync.running())
	}
	people := b.main.lists[record.KindPerson]
	people.load()
	b.wait()
	if len(people.all) != 1 {
		t.Errorf("the people list shows %d records without a relay", len(people.all))
	}
	// A proxy that does not answer: the engine restarts with it and says
	// so.
	b.main.sync.proxy.SetText("socks5://127.0.0.1:1")
	test.Tap(b.main.sync.proxySave)
	if !b.pumpUntil(func() bool { return strings.HasPrefix(pb.problem.Text, "The proxy does not answer") }) {
		t.Errorf("with a dead proxy: %q", pb.problem.Text)
	}
	if !b.sync.running() {
		t.Error("the engine did not start again with the new proxy")
	}
	done = b.sync.done
	b.Lock()
	select {
	case <-done:
	default:
		t.Fatal("Lock returned while the engine still runs")
	}
}

func TestSyncPanelProxyIsKeptInTheVault(t *testing.T) {
	u := syncUI(t)
	p := u.main.sync
	test.Type(p.proxy, "tor please")
	test.Tap(p.proxySave)
	u.wait()
	if p.proxyNote.Importance != widget.DangerImportance {
		t.Errorf("a malformed proxy was accepted: %q", p.proxyNote.Text)
	}
	const proxy = "socks5://127.0.0.1:9050"
	p.proxy.SetText(proxy)
	test.Tap(p.proxySave)
	u.wait()
	if !strings.HasPrefix(p.proxyNote.Text, "Saved") {
		t.Fatalf("proxy not saved: %q", p.proxyNote.Text)
	}
	if pref := u.app.Preferences().String("proxy"); pref != "" {
		t.Errorf("the proxy is in the preferences: %q", pref)
	}
	u.Lock()
	u.wait()
	unlockWith(t, u, testPass)
	if u.sync.proxy != proxy || u.main.sync.proxy.Text != proxy {
		t.Errorf("after unlock the proxy is %q, the field shows %q", u.sync.proxy, u.main.sync.proxy.Text)
	}
}

func TestSyncErrorTextInPlainWords(t *testing.T) {
	u, _ := newTestUI(t, Config{})
	relayErr := func(kind error, msg string) error {
		return fmt.Errorf("receive records: %w", fmt.Errorf("%w: %w", kind, &wire.Error{Code: wire.CodeForbidden, Message: msg}))
	}
	for _, c := range []struct {
		err  error
		want string
	}{
		{nil, ""},
		{context.Canceled, ""},
		{fmt.Errorf("%w: dial tcp: connection refused", client.ErrUnreachable), "No relay reachable"},
		{fmt.Errorf("%w: the proxy failed: refused", client.ErrUnreachable), "The proxy does not answer"},
		{fmt.Errorf("%w: x509", client.ErrCertificate), "The relay's certificate was refused"},
		{relayErr(client.ErrForbidden, "this device was removed from the team"), "This device was removed from the team"},
		{relayErr(client.ErrForbidden, "waiting for an admin to approve this device"), "Waiting for an admin"},
		{relayErr(client.ErrForbidden, "the token is unknown, already used or expired"), "The relay refused the code"},
		{client.ErrUnauthenticated, "The relay does not recognise this device"},
		{client.ErrQuotaExceeded, "The team's space on the relay is full"},
		{client.ErrProtocol, "The relay's answer cannot be accepted"},
		{fmt.Errorf("receive records: %w: %w", engine.ErrWithheld, client.ErrTampered), "The relay may be hiding or rewriting the team's records"},
		{fmt.Errorf("pass: %w", storage.ErrDiskFull), "The disk is nearly full"},
		{errors.New("something else"), "Something went wrong"},
	} {
		got := u.syncErrorText(c.err)
		if c.want == "" && got != "" || !strings.HasPrefix(got, c.want) {
			t.Errorf("syncErrorText(%v) = %q, want %q…", c.err, got, c.want)
		}
	}
}

// TestJoinRefusesOldAndPlainHTTPInviteCodes: a version 1 invite code and
// one naming a plain http:// relay across a network are refused with what
// to do, and the vault stays out of any team.
func TestJoinRefusesOldAndPlainHTTPInviteCodes(t *testing.T) {
	u := syncUI(t)
	p := u.main.sync
	admin, _, _ := ed25519.GenerateKey(rand.Reader)
	plain := (&wire.InviteCode{Relay: "http://relay.example", Team: storage.NewID(), Token: strings.Repeat("k", 32), Admin: admin}).String()
	for code, want := range map[string]string{
		"letapis-invite-v1:eyJyZWxheSI6Imh0dHBzOi8vci5leGFtcGxlIn0": "This invite code is from an older version of Letapis and can no longer be used. Ask the admin for a new invite code.",
		plain: "The invite code names a relay reached over plain http://, which is allowed only on this computer or for an onion service. Ask the admin for an invite code with an https:// relay.",
	} {
		p.team.code.SetText(code)
		test.Tap(p.team.join)
		u.wait()
		if p.team.joinNote.Text != want || !p.team.joinNote.Visible() {
			t.Errorf("join with %.30s: note %q, want %q", code, p.team.joinNote.Text, want)
		}
		if p.view != "none" {
			t.Fatalf("a refused code changed the view to %q", p.view)
		}
	}
}
