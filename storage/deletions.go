package storage

import (
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/dgraph-io/badger/v4"

	"github.com/letapis/letapis/storage/envelope"
	"github.com/letapis/letapis/storage/record"
)

// Deletes in a team are authorised and held. A member may delete only a
// record it wrote (the author of its first revision) that is not sealed;
// deleting a sealed testimony, or an attachment of one, needs an admin and
// a reason. Every device checks this on every delete it receives and
// quarantines one that breaks it, so a seized member laptop cannot erase
// the team's evidence. An authorised delete does not purge at once: the
// record is pending deletion, hidden but kept, for the team's hold (a
// signed team setting, DefaultHold unless an admin set another), during
// which any admin can restore it; each device purges it once the hold has
// passed since the device received the tombstone (its own clock, so a
// backdated tombstone gains nothing). A lower hold applies only after the
// higher one it replaces has run, so a coerced admin cannot lower the hold
// and erase at once. A vault on its own, and a record that never left the
// deleting device, purge at once as before.
// tombstoneVersion is the version of the tombstone body written now.
const tombstoneVersion = 1

// Store prefixes of deletions.
const (
	pfxPendingDeletion = "pdel/"     // record id → heldDeletion
	pfxRestored        = "restored/" // tombstone revision id → record id
	pfxTeamConf        = "tconf/"    // setting number (hex16) "/" revision id → teamConf
	pfxBlind           = "blind/"    // record id → device key of a member's tombstone that came before the record
)

// Errors of deletes.
var (
	// ErrDeleteRefused means the team's rules forbid this delete or
	// restore; the error says which rule.
	ErrDeleteRefused = errors.New("delete refused")
	// ErrReasonNeeded means the delete needs a reason: it is of a sealed
	// testimony or an attachment of one.
	ErrReasonNeeded = errors.New("needs a reason")
	// ErrNotPending means a restore names a record that is not pending
	// deletion.
	ErrNotPending = errors.New("the record is not pending deletion")
)

// Tombstone is the body of a delete revision (version 1). A delete
// without a body (written before version 1) reads as version 0: no
// reason, nothing known of what it deleted.
type Tombstone struct {
	V int `json:"v"`
	// Reason says why; needed to delete a sealed testimony or its
	// attachments.
	Reason string `json:"reason,omitempty"`
	// SealHash is the seal hash of the sealed testimony deleted.
	SealHash string `json:"seal_hash,omitempty"`
	// Authors are the device keys (hex) that wrote revisions of the
	// record, its creator first.
	Authors []string `json:"authors,omitempty"`
	// Unsent marks a revision that stands in for revisions that never
	// left the deleting device, or the delete of a record that never did:
	// a receiver that holds the record only notes its sequence number,
	// one that does not keeps a tombstone.
	Unsent bool `json:"unsent,omitempty"`
}

// parseTombstone reads a delete revision's body.
func parseTombstone(body []byte) (*Tombstone, error) {
	var ts Tombstone
	if len(body) == 0 {
		return &ts, nil
	}
	if err := json.Unmarshal(body, &ts); err != nil {
		return nil, fmt.Errorf("delete revision body: %w", err)
	}
	if ts.V < 1 {
		return nil, fmt.Errorf("delete revision body has version %d", ts.V)
	}
	return &ts, nil
}

// heldDeletion is a record pending deletion, as stored under pfxPendingDeletion.
type heldDeletion struct {
	Tombstone string            `json:"tombstone"` // revision id
	Envelope  string            `json:"envelope"`
	By        ed25519.PublicKey `json:"by"`
	Body      Tombstone         `json:"body"`
	Received  time.Time         `json:"received"`
	PurgeAt   time.Time         `json:"purge_at"`
}

// PendingDeletion is a record that was deleted and is kept until its hold
// ends; an admin may restore it until then.
type PendingDeletion struct {
	Record   string            `json:"record"`
	Kind     record.Kind       `json:"kind"`
	Title    string            `json:"title"`
	By       ed25519.PublicKey `json:"by"`
	Reason   string            `json:"reason,omitempty"`
	SealHash string            `json:"seal_hash,omitempty"`
	Authors  []string          `json:"authors,omitempty"`
	Deleted  time.Time         `json:"deleted"`  // when this device received the delete
	PurgeAt  time.Time         `json:"purge_at"` // when this device purges it
}

// restoreBody is the body of a restore system revision.
type restoreBody struct {
	V         int    `json:"v"`
	Record    string `json:"record"`
	Tombstone string `json:"tombstone"`
}

// wallNow is the device's wall clock.
func (v *Vault) wallNow() time.Time {
	if v.opts.Now != nil {
		return v.opts.Now()
	}
	return time.Now()
}

// DeleteWithReason deletes record id as Delete does, with a reason, which
// deleting a sealed testimony or its attachments in a team needs. In a
// team the record is then pending deletion for the team's hold (see
// PendingDeletions, Restore), unless it never left this device. A delete
// the team's rules forbid fails with an error wrapping ErrDeleteRefused
// and changes nothing.
func (v *Vault) DeleteWithReason(id, reason string) error {
	reason = strings.TrimSpace(reason)
	cur, err := v.Get(id)
	if err != nil {
		return fmt.Errorf("delete: %w", err)
	}
	if cur.Deleted {
		return fmt.Errorf("delete %s: %w", id, ErrDeleted)
	}
	held := false
	if v.team == teamMember {
		if held, err = v.holdOwnDelete(id, reason); err != nil {
			return err
		}
	}
	if held {
		return nil
	}
	body, err := json.Marshal(Tombstone{V: tombstoneVersion, Reason: reason, Unsent: v.team == teamMember})
	if err != nil {
		return err
	}
	if _, err := v.change(id, cur.Kind, envelope.OpDelete, nil, body, requireUndeleted); err != nil {
		return err
	}
	// The purge also destroys the file of a deleted attachment.
	if err := v.Purge(); err != nil {
		return fmt.Errorf("delete %s: the record is deleted, but purging its old content failed (run delete's purge again): %w", id, err)
	}
	return nil
}

// requireUndeleted refuses to delete a missing or deleted record.
func requireUndeleted(cur *Record) error {
	if cur == nil {
		return ErrNotFound
	}
	if cur.Deleted {
		return ErrDeleted
	}
	return nil
}

// holdOwnDelete checks this device's delete of record id against the
// team's rules and, unless none of the record's revisions ever left the
// device (held is then false: the caller deletes at once), writes the
// tombstone and holds the record.
func (v *Vault) holdOwnDelete(id, reason string) (held bool, err error) {
	v.waitIndex()
	v.mu.Lock()
	defer v.mu.Unlock()
	if err := v.recordsWritable(64 << 10); err != nil {
		return false, fmt.Errorf("delete: %w", err)
	}
	err = v.writeRecords(func(txn *badger.Txn) error {
		cur, err := loadRecord(txn, id)
		if err != nil {
			return err
		}
		if err := requireUndeleted(cur); err != nil {
			return err
		}
		self, err := member(txn, v.DeviceKey())
		if err != nil {
			return err
		}
		ts, err := tombstoneFor(txn, cur, reason)
		if err != nil {
			return err
		}
		if err := checkDelete(txn, v.DeviceKey(), self, cur, ts); err != nil {
			return fmt.Errorf("%w: %w", ErrDeleteRefused, err)
		}
		if never, err := v.neverSent(txn, id); err != nil || never {
			return err
		}
		body, err := json.Marshal(ts)
		if err != nil {
			return err
		}
		rev, err := v.newRevision(txn, id, cur.Kind, envelope.OpDelete, body, cur)
		if err != nil {
			return err
		}
		to := v.teamAddress()
		if b, err := cur.Decode(); err == nil {
			if r, err := v.recipientFor(b); err == nil {
				to = r // the reason goes only where the record went
			}
		}
		ct, envID, err := to.seal(rev, v.signer)
		if err != nil {
			return err
		}
		o := &envelope.Opened{ID: envID, Revision: *rev}
		if err := queue(txn, envID.String()); err != nil {
			return err
		}
		if err := v.holdDeletion(txn, o, ct, cur, ts); err != nil {
			return err
		}
		held = true
		return setJSON(txn, []byte(keyClock), v.clock.Last())
	})
	if err != nil {
		return false, fmt.Errorf("delete %s: %w", id, err)
	}
	return held, nil
}

// neverSent reports whether every revision of record id is this device's
// and queued after the last position a sync pass began to send.
func (v *Vault) neverSent(txn *badger.Txn, id string) (bool, error) {
	infos, err := revisionInfos(txn, id)
	if err != nil {
		return false, err
	}
	unsent, err := v.unsentRevisions(txn, id)
	return len(infos) > 0 && len(unsent) == len(infos), err
}

// tombstoneFor is the body of a delete of cur by this device.
func tombstoneFor(txn *badger.Txn, cur *Record, reason string) (*Tombstone, error) {
	authors, err := recordAuthors(txn, cur.ID)
	if err != nil {
		return nil, err
	}
	ts := &Tombstone{V: tombstoneVersion, Reason: reason, Authors: authors}
	if cur.Sealed {
		ts.SealHash = cur.SealHash
	}
	return ts, nil
}

// recordAuthors returns the device keys (hex) that wrote record id's
// stored revisions, other than deletes: the author of its first revision
// (the one without parents, the earliest if several) first, then the others
// in the order they first wrote.
func recordAuthors(txn *badger.Txn, id string) ([]string, error) {
	infos, err := revisionInfos(txn, id) // oldest first
	if err != nil {
		return nil, err
	}
	infos = slices.DeleteFunc(infos, func(i RevisionInfo) bool { return i.Op == envelope.OpDelete })
	var authors []string
	if i := slices.IndexFunc(infos, func(i RevisionInfo) bool { return len(i.Parents) == 0 }); i >= 0 {
		authors = append(authors, infos[i].Author)
	}
	for _, i := range infos {
		if !slices.Contains(authors, i.Author) {
			authors = append(authors, i.Author)
		}
	}
	return authors, nil
}

// sealedEvidence reports whether cur is a sealed testimony or an
// attachment of one, the testimony live or pending deletion.
func sealedEvidence(txn *badger.Txn, cur *Record) (bool, error) {
	if cur.Sealed {
		return true, nil
	}
	if cur.Kind != record.KindAttachment {
		return false, nil
	}
	var ids []string
	prefix := key(pfxBack, cur.ID, "/")
	it := txn.NewIterator(badger.IteratorOptions{Prefix: prefix})
	for it.Rewind(); it.Valid(); it.Next() {
		ids = append(ids, strings.TrimPrefix(string(it.Item().Key()), string(prefix)))
	}
	it.Close()
	// A testimony pending deletion has no links; its body still names
	// its attachments.
	if err := eachHeld(txn, func(id string, _ *heldDeletion) error { ids = append(ids, id); return nil }); err != nil {
		return false, err
	}
	for _, id := range ids {
		r, err := loadRecord(txn, id)
		if err != nil {
			return false, err
		}
		if r == nil || r.Kind != record.KindTestimony || !r.Sealed || (r.Deleted && !r.PendingDeletion) {
			continue
		}
		if b, err := record.Decode(r.Kind, r.Body); err == nil && slices.Contains(b.(*record.Testimony).Attachments, cur.ID) {
			return true, nil
		}
	}
	return false, nil
}

// checkDelete returns why device, whose roster entry is m, may not delete
// cur with tombstone ts; nil if it may.
func checkDelete(txn *badger.Txn, device ed25519.PublicKey, m *Member, cur *Record, ts *Tombstone) error {
	who := Fingerprint(device)
	switch {
	case m == nil:
		return fmt.Errorf("%s is not in the team's roster", who)
	case m.Removed:
		return fmt.Errorf("%s was removed from the team and may no longer delete", who)
	}
	evidence, err := sealedEvidence(txn, cur)
	if err != nil {
		return err
	}
	if evidence {
		what := "a sealed testimony"
		if cur.Kind == record.KindAttachment {
			what = "an attachment of a sealed testimony"
		}
		switch {
		case m.Role != RoleAdmin:
			return fmt.Errorf("%s is not an admin: only an admin may delete %s", who, what)
		case strings.TrimSpace(ts.Reason) == "":
			return fmt.Errorf("deleting %s %w", what, ErrReasonNeeded)
		case cur.Sealed && ts.SealHash != "" && ts.SealHash != cur.SealHash:
			return fmt.Errorf("the delete names seal hash %s, but the sealed testimony's is %s", ts.SealHash, cur.SealHash)
		}
		return nil
	}
	authors, err := recordAuthors(txn, cur.ID)
	if err != nil {
		return err
	}
	if m.Role != RoleAdmin && len(authors) > 0 && authors[0] != hex.EncodeToString(device) {
		return fmt.Errorf("%s is a member and may delete only records it wrote; this %s was written by %s", who, cur.Kind, fingerprintHex(authors[0]))
	}
	return nil
}

// fingerprintHex is Fingerprint of a hex device key.
func fingerprintHex(h string) string {
	b, err := hex.DecodeString(h)
	if err != nil {
		return h
	}
	return Fingerprint(b)
}

// holdDeletion stores the tombstone o of cur and makes cur pending
// deletion: hidden from lists, links and search, its content and
// revisions kept until the hold ends.
func (v *Vault) holdDeletion(txn *badger.Txn, o *envelope.Opened, ct []byte, cur *Record, ts *Tombstone) error {
	if err := storeRevision(txn, o, ct); err != nil {
		return err
	}
	if err := v.hide(txn, cur); err != nil {
		return err
	}
	r := *cur
	r.Deleted, r.PendingDeletion = true, true
	if err := setJSON(txn, key(pfxRecord, r.ID), &r); err != nil {
		return err
	}
	now := v.wallNow().UTC()
	hold, err := holdAt(txn, now)
	if err != nil {
		return err
	}
	return setJSON(txn, key(pfxPendingDeletion, r.ID), heldDeletion{Tombstone: o.Revision.ID, Envelope: o.ID.String(),
		By: o.Revision.Author, Body: *ts, Received: now, PurgeAt: now.Add(hold)})
}

// hide takes a live record out of its list, the links and the search
// index; its attachment file and vocabulary code stay.
func (v *Vault) hide(txn *badger.Txn, r *Record) error {
	if _, err := txn.Get(summaryKey(r.Kind, r.ID)); err == nil {
		if err := addCount(txn, r.Kind, -1); err != nil {
			return err
		}
	} else if !errors.Is(err, badger.ErrKeyNotFound) {
		return err
	}
	if err := txn.Delete(summaryKey(r.Kind, r.ID)); err != nil {
		return err
	}
	if err := setLinks(txn, r.ID, r.Kind, nil); err != nil {
		return err
	}
	return v.unindex(r.ID)
}

// receiveDeletion handles, inside verifyAndApply, what this file adds to
// receiving: team settings, restores and deletes of records. done is
// false for everything else, and for deletes that are applied as before
// (in a vault on its own, of a record already deleted, or an old
// body-less delete of a record this device never had).
func (v *Vault) receiveDeletion(txn *badger.Txn, o *envelope.Opened, ct []byte, author *Member, inTeam bool) (done bool, out Outcome, pending bool, reject, err error) {
	rev := &o.Revision
	switch {
	case rev.Kind == kindTeamConf:
		pending, reject, err := v.receiveTeamConf(txn, o, ct, author)
		return true, Applied, pending, reject, err
	case rev.Kind == kindRestore:
		reject, err := v.receiveRestore(txn, o, ct, author)
		return true, Applied, false, reject, err
	case isSystemKind(rev.Kind):
		return false, 0, false, nil, nil
	case rev.Op != envelope.OpDelete:
		if err := undoBlindTombstone(txn, o); err != nil {
			return true, 0, false, nil, err
		}
		done, err := v.receiveHeldEdit(txn, o, ct)
		return done, Applied, false, nil, err
	}
	ts, perr := parseTombstone(rev.Body)
	if perr != nil {
		return true, 0, false, perr, nil
	}
	cur, err := loadRecord(txn, rev.Record)
	if err != nil {
		return true, 0, false, nil, err
	}
	switch {
	case cur == nil && (ts.V == 0 || ts.Unsent):
		// A record this device never had: a bare tombstone, as before,
		// remembered so that the record's first revision, if it comes
		// later, can show that it was not its deleter's to delete.
		if inTeam && (author == nil || author.Role != RoleAdmin) {
			if err := txn.Set(key(pfxBlind, rev.Record), rev.Author); err != nil {
				return true, 0, false, nil, err
			}
		}
		return false, 0, false, nil, nil
	case cur == nil:
		return true, 0, true, nil, nil // the record it deletes may still come
	case cur.Kind != record.Kind(rev.Kind):
		return true, 0, false, fmt.Errorf("revision of a %s for a %s record", rev.Kind, cur.Kind), nil
	case cur.Deleted && !cur.PendingDeletion:
		return false, 0, false, nil, nil
	case ts.Unsent:
		// A stand-in deletes nothing: keep the envelope and the number.
		if err := txn.Set(key(pfxEnvelope, o.ID.String()), ct); err != nil {
			return true, 0, false, nil, err
		}
		return true, Applied, false, nil, recordSeq(txn, rev.Author, rev.Seq, rev.ID)
	}
	if inTeam {
		if reject := checkDelete(txn, rev.Author, author, cur, ts); reject != nil {
			return true, 0, false, fmt.Errorf("delete of %s %s refused: %w", cur.Kind, cur.ID, reject), nil
		}
	}
	v.clock.Observe(rev.Time)
	restored, err := txn.Get(key(pfxRestored, rev.ID))
	switch {
	case err == nil && restored != nil, cur.PendingDeletion:
		// Restored already, or held by another tombstone: history only.
		return true, Applied, false, nil, storeRevision(txn, o, ct)
	case !errors.Is(err, badger.ErrKeyNotFound):
		return true, 0, false, nil, err
	case !inTeam:
		return false, 0, false, nil, nil
	}
	return true, Applied, false, nil, v.holdDeletion(txn, o, ct, cur, ts)
}

// undoBlindTombstone checks the first revision o of a record that a
// member's tombstone deleted before this device had it (a key lookup
// when there is none). If o has no parents and another device wrote it,
// the tombstone deleted a record its author did not write: it is
// quarantined with the reason and the record is received as new.
func undoBlindTombstone(txn *badger.Txn, o *envelope.Opened) error {
	id := o.Revision.Record
	item, err := txn.Get(key(pfxBlind, id))
	if errors.Is(err, badger.ErrKeyNotFound) {
		return nil
	} else if err != nil {
		return err
	}
	by, err := item.ValueCopy(nil)
	if err != nil {
		return err
	}
	if err := txn.Delete(key(pfxBlind, id)); err != nil {
		return err
	}
	if len(o.Revision.Parents) != 0 || o.Revision.Author.Equal(by) {
		return nil // the author deleted its own record: the tombstone stands
	}
	infos, err := revisionInfos(txn, id)
	if err != nil {
		return err
	}
	for _, info := range infos {
		item, err := txn.Get(key(pfxEnvelope, info.Envelope))
		if err != nil {
			return fmt.Errorf("tombstone envelope: %w", err)
		}
		ct, err := item.ValueCopy(nil)
		if err != nil {
			return err
		}
		reason := fmt.Errorf("delete of %s %s refused: %s is a member and may delete only records it wrote; this one was written by %s",
			o.Revision.Kind, id, Fingerprint(by), Fingerprint(o.Revision.Author))
		if err := setQuarantine(txn, info.Envelope, ct, reason); err != nil {
			return err
		}
	}
	if err := dropRevisions(txn, id); err != nil {
		return err
	}
	return txn.Delete(key(pfxRecord, id))
}

// receiveHeldEdit applies an edit of a record pending deletion as it
// would apply to the live record, and keeps the record hidden: a restore
// brings the edit back with it. done is false if the record is not
// pending deletion (a key lookup, no read of the record).
func (v *Vault) receiveHeldEdit(txn *badger.Txn, o *envelope.Opened, ct []byte) (done bool, err error) {
	if _, err := txn.Get(key(pfxPendingDeletion, o.Revision.Record)); errors.Is(err, badger.ErrKeyNotFound) {
		return false, nil
	} else if err != nil {
		return true, err
	}
	cur, err := loadRecord(txn, o.Revision.Record)
	if err != nil || cur == nil || !cur.PendingDeletion || cur.Kind != record.Kind(o.Revision.Kind) {
		return false, err // the usual checks apply
	}
	live := *cur
	live.Deleted, live.PendingDeletion = false, false
	v.clock.Observe(o.Revision.Time)
	r, err := v.applyRemote(txn, o, ct, &live)
	if err != nil {
		return true, err
	}
	if err := v.hide(txn, r); err != nil {
		return true, err
	}
	r.Deleted, r.PendingDeletion = true, true
	return true, setJSON(txn, key(pfxRecord, r.ID), r)
}

// finishHeldDeletions deletes for good, as an immediate delete does, the
// records whose hold has ended on this device's clock, and marks the
// store for purging. A deletion by a device removed from the team since
// is cancelled instead: the record comes back, as if restored.
func (v *Vault) finishHeldDeletions() error {
	now := v.wallNow()
	due, cancel := map[string]heldDeletion{}, map[string]heldDeletion{}
	err := v.view(func(txn *badger.Txn) error {
		return eachHeld(txn, func(id string, d *heldDeletion) error {
			m, err := member(txn, d.By)
			switch {
			case err != nil:
				return err
			case m != nil && m.Removed:
				cancel[id] = *d
			case !now.Before(d.PurgeAt):
				due[id] = *d
			}
			return nil
		})
	})
	if err != nil || len(due)+len(cancel) == 0 {
		return err
	}
	v.waitIndex()
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.db == nil {
		return fmt.Errorf("purge deletions: %w", ErrLocked)
	}
	err = v.writeRecords(func(txn *badger.Txn) error {
		for id, d := range cancel {
			if err := v.applyRestore(txn, &restoreBody{V: 1, Record: id, Tombstone: d.Tombstone}); err != nil {
				return fmt.Errorf("record %s: %w", id, err)
			}
		}
		for id, d := range due {
			if err := v.finishDeletion(txn, id, &d); err != nil {
				return fmt.Errorf("record %s: %w", id, err)
			}
		}
		if len(due) == 0 {
			return nil
		}
		return txn.Set([]byte(keyPurge), nil)
	})
	if err != nil {
		return fmt.Errorf("purge deletions whose hold ended: %w", err)
	}
	return nil
}

// finishDeletion applies the tombstone of a held deletion for good.
func (v *Vault) finishDeletion(txn *badger.Txn, id string, d *heldDeletion) error {
	if err := txn.Delete(key(pfxPendingDeletion, id)); err != nil {
		return err
	}
	cur, err := loadRecord(txn, id)
	if err != nil || cur == nil || !cur.PendingDeletion {
		return err
	}
	item, err := txn.Get(key(pfxEnvelope, d.Envelope))
	if err != nil {
		return fmt.Errorf("tombstone envelope: %w", err)
	}
	ct, err := item.ValueCopy(nil)
	if err != nil {
		return err
	}
	o, err := envelope.Open(ct, v.identities()...)
	if err != nil {
		return fmt.Errorf("tombstone: %w", err)
	}
	r, err := v.apply(txn, o, ct, cur)
	if err != nil {
		return err
	}
	r.PendingDeletion = false
	return setJSON(txn, key(pfxRecord, id), r)
}

// eachHeld calls fn for every held deletion.
func eachHeld(txn *badger.Txn, fn func(id string, d *heldDeletion) error) error {
	it := txn.NewIterator(badger.IteratorOptions{Prefix: []byte(pfxPendingDeletion), PrefetchValues: true})
	defer it.Close()
	for it.Rewind(); it.Valid(); it.Next() {
		var d heldDeletion
		if err := it.Item().Value(func(b []byte) error { return json.Unmarshal(b, &d) }); err != nil {
			return fmt.Errorf("%w: pending deletion entry: %w", ErrDamaged, err)
		}
		if err := fn(strings.TrimPrefix(string(it.Item().Key()), pfxPendingDeletion), &d); err != nil {
			return err
		}
	}
	return nil
}

// heldBlobs returns the attachment files of records pending deletion,
// which a purge must keep. The caller holds v.mu.
func (v *Vault) heldBlobs() (map[string]bool, error) {
	blobs := map[string]bool{}
	err := v.db.View(func(txn *badger.Txn) error {
		return eachHeld(txn, func(id string, _ *heldDeletion) error {
			r, err := loadRecord(txn, id)
			if err != nil || r == nil || r.Kind != record.KindAttachment || r.Schema > record.SchemaVersion {
				return err
			}
			if a, err := attachmentOf(r.Body); err == nil {
				blobs[a.Blob] = true
			}
			return nil
		})
	})
	return blobs, err
}

// PendingDeletions lists the records pending deletion, the soonest purged
// first.
func (v *Vault) PendingDeletions() ([]PendingDeletion, error) {
	var out []PendingDeletion
	err := v.view(func(txn *badger.Txn) error {
		return eachHeld(txn, func(id string, d *heldDeletion) error {
			p := PendingDeletion{Record: id, By: d.By, Reason: d.Body.Reason, SealHash: d.Body.SealHash,
				Authors: d.Body.Authors, Deleted: d.Received, PurgeAt: d.PurgeAt}
			if r, err := loadRecord(txn, id); err != nil {
				return err
			} else if r != nil {
				p.Kind = r.Kind
				if b, err := record.Decode(r.Kind, r.Body); err == nil && r.Schema <= record.SchemaVersion {
					p.Title = record.Title(b)
				}
			}
			out = append(out, p)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("list pending deletions: %w", err)
	}
	slices.SortFunc(out, func(a, b PendingDeletion) int { return a.PurgeAt.Compare(b.PurgeAt) })
	return out, nil
}

// Restore brings back a record pending deletion, as it was: a sealed
// testimony stays sealed with the same seal hash. Only an admin may
// restore; the restore reaches every device as a signed revision.
func (v *Vault) Restore(id string) error {
	v.waitIndex()
	v.mu.Lock()
	defer v.mu.Unlock()
	if err := v.recordsWritable(64 << 10); err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	err := v.writeRecords(func(txn *badger.Txn) error {
		if err := v.requireAdmin(txn); err != nil {
			return err
		}
		var d heldDeletion
		found, err := getJSON(txn, key(pfxPendingDeletion, id), &d)
		if err != nil {
			return err
		}
		if !found {
			return ErrNotPending
		}
		body := restoreBody{V: 1, Record: id, Tombstone: d.Tombstone}
		if err := v.writeSystem(txn, kindRestore, body, v.teamAddress()); err != nil {
			return err
		}
		return v.applyRestore(txn, &body)
	})
	if err != nil {
		return fmt.Errorf("restore %s: %w", id, err)
	}
	return nil
}

// receiveRestore checks and applies a restore from another device.
func (v *Vault) receiveRestore(txn *badger.Txn, o *envelope.Opened, ct []byte, author *Member) (reject, err error) {
	if author == nil || author.Removed || author.Role != RoleAdmin {
		return fmt.Errorf("restore signed by %s, who is not an admin", Fingerprint(o.Revision.Author)), nil
	}
	var b restoreBody
	if err := json.Unmarshal(o.Revision.Body, &b); err != nil || b.Record == "" || b.Tombstone == "" {
		return fmt.Errorf("restore: the body does not name a record and its tombstone"), nil
	}
	if err := storeRevision(txn, o, ct); err != nil {
		return nil, err
	}
	return nil, v.applyRestore(txn, &b)
}

// applyRestore cancels the tombstone b names: the record comes back if it
// is held by that tombstone, and the tombstone has no effect if it
// arrives later.
func (v *Vault) applyRestore(txn *badger.Txn, b *restoreBody) error {
	if err := txn.Set(key(pfxRestored, b.Tombstone), []byte(b.Record)); err != nil {
		return err
	}
	var d heldDeletion
	found, err := getJSON(txn, key(pfxPendingDeletion, b.Record), &d)
	if err != nil || !found || d.Tombstone != b.Tombstone {
		return err
	}
	cur, err := loadRecord(txn, b.Record)
	if err != nil || cur == nil {
		return err
	}
	r := *cur
	r.Deleted, r.PendingDeletion = false, false
	if err := v.setIndexes(txn, &r); err != nil {
		return err
	}
	if err := setJSON(txn, key(pfxRecord, r.ID), &r); err != nil {
		return err
	}
	return txn.Delete(key(pfxPendingDeletion, b.Record))
}
