package search

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"iter"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/letapis/letapis/storage/record"
)

// Index is the search index of an unlocked vault, held in memory and
// mirrored in the store: Open loads it, a Batch changes both, Rebuild makes
// both anew from the records. It is safe for concurrent use; searches run
// in parallel with each other and wait for a Batch to commit.
type Index struct {
	mu sync.RWMutex
	// docs holds the indexed records by document number, in the order
	// they were added. A record changed or removed leaves a dead document
	// behind until compact renumbers.
	docs  []doc
	byID  map[string]uint32 // live documents by record id
	dead  int
	names nameIndex
	text  textIndex
	// strs interns the short strings that many documents repeat (codes).
	strs map[string]string
}

// doc is what a search needs of an indexed record besides its postings.
type doc struct {
	id     string
	kind   record.Kind
	live   bool
	lo, hi uint32 // see entry
	status string
	types  []string
	places []string
	// names packs a person's spellings (see packNames); initials holds the
	// initial classes of the given names and of the patronymics.
	names    string
	initials [2]uint32
}

// Doc is one record to index: its id and current body. A nil Body means
// the record has nothing to index (deleted, or written by a newer schema).
type Doc struct {
	ID   string
	Body record.Body
}

func newIndex() *Index {
	return &Index{
		byID:  make(map[string]uint32),
		names: newNameIndex(),
		text:  textIndex{words: newLexicon()},
		strs:  make(map[string]string),
	}
}

// Len returns the number of indexed records. A vault can compare it with
// its own count of live records to notice an index that missed changes.
func (ix *Index) Len() int {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	return len(ix.byID)
}

// add indexes e as record id's new document. The caller holds mu for
// writing and has removed any earlier version.
func (ix *Index) add(id string, e *entry) {
	n := uint32(len(ix.docs))
	d := doc{
		id:     id,
		kind:   record.Kind(ix.intern(string(e.kind))),
		live:   true,
		lo:     e.lo,
		hi:     e.hi,
		status: ix.intern(e.status),
		places: e.places,
	}
	if len(e.types) > 0 {
		d.types = make([]string, len(e.types))
		for i, t := range e.types {
			d.types[i] = ix.intern(t)
		}
	}
	if len(e.names) > 0 {
		d.names = packNames(e.names)
		d.initials = ix.names.add(n, e.names)
	}
	ix.text.add(n, e)
	ix.docs = append(ix.docs, d)
	ix.byID[id] = n
}

// slotTables recycles the tables that map document numbers to a search's
// candidates (see getSlots).
var slotTables sync.Pool

// getSlots returns a table of zeros with an entry per document. Give it
// back with putSlots after setting every entry used back to zero.
func (ix *Index) getSlots() []int32 {
	if p, ok := slotTables.Get().(*[]int32); ok && cap(*p) >= len(ix.docs) {
		return (*p)[:len(ix.docs)]
	}
	return make([]int32, len(ix.docs))
}

func putSlots(s []int32) { slotTables.Put(&s) }

// intern returns the copy of s that the index already holds, if any, so
// that documents share their codes.
func (ix *Index) intern(s string) string {
	if t, ok := ix.strs[s]; ok {
		return t
	}
	ix.strs[s] = s
	return s
}

// remove marks record id's document dead. The caller holds mu for writing.
func (ix *Index) remove(id string) {
	n, ok := ix.byID[id]
	if !ok {
		return
	}
	delete(ix.byID, id)
	ix.docs[n] = doc{}
	ix.dead++
}

// Dead documents are renumbered away once they are at least minDead and a
// quarter of all documents, so that the cost is spread over many changes.
const minDead = 1024

// settle finishes a round of changes: it sorts the new dictionary entries
// in and compacts when enough documents are dead. The caller holds mu for
// writing.
func (ix *Index) settle() {
	if ix.dead >= minDead && ix.dead*4 >= len(ix.docs) {
		ix.compact()
	}
	ix.names.keys.settle()
	ix.text.words.settle()
}

// compact drops dead documents and renumbers the live ones in order, so
// that every postings list stays sorted.
func (ix *Index) compact() {
	renumber := make([]uint32, len(ix.docs)) // new number + 1; 0 for dead
	live := ix.docs[:0]
	for i, d := range ix.docs {
		if !d.live {
			continue
		}
		live = append(live, d)
		renumber[i] = uint32(len(live))
		ix.byID[d.id] = uint32(len(live) - 1)
	}
	clear(ix.docs[len(live):])
	ix.docs, ix.dead = live, 0
	f := func(n uint32) (uint32, bool) { m := renumber[n]; return m - 1, m != 0 }
	ix.names.remap(f)
	ix.text.remap(f)
}

// metaValue is what metaKey holds once the index is complete.
func metaValue() []byte { return binary.AppendUvarint(nil, formatVersion) }

// Open loads the index kept in kv, which must be a consistent snapshot
// (one read transaction). It fails with an error wrapping ErrNeedsRebuild
// when there is no complete index, when it was written by another format
// version, or when an entry does not decode; call Rebuild then.
func Open(kv KV) (*Index, error) {
	v, err := kv.Get([]byte(metaKey))
	switch {
	case errors.Is(err, ErrNoKey):
		return nil, fmt.Errorf("open search index: %w (none is stored, or its last rebuild did not finish)", ErrNeedsRebuild)
	case err != nil:
		return nil, fmt.Errorf("open search index: %w", err)
	case !bytes.Equal(v, metaValue()):
		return nil, fmt.Errorf("open search index: %w (stored format %x, this version writes %x)", ErrNeedsRebuild, v, metaValue())
	}
	// One goroutine reads and decodes while this one builds.
	ix := newIndex()
	batches := make(chan []loaded, 4)
	var readErr error
	go func() {
		defer close(batches)
		var batch []loaded
		readErr = kv.Iterate([]byte(docPrefix), func(k, v []byte) error {
			e, err := decodeEntry(v)
			if err != nil {
				return fmt.Errorf("%w: %s: %w", ErrNeedsRebuild, k, err)
			}
			e.words = bytes.Clone(e.words) // v is only lent
			if batch = append(batch, loaded{id: string(k[len(docPrefix):]), e: e}); len(batch) == loadBatch {
				batches <- batch
				batch = nil
			}
			return nil
		})
		if readErr == nil && len(batch) > 0 {
			batches <- batch
		}
	}()
	for batch := range batches {
		for _, l := range batch {
			ix.add(l.id, l.e)
		}
	}
	if readErr != nil {
		return nil, fmt.Errorf("open search index: %w", readErr)
	}
	ix.settle()
	return ix, nil
}

// loadBatch is how many entries Open's reader hands over at a time.
const loadBatch = 512

// loaded is an entry read by Open.
type loaded struct {
	id string
	e  *entry
}

// Rebuild makes a new index of docs, replacing the stored one, and
// returns it. update must run fn in a new writable transaction and commit
// it; Rebuild calls it many times, each with a bounded amount of data (the
// store's transactions are limited in size). No other writer may change
// the index until Rebuild returns. If Rebuild fails or is interrupted, the
// stored index stays incomplete and Open asks for another rebuild.
func Rebuild(update func(fn func(KV) error) error, docs iter.Seq2[Doc, error]) (*Index, error) {
	wrap := func(err error) error { return fmt.Errorf("rebuild search index: %w", err) }
	if err := update(func(kv KV) error { return kv.Delete([]byte(metaKey)) }); err != nil {
		return nil, wrap(err)
	}
	ix := newIndex()
	w := chunkWriter{update: update}
	batch := make([]Doc, 0, buildBatch)
	index := func() error {
		for i, e := range entriesOf(batch) {
			id := batch[i].ID
			ix.remove(id)
			ix.add(id, e.entry)
			if err := w.set(docKey(id), e.stored); err != nil {
				return err
			}
		}
		batch = batch[:0]
		return nil
	}
	for d, err := range docs {
		if err != nil {
			return nil, wrap(err)
		}
		if d.Body == nil {
			continue
		}
		if batch = append(batch, d); len(batch) == buildBatch {
			if err := index(); err != nil {
				return nil, wrap(err)
			}
		}
	}
	if err := index(); err != nil {
		return nil, wrap(err)
	}
	if err := w.flush(); err != nil {
		return nil, wrap(err)
	}
	if err := sweep(update, ix.byID); err != nil {
		return nil, wrap(err)
	}
	if err := update(func(kv KV) error { return kv.Set([]byte(metaKey), metaValue()) }); err != nil {
		return nil, wrap(err)
	}
	ix.settle()
	return ix, nil
}

// buildBatch is how many records Rebuild extracts entries from at a time,
// on every core.
const buildBatch = 256

// built is an entry and its stored form.
type built struct {
	entry  *entry
	stored []byte
}

// entriesOf extracts and encodes the entries of docs, spreading the work
// (mostly tokenizing text) over every core.
func entriesOf(docs []Doc) []built {
	out := make([]built, len(docs))
	var next atomic.Int64
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			for i := int(next.Add(1) - 1); i < len(docs); i = int(next.Add(1) - 1) {
				e := entryOf(docs[i].Body)
				out[i] = built{entry: e, stored: e.encode()}
			}
		})
	}
	wg.Wait()
	return out
}

// Limits of one transaction of Rebuild, well below Badger's default
// transaction limits.
const (
	chunkBytes = 512 << 10
	chunkKeys  = 2000
)

// chunkWriter collects writes and commits them in transactions of at most
// chunkBytes or chunkKeys.
type chunkWriter struct {
	update     func(fn func(KV) error) error
	keys, vals [][]byte
	size       int
}

func (w *chunkWriter) set(k, v []byte) error {
	w.keys, w.vals = append(w.keys, k), append(w.vals, v)
	w.size += len(k) + len(v)
	if w.size >= chunkBytes || len(w.keys) >= chunkKeys {
		return w.flush()
	}
	return nil
}

func (w *chunkWriter) flush() error {
	if len(w.keys) == 0 {
		return nil
	}
	err := w.update(func(kv KV) error {
		for i, k := range w.keys {
			if err := kv.Set(k, w.vals[i]); err != nil {
				return err
			}
		}
		return nil
	})
	w.keys, w.vals, w.size = w.keys[:0], w.vals[:0], 0
	return err
}

// errStop ends an iteration early.
var errStop = errors.New("stop")

// sweep deletes the stored entries of records that live does not hold, in
// transactions of at most chunkKeys deletions.
func sweep(update func(fn func(KV) error) error, live map[string]uint32) error {
	for {
		var stale [][]byte
		err := update(func(kv KV) error {
			stale = stale[:0]
			err := kv.Iterate([]byte(docPrefix), func(k, _ []byte) error {
				if _, ok := live[string(k[len(docPrefix):])]; !ok {
					stale = append(stale, bytes.Clone(k))
				}
				if len(stale) == chunkKeys {
					return errStop
				}
				return nil
			})
			if err != nil && !errors.Is(err, errStop) {
				return err
			}
			for _, k := range stale {
				if err := kv.Delete(k); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil || len(stale) < chunkKeys {
			return err
		}
	}
}

// Batch carries the index changes of one store transaction: Put and
// Delete write to the transaction at once, and Commit applies them to the
// in-memory index once the transaction has committed. A Batch whose
// transaction failed is simply dropped. Batches must be committed in the
// order of their transactions; a vault that serialises its writes does
// that by committing before it releases its write lock.
type Batch struct {
	ix      *Index
	kv      KV
	changes []change
}

// change is one Put (e set) or Delete (e nil) waiting for Commit.
type change struct {
	id string
	e  *entry
}

// Begin starts the changes of one store transaction, written through kv.
func (ix *Index) Begin(kv KV) *Batch { return &Batch{ix: ix, kv: kv} }

// Put indexes body as the current content of record id, replacing what
// was indexed for it before. A nil body removes the record, as Delete.
func (b *Batch) Put(id string, body record.Body) error {
	if body == nil {
		return b.Delete(id)
	}
	e := entryOf(body)
	if err := b.kv.Set(docKey(id), e.encode()); err != nil {
		return fmt.Errorf("index %s %s: %w", e.kind, id, err)
	}
	b.changes = append(b.changes, change{id: id, e: e})
	return nil
}

// Delete removes record id from the index. Deleting a record that is not
// indexed is not an error.
func (b *Batch) Delete(id string) error {
	if err := b.kv.Delete(docKey(id)); err != nil {
		return fmt.Errorf("unindex %s: %w", id, err)
	}
	b.changes = append(b.changes, change{id: id})
	return nil
}

// Commit applies the batch to the in-memory index. Call it after the store
// transaction committed, and only then.
func (b *Batch) Commit() {
	ix := b.ix
	ix.mu.Lock()
	defer ix.mu.Unlock()
	for _, c := range b.changes {
		ix.remove(c.id)
		if c.e != nil {
			ix.add(c.id, c.e)
		}
	}
	ix.settle()
	b.changes = nil
}
