package storage

import (
	"fmt"
	"time"

	"github.com/dgraph-io/badger/v4"
)

// Caps on what a device keeps of envelopes it cannot apply: the pending
// ones (not decryptable yet, or waiting for a roster entry) and those set
// aside (quarantined or held). Without them, any member, or a relay
// replaying garbage, could fill the disk. Beyond a cap a new envelope is
// dropped (Outcome Dropped), counted and reported (Vault.SetAside); the
// relay still holds it. A pending envelope this device could decrypt
// makes room by dropping the oldest undecryptable one; nothing applied is
// ever dropped.

// Limits of each of the pending and the set-aside envelopes.
var (
	maxSetAsideCount       = 10_000
	maxSetAsideBytes int64 = 256 << 20
)

const keyDropped = "meta/dropped"

// pendingUndecryptable is the user meta byte of a pending envelope that
// could not be decrypted (the others wait for a roster entry).
const pendingUndecryptable byte = 1

// SetAside counts the envelopes a device keeps without applying them.
type SetAside struct {
	Pending, Quarantined, Held int
	// PendingBytes and SetAsideBytes are what the pending and the
	// quarantined and held envelopes take.
	PendingBytes, SetAsideBytes int64
	// Dropped is how many envelopes were not kept because a cap was
	// reached, and LastDropped when the last one was.
	Dropped     int
	LastDropped time.Time
}

// shelf is one capped store of envelopes: its count and bytes.
type shelf struct {
	n     int
	bytes int64
}

func (s *shelf) full(size int) bool {
	return s.n+1 > maxSetAsideCount || s.bytes+int64(size) > maxSetAsideBytes
}

// shelves are the counts of the capped stores during one receive. The
// caller holds v.mu.
type shelves struct{ pending, setAside shelf }

// shelvesOf counts what txn's store keeps pending and set aside.
func shelvesOf(txn *badger.Txn) *shelves {
	s := &shelves{}
	count := func(prefix string, into *shelf) {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: []byte(prefix)})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			into.n++
			into.bytes += it.Item().ValueSize()
		}
	}
	count(pfxPending, &s.pending)
	count(pfxQuarantine, &s.setAside)
	count(pfxHeld, &s.setAside)
	return s
}

// shelves returns the counts of the capped stores, counting them at the
// first need of a receive (forgetShelves ends it). The caller holds v.mu.
func (v *Vault) shelves(txn *badger.Txn) *shelves {
	if v.shelf == nil {
		v.shelf = shelvesOf(txn)
	}
	return v.shelf
}

// forgetShelves drops the counts at the end of a receive: a transaction
// that failed may have counted envelopes it did not keep.
func (v *Vault) forgetShelves() { v.shelf = nil }

// setPending keeps an envelope pending inside txn, within the cap.
func (v *Vault) setPending(txn *badger.Txn, in *incoming, undecryptable bool) (Outcome, error) {
	k := key(pfxPending, in.id)
	var meta byte
	if undecryptable {
		meta = pendingUndecryptable
	}
	if item, err := txn.Get(k); err == nil {
		if item.UserMeta() == meta {
			return Pending, nil // kept already
		}
		return Pending, txn.SetEntry(badger.NewEntry(k, in.ct).WithMeta(meta))
	}
	s := v.shelves(txn)
	if s.pending.full(len(in.ct)) {
		made := false
		if !undecryptable {
			var err error
			if made, err = dropOldestUndecryptable(txn, &s.pending); err != nil {
				return 0, err
			}
		}
		if !made {
			return Dropped, noteDropped(txn)
		}
	}
	s.pending.n, s.pending.bytes = s.pending.n+1, s.pending.bytes+int64(len(in.ct))
	return Pending, txn.SetEntry(badger.NewEntry(k, in.ct).WithMeta(meta))
}

// dropOldestUndecryptable drops the pending envelope that could not be
// decrypted and has waited longest; made is false if there is none.
func dropOldestUndecryptable(txn *badger.Txn, s *shelf) (made bool, err error) {
	it := txn.NewIterator(badger.IteratorOptions{Prefix: []byte(pfxPending)})
	var oldest []byte
	var version uint64
	var size int64
	for it.Rewind(); it.Valid(); it.Next() {
		item := it.Item()
		if item.UserMeta() == pendingUndecryptable && (oldest == nil || item.Version() < version) {
			oldest, version, size = item.KeyCopy(oldest[:0]), item.Version(), item.ValueSize()
		}
	}
	it.Close()
	if oldest == nil {
		return false, nil
	}
	s.n, s.bytes = s.n-1, s.bytes-size
	if err := txn.Delete(oldest); err != nil {
		return false, err
	}
	return true, noteDropped(txn)
}

// setAsideWithin quarantines (or, when held, holds) an envelope inside
// txn, within the cap.
func (v *Vault) setAsideWithin(txn *badger.Txn, in *incoming, reason error, held bool) (Outcome, error) {
	prefix, out, set := pfxQuarantine, Quarantined, setQuarantine
	if held {
		prefix, out, set = pfxHeld, Held, setHeld
	}
	if _, err := txn.Get(key(prefix, in.id)); err == nil {
		return out, set(txn, in.id, in.ct, reason) // set aside already: counted
	}
	s := v.shelves(txn)
	if s.setAside.full(len(in.ct)) {
		if err := txn.Delete(key(pfxPending, in.id)); err != nil {
			return Dropped, err
		}
		return Dropped, noteDropped(txn)
	}
	s.setAside.n, s.setAside.bytes = s.setAside.n+1, s.setAside.bytes+int64(len(in.ct))
	if in.o != nil {
		if err := noteRefused(txn, &in.o.Revision); err != nil {
			return 0, err
		}
	}
	return out, set(txn, in.id, in.ct, reason)
}

// dropped is what keyDropped holds.
type dropped struct {
	N    int       `json:"n"`
	Last time.Time `json:"last"`
}

// noteDropped counts an envelope dropped for a cap.
func noteDropped(txn *badger.Txn) error {
	var d dropped
	if _, err := getJSON(txn, []byte(keyDropped), &d); err != nil {
		return err
	}
	return setJSON(txn, []byte(keyDropped), dropped{N: d.N + 1, Last: time.Now().UTC()})
}

// SetAside counts the envelopes the vault keeps without applying them, and
// those it dropped because it kept as many as it may.
func (v *Vault) SetAside() (SetAside, error) {
	var out SetAside
	err := v.view(func(txn *badger.Txn) error {
		var d dropped
		if _, err := getJSON(txn, []byte(keyDropped), &d); err != nil {
			return err
		}
		out.Dropped, out.LastDropped = d.N, d.Last
		s := shelvesOf(txn)
		out.Pending, out.PendingBytes, out.SetAsideBytes = s.pending.n, s.pending.bytes, s.setAside.bytes
		it := txn.NewIterator(badger.IteratorOptions{Prefix: []byte(pfxHeld)})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			out.Held++
		}
		out.Quarantined = s.setAside.n - out.Held
		return nil
	})
	if err != nil {
		return SetAside{}, fmt.Errorf("count set-aside envelopes: %w", err)
	}
	return out, nil
}
