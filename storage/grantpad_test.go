package storage

import (
	"crypto/ed25519"
	"encoding/json"
	"strings"
	"testing"

	"github.com/dgraph-io/badger/v4"

	"github.com/letapis/letapis/storage/envelope"
	"github.com/letapis/letapis/storage/record"
)

// grantSizes returns the ciphertext sizes of the key grants in the admin's
// store (vs[0]): those that carry the roster and the others. Each is
// opened with the identities of the member it is for.
func grantSizes(t *testing.T, vs []*Vault) (roster, other []int) {
	t.Helper()
	var cts [][]byte
	err := vs[0].view(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: []byte(pfxEnvelope), PrefetchValues: true})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			ct, err := it.Item().ValueCopy(nil)
			if err != nil {
				return err
			}
			cts = append(cts, ct)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, ct := range cts {
		for _, v := range vs {
			o, err := envelope.Open(ct, v.identities()...)
			if err != nil {
				continue
			}
			if o.Revision.Kind == kindKey {
				var g keyGrant
				if err := json.Unmarshal(o.Revision.Body, &g); err != nil {
					t.Fatal(err)
				}
				if len(g.Roster) > 0 {
					roster = append(roster, len(ct))
				} else {
					other = append(other, len(ct))
				}
			}
			break
		}
	}
	return roster, other
}

// envelopeSize returns the ciphertext size of the newest envelope of
// record id in v.
func envelopeSize(t *testing.T, v *Vault, id string) int {
	t.Helper()
	h, err := v.History(id)
	if err != nil {
		t.Fatal(err)
	}
	var n int
	err = v.view(func(txn *badger.Txn) error {
		item, err := txn.Get(key(pfxEnvelope, h[len(h)-1].Envelope))
		if err != nil {
			return err
		}
		n = int(item.ValueSize())
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestKeyGrantsDoNotTellTheTeamSize(t *testing.T) {
	sizes := map[int]bool{}
	var recordSize int
	for _, n := range []int{2, 30} {
		// Only the admin's grants are measured: the members need not
		// receive them, each can open its own with its device key.
		admin := newVault(t)
		if _, err := admin.CreateTeam(NewID(), "https://relay.invalid", ""); err != nil {
			t.Fatal(err)
		}
		vs := []*Vault{admin}
		for range n - 1 {
			m := newVault(t)
			st, err := m.PrepareJoin(teamOf(t, admin), "https://relay.invalid", "", admin.DeviceKey())
			if err != nil {
				t.Fatal(err)
			}
			if err := admin.Admit(m.DeviceKey(), m.Recipient(), st.Pseudonym, RoleMember); err != nil {
				t.Fatal(err)
			}
			vs = append(vs, m)
		}
		all := make([]ed25519.PublicKey, len(vs))
		for i, v := range vs {
			all[i] = v.DeviceKey()
		}
		// Restricted audiences of two, half and all of the team.
		for _, members := range [][]ed25519.PublicKey{all[:2], all[:n/2+1], all} {
			if _, err := admin.CreateAudience("lawyers", members); err != nil {
				t.Fatal(err)
			}
		}
		// A removal: a new epoch of the team key and of every restricted
		// audience the member was in, granted to everyone left.
		if err := admin.Expel(vs[n-1].DeviceKey()); err != nil {
			t.Fatal(err)
		}

		roster, other := grantSizes(t, vs)
		if len(roster) != n-1 || len(other) < n {
			t.Fatalf("team of %d: %d grants with the roster and %d others", n, len(roster), len(other))
		}
		for _, s := range append(roster, other...) {
			sizes[s] = true
		}
		note, err := admin.Add(&record.Note{Text: strings.Repeat("testimony ", 500)})
		if err != nil {
			t.Fatal(err)
		}
		recordSize = envelopeSize(t, admin, note.ID)
	}
	// Two sizes in all, whatever the team: every grant with the roster has
	// one, every other grant the other, which a record of 5,000 bytes has
	// too.
	hdr := hybridHeader(t)
	want := map[int]bool{int(hdr + ageStreamSize(grantBucket)): true, int(hdr + ageStreamSize(rosterGrantBucket)): true}
	if len(sizes) != 2 || !want[recordSize] {
		t.Fatalf("grants of teams of 2 and 30 have %d sizes %v, want the two of %v; a 5,000-byte note is %d bytes", len(sizes), sizes, want, recordSize)
	}
	for s := range sizes {
		if !want[s] {
			t.Fatalf("grant of %d bytes, want one of %v", s, want)
		}
	}
}
