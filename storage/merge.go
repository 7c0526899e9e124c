package storage

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"sort"

	"github.com/dgraph-io/badger/v4"

	"github.com/letapis/letapis/storage/envelope"
	"github.com/letapis/letapis/storage/hlc"
	"github.com/letapis/letapis/storage/record"
)

// Revisions of a record form a DAG through their parents. Devices that
// edit the same record while apart produce several heads: the record is
// then in conflict until someone writes a revision whose parents are all
// the heads (Update and ResolveConflict do). Until then its body is a
// deterministic field-by-field merge of the heads against their latest
// common ancestor, identical on every device: a field changed on one side
// only takes that change; a field changed differently on both sides takes
// the later change (by hybrid logical clock) and marks the record as
// conflicting. Sealed testimonies never merge: their sealed body stays, and
// other heads are only listed. Tombstones win over everything.

// applyRemote applies a verified revision from another device to the
// record's view, keeping concurrent edits as heads.
func (v *Vault) applyRemote(txn *badger.Txn, o *envelope.Opened, ct []byte, cur *Record) (*Record, error) {
	rev := &o.Revision
	if cur == nil || rev.Op == envelope.OpDelete {
		r, err := v.apply(txn, o, ct, cur)
		if err != nil {
			return nil, err
		}
		return r, queueAttachment(txn, pfxBlobNeed, r, cur)
	}
	if cur.Deleted {
		// The tombstone wins and the old content stays purged; only the
		// author's sequence number is kept, so it is not seen as a gap.
		return cur, recordSeq(txn, rev.Author, rev.Seq, rev.ID)
	}
	infos, err := revisionInfos(txn, cur.ID)
	if err != nil {
		return nil, err
	}
	// A revision that arrives after its descendants is history, not a head.
	late := slices.ContainsFunc(infos, func(i RevisionInfo) bool { return slices.Contains(i.Parents, rev.ID) })
	r, err := v.apply(txn, o, ct, cur)
	if err != nil {
		return nil, err
	}
	if late {
		r.Heads = slices.DeleteFunc(r.Heads, func(h string) bool { return h == rev.ID })
	}
	switch {
	case cur.Sealed:
		// Keep the sealed body whatever arrived.
		r.Body, r.Sealed, r.SealHash, r.Schema = cur.Body, true, cur.SealHash, cur.Schema
		r.Conflict = len(r.Heads) > 1
	case r.Sealed:
		// This revision seals the record: its body (set by apply) is the
		// sealed one, and other heads never merge into it.
		r.Conflict = len(r.Heads) > 1
	case len(r.Heads) > 1:
		if r.Body, r.Conflict, err = v.mergeHeads(txn, r, append(infos, revisionInfo(o))); err != nil {
			return nil, err
		}
	case late:
		r.Body, r.Conflict = cur.Body, false
	}
	if err := v.setIndexes(txn, r); err != nil {
		return nil, err
	}
	return r, setJSON(txn, key(pfxRecord, r.ID), r)
}

// mergeHeads folds the heads of r, oldest first, into one body.
func (v *Vault) mergeHeads(txn *badger.Txn, r *Record, infos []RevisionInfo) (json.RawMessage, bool, error) {
	byID := make(map[string]RevisionInfo, len(infos))
	for _, i := range infos {
		byID[i.ID] = i
	}
	heads := slices.Clone(r.Heads)
	sort.Slice(heads, func(a, b int) bool {
		if c := byID[heads[a]].Time.Compare(byID[heads[b]].Time); c != 0 {
			return c < 0
		}
		return heads[a] < heads[b]
	})
	merged, err := v.bodyOf(txn, byID[heads[0]])
	if err != nil {
		return nil, false, err
	}
	mergedAt := byID[heads[0]].Time
	conflict := false
	for _, h := range heads[1:] {
		theirs, err := v.bodyOf(txn, byID[h])
		if err != nil {
			return nil, false, err
		}
		var base map[string]json.RawMessage
		if b, ok := lowestCommonAncestor(byID, heads[0], h); ok {
			if base, err = v.bodyOf(txn, byID[b]); err != nil {
				return nil, false, err
			}
		}
		var c bool
		merged, c = merge3(base, merged, theirs, byID[h].Time.Compare(mergedAt) > 0)
		conflict = conflict || c
		mergedAt = byID[h].Time
	}
	out, err := json.Marshal(merged)
	if err != nil {
		return nil, false, err
	}
	if _, err := record.Decode(r.Kind, out); err != nil {
		// A merge that no longer validates falls back to the newest head.
		last, err2 := v.bodyOf(txn, byID[heads[len(heads)-1]])
		if err2 != nil {
			return nil, false, err2
		}
		out, _ = json.Marshal(last)
		conflict = true
	}
	return out, conflict, nil
}

// merge3 merges the top-level fields of two bodies against their base. A
// field both sides changed differently takes theirs when theirsLater, and
// reports a conflict.
func merge3(base, ours, theirs map[string]json.RawMessage, theirsLater bool) (map[string]json.RawMessage, bool) {
	out := make(map[string]json.RawMessage)
	conflict := false
	keys := map[string]bool{}
	for _, m := range []map[string]json.RawMessage{base, ours, theirs} {
		for k := range m {
			keys[k] = true
		}
	}
	for k := range keys {
		b, o, t := base[k], ours[k], theirs[k]
		var pick json.RawMessage
		switch {
		case bytes.Equal(o, t), bytes.Equal(t, b):
			pick = o
		case bytes.Equal(o, b):
			pick = t
		default:
			conflict = true
			pick = o
			if theirsLater {
				pick = t
			}
		}
		if pick != nil {
			out[k] = pick
		}
	}
	return out, conflict
}

// lowestCommonAncestor returns the latest revision that is an ancestor of
// both a and b (or one of them).
func lowestCommonAncestor(byID map[string]RevisionInfo, a, b string) (string, bool) {
	inA := ancestors(byID, a)
	var best string
	var bestAt hlc.Timestamp
	for id := range ancestors(byID, b) {
		if inA[id] && (best == "" || byID[id].Time.Compare(bestAt) > 0) {
			best, bestAt = id, byID[id].Time
		}
	}
	return best, best != ""
}

// ancestors returns id and every revision it descends from that is known.
func ancestors(byID map[string]RevisionInfo, id string) map[string]bool {
	seen := map[string]bool{}
	stack := []string{id}
	for len(stack) > 0 {
		n := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		info, ok := byID[n]
		if !ok || seen[n] {
			continue
		}
		seen[n] = true
		stack = append(stack, info.Parents...)
	}
	return seen
}

// bodyOf decrypts a stored revision and returns its body's top-level fields.
func (v *Vault) bodyOf(txn *badger.Txn, info RevisionInfo) (map[string]json.RawMessage, error) {
	item, err := txn.Get(key(pfxEnvelope, info.Envelope))
	if err != nil {
		return nil, fmt.Errorf("envelope of revision %s: %w", info.ID, err)
	}
	ct, err := item.ValueCopy(nil)
	if err != nil {
		return nil, err
	}
	o, err := envelope.Open(ct, v.identities()...)
	if err != nil {
		return nil, fmt.Errorf("revision %s: %w", info.ID, err)
	}
	var fields map[string]json.RawMessage
	if len(o.Revision.Body) > 0 {
		if err := json.Unmarshal(o.Revision.Body, &fields); err != nil {
			return nil, fmt.Errorf("%w: revision %s body: %w", ErrDamaged, info.ID, err)
		}
	}
	return fields, nil
}

// ResolveConflict ends a conflict: it saves b as the record's content with every
// current head as a parent. For a sealed testimony b is ignored and the
// sealed content is confirmed; the other heads stay in the history.
func (v *Vault) ResolveConflict(id string, b record.Body) (*Record, error) {
	cur, err := v.Get(id)
	if err != nil {
		return nil, fmt.Errorf("resolve: %w", err)
	}
	if cur.Sealed {
		sealed, err := cur.Decode()
		if err != nil {
			return nil, fmt.Errorf("resolve: %w", err)
		}
		return v.change(id, cur.Kind, envelope.OpSeal, sealed, nil, func(*Record) error { return nil })
	}
	return v.Update(id, b)
}
