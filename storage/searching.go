package storage

import (
	"errors"
	"fmt"
	"iter"
	"strings"

	"github.com/dgraph-io/badger/v4"

	"github.com/letapis/letapis/storage/record"
	"github.com/letapis/letapis/storage/search"
)

// The search index (package search) keeps one entry per record inside the
// encrypted store and its searchable structures in memory. Every write
// transaction that applies records carries a search batch: its entries
// are written in the transaction, and the in-memory index changes only
// once the transaction has committed.

// loadIndex opens the search index at unlock, rebuilding it from the
// records if it is missing or damaged. A vault unlocked read-only on a
// nearly full disk cannot rebuild, and has no search.
func (v *Vault) loadIndex() error {
	err := v.db.View(func(txn *badger.Txn) error {
		var err error
		v.index, err = search.Open(search.TxnKV(txn))
		return err
	})
	if err == nil || v.readOnly {
		if err != nil {
			v.opts.Logger.Warn("search is unavailable until the vault is unlocked with more free disk space")
		}
		return nil
	}
	if !errors.Is(err, search.ErrNeedsRebuild) {
		v.opts.Logger.Warn("the search index is damaged; rebuilding it from the records")
	}
	update := func(fn func(search.KV) error) error {
		return v.db.Update(func(txn *badger.Txn) error { return fn(search.TxnKV(txn)) })
	}
	v.index, err = search.Rebuild(update, v.indexable())
	return err
}

// indexable yields every live record this version can read.
func (v *Vault) indexable() iter.Seq2[search.Doc, error] {
	return func(yield func(search.Doc, error) bool) {
		var docs []search.Doc
		err := v.db.View(func(txn *badger.Txn) error {
			it := txn.NewIterator(badger.IteratorOptions{Prefix: []byte(pfxKind)})
			defer it.Close()
			for it.Rewind(); it.Valid(); it.Next() {
				k := string(it.Item().Key())
				id := k[strings.LastIndexByte(k, '/')+1:]
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
		if err != nil {
			yield(search.Doc{}, err)
			return
		}
		for _, d := range docs {
			if !yield(d, nil) {
				return
			}
		}
	}
}

// writeRecords runs fn in a durable write transaction that may apply
// records, with a search batch; the batch reaches the in-memory index only
// if the transaction commits. The caller holds v.mu exclusively.
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
// a snippet of the record's text around the words found.
func (v *Vault) Search(q search.Query) ([]search.Hit, error) {
	v.mu.RLock()
	ix := v.index
	v.mu.RUnlock()
	if ix == nil {
		if v.db == nil {
			return nil, fmt.Errorf("search: %w", ErrLocked)
		}
		return nil, errors.New("search is unavailable: the vault was unlocked read-only on a nearly full disk")
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
