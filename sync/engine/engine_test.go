package engine

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"io/fs"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/letapis/letapis/storage"
	"github.com/letapis/letapis/storage/record"
	"github.com/letapis/letapis/sync/client"
	"github.com/letapis/letapis/sync/relay"
	"github.com/letapis/letapis/sync/wire"
)

// testRelay is the real relay handler with a Badger store on disk, served
// on 127.0.0.1.
type testRelay struct {
	URL, Dir string
	store    *relay.BadgerStore
	srv      *httptest.Server
	key      ed25519.PrivateKey // signs receipts and heads
}

func startRelay(t *testing.T) *testRelay {
	t.Helper()
	dir := t.TempDir()
	store, err := relay.OpenBadgerStore(dir, relay.BadgerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	_, key, _ := ed25519.GenerateKey(rand.Reader)
	srv := httptest.NewServer(relay.New(store, relay.Options{Key: key}))
	r := &testRelay{URL: srv.URL, Dir: dir, store: store, srv: srv, key: key}
	t.Cleanup(func() { srv.Close(); store.Close() })
	return r
}

var fast = Config{Client: func(c *client.Config) {
	c.MinBackoff, c.MaxBackoff, c.Timeout = 5*time.Millisecond, 50*time.Millisecond, 5*time.Second
}}

func newVault(t *testing.T) *storage.Vault {
	t.Helper()
	v, err := storage.Create(filepath.Join(t.TempDir(), "vault"), "test passphrase", storage.Options{WorkFactor: 10, MinFreeBytes: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { v.Close() })
	return v
}

// device is a vault with its engine.
type device struct {
	v *storage.Vault
	e *Engine
}

// formTeam founds a team on the relay and brings n-1 more devices in
// through invite, join, safety-number comparison and approval.
func formTeam(t *testing.T, r *testRelay, n int) []*device {
	t.Helper()
	ctx := context.Background()
	team, token, err := relay.NewTeam(ctx, r.store)
	if err != nil {
		t.Fatal(err)
	}
	av := newVault(t)
	ae, err := Found(ctx, av, r.URL, team, token, "", fast)
	if err != nil {
		t.Fatal(err)
	}
	ds := []*device{{av, ae}}
	for range n - 1 {
		ds = addDevice(t, ds, storage.RoleMember)
	}
	return ds
}

// addDevice brings one more device into the team of ds[0], an admin,
// through invite, join, safety-number comparison and approval with role.
func addDevice(t *testing.T, ds []*device, role string) []*device {
	t.Helper()
	ctx := context.Background()
	ae := ds[0].e
	code, err := ae.Invite(ctx)
	if err != nil {
		t.Fatal(err)
	}
	parsed, err := wire.ParseInviteCode(code.String()) // as pasted by a person
	if err != nil {
		t.Fatal(err)
	}
	v := newVault(t)
	e, safety, err := Join(ctx, v, parsed, fast)
	if err != nil {
		t.Fatal(err)
	}
	if again, err := OwnSafetyNumber(v); err != nil || again != safety {
		t.Fatalf("OwnSafetyNumber = %q, %v; Join returned %q", again, err, safety)
	}
	apps, err := ae.Applicants(ctx)
	if err != nil || len(apps) != 1 {
		t.Fatalf("applicants: %v, %v", apps, err)
	}
	if apps[0].SafetyNumber != safety {
		t.Fatalf("safety numbers differ: admin sees %s, device shows %s", apps[0].SafetyNumber, safety)
	}
	if err := ae.Approve(ctx, &apps[0], role); err != nil {
		t.Fatal(err)
	}
	ds = append(ds, &device{v, e})
	syncAll(t, ds...)
	if st, _ := v.Team(); !st.Joined {
		t.Fatal("device not joined after approval and a sync")
	}
	return ds
}

// syncAll runs passes on every device until nothing moves.
func syncAll(t *testing.T, ds ...*device) {
	t.Helper()
	for range 3 {
		for _, d := range ds {
			if _, err := d.e.Once(context.Background()); err != nil {
				t.Fatalf("sync: %v", err)
			}
		}
	}
}

func TestThreeDevicesThroughARealRelay(t *testing.T) {
	r := startRelay(t)
	ds := formTeam(t, r, 3)
	a, b, c := ds[0], ds[1], ds[2]

	secrets := []string{"Уладзімір", "Навумчык", "interrogated at night", "АТАЧМЕНТ-БАЙТЫ"}
	pa, err := a.v.Add(&record.Person{Names: []record.Name{{Given: secrets[0], Family: secrets[1]}}})
	if err != nil {
		t.Fatal(err)
	}
	nb, err := b.v.Add(&record.Note{About: pa.ID, Text: secrets[2]})
	if err != nil {
		t.Fatal(err)
	}
	photo := bytes.Repeat([]byte(secrets[3]), 400_000) // ~10 MiB, three parts
	att, err := c.v.ImportAttachment(bytes.NewReader(photo), "photo.jpg", "", []string{pa.ID})
	if err != nil {
		t.Fatal(err)
	}
	syncAll(t, ds...)
	for _, d := range ds {
		for _, id := range []string{pa.ID, nb.ID, att.ID} {
			if _, err := d.v.Get(id); err != nil {
				t.Fatalf("record %s missing on a device: %v", id, err)
			}
		}
		var got bytes.Buffer
		if _, err := d.v.ExportAttachment(att.ID, &got); err != nil || !bytes.Equal(got.Bytes(), photo) {
			t.Fatalf("attachment on a device: %v", err)
		}
	}

	// Offline edits of the same field on A and B: a conflict everywhere,
	// resolved on C.
	a.v.Update(pa.ID, &record.Person{Names: []record.Name{{Given: secrets[0], Family: secrets[1]}}, Region: "Minsk"})
	b.v.Update(pa.ID, &record.Person{Names: []record.Name{{Given: secrets[0], Family: secrets[1]}}, Region: "Homiel"})
	syncAll(t, ds...)
	for _, d := range ds {
		if got, _ := d.v.Get(pa.ID); !got.Conflict {
			t.Fatal("concurrent edits not shown as a conflict")
		}
	}
	if _, err := c.v.ResolveConflict(pa.ID, &record.Person{Names: []record.Name{{Given: secrets[0], Family: secrets[1]}}, Region: "Minsk"}); err != nil {
		t.Fatal(err)
	}
	syncAll(t, ds...)
	for _, d := range ds {
		if got, _ := d.v.Get(pa.ID); got.Conflict || len(got.Heads) != 1 {
			t.Fatalf("conflict not resolved everywhere: %+v", got)
		}
	}

	// A delete on B stays deleted everywhere.
	if err := b.v.Delete(nb.ID); err != nil {
		t.Fatal(err)
	}
	syncAll(t, ds...)
	for _, d := range ds {
		if got, _ := d.v.Get(nb.ID); !got.Deleted {
			t.Fatal("deleted note came back")
		}
	}

	// The relay holds nothing readable.
	r.store.Close()
	needles := append(secrets, pa.ID, nb.ID, att.ID)
	scan(t, r.Dir, needles...)
}

func TestRemovedMemberIsRefusedAndCannotRead(t *testing.T) {
	r := startRelay(t)
	ds := formTeam(t, r, 3)
	a, b, c := ds[0], ds[1], ds[2]
	if err := a.e.Remove(context.Background(), storage.Fingerprint(c.v.DeviceKey())); err != nil {
		t.Fatal(err)
	}
	n, err := a.v.Add(&record.Note{Text: "written after C left"})
	if err != nil {
		t.Fatal(err)
	}
	syncAll(t, a, b)
	if _, err := b.v.Get(n.ID); err != nil {
		t.Fatalf("remaining member: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := c.e.Run(ctx); !errors.Is(err, client.ErrForbidden) {
		t.Fatalf("removed member's Run: %v, want it to stop with ErrForbidden", err)
	}
	// Removing again only tells the relay again.
	if err := a.e.Remove(context.Background(), storage.Fingerprint(c.v.DeviceKey())); err != nil {
		t.Fatalf("second Remove: %v", err)
	}
	if _, err := c.v.Get(n.ID); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("removed member has the new record: %v", err)
	}
}

// scan fails the test if any file under dir contains any needle.
func scan(t *testing.T, dir string, needles ...string) {
	t.Helper()
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, _ := os.ReadFile(p)
		for _, n := range needles {
			if strings.Contains(string(data), n) {
				t.Errorf("relay file %s contains %q", p, n)
			}
		}
		return nil
	})
}
