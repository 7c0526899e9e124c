package storage

import (
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"

	"filippo.io/age"
	"github.com/dgraph-io/badger/v4"

	"github.com/letapis/letapis/storage/envelope"
	"github.com/letapis/letapis/storage/record"
)

// plantGrant makes v write, as it could with modified code, a key grant
// to each of to carrying keys.
func plantGrant(t *testing.T, v *Vault, g keyGrant, to ...*Vault) {
	t.Helper()
	err := v.update("plant", func(txn *badger.Txn) error {
		for _, d := range to {
			g.To = d.DeviceKey()
			r, _ := age.ParseHybridRecipient(d.Recipient())
			if err := v.writeSystem(txn, kindKey, g, deviceAddress(r)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// canOpen reports whether the envelope of rec's newest revision on v opens
// with id.
func canOpen(t *testing.T, v *Vault, recID string, id age.Identity) bool {
	t.Helper()
	var ct []byte
	err := v.view(func(txn *badger.Txn) error {
		r, err := loadRecord(txn, recID)
		if err != nil || r == nil {
			return errors.Join(err, errors.New("no record"))
		}
		var ri RevisionInfo
		if _, err := getJSON(txn, key(pfxRevision, recID, "/", r.Heads[0]), &ri); err != nil {
			return err
		}
		item, err := txn.Get(key(pfxEnvelope, ri.Envelope))
		if err != nil {
			return err
		}
		ct, err = item.ValueCopy(nil)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	_, err = envelope.Open(ct, id)
	return err == nil
}

// quarantinedFor returns the reasons of v's quarantined envelopes that
// contain want.
func quarantinedFor(t *testing.T, v *Vault, want string) []string {
	t.Helper()
	qs, err := v.Quarantined()
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, q := range qs {
		if strings.Contains(q.Reason, want) {
			out = append(out, q.Reason)
		}
	}
	return out
}

func TestMemberGrantingAHugeTeamEpochIsRefused(t *testing.T) {
	log, vs := newTeam(t, 3)
	a, b, c := vs[0], vs[1], vs[2]
	planted, err := newAudience(1 << 40)
	if err != nil {
		t.Fatal(err)
	}
	plantGrant(t, b, keyGrant{Audiences: []audience{*planted}}, a, c)
	log.exchange(t, a, b, c)
	for _, v := range []*Vault{a, c} {
		if len(quarantinedFor(t, v, "may not grant")) != 1 {
			t.Errorf("the member's planted grant is not quarantined with its reason: %+v", must(v.Quarantined()))
		}
		if v.current.Epoch != 1 {
			t.Errorf("a device writes to epoch %d, want 1", v.current.Epoch)
		}
		n := mustAdd(t, v, &record.Note{Text: "after the planted grant"})
		if canOpen(t, v, n.ID, planted.id) {
			t.Error("a new record opens with the planted key")
		}
	}
}

func must[T any](v T, _ error) T { return v }

func TestAdminsPlantedKeyIsUselessOnceRemoved(t *testing.T) {
	log, vs := newTeam(t, 2)
	a, c := vs[0], vs[1]
	b := newVault(t)
	st, err := b.PrepareJoin(teamOf(t, a), "https://relay.invalid", "", a.DeviceKey())
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Admit(b.DeviceKey(), b.Recipient(), st.Pseudonym, RoleAdmin); err != nil {
		t.Fatal(err)
	}
	log.exchange(t, a, b, c)

	// The admin B grants a key of epoch 2^40 that no roster entry
	// introduced, and writes a roster rotation to epoch 2^40+1 with a
	// commitment to another key it keeps: both wait, trusted by no one.
	planted, _ := newAudience(1 << 40)
	plantGrant(t, b, keyGrant{Audiences: []audience{*planted}}, a, c)
	jump, _ := newAudience(1<<40 + 1)
	err = b.update("plant", func(txn *badger.Txn) error {
		return b.writeSystem(txn, kindRoster, rosterEntry{Op: "rotate", Epoch: &epochCommit{Epoch: jump.Epoch, Commit: commitOf(jump.id)}}, b.teamAddress())
	})
	if err != nil {
		t.Fatal(err)
	}
	log.exchange(t, a, b, c)
	for _, v := range []*Vault{a, c} {
		if v.current.Epoch != 1 {
			t.Fatalf("a device writes to epoch %d after the admin's planted key, want 1", v.current.Epoch)
		}
	}

	// The founder removes B: the team rotates to epoch 2, not past the
	// planted one, and what C writes next neither planted key opens.
	if err := a.Expel(b.DeviceKey()); err != nil {
		t.Fatal(err)
	}
	log.exchange(t, a, b, c)
	if c.current.Epoch != 2 || a.current.Epoch != 2 {
		t.Fatalf("after the removal the devices write to epochs %d and %d, want 2", a.current.Epoch, c.current.Epoch)
	}
	n := mustAdd(t, c, &record.Note{Text: "after B left"})
	log.exchange(t, a, b, c)
	for _, k := range []*audience{planted, jump} {
		if canOpen(t, c, n.ID, k.id) {
			t.Errorf("the removed admin's key %d opens a record written after its removal", k.Epoch)
		}
	}
	if _, err := a.Get(n.ID); err != nil {
		t.Fatalf("the founder cannot read a record written after the removal: %v", err)
	}
	if _, err := b.Get(n.ID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("the removed admin reads a record written after its removal: %v", err)
	}
}

func TestRotateTeamKeyStartsANewEpochForEveryone(t *testing.T) {
	log, vs := newTeam(t, 3)
	a, b, c := vs[0], vs[1], vs[2]
	if err := b.RotateTeamKey(); !errors.Is(err, ErrNotAdmin) {
		t.Fatalf("a member rotated the team key: %v", err)
	}
	old := a.current
	if err := a.RotateTeamKey(); err != nil {
		t.Fatal(err)
	}
	log.exchange(t, a, b, c)
	n := mustAdd(t, c, &record.Note{Text: "after the rotation"})
	log.exchange(t, a, b, c)
	for _, v := range vs {
		if v.current.Epoch != 2 {
			t.Errorf("a device writes to epoch %d, want 2", v.current.Epoch)
		}
		if _, err := v.Get(n.ID); err != nil {
			t.Errorf("record after the rotation: %v", err)
		}
	}
	if canOpen(t, c, n.ID, old.id) {
		t.Error("the old key opens a record written after the rotation")
	}
	// A device that joins now starts from the roster's epochs.
	d := newVault(t)
	st, _ := d.PrepareJoin(teamOf(t, a), "https://relay.invalid", "", a.DeviceKey())
	if err := a.Admit(d.DeviceKey(), d.Recipient(), st.Pseudonym, RoleMember); err != nil {
		t.Fatal(err)
	}
	log.exchange(t, a, b, c, d)
	if d.current.Epoch != 2 || !d.current.committed {
		t.Fatalf("the new device writes to epoch %d (committed %v), want 2", d.current.Epoch, d.current.committed)
	}
	if _, err := d.Get(n.ID); err != nil {
		t.Fatalf("the new device cannot read: %v", err)
	}
}

func TestInviterCannotFeedAJoinerAnEpochItsRosterLacks(t *testing.T) {
	log, vs := newTeam(t, 1)
	a := vs[0]
	d := newVault(t)
	if _, err := d.PrepareJoin(teamOf(t, a), "https://relay.invalid", "", a.DeviceKey()); err != nil {
		t.Fatal(err)
	}
	planted, _ := newAudience(1 << 40)
	err := a.update("plant", func(txn *badger.Txn) error {
		epochs, _ := teamEpochs(txn)
		roster, _ := members(txn)
		r, _ := age.ParseHybridRecipient(d.Recipient())
		return a.writeSystem(txn, kindKey, keyGrant{To: d.DeviceKey(), Audiences: append(a.audiences, *planted), Roster: roster, Epochs: epochs}, deviceAddress(r))
	})
	if err != nil {
		t.Fatal(err)
	}
	log.exchange(t, a, d)
	if st, _ := d.Team(); st.Joined {
		t.Fatal("the joiner accepted a grant with a key its roster did not introduce")
	}
	if len(quarantinedFor(t, d, "did not introduce")) != 1 {
		t.Fatalf("no quarantine with the reason: %+v", must(d.Quarantined()))
	}
}

func TestPlainMemberCannotGrantOrRewriteARestrictedAudience(t *testing.T) {
	log, vs := newTeam(t, 3)
	a, b, c := vs[0], vs[1], vs[2]
	lawyers, err := a.CreateAudience("lawyers", []ed25519.PublicKey{b.DeviceKey()})
	if err != nil {
		t.Fatal(err)
	}
	log.exchange(t, a, b, c)

	// B, a member of the audience but neither its creator nor an admin,
	// grants its key to C, plants a key of epoch 2^40, and rewrites its
	// member list; C forges a first record for the audience's id.
	real := b.restricted[lawyers].Keys[0]
	planted, _ := newAudience(1 << 40)
	plantGrant(t, b, keyGrant{Restricted: []Restricted{{ID: lawyers, Members: []ed25519.PublicKey{b.DeviceKey(), c.DeviceKey()}, Keys: []audience{real}}}}, c)
	plantGrant(t, b, keyGrant{Restricted: []Restricted{{ID: lawyers, Keys: []audience{*planted}}}}, a)
	rewrite := audienceRecord{ID: lawyers, Name: "lawyers", Creator: a.DeviceKey(), Nonce: a.restricted[lawyers].Nonce,
		Members: []ed25519.PublicKey{a.DeviceKey(), b.DeviceKey(), c.DeviceKey()}, Epochs: a.restricted[lawyers].Epochs}
	err = b.update("plant", func(txn *badger.Txn) error {
		return b.writeSystem(txn, kindAudience, rewrite, b.teamAddress())
	})
	if err != nil {
		t.Fatal(err)
	}
	forged := rewrite
	forged.Creator = c.DeviceKey()
	err = c.update("plant", func(txn *badger.Txn) error {
		return c.writeSystem(txn, kindAudience, forged, c.teamAddress())
	})
	if err != nil {
		t.Fatal(err)
	}
	log.exchange(t, a, b, c)

	if got := quarantinedFor(t, c, "neither its creator nor an admin"); len(got) != 1 {
		t.Errorf("C accepted B's grant of the audience key: %+v", must(c.Quarantined()))
	}
	if got := quarantinedFor(t, a, "neither its creator nor an admin"); len(got) != 1 {
		t.Errorf("A accepted B's planted audience key: %+v", must(a.Quarantined()))
	}
	for _, v := range []*Vault{a, c} {
		if got := quarantinedFor(t, v, ErrNotAudienceEditor.Error()); len(got) != 1 {
			t.Errorf("B's rewrite of the member list not quarantined: %+v", must(v.Quarantined()))
		}
	}
	for _, v := range []*Vault{a, b} {
		if got := quarantinedFor(t, v, "not derived from its creator"); len(got) != 1 {
			t.Errorf("C's forged record not quarantined: %+v", must(v.Quarantined()))
		}
	}
	for _, v := range []*Vault{a} { // B's and C's own vaults took their own forgeries
		all, _ := v.AllAudiences()
		if len(all) != 1 || len(all[0].Members) != 2 {
			t.Fatalf("the audience's members changed: %+v", all)
		}
	}
	if auds, _ := c.Audiences(); len(auds) != 0 {
		t.Fatalf("C can write to the audience: %+v", auds)
	}
	tm := mustAdd(t, a, &record.Testimony{Interviewee: "V", Consent: record.Consent{Scopes: []string{"legal"}}, Text: "restricted", Audience: lawyers})
	log.exchange(t, a, b, c)
	if _, err := c.Get(tm.ID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("C reads the restricted testimony: %v", err)
	}
	if canOpen(t, a, tm.ID, planted.id) {
		t.Fatal("the planted key opens a restricted record")
	}
}

func TestAudienceEditsByTheCreatorAndAnAdmin(t *testing.T) {
	log, vs := newTeam(t, 4)
	a, b, c, d := vs[0], vs[1], vs[2], vs[3]
	// B (a plain member) creates it; A (an admin outside it) edits it.
	aud, err := b.CreateAudience("case 17", []ed25519.PublicKey{c.DeviceKey()})
	if err != nil {
		t.Fatal(err)
	}
	log.exchange(t, vs...)
	if err := d.AddAudienceMember(aud, d.DeviceKey()); !errors.Is(err, ErrNotAudienceEditor) {
		t.Fatalf("a member outside the audience added itself: %v", err)
	}
	first := mustAdd(t, b, &record.Testimony{Interviewee: "V", Consent: record.Consent{Scopes: []string{"legal"}}, Text: "first", Audience: aud})
	if err := b.AddAudienceMember(aud, d.DeviceKey()); err != nil {
		t.Fatal(err)
	}
	log.exchange(t, vs...)
	if _, err := d.Get(first.ID); err != nil {
		t.Fatalf("a member the creator added cannot read the audience's older records: %v", err)
	}
	// The admin removes C: a new epoch, which C does not get.
	if err := a.RemoveAudienceMember(aud, c.DeviceKey()); err != nil {
		t.Fatal(err)
	}
	log.exchange(t, vs...)
	later := mustAdd(t, d, &record.Testimony{Interviewee: "V", Consent: record.Consent{Scopes: []string{"legal"}}, Text: "later", Audience: aud})
	log.exchange(t, vs...)
	if _, err := b.Get(later.ID); err != nil {
		t.Fatalf("the creator cannot read after the edit: %v", err)
	}
	for _, v := range []*Vault{a, c} {
		if _, err := v.Get(later.ID); !errors.Is(err, ErrNotFound) {
			t.Fatalf("a device outside the audience reads it: %v", err)
		}
	}
	for _, v := range vs {
		all, _ := v.AllAudiences()
		if len(all) != 1 || all[0].Newest.Epoch != 2 || len(all[0].Members) != 2 || slicesHas(all[0].Members, c.DeviceKey()) {
			t.Fatalf("audience after the edits: %+v", all)
		}
	}
	if _, err := c.Add(&record.Testimony{Interviewee: "x", Consent: record.Consent{Scopes: []string{"legal"}}, Text: "y", Audience: aud}); err == nil {
		t.Fatal("a device removed from the audience still writes to it")
	}
}

func slicesHas(ks []ed25519.PublicKey, k ed25519.PublicKey) bool {
	return (&Restricted{Members: ks}).has(k)
}

func TestRemovedMemberCannotBackfillBelowItsCutOff(t *testing.T) {
	log, vs := newTeam(t, 4)
	a, b, c, d := vs[0], vs[1], vs[2], vs[3]
	aud, err := c.CreateAudience("c and b", []ed25519.PublicKey{b.DeviceKey()})
	if err != nil {
		t.Fatal(err)
	}
	log.exchange(t, vs...)
	tm := mustAdd(t, c, &record.Testimony{Interviewee: "V", Consent: record.Consent{Scopes: []string{"legal"}}, Text: "restricted", Audience: aud})
	log.exchange(t, vs...)
	// A genuine note of C that reaches A but not yet D.
	late := mustAdd(t, c, &record.Note{Text: "reached A first"})
	log.exchange(t, a, c)
	seq := seqOf(t, c, tm.ID)

	if err := a.Expel(c.DeviceKey()); err != nil {
		t.Fatal(err)
	}
	log.exchange(t, a, b)
	// C forges a team-readable revision with the sequence number D holds
	// only as an envelope it cannot decrypt.
	rev := envelope.Revision{Team: "", Record: NewID(), ID: NewID(), Author: c.DeviceKey(), Seq: seq,
		Time: c.clock.Now(), Kind: "note", Schema: 1, Op: "put", Body: json.RawMessage(`{"text":"backdated forgery"}`)}
	log.entries = append(log.entries, craftEnvelope(t, rev, c.signer, recipientOf(c.audiences[0].id)))
	log.exchange(t, a, b, d)

	if _, err := d.Get(rev.Record); !errors.Is(err, ErrNotFound) {
		t.Fatalf("D accepted the backdated forgery: %v", err)
	}
	if got := quarantinedFor(t, d, errForgedHistory.Error()); len(got) != 1 {
		t.Fatalf("the forgery is not quarantined with its reason: %+v", must(d.Quarantined()))
	}
	if _, err := d.Get(late.ID); err != nil {
		t.Fatalf("a genuine revision of the removed member from before its removal was refused: %v", err)
	}
	if _, err := b.Get(tm.ID); err != nil {
		t.Fatalf("the audience member lost the removed member's restricted testimony: %v", err)
	}

	// A device that joins later gets the fixed history with its grant,
	// before it reads the removal entry in the log.
	e := newVault(t)
	st, _ := e.PrepareJoin(teamOf(t, a), "https://relay.invalid", "", a.DeviceKey())
	if err := a.Admit(e.DeviceKey(), e.Recipient(), st.Pseudonym, RoleMember); err != nil {
		t.Fatal(err)
	}
	log.exchange(t, a, e)
	if _, err := e.Get(rev.Record); !errors.Is(err, ErrNotFound) {
		t.Fatalf("a joiner accepted the backdated forgery: %v", err)
	}
	if got := quarantinedFor(t, e, errForgedHistory.Error()); len(got) != 1 {
		t.Fatalf("the joiner did not quarantine the forgery with its reason: %+v", must(e.Quarantined()))
	}
	if _, err := e.Get(late.ID); err != nil {
		t.Fatalf("the joiner refused a genuine revision of the removed member: %v", err)
	}
}

// seqOf returns the sequence number of a record's head revision on v.
func seqOf(t *testing.T, v *Vault, recID string) uint64 {
	t.Helper()
	var ri RevisionInfo
	err := v.view(func(txn *badger.Txn) error {
		r, err := loadRecord(txn, recID)
		if err != nil {
			return err
		}
		_, err = getJSON(txn, key(pfxRevision, recID, "/", r.Heads[0]), &ri)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return ri.Seq
}

func TestAudienceRecordRules(t *testing.T) {
	pub, _, _ := ed25519.GenerateKey(nil)
	other, _, _ := ed25519.GenerateKey(nil)
	nonce := make([]byte, 16)
	commit := strings.Repeat("ab", 32)
	good := audienceRecord{ID: audienceID(pub, nonce), Name: "n", Creator: pub, Nonce: nonce,
		Members: []ed25519.PublicKey{pub}, Epochs: []epochCommit{{1, commit}, {2, commit}}}
	if err := good.validate(); err != nil {
		t.Fatalf("a good record: %v", err)
	}
	for name, change := range map[string]func(*audienceRecord){
		"id not derived":     func(a *audienceRecord) { a.Creator = other },
		"short nonce":        func(a *audienceRecord) { a.Nonce = nonce[:8] },
		"no name":            func(a *audienceRecord) { a.Name = " " },
		"no members":         func(a *audienceRecord) { a.Members = nil },
		"member twice":       func(a *audienceRecord) { a.Members = []ed25519.PublicKey{pub, pub} },
		"no epochs":          func(a *audienceRecord) { a.Epochs = nil },
		"epoch skipped":      func(a *audienceRecord) { a.Epochs = []epochCommit{{1, commit}, {1 << 40, commit}} },
		"missing commitment": func(a *audienceRecord) { a.Epochs = []epochCommit{{1, ""}} },
	} {
		bad := good
		change(&bad)
		if bad.validate() == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	creator := &Member{Device: pub, Role: RoleMember}
	if err := checkAudienceRecord(&good, creator); err != nil {
		t.Errorf("the creator's record: %v", err)
	}
	if err := checkAudienceRecord(&good, &Member{Device: other, Role: RoleAdmin}); err != nil {
		t.Errorf("an admin's record: %v", err)
	}
	for _, m := range []*Member{{Device: other, Role: RoleMember}, {Device: pub, Role: RoleMember, Removed: true}, nil} {
		if err := checkAudienceRecord(&good, m); !errors.Is(err, ErrNotAudienceEditor) {
			t.Errorf("record by %+v: %v, want ErrNotAudienceEditor", m, err)
		}
	}
}

func TestLegacyTeamVaultOpensAndKeepsItsRecords(t *testing.T) {
	// testdata/legacyteam holds two vaults of a team made before epoch
	// commitments and audience records: A (admin) and B, with a
	// restricted audience of A, B and C, and C removed after.
	var ids map[string]string
	raw, err := os.ReadFile("testdata/legacyteam/ids.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &ids); err != nil {
		t.Fatal(err)
	}
	a, b := openLegacyTeam(t)
	for _, v := range []*Vault{a, b} {
		for _, k := range []string{"note", "testimony", "note2"} {
			if _, err := v.Get(ids[k]); err != nil {
				t.Fatalf("legacy %s lost: %v", k, err)
			}
		}
		if v.current.Epoch != 2 {
			t.Fatalf("a legacy vault writes to epoch %d, want its newest, 2", v.current.Epoch)
		}
	}
	log := &fakeLog{}
	n := mustAdd(t, a, &record.Note{Text: "after the upgrade"})
	log.exchange(t, a, b)
	if _, err := b.Get(n.ID); err != nil {
		t.Fatalf("a record written after the upgrade: %v", err)
	}
	// The old audience, rotated by the old code when C left, still works.
	tm := mustAdd(t, a, &record.Testimony{Interviewee: "V", Consent: record.Consent{Scopes: []string{"legal"}}, Text: "x", Audience: ids["audience"]})
	log.exchange(t, a, b)
	if _, err := b.Get(tm.ID); err != nil {
		t.Fatalf("a testimony to the old audience after the upgrade: %v", err)
	}
	// The first rotation after the upgrade introduces epoch 3 everywhere.
	if err := a.RotateTeamKey(); err != nil {
		t.Fatal(err)
	}
	log.exchange(t, a, b)
	if b.current.Epoch != 3 || !b.current.committed {
		t.Fatalf("after the upgrade's first rotation B writes to epoch %d (committed %v)", b.current.Epoch, b.current.committed)
	}
	// Once B leaves, the old audience, which has no record to rotate
	// through, is closed for writing, with a reason.
	if err := a.Expel(b.DeviceKey()); err != nil {
		t.Fatal(err)
	}
	_, err = a.Add(&record.Testimony{Interviewee: "V", Consent: record.Consent{Scopes: []string{"legal"}}, Text: "x", Audience: ids["audience"]})
	var fe *record.FieldError
	if !errors.As(err, &fe) || !strings.Contains(fe.Problem, "older version") {
		t.Fatalf("write to a closed legacy audience: %v", err)
	}
}
