package storage

import (
	"bytes"
	"errors"
	"fmt"
	"time"

	"github.com/dgraph-io/badger/v4"
)

// The relay's log, as this vault verified it (see package sync/client,
// CheckPage): the chain hash after every entry received, and the latest
// point the relay signed. They let the vault refuse a log that does not
// extend what it saw before, and compare the heads other devices report
// in their heartbeats with its own chain (watch.go). A vault made before
// chained logs has none of them: its chain starts at its cursor, taken as
// the relay gives it.

const (
	pfxChain     = "rlog/"      // rlog/SEQ (16 hex digits) -> chain hash after entry SEQ
	pfxReceipt   = "rcpt/"      // rcpt/SEQ (16 hex digits) -> envelope id the relay acknowledged there
	keyRelayHead = "meta/rhead" // the latest signed point verified (SignedHead)
)

// ChainPoint is a position of the relay's log with the chain hash of
// everything up to it.
type ChainPoint struct {
	Seq  uint64 `json:"seq"`
	Hash []byte `json:"hash"`
	// ID is the envelope id of the entry at Seq, when known.
	ID string `json:"-"`
}

// Receipt is an entry of the relay's log that the relay acknowledged,
// under its signature, when this device appended it.
type Receipt struct {
	Seq uint64
	ID  string
}

func receiptKey(seq uint64) []byte { return fmt.Appendf([]byte(pfxReceipt), "%016x", seq) }

// KeepReceipts remembers the entries the relay acknowledged, until the
// log is read past them (CheckReceipts).
func (v *Vault) KeepReceipts(rs []Receipt) error {
	if len(rs) == 0 {
		return nil
	}
	return v.update("keep the relay's receipts", func(txn *badger.Txn) error {
		for _, r := range rs {
			if err := txn.Set(receiptKey(r.Seq), []byte(r.ID)); err != nil {
				return err
			}
		}
		return nil
	})
}

// CheckReceipts returns an error wrapping ErrRejected if a point of the
// relay's log holds another envelope than the relay acknowledged there
// to this device: the relay took it and did not publish it.
func (v *Vault) CheckReceipts(points []ChainPoint) error {
	return v.view(func(txn *badger.Txn) error {
		for _, p := range points {
			item, err := txn.Get(receiptKey(p.Seq))
			if errors.Is(err, badger.ErrKeyNotFound) {
				continue
			}
			if err != nil {
				return err
			}
			id, err := item.ValueCopy(nil)
			if err != nil {
				return err
			}
			if string(id) != p.ID {
				return fmt.Errorf("%w: the relay acknowledged envelope %.12s at entry %d of its log, which holds another there: it took a record of this device and did not publish it", ErrRejected, id, p.Seq)
			}
		}
		return nil
	})
}

// SignedHead is a point of the relay's log with the relay's signature of
// it, verified when it was received.
type SignedHead struct {
	ChainPoint
	Sig      []byte    `json:"sig"`
	Verified time.Time `json:"verified"`
}

func chainKey(seq uint64) []byte { return fmt.Appendf([]byte(pfxChain), "%016x", seq) }

// LogCursor returns the point of the relay's log up to which everything
// has been received, with its chain hash; the hash is nil if the vault
// has not verified that point (a vault from before chained logs).
func (v *Vault) LogCursor() (ChainPoint, error) {
	var p ChainPoint
	err := v.view(func(txn *badger.Txn) error {
		var t TeamState
		found, err := getJSON(txn, []byte(keyTeam), &t)
		if err != nil || !found {
			return errOr(err, ErrNoTeam)
		}
		p.Seq = t.Cursor
		if p.Seq == 0 {
			return nil
		}
		p.Hash, err = chainAt(txn, p.Seq)
		return err
	})
	return p, err
}

// ChainAt returns the chain hash the vault verified after entry seq of
// the relay's log, or nil if it has none for it.
func (v *Vault) ChainAt(seq uint64) ([]byte, error) {
	var h []byte
	err := v.view(func(txn *badger.Txn) (err error) {
		h, err = chainAt(txn, seq)
		return err
	})
	return h, err
}

func chainAt(txn *badger.Txn, seq uint64) ([]byte, error) {
	item, err := txn.Get(chainKey(seq))
	if errors.Is(err, badger.ErrKeyNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return item.ValueCopy(nil)
}

// RelayHead returns the latest signed point of the relay's log that the
// vault verified; its Seq is 0 if there is none yet.
func (v *Vault) RelayHead() (SignedHead, error) {
	var h SignedHead
	err := v.view(func(txn *badger.Txn) error {
		_, err := getJSON(txn, []byte(keyRelayHead), &h)
		return err
	})
	return h, err
}

// AdvanceLog records that every entry of the relay's log up to the last
// of points has been received: points are the entries' chain hashes, in
// order, verified by the caller, and signed, if it is not nil, the
// relay's signature of the last point. It moves the cursor there. A point
// that contradicts a hash recorded before is refused (ErrRejected): the
// chain is never rewritten.
func (v *Vault) AdvanceLog(points []ChainPoint, sig []byte) error {
	if len(points) == 0 {
		return nil
	}
	last := points[len(points)-1]
	return v.update("save sync position", func(txn *badger.Txn) error {
		var t TeamState
		found, err := getJSON(txn, []byte(keyTeam), &t)
		if err != nil || !found {
			return errOr(err, ErrNoTeam)
		}
		for _, p := range points {
			old, err := chainAt(txn, p.Seq)
			switch {
			case err != nil:
				return err
			case old != nil && !bytes.Equal(old, p.Hash):
				return fmt.Errorf("%w: entry %d of the relay's log differs from the one verified before", ErrRejected, p.Seq)
			case old == nil:
				if err := txn.Set(chainKey(p.Seq), p.Hash); err != nil {
					return err
				}
			}
			if err := txn.Delete(receiptKey(p.Seq)); err != nil { // checked by CheckReceipts
				return err
			}
		}
		if sig != nil {
			h := SignedHead{ChainPoint: last, Sig: sig, Verified: time.Now().UTC()}
			if err := setJSON(txn, []byte(keyRelayHead), &h); err != nil {
				return err
			}
		}
		t.Cursor = max(t.Cursor, last.Seq)
		return setJSON(txn, []byte(keyTeam), &t)
	})
}

// errOr returns err if it is not nil and otherwise refusal; for "read,
// then refuse if not found" checks.
func errOr(err, refusal error) error {
	if err != nil {
		return err
	}
	return refusal
}
