package engine

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/letapis/letapis/storage"
	"github.com/letapis/letapis/sync/client"
	"github.com/letapis/letapis/sync/relay"
	"github.com/letapis/letapis/sync/wire"
)

// blobID is the relay's id of a blob: its SHA-256 in hex.
func blobID(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

// pseudonymOf returns a device's pseudonym at the relay.
func pseudonymOf(t *testing.T, d *device) string {
	t.Helper()
	st, err := d.v.Team()
	if err != nil {
		t.Fatal(err)
	}
	return st.Pseudonym
}

// wantRefused checks that a removed device's engine stops with ErrForbidden.
func wantRefused(t *testing.T, d *device) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := d.e.Run(ctx); !errors.Is(err, client.ErrForbidden) {
		t.Fatalf("removed device's Run: %v, want it to stop with ErrForbidden", err)
	}
}

// TestSecondAdminRemovesTheFounder: through the real relay, a device
// approved as admin is an admin at the relay too (it makes invites) and
// removes the founder, who is then refused; a hostile plain member can
// neither remove the founder in its vault nor get the relay to revoke it
// (403); the relay keeps its last active admin.
func TestSecondAdminRemovesTheFounder(t *testing.T) {
	r := startRelay(t)
	ds := formTeam(t, r, 2)
	ds = addDevice(t, ds, storage.RoleAdmin)
	founder, plain, second := ds[0], ds[1], ds[2]
	ctx := context.Background()
	founderFP := storage.Fingerprint(founder.v.DeviceKey())

	if _, err := second.e.Invite(ctx); err != nil {
		t.Fatalf("an admin approved as admin makes an invite: %v", err)
	}
	if err := plain.e.Remove(ctx, founderFP); !errors.Is(err, storage.ErrNotAdmin) {
		t.Fatalf("a member removing the founder: %v, want ErrNotAdmin", err)
	}
	err := plain.e.Client().Revoke(ctx, pseudonymOf(t, founder))
	var we *wire.Error
	if !errors.Is(err, client.ErrForbidden) || !errors.As(err, &we) || we.Code != wire.CodeForbidden {
		t.Fatalf("a member asking the relay to revoke the founder: %v, want 403", err)
	}

	if err := second.e.Remove(ctx, founderFP); err != nil {
		t.Fatalf("the second admin removing the founder: %v", err)
	}
	syncAll(t, plain, second)
	for _, d := range []*device{plain, second} {
		ms, _ := d.v.Members()
		for _, m := range ms {
			if m.Fingerprint() == founderFP && !m.Removed {
				t.Fatal("the founder is still in a roster after its removal")
			}
		}
	}
	wantRefused(t, founder)

	err = second.e.Client().Revoke(ctx, pseudonymOf(t, second))
	if !errors.Is(err, client.ErrConflict) || !strings.Contains(err.Error(), "last active admin") {
		t.Fatalf("revoking the last admin at the relay: %v, want a conflict saying why", err)
	}
}

// TestJoiningDeviceRefusesAGrantTheRelaySlipsIn: a malicious relay puts
// into the team's log a key grant for the joining device signed by a key
// of its own (an admin of a team it made up, with the same team id). The
// device quarantines it, naming its signer, and joins with the inviter's
// grant only; the forger never enters its roster.
func TestJoiningDeviceRefusesAGrantTheRelaySlipsIn(t *testing.T) {
	r := startRelay(t)
	ds := formTeam(t, r, 1)
	admin := ds[0]
	ctx := context.Background()
	code, err := admin.e.Invite(ctx)
	if err != nil {
		t.Fatal(err)
	}
	jv := newVault(t)
	je, _, err := Join(ctx, jv, code, fast)
	if err != nil {
		t.Fatal(err)
	}
	joiner := &device{jv, je}
	apps, err := admin.e.Applicants(ctx)
	if err != nil || len(apps) != 1 {
		t.Fatalf("applicants: %v, %v", apps, err)
	}
	if err := admin.e.Approve(ctx, &apps[0], storage.RoleMember); err != nil {
		t.Fatal(err)
	}

	// The relay's forgery goes into the log before the admin's grant.
	forger := newVault(t)
	if _, err := forger.CreateTeam(code.Team, code.Relay, ""); err != nil {
		t.Fatal(err)
	}
	if err := forger.Admit(jv.DeviceKey(), jv.Recipient(), apps[0].Pseudonym, storage.RoleAdmin); err != nil {
		t.Fatal(err)
	}
	out, err := forger.Outbox(100)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, o := range out {
		id := blobID(o.CT)
		if _, err := r.store.PutBlob(ctx, code.Team, id, o.CT, 0); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	if _, err := r.store.Append(ctx, code.Team, ids); err != nil {
		t.Fatal(err)
	}
	if _, err := joiner.e.Once(ctx); err != nil {
		t.Fatal(err)
	}
	if st, _ := jv.Team(); st.Joined {
		t.Fatal("the joining device trusted the relay's grant")
	}
	qs, _ := jv.Quarantined()
	forgerFP := storage.Fingerprint(forger.DeviceKey())
	if len(qs) != 1 || !strings.Contains(qs[0].Reason, "key grant signed by "+forgerFP) {
		t.Fatalf("quarantine %+v, want the forged grant naming %s", qs, forgerFP)
	}

	syncAll(t, admin, joiner)
	if st, _ := jv.Team(); !st.Joined {
		t.Fatal("the inviter's grant did not let the device in")
	}
	ms, _ := jv.Members()
	for _, m := range ms {
		if m.Device.Equal(forger.DeviceKey()) {
			t.Fatal("the forger is in the joined device's roster")
		}
	}
}

// TestOperatorRecoversATeamWhoseAdminIsLost: the operator's recovery
// token makes a remaining member the relay's admin, which then cuts the
// lost admin's device off at the relay. The signed roster does not
// change: the recovered device still cannot remove anyone from it.
func TestOperatorRecoversATeamWhoseAdminIsLost(t *testing.T) {
	r := startRelay(t)
	ds := formTeam(t, r, 2)
	lost, survivor := ds[0], ds[1]
	ctx := context.Background()
	st, _ := survivor.v.Team()
	token, err := relay.RecoverTeam(ctx, r.store, st.Team)
	if err != nil {
		t.Fatal(err)
	}
	if err := newVaultEngine(t, r, st.Team).Client().Register(ctx, token); !errors.Is(err, client.ErrConflict) {
		t.Fatalf("a device new to the team with the recovery token: %v, want a conflict", err)
	}
	if err := survivor.e.Client().Register(ctx, token); err != nil {
		t.Fatalf("the surviving member with the recovery token: %v", err)
	}
	if err := survivor.e.Client().Revoke(ctx, pseudonymOf(t, lost)); err != nil {
		t.Fatalf("the recovered admin revoking the lost one at the relay: %v", err)
	}
	wantRefused(t, lost)
	if err := survivor.e.Remove(ctx, storage.Fingerprint(lost.v.DeviceKey())); !errors.Is(err, storage.ErrNotAdmin) {
		t.Fatalf("the recovered relay admin changing the roster: %v, want ErrNotAdmin", err)
	}
}

// newVaultEngine returns the engine of a fresh vault that founded a team
// of the given id on r in its own records only (not registered).
func newVaultEngine(t *testing.T, r *testRelay, team string) *Engine {
	t.Helper()
	v := newVault(t)
	if _, err := v.CreateTeam(team, r.URL, ""); err != nil {
		t.Fatal(err)
	}
	e, err := New(v, fast)
	if err != nil {
		t.Fatal(err)
	}
	return e
}
