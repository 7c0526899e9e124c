package storage

import (
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/dgraph-io/badger/v4"

	"github.com/letapis/letapis/storage/record"
)

// deliver hands every envelope in from's outbox to to, one at a time, and
// returns the reasons of those to quarantined.
func deliver(t *testing.T, from, to *Vault) []string {
	t.Helper()
	out, err := from.Outbox(1 << 20)
	if err != nil {
		t.Fatal(err)
	}
	var reasons []string
	for _, o := range out {
		_, err := to.Receive(o.CT)
		switch {
		case errors.Is(err, ErrRejected):
			reasons = append(reasons, err.Error())
		case err != nil:
			t.Fatal(err)
		}
	}
	return reasons
}

// TestJoiningDeviceTrustsOnlyTheInvitersKey: a relay hands a joining
// device a key grant from an admin of some other team (any key but the
// inviter's). The grant is quarantined with its reason, the device stays
// joining, and the inviter's own grant then lets it in.
func TestJoiningDeviceTrustsOnlyTheInvitersKey(t *testing.T) {
	inviter, forger, joiner := newVault(t), newVault(t), newVault(t)
	team := NewID()
	for _, v := range []*Vault{inviter, forger} {
		if _, err := v.CreateTeam(team, "https://relay.invalid", ""); err != nil {
			t.Fatal(err)
		}
	}
	st, err := joiner.PrepareJoin(team, "https://relay.invalid", "", inviter.DeviceKey())
	if err != nil {
		t.Fatal(err)
	}
	if err := forger.Admit(joiner.DeviceKey(), joiner.Recipient(), st.Pseudonym, RoleAdmin); err != nil {
		t.Fatal(err)
	}
	reasons := deliver(t, forger, joiner)
	if len(reasons) != 1 || !strings.Contains(reasons[0], "key grant signed by "+Fingerprint(forger.DeviceKey())+", who may not grant") {
		t.Fatalf("the forged grant: quarantined %q, want one reason naming its signer", reasons)
	}
	if st, _ := joiner.Team(); st.Joined {
		t.Fatal("the joining device trusted a grant not signed by its inviter")
	}
	if q, _ := joiner.Quarantined(); len(q) != 1 {
		t.Fatalf("quarantine: %+v", q)
	}

	if err := inviter.Admit(joiner.DeviceKey(), joiner.Recipient(), st.Pseudonym, RoleMember); err != nil {
		t.Fatal(err)
	}
	if reasons := deliver(t, inviter, joiner); len(reasons) != 0 {
		t.Fatalf("the inviter's grant was refused: %q", reasons)
	}
	if st, _ := joiner.Team(); !st.Joined {
		t.Fatal("the inviter's grant did not let the device in")
	}
	ms, _ := joiner.Members()
	for _, m := range ms {
		if m.Device.Equal(forger.DeviceKey()) {
			t.Fatal("the forger's roster reached the joined device")
		}
	}
}

// TestJoinTrustComparesTheWholeKey: the inviter's key in the team state
// differs from the grant's signer in its last byte only. The grant is
// refused: the check compares the whole key, not a prefix or a
// fingerprint.
func TestJoinTrustComparesTheWholeKey(t *testing.T) {
	inviter, joiner := newVault(t), newVault(t)
	team := NewID()
	if _, err := inviter.CreateTeam(team, "https://relay.invalid", ""); err != nil {
		t.Fatal(err)
	}
	near := slices.Clone(inviter.DeviceKey())
	near[len(near)-1] ^= 0x01
	st, err := joiner.PrepareJoin(team, "https://relay.invalid", "", near)
	if err != nil {
		t.Fatal(err)
	}
	if err := inviter.Admit(joiner.DeviceKey(), joiner.Recipient(), st.Pseudonym, RoleMember); err != nil {
		t.Fatal(err)
	}
	if reasons := deliver(t, inviter, joiner); len(reasons) != 1 || !strings.Contains(reasons[0], "may not grant") {
		t.Fatalf("a grant by a key one byte off the inviter's: quarantined %q, want refused", reasons)
	}
	if st, _ := joiner.Team(); st.Joined {
		t.Fatal("joined on a key that is not the inviter's")
	}
	if _, err := newVault(t).PrepareJoin(team, "https://relay.invalid", "", near[:6]); err == nil {
		t.Fatal("PrepareJoin accepted a 6-byte inviter key")
	}
}

// TestVaultThatJoinedWithAnOldInviteStillOpensAndSyncs: a vault of an
// older version kept its inviter as a fingerprint only. It opens, counts
// as invited (not the founder), and keeps sending and receiving records.
func TestVaultThatJoinedWithAnOldInviteStillOpensAndSyncs(t *testing.T) {
	log, vs := newTeam(t, 2)
	a, b := vs[0], vs[1]
	old := map[string]any{}
	err := b.db.Update(func(txn *badger.Txn) error {
		if _, err := getJSON(txn, []byte(keyTeam), &old); err != nil {
			return err
		}
		delete(old, "inviter_key")
		old["inviter"] = Fingerprint(a.DeviceKey())
		return setJSON(txn, []byte(keyTeam), old)
	})
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := json.Marshal(old)
	if strings.Contains(string(raw), "inviter_key") {
		t.Fatal("the old team state still has the new field")
	}
	b = reopen(t, b)
	st, err := b.Team()
	if err != nil || !st.Joined || !st.Invited() || st.Inviter != nil || st.OldInviter != Fingerprint(a.DeviceKey()) {
		t.Fatalf("old team state read as %+v, %v", st, err)
	}
	na := mustAdd(t, a, &record.Note{Text: "from A after the upgrade"})
	nb := mustAdd(t, b, &record.Note{Text: "from B after the upgrade"})
	log.exchange(t, a, b)
	for _, v := range []*Vault{a, b} {
		for _, id := range []string{na.ID, nb.ID} {
			if _, err := v.Get(id); err != nil {
				t.Fatalf("record %s after the upgrade: %v", id, err)
			}
		}
	}
}

// admitAs brings a new vault into the team of vs[0] (an admin) with role.
func admitAs(t *testing.T, log *fakeLog, vs []*Vault, role string) *Vault {
	t.Helper()
	admin := vs[0]
	st0, _ := admin.Team()
	m := newVault(t)
	st, err := m.PrepareJoin(st0.Team, st0.Relay, "", admin.DeviceKey())
	if err != nil {
		t.Fatal(err)
	}
	if err := admin.Admit(m.DeviceKey(), m.Recipient(), st.Pseudonym, role); err != nil {
		t.Fatal(err)
	}
	log.exchange(t, append(slices.Clone(vs), m)...)
	return m
}

// TestAnyAdminRemovesAnyDeviceAndMembersNone: a plain member cannot remove
// the founder, neither through Expel nor by signing a roster removal
// itself and sending it (every other device quarantines it, naming why);
// a second admin can remove the founder, and the removal holds everywhere.
func TestAnyAdminRemovesAnyDeviceAndMembersNone(t *testing.T) {
	log, vs := newTeam(t, 2)
	founder, plain := vs[0], vs[1]
	second := admitAs(t, log, vs, RoleAdmin)
	all := []*Vault{founder, plain, second}

	if err := plain.Expel(founder.DeviceKey()); !errors.Is(err, ErrNotAdmin) {
		t.Fatalf("a plain member's Expel: %v, want ErrNotAdmin", err)
	}
	// The hostile plain writes the removal anyway, past Expel's check.
	var target *Member
	_ = plain.view(func(txn *badger.Txn) error { target, _ = member(txn, founder.DeviceKey()); return nil })
	removal := *target
	removal.Removed = true
	err := plain.update("forge a removal", func(txn *badger.Txn) error {
		return plain.writeSystem(txn, kindRoster, rosterEntry{Op: "remove", Member: removal}, plain.teamAddress())
	})
	if err != nil {
		t.Fatal(err)
	}
	log.exchange(t, all...)
	for _, v := range []*Vault{founder, second} {
		qs, _ := v.Quarantined()
		if len(qs) != 1 || !strings.Contains(qs[0].Reason, "roster change signed by "+Fingerprint(plain.DeviceKey())+", who is not an admin") {
			t.Fatalf("the member's forged removal: quarantine %+v", qs)
		}
		if m := rosterEntryOf(t, v, founder.DeviceKey()); m.Removed {
			t.Fatal("a member's forged removal removed the founder")
		}
	}

	// The second admin removes the founder.
	if err := second.Expel(founder.DeviceKey()); err != nil {
		t.Fatalf("an admin removing the founder: %v", err)
	}
	log.exchange(t, all...)
	for _, v := range []*Vault{plain, second} {
		if m := rosterEntryOf(t, v, founder.DeviceKey()); !m.Removed {
			t.Fatal("the founder is not removed after a second admin removed it")
		}
	}
	// The founder, removed, can no longer remove anyone: its own vault
	// knows of its removal (the entry travels under the key it held) and
	// refuses, and a removal it forges past that check changes nothing.
	if err := founder.Expel(second.DeviceKey()); !errors.Is(err, ErrNotAdmin) {
		t.Fatalf("the removed founder's own Expel: %v, want ErrNotAdmin", err)
	}
	_ = founder.view(func(txn *badger.Txn) error { target, _ = member(txn, second.DeviceKey()); return nil })
	forged := *target
	forged.Removed = true
	err = founder.update("forge a removal", func(txn *badger.Txn) error {
		return founder.writeSystem(txn, kindRoster, rosterEntry{Op: "remove", Member: forged}, founder.teamAddress())
	})
	if err != nil {
		t.Fatal(err)
	}
	n := mustAdd(t, second, &record.Note{Text: "after the founder left"})
	log.exchange(t, all...)
	for _, v := range []*Vault{plain, second} {
		if m := rosterEntryOf(t, v, second.DeviceKey()); m.Removed {
			t.Fatal("the removed founder removed the second admin")
		}
	}
	if _, err := plain.Get(n.ID); err != nil {
		t.Fatalf("the remaining plain: %v", err)
	}
	if _, err := founder.Get(n.ID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("the removed founder has the new record: %v", err)
	}
}

// rosterEntryOf returns the roster entry of device in v.
func rosterEntryOf(t *testing.T, v *Vault, device ed25519.PublicKey) Member {
	t.Helper()
	ms, err := v.Members()
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range ms {
		if m.Device.Equal(device) {
			return m
		}
	}
	t.Fatalf("no roster entry for %s", Fingerprint(device))
	return Member{}
}

// TestVaultWaitingWithAnOldInviteCannotJoin: a vault of an older version
// that asked to join with a fingerprint only cannot tell its inviter's
// grant from a forgery: the grant is quarantined and the vault stays
// joining (it needs a new invite code, in a new vault).
func TestVaultWaitingWithAnOldInviteCannotJoin(t *testing.T) {
	inviter, joiner := newVault(t), newVault(t)
	team := NewID()
	if _, err := inviter.CreateTeam(team, "https://relay.invalid", ""); err != nil {
		t.Fatal(err)
	}
	st, err := joiner.PrepareJoin(team, "https://relay.invalid", "", inviter.DeviceKey())
	if err != nil {
		t.Fatal(err)
	}
	err = joiner.changeTeam("make the state old", func(t *TeamState) {
		t.Inviter, t.OldInviter = nil, Fingerprint(inviter.DeviceKey())
	})
	if err != nil {
		t.Fatal(err)
	}
	if st, _ := joiner.Team(); !st.Invited() || st.Joined {
		t.Fatalf("old joining state read as %+v", st)
	}
	if err := inviter.Admit(joiner.DeviceKey(), joiner.Recipient(), st.Pseudonym, RoleMember); err != nil {
		t.Fatal(err)
	}
	if reasons := deliver(t, inviter, joiner); len(reasons) != 1 || !strings.Contains(reasons[0], "may not grant") {
		t.Fatalf("the grant to an old joining vault: quarantined %q", reasons)
	}
	if st, _ := joiner.Team(); st.Joined {
		t.Fatal("an old joining vault trusted a grant on a fingerprint")
	}
}
