package storage

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/dgraph-io/badger/v4"

	"github.com/letapis/letapis/storage/envelope"
	"github.com/letapis/letapis/storage/hlc"
	"github.com/letapis/letapis/storage/record"
)

// Record is the current state of a record as the vault has materialised it
// from its revisions.
type Record struct {
	ID     string      `json:"id"`
	Kind   record.Kind `json:"kind"`
	Schema int         `json:"schema"`
	// Body is the current content as JSON; nil once deleted.
	Body json.RawMessage `json:"body,omitempty"`
	// Heads are the revisions nothing supersedes yet. More than one means
	// concurrent edits that have not been resolved.
	Heads     []string      `json:"heads"`
	Created   hlc.Timestamp `json:"created"`
	Updated   hlc.Timestamp `json:"updated"`
	Revisions int           `json:"revisions"`
	// Sealed is set once a testimony is sealed; SealHash is then the
	// SHA-256 of the sealed body, signed within the seal revision.
	Sealed   bool   `json:"sealed,omitempty"`
	SealHash string `json:"seal_hash,omitempty"`
	Deleted  bool   `json:"deleted,omitempty"`
	// PendingDeletion is set, with Deleted, while a deleted record is
	// kept for the team's hold: Body and the revisions stay until then,
	// and an admin may restore it (see PendingDeletions).
	PendingDeletion bool `json:"pending_deletion,omitempty"`
	// Conflict is set while concurrent edits disagree on a field; see
	// ResolveConflict.
	Conflict bool `json:"conflict,omitempty"`
}

// Decode returns the record's body. It fails with ErrDeleted for a deleted
// record and ErrNewerSchema for one written by a newer Letapis.
func (r *Record) Decode() (record.Body, error) {
	if r.Deleted {
		return nil, fmt.Errorf("record %s: %w", r.ID, ErrDeleted)
	}
	if r.Schema > record.SchemaVersion {
		return nil, fmt.Errorf("record %s (schema %d): %w", r.ID, r.Schema, ErrNewerSchema)
	}
	return record.Decode(r.Kind, r.Body)
}

// Summary is what a list shows of a record, and what it sorts and filters
// by, kept beside the record so that lists never open records. Its JSON
// form (used by letapis-cli --json) has these fields:
//
//	id, kind, title  the record's id, kind and one-line label (record.Title)
//	date             its primary date (record.PrimaryDate), omitted when unknown
//	status           a person's status code (vocabulary "status"), omitted when none
//	updated          when it last changed, as an hlc.Timestamp
//	sealed, conflict whether it is a sealed testimony, and in conflict
type Summary struct {
	ID       string        `json:"id"`
	Kind     record.Kind   `json:"kind"`
	Title    string        `json:"title"`
	Date     record.Date   `json:"date,omitzero"`
	Status   string        `json:"status,omitempty"`
	Updated  hlc.Timestamp `json:"updated"`
	Sealed   bool          `json:"sealed,omitempty"`
	Conflict bool          `json:"conflict,omitempty"`
	// sortKey is the collation key of a person's title (see
	// SortByTitle), computed when the person is saved.
	sortKey string
}

// RevisionInfo describes one stored revision without its content.
type RevisionInfo struct {
	ID       string        `json:"id"`
	Envelope string        `json:"envelope"` // envelope id, hex
	Parents  []string      `json:"parents,omitempty"`
	Author   string        `json:"author"` // author key, hex
	Seq      uint64        `json:"seq"`
	Time     hlc.Timestamp `json:"time"`
	Op       string        `json:"op"`
	Schema   int           `json:"schema"`
}

// HistoryEntry is a revision with its content, decrypted and verified.
type HistoryEntry struct {
	RevisionInfo
	Body json.RawMessage `json:"body,omitempty"`
}

// Add saves a new record and returns it. The body is validated first;
// nothing is stored if it is not valid.
func (v *Vault) Add(b record.Body) (*Record, error) {
	return v.change(NewID(), b.Kind(), envelope.OpPut, b, nil, func(cur *Record) error {
		if cur != nil {
			return errors.New("a record with this id exists")
		}
		return nil
	})
}

// Update saves b as the new content of record id.
func (v *Vault) Update(id string, b record.Body) (*Record, error) {
	return v.change(id, b.Kind(), envelope.OpPut, b, nil, requireLive(b.Kind()))
}

// Seal makes a testimony immutable: a seal revision records the SHA-256 of
// its current body under the author's signature, and every later change is
// refused with ErrSealed. Corrections go through Amend.
func (v *Vault) Seal(id string) (*Record, error) {
	cur, err := v.Get(id)
	if err != nil {
		return nil, fmt.Errorf("seal: %w", err)
	}
	if cur.Kind != record.KindTestimony {
		return nil, fmt.Errorf("seal %s: only testimonies can be sealed, this is a %s", id, cur.Kind)
	}
	body, err := cur.Decode()
	if err != nil {
		return nil, fmt.Errorf("seal: %w", err)
	}
	return v.change(id, record.KindTestimony, envelope.OpSeal, body, nil, requireLive(record.KindTestimony))
}

// Amend adds a testimony that corrects the sealed testimony id and links
// the two. The sealed testimony itself is not changed.
func (v *Vault) Amend(id string, t *record.Testimony) (*Record, error) {
	orig, err := v.Get(id)
	if err != nil {
		return nil, fmt.Errorf("amend: %w", err)
	}
	if orig.Kind != record.KindTestimony || !orig.Sealed {
		return nil, fmt.Errorf("amend %s: only a sealed testimony can be amended; edit drafts directly", id)
	}
	t.Amends = orig.ID
	return v.Add(t)
}

// Delete writes a tombstone for record id, drops its earlier revisions and
// attachment file, and purges the store so that the old content cannot be
// recovered from the vault files. The tombstone stays, so that sync never
// brings the record back. In a team the record is first pending deletion
// for the team's hold, and deleting a sealed testimony needs a reason:
// see DeleteWithReason.
func (v *Vault) Delete(id string) error { return v.DeleteWithReason(id, "") }

// unsentRevisions returns, in a team, this device's revisions of record
// id that certainly never left the device: their envelopes are queued
// after the last position a sync pass began to send.
func (v *Vault) unsentRevisions(txn *badger.Txn, id string) ([]RevisionInfo, error) {
	if v.team != teamMember {
		return nil, nil
	}
	infos, err := revisionInfos(txn, id)
	if err != nil {
		return nil, err
	}
	unsent, err := unsentEnvelopes(txn)
	if err != nil {
		return nil, err
	}
	own := hex.EncodeToString(v.DeviceKey())
	return slices.DeleteFunc(infos, func(i RevisionInfo) bool { return i.Author != own || !unsent[i.Envelope] }), nil
}

// writeStandIns queues, for each revision of record id that a delete
// drops before it was ever sent, a delete revision with the same sequence
// number in its place: without it the other devices would miss that
// number for ever and take it for a revision a relay withholds (see
// Gaps). A stand-in has no place in the record's history; its body is a
// tombstone marked unsent, so that receivers only note its number.
func (v *Vault) writeStandIns(txn *badger.Txn, id string, k record.Kind, dropped []RevisionInfo) error {
	team, err := teamName(txn)
	if err != nil {
		return err
	}
	body, err := json.Marshal(Tombstone{V: tombstoneVersion, Unsent: true})
	if err != nil {
		return err
	}
	for _, d := range dropped {
		rev := envelope.Revision{Team: team, Record: id, ID: NewID(), Author: v.DeviceKey(), Seq: d.Seq, Time: v.clock.Now(),
			Kind: string(k), Schema: record.SchemaVersion, Op: envelope.OpDelete, Body: body}
		ct, envID, err := v.teamAddress().seal(&rev, v.signer)
		if err != nil {
			return err
		}
		if err := txn.Set(key(pfxEnvelope, envID.String()), ct); err != nil {
			return err
		}
		if err := recordSeq(txn, rev.Author, rev.Seq, rev.ID); err != nil {
			return err
		}
		if err := queue(txn, envID.String()); err != nil {
			return err
		}
	}
	return nil
}

// requireLive refuses changes to missing, deleted, sealed or
// other-kind records.
func requireLive(k record.Kind) func(*Record) error {
	return func(cur *Record) error {
		switch {
		case cur == nil:
			return ErrNotFound
		case cur.Deleted:
			return ErrDeleted
		case cur.Kind != k:
			return fmt.Errorf("record is a %s, not a %s", cur.Kind, k)
		case cur.Sealed:
			return ErrSealed
		case cur.Schema > record.SchemaVersion:
			return ErrNewerSchema
		}
		return nil
	}
}

// change validates b, writes one revision of record id and applies it, all
// in one durable transaction. A delete has no b; tomb is its body.
func (v *Vault) change(id string, k record.Kind, op string, b record.Body, tomb []byte, check func(*Record) error) (*Record, error) {
	verb := map[string]string{envelope.OpPut: "save", envelope.OpSeal: "seal", envelope.OpDelete: "delete"}[op]
	body := tomb
	if op != envelope.OpDelete {
		if err := b.Validate(); err != nil {
			return nil, fmt.Errorf("%s: %w", verb, err)
		}
		var err error
		if body, err = json.Marshal(b); err != nil {
			return nil, fmt.Errorf("%s: encode: %w", verb, err)
		}
	}
	v.waitIndex()
	v.mu.Lock()
	defer v.mu.Unlock()
	if err := v.recordsWritable(4 * int64(len(body))); err != nil {
		return nil, fmt.Errorf("%s: %w", verb, err)
	}
	var out *Record
	err := v.writeRecords(func(txn *badger.Txn) error {
		cur, err := loadRecord(txn, id)
		if err != nil {
			return err
		}
		if err := check(cur); err != nil {
			return err
		}
		if op == envelope.OpDelete {
			// The stand-ins go first: everywhere the tombstone then
			// replaces them, as it replaces every revision before it.
			unsent, err := v.unsentRevisions(txn, id)
			if err != nil {
				return err
			}
			if err := v.writeStandIns(txn, id, k, unsent); err != nil {
				return err
			}
		}
		if out, err = v.writeRevision(txn, id, k, op, b, body, cur); err != nil {
			return err
		}
		return setJSON(txn, []byte(keyClock), v.clock.Last())
	})
	if err != nil {
		return nil, fmt.Errorf("%s %s %s: %w", verb, k, id, err)
	}
	return out, nil
}

// importChunkBytes bounds the estimated bytes committed in one transaction
// by ReceiveBatch (receiveChunk), well below Badger's transaction size
// limit (15% of the memtable). Import has its own bound, importTxnBytes.
const importChunkBytes = 1 << 20

// importCost estimates what one received record of body bytes writes: the
// body twice (envelope and view) padded and encrypted, plus a fixed
// overhead for the age header, the index entries and the history. It
// counts every value in full, as if none went to the value log.
func importCost(body int) int { return 3*body + 4096 }

// importTxnBytes is what Import first plans to write in one transaction,
// in Badger's own accounting (importTxnCost), below its limit of 15% of
// the memtable (2.4 MiB with openStore's 16 MiB).
const importTxnBytes = 2 << 20

// importTxnCost estimates what one imported record of body bytes,
// referring to refs records, adds to a transaction in Badger's
// accounting, where a value of valueThreshold bytes or more counts as a
// 12-byte pointer to the value log: small fixed entries (revision info,
// sequence numbers, count, summary), the view, a back link per record
// referred to. It is a typical figure, not a bound: a transaction that
// turns out too big is written again smaller (see Import). A quarter of
// the body is added so that a transaction holds a bounded amount of
// envelopes in memory until it commits.
func importTxnCost(body, refs int) int {
	return 512 + min(body+256, valueThreshold) + 96*refs + body/4
}

// Import saves many new records with one durable commit per transaction
// of up to importTxnBytes (a thousand notes of 2 KiB) instead of one per
// record: the bulk path for imports and generated data. Every body is
// validated before anything is saved. The envelopes, most of an import's
// work, are sealed on every core while the records already sealed are
// written (see sealer). A transaction is written whole or not at all: if
// a record fails, or a commit, the records of earlier transactions stay
// saved and are returned with the error, which names the record (or the
// transaction's records) that failed. A transaction that Badger finds
// too big (ErrTxnTooBig) is dropped and its records written again in
// smaller ones, planned from what fitted.
func (v *Vault) Import(bodies []record.Body) ([]*Record, error) {
	encoded := make([][]byte, len(bodies))
	costs := make([]int, len(bodies))
	var total int64
	for i, b := range bodies {
		if err := b.Validate(); err != nil {
			return nil, fmt.Errorf("import: record %d: %w", i+1, err)
		}
		var err error
		if encoded[i], err = json.Marshal(b); err != nil {
			return nil, fmt.Errorf("import: record %d: encode: %w", i+1, err)
		}
		costs[i] = importTxnCost(len(encoded[i]), len(record.Refs(b)))
		total += int64(len(encoded[i]))
	}
	v.waitIndex()
	v.mu.Lock()
	defer v.mu.Unlock()
	if err := v.recordsWritable(4 * total); err != nil {
		return nil, fmt.Errorf("import: %w", err)
	}
	revs, err := v.importRevisions(bodies, encoded)
	if err != nil {
		return nil, fmt.Errorf("import: %w", err)
	}
	s := v.startSealing(bodies, revs)
	defer s.stop()
	saved := make([]*Record, 0, len(bodies))
	budget := importTxnBytes
	for start := 0; start < len(bodies); {
		end, size := start+1, costs[start]
		for ; end < len(bodies) && size+costs[end] <= budget; end++ {
			size += costs[end]
		}
		recs, failed, err := v.writeImported(bodies, revs, s, start, end)
		fit := failed // the records before fit did fit
		if fit < 0 {
			fit = end // all did, the clock did not
		}
		if errors.Is(err, badger.ErrTxnTooBig) && fit > start {
			// Plan the transactions of this import a little smaller
			// than what fitted.
			budget = 0
			for _, c := range costs[start:fit] {
				budget += c
			}
			budget = budget * 9 / 10
			continue
		}
		switch {
		case err != nil && failed >= 0:
			return saved, fmt.Errorf("import: record %d: %w", failed+1, err)
		case err != nil:
			return saved, fmt.Errorf("import: records %d–%d: %w", start+1, end, err)
		}
		saved = append(saved, recs...)
		s.written(start, end)
		start = end
	}
	return saved, nil
}

// writeImported writes imported records start to end in one durable
// transaction. If a record fails, failed is its index.
func (v *Vault) writeImported(bodies []record.Body, revs []*envelope.Revision, s *sealer, start, end int) (recs []*Record, failed int, err error) {
	failed = -1
	err = v.writeRecords(func(txn *badger.Txn) error {
		recs = make([]*Record, 0, end-start)
		for i := start; i < end; i++ {
			r, err := v.applyImported(txn, bodies[i], revs[i], s, i)
			if err != nil {
				failed = i
				return err
			}
			recs = append(recs, r)
		}
		return setJSON(txn, []byte(keyClock), v.clock.Last())
	})
	return recs, failed, err
}

// importRevisions makes the revisions of an import, one new record per
// body, with this device's next sequence numbers and clock readings in
// order. The caller holds v.mu, so that nothing else takes those numbers
// until the import's revisions are written or abandoned.
func (v *Vault) importRevisions(bodies []record.Body, encoded [][]byte) ([]*envelope.Revision, error) {
	revs := make([]*envelope.Revision, len(bodies))
	err := v.db.View(func(txn *badger.Txn) error {
		for i, b := range bodies {
			var err error
			if revs[i], err = v.newRevision(txn, NewID(), b.Kind(), envelope.OpPut, encoded[i], nil); err != nil {
				return err
			}
			revs[i].Seq += uint64(i) // newRevision sees the sequence number before this import
		}
		return nil
	})
	return revs, err
}

// applyImported waits for the envelope of imported revision i, rev,
// checks the vocabulary codes of its body and applies it inside txn.
// Codes are checked here, not before sealing, so that a Term imported
// earlier in the same call counts.
func (v *Vault) applyImported(txn *badger.Txn, b record.Body, rev *envelope.Revision, s *sealer, i int) (*Record, error) {
	ct, id, err := s.sealed(i)
	if err != nil {
		return nil, err
	}
	if err := checkTerms(txn, b); err != nil {
		return nil, err
	}
	if err := v.markIfPrivate(txn, b, rev); err != nil {
		return nil, err
	}
	return v.applyOwn(txn, &envelope.Opened{ID: id, Revision: *rev}, ct, nil)
}

// sealer seals the envelopes of an import on every core, in order, while
// the vault writes those already sealed: the sealing, which is most of an
// import's work, then overlaps the writes and their fsyncs. It runs at
// most sealAhead envelopes ahead of the writer, so that an import of any
// size holds a bounded number of them.
type sealer struct {
	// taken is how many envelopes the writer has taken.
	taken int
	// done[i] is closed once revision i is sealed or failed.
	done []chan struct{}
	cts  [][]byte
	ids  []envelope.ID
	errs []error
	// slots holds one token per envelope sealed but not yet taken.
	slots chan struct{}
	quit  chan struct{}
	wg    sync.WaitGroup
}

// sealAhead is how many envelopes an import seals ahead of the writer.
const sealAhead = 256

// startSealing starts sealing revs. Stop the sealer when done with it.
func (v *Vault) startSealing(bodies []record.Body, revs []*envelope.Revision) *sealer {
	s := &sealer{
		done:  make([]chan struct{}, len(revs)),
		cts:   make([][]byte, len(revs)),
		ids:   make([]envelope.ID, len(revs)),
		errs:  make([]error, len(revs)),
		slots: make(chan struct{}, sealAhead),
		quit:  make(chan struct{}),
	}
	for i := range s.done {
		s.done[i] = make(chan struct{})
	}
	jobs := make(chan int)
	s.wg.Go(func() {
		defer close(jobs)
		for i := range revs {
			select {
			case s.slots <- struct{}{}:
			case <-s.quit:
				return
			}
			select {
			case jobs <- i:
			case <-s.quit:
				return
			}
		}
	})
	for range runtime.GOMAXPROCS(0) {
		s.wg.Go(func() {
			for i := range jobs {
				to, err := v.recipientFor(bodies[i])
				if err == nil {
					s.cts[i], s.ids[i], err = to.seal(revs[i], v.signer)
				}
				s.errs[i] = err
				close(s.done[i])
			}
		})
	}
	return s
}

// sealed waits for the envelope of revision i and returns it: its
// ciphertext and id, or why it could not be sealed. Take the envelopes
// in order; one taken before (its transaction was too big) is returned
// again until written frees it.
func (s *sealer) sealed(i int) ([]byte, envelope.ID, error) {
	if i == s.taken {
		<-s.done[i]
		<-s.slots
		s.taken++
	}
	return s.cts[i], s.ids[i], s.errs[i]
}

// written frees the envelopes of revisions start to end, now committed.
func (s *sealer) written(start, end int) { clear(s.cts[start:end]) }

// stop stops sealing and waits for the sealing goroutines to end.
func (s *sealer) stop() {
	close(s.quit)
	s.wg.Wait()
}

// writeRevision makes the next revision of record id by this device, seals
// it into an envelope and applies it, inside txn. cur is the record's
// current view, nil for a new record; b is nil for a delete.
func (v *Vault) writeRevision(txn *badger.Txn, id string, k record.Kind, op string, b record.Body, body []byte, cur *Record) (*Record, error) {
	if b != nil {
		if err := checkTerms(txn, b); err != nil {
			return nil, err
		}
	}
	rev, err := v.newRevision(txn, id, k, op, body, cur)
	if err != nil {
		return nil, err
	}
	to := v.teamAddress()
	if b != nil {
		if to, err = v.recipientFor(b); err != nil {
			return nil, err
		}
	}
	ct, envID, err := to.seal(rev, v.signer)
	if err != nil {
		return nil, err
	}
	if err := v.markIfPrivate(txn, b, rev); err != nil {
		return nil, err
	}
	return v.applyOwn(txn, &envelope.Opened{ID: envID, Revision: *rev}, ct, cur)
}

// applyOwn applies a revision this device wrote and, in a team, queues it
// for the relay.
func (v *Vault) applyOwn(txn *badger.Txn, o *envelope.Opened, ct []byte, cur *Record) (*Record, error) {
	r, err := v.apply(txn, o, ct, cur)
	if err != nil || v.team != teamMember {
		return r, err
	}
	if err := queueAttachment(txn, pfxBlobUp, r, cur); err != nil {
		return nil, err
	}
	return r, queue(txn, o.ID.String())
}

// queueAttachment queues the file of a new attachment record for upload
// or download.
func queueAttachment(txn *badger.Txn, prefix string, r, cur *Record) error {
	if r.Kind != record.KindAttachment || cur != nil || r.Deleted {
		return nil
	}
	a, err := attachmentOf(r.Body)
	if err != nil {
		return err
	}
	return queueBlob(txn, prefix, a)
}

// newRevision builds the next revision of record id by this device.
func (v *Vault) newRevision(txn *badger.Txn, id string, k record.Kind, op string, body []byte, cur *Record) (*envelope.Revision, error) {
	author := v.DeviceKey()
	var last uint64
	if _, err := getJSON(txn, key(pfxSeq, hex.EncodeToString(author)), &last); err != nil {
		return nil, err
	}
	team, err := teamName(txn)
	if err != nil {
		return nil, err
	}
	rev := &envelope.Revision{
		Team:   team,
		Record: id,
		ID:     NewID(),
		Author: author,
		Seq:    last + 1,
		Time:   v.clock.Now(),
		Kind:   string(k),
		Schema: record.SchemaVersion,
		Op:     op,
		Body:   body,
	}
	if cur != nil {
		rev.Parents = slices.Clone(cur.Heads)
	}
	return rev, nil
}

// checkTerms verifies that every vocabulary code in b is built in or was
// added by a Term record.
func checkTerms(txn *badger.Txn, b record.Body) error {
	for _, ref := range b.Terms() {
		if _, ok := record.BuiltinTerm(ref.Vocab, ref.Code); ok {
			continue
		}
		_, err := txn.Get(key(pfxTerm, ref.Vocab, "/", ref.Code))
		if errors.Is(err, badger.ErrKeyNotFound) {
			return &record.FieldError{Kind: b.Kind(), Field: ref.Field,
				Problem: fmt.Sprintf("%q is not a code of vocabulary %q", ref.Code, ref.Vocab)}
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// apply stores a verified revision and updates the record's view and
// indexes. cur is the record's current view, nil for a new record.
func (v *Vault) apply(txn *badger.Txn, o *envelope.Opened, ct []byte, cur *Record) (*Record, error) {
	rev := &o.Revision
	r := &Record{ID: rev.Record, Kind: record.Kind(rev.Kind), Created: rev.Time}
	if cur != nil {
		// Work on a copy: callers compare the result with cur.
		*r = *cur
		r.Heads = slices.Clone(cur.Heads)
	}
	r.Heads = append(slices.DeleteFunc(r.Heads, func(h string) bool { return slices.Contains(rev.Parents, h) }), rev.ID)
	r.Revisions++
	if rev.Time.Compare(r.Updated) > 0 {
		r.Updated = rev.Time
	}

	switch rev.Op {
	case envelope.OpDelete:
		if err := dropRevisions(txn, r.ID); err != nil {
			return nil, err
		}
		if err := v.dropIndexes(txn, r); err != nil {
			return nil, err
		}
		r.Body, r.Heads, r.Revisions, r.Deleted = nil, []string{rev.ID}, 1, true
	default:
		r.Body, r.Schema, r.Conflict = rev.Body, rev.Schema, len(r.Heads) > 1
		if rev.Op == envelope.OpSeal {
			sum := sha256.Sum256(rev.Body)
			r.Sealed, r.SealHash = true, hex.EncodeToString(sum[:])
		}
		if err := v.setIndexes(txn, r); err != nil {
			return nil, err
		}
	}
	if err := storeRevision(txn, o, ct); err != nil {
		return nil, err
	}
	if err := setJSON(txn, key(pfxRecord, r.ID), r); err != nil {
		return nil, err
	}
	return r, nil
}

// setIndexes writes the list entries (summary and links, see lists.go),
// the kind-specific indexes and the search entry of a live record.
func (v *Vault) setIndexes(txn *badger.Txn, r *Record) error {
	s := Summary{ID: r.ID, Kind: r.Kind, Updated: r.Updated, Sealed: r.Sealed, Conflict: r.Conflict}
	var body record.Body
	if r.Schema > record.SchemaVersion {
		if err := v.unindex(r.ID); err != nil {
			return err
		}
	} else {
		var err error
		if body, err = record.Decode(r.Kind, r.Body); err != nil {
			return fmt.Errorf("%w: %w", envelope.ErrMalformed, err)
		}
		if v.search != nil {
			if err := v.search.Put(r.ID, body); err != nil {
				return err
			}
		}
		switch b := body.(type) {
		case *record.Term:
			if err := txn.Set(key(pfxTerm, b.Vocab, "/", b.Code), []byte(r.ID)); err != nil {
				return err
			}
		case *record.Testimony:
			if b.Amends != "" {
				if err := txn.Set(key(pfxAmend, b.Amends, "/", r.ID), nil); err != nil {
					return err
				}
			}
		}
	}
	summarize(&s, body)
	if err := setLinks(txn, r.ID, r.Kind, body); err != nil {
		return err
	}
	if _, err := txn.Get(summaryKey(r.Kind, r.ID)); errors.Is(err, badger.ErrKeyNotFound) {
		if err := addCount(txn, r.Kind, 1); err != nil {
			return err
		}
	} else if err != nil {
		return err
	}
	return txn.Set(summaryKey(r.Kind, r.ID), appendSummary(nil, &s))
}

// dropIndexes removes what setIndexes wrote for a record being deleted.
func (v *Vault) dropIndexes(txn *badger.Txn, r *Record) error {
	if err := v.hide(txn, r); err != nil {
		return err
	}
	if r.Body == nil || r.Schema > record.SchemaVersion {
		return nil
	}
	body, err := record.Decode(r.Kind, r.Body)
	if err != nil {
		return nil // nothing indexed for an undecodable body
	}
	switch b := body.(type) {
	case *record.Term:
		return txn.Delete(key(pfxTerm, b.Vocab, "/", b.Code))
	case *record.Testimony:
		if b.Amends != "" {
			return txn.Delete(key(pfxAmend, b.Amends, "/", r.ID))
		}
	case *record.Attachment:
		if err := txn.Delete(key(pfxBlobUp, b.Blob)); err != nil {
			return err
		}
		return txn.Delete(key(pfxBlobNeed, b.Blob))
	}
	return nil
}

// dropRevisions deletes every stored revision of a record and its envelope.
func dropRevisions(txn *badger.Txn, id string) error {
	infos, err := revisionInfos(txn, id)
	if err != nil {
		return err
	}
	for _, info := range infos {
		if err := txn.Delete(key(pfxEnvelope, info.Envelope)); err != nil {
			return err
		}
		if err := txn.Delete(key(pfxRevision, id, "/", info.ID)); err != nil {
			return err
		}
	}
	return nil
}

func loadRecord(txn *badger.Txn, id string) (*Record, error) {
	var r Record
	found, err := getJSON(txn, key(pfxRecord, id), &r)
	if err != nil || !found {
		return nil, err
	}
	return &r, nil
}

func revisionInfos(txn *badger.Txn, id string) ([]RevisionInfo, error) {
	prefix := key(pfxRevision, id, "/")
	it := txn.NewIterator(badger.IteratorOptions{Prefix: prefix, PrefetchValues: true, PrefetchSize: 16})
	defer it.Close()
	var infos []RevisionInfo
	for it.Rewind(); it.Valid(); it.Next() {
		var info RevisionInfo
		if err := it.Item().Value(func(b []byte) error { return json.Unmarshal(b, &info) }); err != nil {
			return nil, fmt.Errorf("%w: revision entry: %w", ErrDamaged, err)
		}
		infos = append(infos, info)
	}
	sort.Slice(infos, func(i, j int) bool { return infos[i].Time.Compare(infos[j].Time) < 0 })
	return infos, nil
}

// Get returns the record with the given id, deleted ones included.
func (v *Vault) Get(id string) (*Record, error) {
	var r *Record
	err := v.view(func(txn *badger.Txn) error {
		var err error
		r, err = loadRecord(txn, id)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("read record %s: %w", id, err)
	}
	if r == nil {
		return nil, fmt.Errorf("record %s: %w", id, ErrNotFound)
	}
	return r, nil
}

// Resolve returns the id of the one record whose id starts with prefix, so
// that people can type the first few characters of an id.
func (v *Vault) Resolve(prefix string) (string, error) {
	prefix = strings.ToLower(strings.TrimSpace(prefix))
	if prefix == "" {
		return "", errors.New("the record id is empty")
	}
	var matches []string
	err := v.view(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: key(pfxRecord, prefix)})
		defer it.Close()
		for it.Rewind(); it.Valid() && len(matches) < 2; it.Next() {
			matches = append(matches, strings.TrimPrefix(string(it.Item().Key()), pfxRecord))
		}
		return nil
	})
	switch {
	case err != nil:
		return "", fmt.Errorf("find record %s: %w", prefix, err)
	case len(matches) == 0:
		return "", fmt.Errorf("record %s: %w", prefix, ErrNotFound)
	case len(matches) > 1:
		return "", fmt.Errorf("record %s: %w; type more of it", prefix, ErrAmbiguous)
	}
	return matches[0], nil
}

// History returns every stored revision of a record, oldest first, each
// decrypted and verified again. After a delete only the tombstone remains.
func (v *Vault) History(id string) ([]HistoryEntry, error) {
	var out []HistoryEntry
	err := v.view(func(txn *badger.Txn) error {
		infos, err := revisionInfos(txn, id)
		if err != nil {
			return err
		}
		if len(infos) == 0 {
			return ErrNotFound
		}
		for _, info := range infos {
			item, err := txn.Get(key(pfxEnvelope, info.Envelope))
			if err != nil {
				return fmt.Errorf("envelope of revision %s: %w", info.ID, err)
			}
			ct, err := item.ValueCopy(nil)
			if err != nil {
				return err
			}
			o, err := envelope.Open(ct, v.identities()...)
			if err != nil {
				return fmt.Errorf("revision %s: %w", info.ID, err)
			}
			if o.ID.String() != info.Envelope || o.Revision.ID != info.ID {
				return fmt.Errorf("revision %s: %w", info.ID, ErrIntegrity)
			}
			out = append(out, HistoryEntry{RevisionInfo: info, Body: o.Revision.Body})
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("history of %s: %w", id, err)
	}
	return out, nil
}

// Amendments returns the ids of the testimonies that amend testimony id.
func (v *Vault) Amendments(id string) ([]string, error) {
	var ids []string
	err := v.view(func(txn *badger.Txn) error {
		prefix := key(pfxAmend, id, "/")
		it := txn.NewIterator(badger.IteratorOptions{Prefix: prefix})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			ids = append(ids, strings.TrimPrefix(string(it.Item().Key()), string(prefix)))
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("amendments of %s: %w", id, err)
	}
	return ids, nil
}

// Term looks up a vocabulary code: the team's own Term records first, then
// the built-in vocabularies.
func (v *Vault) Term(vocab, code string) (record.Term, bool, error) {
	var id string
	err := v.view(func(txn *badger.Txn) error {
		item, err := txn.Get(key(pfxTerm, vocab, "/", code))
		if errors.Is(err, badger.ErrKeyNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		b, err := item.ValueCopy(nil)
		id = string(b)
		return err
	})
	if err != nil {
		return record.Term{}, false, fmt.Errorf("look up %s/%s: %w", vocab, code, err)
	}
	if id != "" {
		r, err := v.Get(id)
		if err != nil {
			return record.Term{}, false, err
		}
		var t record.Term
		if err := json.Unmarshal(r.Body, &t); err != nil {
			return record.Term{}, false, fmt.Errorf("%w: term %s: %w", ErrDamaged, id, err)
		}
		return t, true, nil
	}
	t, ok := record.BuiltinTerm(vocab, code)
	return t, ok, nil
}

// Fingerprint returns a short, human-comparable form of a device key.
func Fingerprint(k ed25519.PublicKey) string {
	sum := sha256.Sum256(k)
	return hex.EncodeToString(sum[:6])
}

// Envelopes calls fn with the ciphertext of every stored envelope, for
// export and sync. fn must not keep ct after it returns.
func (v *Vault) Envelopes(fn func(id string, ct []byte) error) error {
	return v.view(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: []byte(pfxEnvelope), PrefetchValues: true, PrefetchSize: 16})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			id := strings.TrimPrefix(string(it.Item().Key()), pfxEnvelope)
			if err := it.Item().Value(func(ct []byte) error { return fn(id, ct) }); err != nil {
				return err
			}
		}
		return nil
	})
}
