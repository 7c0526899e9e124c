package storage

import (
	"bytes"
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/dgraph-io/badger/v4"

	"github.com/letapis/letapis/storage/envelope"
)

// A removal fixes the removed member's history. The admin's removal entry
// names, for every sequence number of the removed member up to its
// cut-off, the envelope the admin holds for it (the first 16 bytes of its
// envelope id), and lists the envelopes the admin holds but cannot read
// (pending: they may be that member's revisions to a restricted audience
// the admin is not in, whose sequence numbers it cannot see). A device
// accepts a revision of a removed member with a sequence number up to the
// cut-off only if it is the envelope named for that number or, for a
// number the admin did not hold, one of the envelopes the admin could not
// read. Anything else is a backdated forgery and is quarantined.
//
// The limit: a genuine revision that the removing admin never received at
// all is refused too; and an entry costs 16 bytes per revision of the
// removed member, so a member with more than about 700,000 revisions
// cannot be removed in one entry (the envelope's 16 MiB cap).

const (
	pfxHistory  = "hist/"
	historyHash = 16 // bytes of an envelope id kept per revision
)

// removalHistory is the history a removal fixes.
type removalHistory struct {
	// Seqs holds historyHash bytes per sequence number from 1: the
	// envelope id's prefix, zeros where the admin held none, ones where it
	// held the revision but no longer its envelope (deleted since).
	Seqs []byte `json:"seqs"`
	// Unread holds the id prefixes of the envelopes the admin could not
	// decrypt, sorted.
	Unread []byte `json:"unread,omitempty"`
}

var (
	noEnvelope   = make([]byte, historyHash)
	goneEnvelope = bytes.Repeat([]byte{0xff}, historyHash)
)

// errForgedHistory is why a removed member's revision that does not match
// its fixed history is refused.
var errForgedHistory = errors.New("does not match the history fixed when its author was removed (a backdated forgery)")

// removedHistory builds the history of device up to lastSeq from what
// this vault holds. It reads every revision's metadata once: removals are
// rare.
func removedHistory(txn *badger.Txn, device ed25519.PublicKey, lastSeq uint64) (*removalHistory, error) {
	h := &removalHistory{Seqs: make([]byte, int(lastSeq)*historyHash)}
	author := hex.EncodeToString(device)
	for s := uint64(1); s <= lastSeq; s++ {
		if _, err := txn.Get(key(pfxHave, author, "/", fmt.Sprintf("%016x", s))); err == nil {
			copy(h.Seqs[(s-1)*historyHash:], goneEnvelope)
		} else if !errors.Is(err, badger.ErrKeyNotFound) {
			return nil, err
		}
	}
	it := txn.NewIterator(badger.IteratorOptions{Prefix: []byte(pfxRevision), PrefetchValues: true})
	defer it.Close()
	for it.Rewind(); it.Valid(); it.Next() {
		var ri RevisionInfo
		if err := it.Item().Value(func(b []byte) error { return json.Unmarshal(b, &ri) }); err != nil {
			return nil, fmt.Errorf("%w: revision entry: %w", ErrDamaged, err)
		}
		if ri.Author != author || ri.Seq == 0 || ri.Seq > lastSeq {
			continue
		}
		id, err := envelope.ParseID(ri.Envelope)
		if err != nil {
			return nil, fmt.Errorf("%w: revision entry: %w", ErrDamaged, err)
		}
		copy(h.Seqs[(ri.Seq-1)*historyHash:], id[:historyHash])
	}
	pit := txn.NewIterator(badger.IteratorOptions{Prefix: []byte(pfxPending)})
	defer pit.Close()
	var unread [][]byte
	for pit.Rewind(); pit.Valid(); pit.Next() {
		id, err := envelope.ParseID(strings.TrimPrefix(string(pit.Item().Key()), pfxPending))
		if err == nil {
			unread = append(unread, id[:historyHash])
		}
	}
	slices.SortFunc(unread, bytes.Compare)
	h.Unread = bytes.Join(unread, nil)
	return h, nil
}

// memberHistory is a removed member's fixed history, as a join grant
// carries it.
type memberHistory struct {
	Device  ed25519.PublicKey `json:"device"`
	History removalHistory    `json:"history"`
}

// removalHistories returns the fixed histories of the removed members of
// roster.
func removalHistories(txn *badger.Txn, roster []Member) ([]memberHistory, error) {
	var out []memberHistory
	for _, m := range roster {
		if !m.Removed {
			continue
		}
		h := memberHistory{Device: m.Device}
		found, err := getJSON(txn, key(pfxHistory, hex.EncodeToString(m.Device)), &h.History)
		if err != nil {
			return nil, err
		}
		if found {
			out = append(out, h)
		}
	}
	return out, nil
}

// keepHistory stores the history a removal fixed, unless one is stored.
func keepHistory(txn *badger.Txn, device ed25519.PublicKey, h *removalHistory) error {
	if h == nil {
		return nil
	}
	k := key(pfxHistory, hex.EncodeToString(device))
	if _, err := txn.Get(k); err == nil || !errors.Is(err, badger.ErrKeyNotFound) {
		return err
	}
	return setJSON(txn, k, h)
}

// checkHistory returns why envelope id, with sequence number seq, of the
// removed member m must be refused, or nil. A removal made before
// histories were fixed leaves only the cut-off.
func checkHistory(txn *badger.Txn, m *Member, id envelope.ID, seq uint64) (reject, err error) {
	var h removalHistory
	found, err := getJSON(txn, key(pfxHistory, hex.EncodeToString(m.Device)), &h)
	if err != nil || !found {
		return nil, err
	}
	if !h.allows(seq, id) {
		return fmt.Errorf("revision %d of removed member %s %w", seq, m.Fingerprint(), errForgedHistory), nil
	}
	return nil, nil
}

// allows reports whether envelope id may be the revision with number seq.
func (h *removalHistory) allows(seq uint64, id envelope.ID) bool {
	if len(h.Seqs)%historyHash != 0 || seq == 0 || seq > uint64(len(h.Seqs)/historyHash) {
		return false
	}
	want := h.Seqs[(seq-1)*historyHash : seq*historyHash]
	if !bytes.Equal(want, noEnvelope) {
		return bytes.Equal(want, id[:historyHash])
	}
	n := len(h.Unread) / historyHash
	at := func(i int) []byte { return h.Unread[i*historyHash : (i+1)*historyHash] }
	i := sort.Search(n, func(i int) bool { return bytes.Compare(at(i), id[:historyHash]) >= 0 })
	return i < n && bytes.Equal(at(i), id[:historyHash])
}
