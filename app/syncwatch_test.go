package app

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/letapis/letapis/internal/withhold"
	"github.com/letapis/letapis/storage"
	"github.com/letapis/letapis/storage/record"
	"github.com/letapis/letapis/sync/engine"
	"github.com/letapis/letapis/sync/relay"
	"github.com/letapis/letapis/sync/wire"
)

// TestSyncWatchShowsWarningsAndLastHeard: the relay (the real handler on
// 127.0.0.1, behind a withholding proxy holding its key) leaves two of
// B's records out of A's log, as a consistent, signed fork, and lets B's
// heartbeat through. A's Sync tab says, in plain words, that the relay may
// be hiding B's records, and when B was last heard from.
func TestSyncWatchShowsWarningsAndLastHeard(t *testing.T) {
	ctx := context.Background()
	store, err := relay.OpenBadgerStore(t.TempDir(), relay.BadgerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	_, key, _ := ed25519.GenerateKey(rand.Reader)
	srv := httptest.NewServer(relay.New(store, relay.Options{Key: key}))
	t.Cleanup(func() { srv.CloseClientConnections(); srv.Close(); store.Close() })
	w, err := withhold.New(srv.URL, store, key)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.Close)

	// A founds the team and admits B, outside the UI.
	dirA := filepath.Join(t.TempDir(), "vault")
	makeVault(t, dirA)
	va, err := storage.Open(dirA, testPass, storage.Options{WorkFactor: 10})
	if err != nil {
		t.Fatal(err)
	}
	vb, err := storage.Create(filepath.Join(t.TempDir(), "vault"), testPass, storage.Options{WorkFactor: 10})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { vb.Close() })
	cfg := engine.Config{}
	fastSync(&cfg)
	teamID, token, err := relay.NewTeam(ctx, store)
	if err != nil {
		t.Fatal(err)
	}
	ea, err := engine.Found(ctx, va, w.URL, teamID, token, "", cfg)
	if err != nil {
		t.Fatal(err)
	}
	code, err := ea.Invite(ctx)
	if err != nil {
		t.Fatal(err)
	}
	parsed, err := wire.ParseInviteCode(code.String())
	if err != nil {
		t.Fatal(err)
	}
	eb, _, err := engine.Join(ctx, vb, parsed, cfg)
	if err != nil {
		t.Fatal(err)
	}
	apps, err := ea.Applicants(ctx)
	if err != nil || len(apps) != 1 {
		t.Fatalf("applicants: %v, %v", apps, err)
	}
	if err := ea.Approve(ctx, &apps[0], storage.RoleMember); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		for _, e := range []*engine.Engine{ea, eb} {
			if _, err := e.Once(ctx); err != nil {
				t.Fatal(err)
			}
		}
	}
	st, err := va.Team()
	if err != nil {
		t.Fatal(err)
	}
	if err := va.Close(); err != nil {
		t.Fatal(err)
	}

	// B writes two records; the relay hides them from A.
	lr, err := store.ReadLog(ctx, teamID, 0, 1)
	if err != nil {
		t.Fatal(err)
	}
	for _, text := range []string{"first hidden", "second hidden"} {
		if _, err := vb.Add(&record.Note{Text: text}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := eb.Once(ctx); err != nil {
		t.Fatal(err)
	}
	after, err := store.ReadLog(ctx, teamID, lr.Head, 10)
	if err != nil || len(after.Entries) != 3 {
		t.Fatalf("B's two records and its heartbeat: %+v, %v", after, err)
	}
	w.Show(st.Pseudonym, withhold.View{Hide: map[string]bool{after.Entries[0].ID: true, after.Entries[1].ID: true}, Fork: true})

	u, _ := newTestUI(t, Config{VaultDir: dirA, engineConfig: fastSync})
	unlockWith(t, u, testPass)
	for i, it := range u.main.tabs.Items {
		if it.Text == "Sync" {
			u.main.tabs.SelectIndex(i)
		}
	}
	fpB := storage.Fingerprint(vb.DeviceKey())
	want := "The relay may be hiding records of device " + fpB + " from this device since"
	if !u.pumpUntil(func() bool { return strings.Contains(panelTexts(u), want) }) {
		t.Fatalf("A's Sync tab does not warn %q:\n%s", want, panelTexts(u))
	}
	texts := panelTexts(u)
	if !strings.Contains(texts, "Missing: 2.") || !strings.Contains(texts, "Device "+fpB+": last heard from ") ||
		strings.Contains(texts, "Device "+fpB+": last heard from never") {
		t.Fatalf("A's Sync tab:\n%s", texts)
	}
}
