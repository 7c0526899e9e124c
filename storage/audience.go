package storage

import (
	"encoding/json"
	"fmt"

	"filippo.io/age"
	"github.com/dgraph-io/badger/v4"
)

// An audience is the age key that records are encrypted to, so that the
// cost and size of an envelope do not grow with the team. A vault makes
// its first audience (epoch 1) when it is created; a team it founds adopts
// that audience, and every removal of a member starts a new epoch whose key
// the removed device never receives. Audience keys live only inside the
// encrypted store and, for other members, in key envelopes encrypted to
// their device keys.

const pfxAudience = "aud/"

// audience is one epoch's key.
type audience struct {
	Epoch    uint64       `json:"epoch"`
	Identity string       `json:"identity"`
	id       age.Identity // parsed Identity
	// committed is whether the roster introduced this key (see epochs.go).
	committed bool
}

func audienceKey(epoch uint64) []byte {
	return key(pfxAudience, fmt.Sprintf("%016x", epoch))
}

// loadAudiences reads every audience key, oldest first, making epoch 1 if
// the vault has none yet.
func loadAudiences(txn *badger.Txn) ([]audience, error) {
	var auds []audience
	it := txn.NewIterator(badger.IteratorOptions{Prefix: []byte(pfxAudience), PrefetchValues: true})
	for it.Rewind(); it.Valid(); it.Next() {
		var a audience
		err := it.Item().Value(func(b []byte) error { return json.Unmarshal(b, &a) })
		if err == nil {
			a.id, err = parseIdentity(a.Identity)
		}
		if err != nil {
			it.Close()
			return nil, fmt.Errorf("%w: audience key: %w", ErrDamaged, err)
		}
		auds = append(auds, a)
	}
	it.Close()
	if len(auds) == 0 {
		a, err := newAudience(1)
		if err != nil {
			return nil, err
		}
		if err := setJSON(txn, audienceKey(a.Epoch), a); err != nil {
			return nil, err
		}
		auds = append(auds, *a)
	}
	es, err := teamEpochs(txn)
	if err != nil {
		return nil, err
	}
	markCommitted(auds, es)
	return auds, nil
}

// newAudience makes a fresh hybrid post-quantum audience key.
func newAudience(epoch uint64) (*audience, error) {
	id, err := age.GenerateHybridIdentity()
	if err != nil {
		return nil, fmt.Errorf("generate audience key: %w", err)
	}
	return &audience{Epoch: epoch, Identity: id.String(), id: id}, nil
}

// useAudiences installs the audience keys, oldest first: decryption tries
// all of them, and new envelopes go to the newest one the roster
// introduced (to the newest of all in a vault whose roster introduced none:
// a vault on its own, or a team made before epoch commitments). The caller
// holds v.mu.
func (v *Vault) useAudiences(auds []audience) {
	v.audiences = auds
	cur := auds[len(auds)-1]
	for i := len(auds) - 1; i >= 0; i-- {
		if auds[i].committed {
			cur = auds[i]
			break
		}
	}
	v.recipient = recipientOf(cur.id)
	v.current = cur
}

// identities returns every key an incoming envelope may be encrypted to:
// the team's audiences, newest first, the restricted audiences, then the
// device's own key (for key envelopes addressed to this device).
func (v *Vault) identities() []age.Identity {
	ids := make([]age.Identity, 0, len(v.audiences)+len(v.restricted)+1)
	for i := len(v.audiences) - 1; i >= 0; i-- {
		ids = append(ids, v.audiences[i].id)
	}
	for _, r := range v.restricted {
		for _, k := range r.Keys {
			ids = append(ids, k.id)
		}
	}
	return append(ids, v.identity)
}

// Recipient returns the device's own age recipient, to which admins encrypt
// key envelopes for it.
func (v *Vault) Recipient() string {
	v.mu.RLock()
	defer v.mu.RUnlock()
	if s, ok := v.identity.(*age.HybridIdentity); ok {
		return s.Recipient().String()
	}
	if s, ok := v.identity.(*age.X25519Identity); ok {
		return s.Recipient().String()
	}
	return ""
}
