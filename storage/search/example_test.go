package search_test

import (
	"fmt"

	"github.com/dgraph-io/badger/v4"

	"github.com/letapis/letapis/storage/record"
	"github.com/letapis/letapis/storage/search"
)

// The life of an index in a vault: built (or opened) at unlock, changed in
// the transactions that save records, searched from the search box.
func Example() {
	db, err := badger.Open(badger.DefaultOptions("").WithInMemory(true).WithLogger(nil))
	if err != nil {
		panic(err)
	}
	defer db.Close()
	update := func(fn func(search.KV) error) error {
		return db.Update(func(txn *badger.Txn) error { return fn(search.TxnKV(txn)) })
	}

	// At unlock: Open, and Rebuild from the records if Open asks for it.
	records := func(yield func(search.Doc, error) bool) {
		yield(search.Doc{ID: "p1", Body: &record.Person{Names: []record.Name{
			{Given: "Вольга", Family: "Жыгалава"}, {Given: "Ольга", Family: "Жигалова"}}}}, nil)
	}
	ix, err := search.Rebuild(update, records)
	if err != nil {
		panic(err)
	}

	// A save: the entry is written in the save's transaction, and the
	// index in memory changes once that transaction committed.
	var b *search.Batch
	err = db.Update(func(txn *badger.Txn) error {
		b = ix.Begin(search.TxnKV(txn))
		return b.Put("t1", &record.Testimony{Interviewee: "Сведка", Text: "Яе катавалі ў ШІЗА."})
	})
	if err != nil {
		panic(err)
	}
	b.Commit()

	for _, q := range []string{"Zhigalova", "Volha Zhyhalava", "Żygałowa", "O. Zhigalova", "катав"} {
		hits, err := ix.Search(search.Query{Text: q})
		if err != nil {
			panic(err)
		}
		fmt.Printf("%-16s → %s %s %q\n", q, hits[0].Kind, hits[0].ID, hits[0].Match)
	}
	// Output:
	// Zhigalova        → person p1 "Вольга Жыгалава"
	// Volha Zhyhalava  → person p1 "Вольга Жыгалава"
	// Żygałowa         → person p1 "Вольга Жыгалава"
	// O. Zhigalova     → person p1 "Вольга Жыгалава"
	// катав            → testimony t1 "катавали"
}
