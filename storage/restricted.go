package storage

import (
	"cmp"
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"slices"

	"filippo.io/age"
	"github.com/dgraph-io/badger/v4"

	"github.com/letapis/letapis/storage/record"
)

// A restricted audience is a key shared by a subset of the team, such as
// the lawyers of one case: a testimony or attachment that names it is
// encrypted to it, and only its members' devices ever hold a key that can
// read it. Any member can create one that includes itself; its key reaches
// the others as key grants. Removing a device from the team starts a new
// epoch of every restricted audience it was in.

const pfxRestricted = "raud/"

// Restricted is a restricted audience.
type Restricted struct {
	ID      string              `json:"id"`
	Name    string              `json:"name"`
	Members []ed25519.PublicKey `json:"members"`
	// Keys are its epochs, oldest first; new envelopes go to the newest.
	Keys []audience `json:"keys"`
}

func (r *Restricted) has(device ed25519.PublicKey) bool {
	return slices.ContainsFunc(r.Members, func(m ed25519.PublicKey) bool { return m.Equal(device) })
}

func loadRestricted(txn *badger.Txn) (map[string]*Restricted, error) {
	out := map[string]*Restricted{}
	it := txn.NewIterator(badger.IteratorOptions{Prefix: []byte(pfxRestricted), PrefetchValues: true})
	defer it.Close()
	for it.Rewind(); it.Valid(); it.Next() {
		var r Restricted
		err := it.Item().Value(func(b []byte) error { return json.Unmarshal(b, &r) })
		for i := range r.Keys {
			if err == nil {
				r.Keys[i].id, err = parseIdentity(r.Keys[i].Identity)
			}
		}
		if err != nil {
			return nil, fmt.Errorf("%w: restricted audience: %w", ErrDamaged, err)
		}
		out[r.ID] = &r
	}
	return out, nil
}

// saveRestricted stores an audience and makes its keys usable. The caller
// holds v.mu.
func (v *Vault) saveRestricted(txn *badger.Txn, r *Restricted) error {
	if err := setJSON(txn, key(pfxRestricted, r.ID), r); err != nil {
		return err
	}
	v.restricted[r.ID] = r
	return nil
}

// CreateAudience makes a restricted audience of this device and the given
// members, and queues a key grant for each of them.
func (v *Vault) CreateAudience(name string, members []ed25519.PublicKey) (string, error) {
	id := NewID()
	err := v.update("create audience", func(txn *badger.Txn) error {
		if err := inTeam(txn); err != nil {
			return err
		}
		key, err := newAudience(1)
		if err != nil {
			return err
		}
		r := &Restricted{ID: id, Name: name, Members: []ed25519.PublicKey{v.DeviceKey()}, Keys: []audience{*key}}
		for _, d := range members {
			m, err := member(txn, d)
			if err != nil {
				return err
			}
			if m == nil || m.Removed {
				return fmt.Errorf("device %s is not a member of the team", Fingerprint(d))
			}
			if !r.has(d) {
				r.Members = append(r.Members, d)
			}
		}
		if err := v.saveRestricted(txn, r); err != nil {
			return err
		}
		return v.grantRestricted(txn, r, nil)
	})
	return id, err
}

// grantRestricted sends r's keys to its members other than this device
// and except.
func (v *Vault) grantRestricted(txn *badger.Txn, r *Restricted, except ed25519.PublicKey) error {
	for _, d := range r.Members {
		if d.Equal(v.DeviceKey()) || d.Equal(except) {
			continue
		}
		m, err := member(txn, d)
		if err != nil {
			return err
		}
		if m == nil || m.Removed {
			continue
		}
		to, err := age.ParseHybridRecipient(m.Recipient)
		if err != nil {
			return fmt.Errorf("%w: recipient of member %s: %w", ErrDamaged, m.Fingerprint(), err)
		}
		if err := v.writeSystem(txn, kindKey, keyGrant{To: d, Restricted: []Restricted{*r}}, to); err != nil {
			return err
		}
	}
	return nil
}

// rotateRestricted removes device from every restricted audience it is in,
// with a new key for the others.
func (v *Vault) rotateRestricted(txn *badger.Txn, device ed25519.PublicKey) error {
	for _, r := range v.restricted {
		if !r.has(device) {
			continue
		}
		next, err := newAudience(r.Keys[len(r.Keys)-1].Epoch + 1)
		if err != nil {
			return err
		}
		n := *r
		n.Members = slices.DeleteFunc(slices.Clone(r.Members), func(m ed25519.PublicKey) bool { return m.Equal(device) })
		n.Keys = append(slices.Clone(r.Keys), *next)
		if err := v.saveRestricted(txn, &n); err != nil {
			return err
		}
		if err := v.grantRestricted(txn, &n, device); err != nil {
			return err
		}
	}
	return nil
}

// receiveRestricted installs restricted audiences from a key grant,
// keeping every epoch either side knows.
func (v *Vault) receiveRestricted(txn *badger.Txn, rs []Restricted) error {
	for _, in := range rs {
		for i := range in.Keys {
			var err error
			if in.Keys[i].id, err = parseIdentity(in.Keys[i].Identity); err != nil {
				return fmt.Errorf("restricted audience key: %w", err)
			}
		}
		merged := in
		if cur := v.restricted[in.ID]; cur != nil {
			merged.Keys = slices.Clone(cur.Keys)
			for _, k := range in.Keys {
				if !containsEpoch(merged.Keys, k.Epoch) {
					merged.Keys = append(merged.Keys, k)
				}
			}
			slices.SortFunc(merged.Keys, func(a, b audience) int { return cmp.Compare(a.Epoch, b.Epoch) })
		}
		if err := v.saveRestricted(txn, &merged); err != nil {
			return err
		}
	}
	return nil
}

// Audiences returns the restricted audiences this device belongs to, with
// their members but without their keys.
func (v *Vault) Audiences() ([]Restricted, error) {
	v.mu.RLock()
	defer v.mu.RUnlock()
	if v.db == nil {
		return nil, ErrLocked
	}
	out := make([]Restricted, 0, len(v.restricted))
	for _, r := range v.restricted {
		out = append(out, Restricted{ID: r.ID, Name: r.Name, Members: slices.Clone(r.Members)})
	}
	slices.SortFunc(out, func(a, b Restricted) int { return cmp.Compare(a.Name, b.Name) })
	return out, nil
}

// recipientFor returns the key a body is encrypted to: its restricted
// audience if it names one, the team's audience otherwise. The caller
// holds v.mu.
func (v *Vault) recipientFor(b record.Body) (age.Recipient, error) {
	var aud string
	switch b := b.(type) {
	case *record.Testimony:
		aud = b.Audience
	case *record.Attachment:
		aud = b.Audience
	}
	if aud == "" {
		return v.recipient, nil
	}
	r := v.restricted[aud]
	if r == nil {
		return nil, &record.FieldError{Kind: b.Kind(), Field: "audience", Problem: fmt.Sprintf("%q is not a restricted audience this device belongs to", aud)}
	}
	return recipientOf(r.Keys[len(r.Keys)-1].id), nil
}
