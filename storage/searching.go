package storage

import (
	"bytes"
	"errors"
	"fmt"
	"iter"
	"time"

	"github.com/dgraph-io/badger/v4"

	"github.com/letapis/letapis/storage/record"
	"github.com/letapis/letapis/storage/search"
)

// The search index (package search) keeps one entry per record inside the
// encrypted store and its searchable structures in memory. Every write
// transaction that applies records carries a search batch: its entries
// are written in the transaction, and the in-memory index changes only
// once the transaction has committed.
//
// Loading the index takes about a second for 100,000 people, and a
// rebuild minutes, so unlock does not wait for it: startIndex loads it in
// the background. On two cores the load would slow the first list down,
// so it starts once a list has been read (or indexStartDelay after unlock,
// or as soon as something needs it). Search waits until it is ready; so do
// writes of records and purges, because a write must reach the index and
// a purge replaces the store under it; Close stops the load.

// indexStartDelay is when the index starts loading if no list was read.
const indexStartDelay = 5 * time.Second

// errLocking stops a background index load when the vault is locked.
var errLocking = errors.New("the vault is being locked")

// startIndex starts loading the search index in the background, once;
// indexReady is closed when it is done.
func (v *Vault) startIndex() {
	v.indexStart.Do(func() {
		go func() {
			defer close(v.indexReady)
			if err := v.loadIndex(); err != nil {
				v.indexErr = err
				if !errors.Is(err, errLocking) {
					v.opts.Logger.Error("the search index could not be loaded", "err", err)
				}
			}
		}()
	})
}

// loadIndex opens the search index, rebuilding it from the records if it
// is missing or damaged. A vault unlocked read-only on a nearly full disk
// cannot rebuild, and has no search. It sets v.index before indexReady is
// closed, and nothing else writes v.index until then.
func (v *Vault) loadIndex() error {
	err := v.db.View(func(txn *badger.Txn) error {
		var err error
		v.index, err = search.Open(stoppable{search.TxnKV(txn), v})
		return err
	})
	if err == nil || errors.Is(err, errLocking) {
		return err
	}
	if v.readOnly {
		return errors.New("search is unavailable: the vault was unlocked read-only on a nearly full disk")
	}
	if !errors.Is(err, search.ErrNeedsRebuild) {
		v.opts.Logger.Warn("the search index is damaged; rebuilding it from the records")
	}
	update := func(fn func(search.KV) error) error {
		if v.locking.Load() {
			return errLocking
		}
		return v.db.Update(func(txn *badger.Txn) error { return fn(search.TxnKV(txn)) })
	}
	v.index, err = search.Rebuild(update, v.indexable())
	return err
}

// waitIndex starts the background load of the search index if need be
// and waits until it has finished (or stopped, when the vault is being
// locked). Writers call it before they take v.mu, so that lists are not
// held up meanwhile.
func (v *Vault) waitIndex() {
	v.startIndex()
	<-v.indexReady
}

// stoppable is a search.KV whose iterations stop once the vault is being
// locked.
type stoppable struct {
	search.KV
	v *Vault
}

func (s stoppable) Iterate(prefix []byte, fn func(k, v []byte) error) error {
	return s.KV.Iterate(prefix, func(k, val []byte) error {
		if s.v.locking.Load() {
			return errLocking
		}
		return fn(k, val)
	})
}

// indexable yields every live record this version can read. It reads
// the record ids first, then the records indexableChunk at a time, each
// chunk in its own read transaction, so that a rebuild holds a chunk of
// decoded bodies at a time rather than every record of the vault (writers
// wait for the index, so the records do not change meanwhile).
func (v *Vault) indexable() iter.Seq2[search.Doc, error] {
	return func(yield func(search.Doc, error) bool) {
		var ids []string
		err := v.db.View(func(txn *badger.Txn) error {
			it := txn.NewIterator(badger.IteratorOptions{Prefix: []byte(pfxKind)})
			defer it.Close()
			for it.Rewind(); it.Valid(); it.Next() {
				if v.locking.Load() {
					return errLocking
				}
				k := it.Item().Key()
				ids = append(ids, string(k[bytes.LastIndexByte(k, '/')+1:]))
			}
			return nil
		})
		for len(ids) > 0 && err == nil {
			chunk := ids[:min(len(ids), indexableChunk)]
			ids = ids[len(chunk):]
			var docs []search.Doc
			err = v.db.View(func(txn *badger.Txn) error {
				for _, id := range chunk {
					if v.locking.Load() {
						return errLocking
					}
					r, err := loadRecord(txn, id)
					if err != nil || r == nil || r.Deleted || r.Schema > record.SchemaVersion {
						if err != nil {
							return err
						}
						continue
					}
					body, err := record.Decode(r.Kind, r.Body)
					if err != nil {
						continue // not indexable; the record itself is reported when read
					}
					docs = append(docs, search.Doc{ID: id, Body: body})
				}
				return nil
			})
			for _, d := range docs {
				if err == nil && !yield(d, nil) {
					return
				}
			}
		}
		if err != nil {
			yield(search.Doc{}, err)
		}
	}
}

// indexableChunk is how many records indexable reads in one transaction.
const indexableChunk = 1024

// writeRecords runs fn in a durable write transaction that may apply
// records, with a search batch; the batch reaches the in-memory index only
// if the transaction commits. The caller holds v.mu exclusively, and
// waited for the index to be loaded before taking it (waitIndex).
func (v *Vault) writeRecords(fn func(txn *badger.Txn) error) error {
	var batch *search.Batch
	err := v.db.Update(func(txn *badger.Txn) error {
		if v.index != nil {
			batch = v.index.Begin(search.TxnKV(txn))
		}
		v.search = batch
		defer func() { v.search = nil }()
		return fn(txn)
	})
	if err == nil && batch != nil {
		batch.Commit()
	}
	return err
}

// unindex removes a record from the search index in the current batch.
func (v *Vault) unindex(id string) error {
	if v.search == nil {
		return nil
	}
	return v.search.Delete(id)
}

// Search finds records: people by any spelling of their names, and any
// record by the words of its text, best first. For text matches, Match is
// a snippet of the record's text around the words found. Just after
// unlock, Search waits until the index is loaded.
func (v *Vault) Search(q search.Query) ([]search.Hit, error) {
	v.waitIndex()
	v.mu.RLock()
	ix, err := v.index, v.indexErr
	v.mu.RUnlock()
	if ix == nil {
		return nil, fmt.Errorf("search: %w", err)
	}
	hits, err := ix.Search(q)
	if err != nil {
		return nil, err
	}
	for i := range hits {
		if len(hits[i].Terms) == 0 || hits[i].Kind == record.KindPerson {
			continue
		}
		r, err := v.Get(hits[i].ID)
		if err != nil {
			continue
		}
		if body, err := r.Decode(); err == nil {
			if text := textOf(body); text != "" {
				hits[i].Match = search.Snippet(text, hits[i].Terms, 120)
			}
		}
	}
	return hits, nil
}

// textOf returns a record's main text, for snippets.
func textOf(b record.Body) string {
	switch b := b.(type) {
	case *record.Testimony:
		return b.Text
	case *record.Note:
		return b.Text
	case *record.Incident:
		return b.Description
	}
	return ""
}
