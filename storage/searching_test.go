package storage

import (
	"fmt"
	"testing"

	"github.com/dgraph-io/badger/v4"

	"github.com/letapis/letapis/storage/record"
	"github.com/letapis/letapis/storage/search"
)

func TestSearchFindsAnySpellingAndFollowsChanges(t *testing.T) {
	v := newVault(t)
	p := mustAdd(t, v, &record.Person{Names: []record.Name{{Given: "Святлана", Family: "Калеснікава", Script: "be-cyrl"}}})
	mustAdd(t, v, &record.Person{Names: []record.Name{{Given: "Ігар", Family: "Лосік"}}})
	n := mustAdd(t, v, &record.Note{About: p.ID, Text: "Яе катавалі ў ШІЗА некалькі тыдняў."})

	find := func(v *Vault, q string) []search.Hit {
		t.Helper()
		hits, err := v.Search(search.Query{Text: q})
		if err != nil {
			t.Fatalf("Search(%q): %v", q, err)
		}
		return hits
	}
	for _, q := range []string{"Kolesnikova", "Калеснікава", "Kalesnikava", "Колесникова Светлана", "S. Kalesnikava"} {
		if hits := find(v, q); len(hits) == 0 || hits[0].ID != p.ID {
			t.Errorf("%q: hits %+v, want the person first", q, hits)
		}
	}
	if hits := find(v, "катав"); len(hits) != 1 || hits[0].ID != n.ID || hits[0].Match == "" {
		t.Fatalf("text search: %+v", hits)
	}

	if err := v.Delete(n.ID); err != nil {
		t.Fatal(err)
	}
	if hits := find(v, "катав"); len(hits) != 0 {
		t.Fatalf("deleted note still found: %+v", hits)
	}

	// The index survives locking, and is rebuilt when it is damaged.
	v = reopen(t, v)
	if hits := find(v, "Kolesnikova"); len(hits) == 0 || hits[0].ID != p.ID {
		t.Fatalf("after unlocking again: %+v", hits)
	}
	v.db.Update(func(txn *badger.Txn) error { return txn.Delete([]byte("idx/meta")) })
	v = reopen(t, v)
	if hits := find(v, "Kalesnikava"); len(hits) == 0 || hits[0].ID != p.ID {
		t.Fatalf("after a rebuild: %+v", hits)
	}
}

// TestRebuildReadsEveryChunk rebuilds the index of a vault with more
// records than indexable reads in one transaction, and finds the first
// and the last of them.
func TestRebuildReadsEveryChunk(t *testing.T) {
	v := newVault(t)
	bodies := make([]record.Body, indexableChunk+10)
	for i := range bodies {
		bodies[i] = &record.Note{Text: fmt.Sprintf("нататка нумар%d", i)}
	}
	saved, err := v.Import(bodies)
	if err != nil {
		t.Fatal(err)
	}
	v.db.Update(func(txn *badger.Txn) error { return txn.Delete([]byte("idx/meta")) })
	v = reopen(t, v)
	for _, i := range []int{0, len(bodies) - 1} {
		hits, err := v.Search(search.Query{Text: fmt.Sprintf("нумар%d", i)})
		if err != nil || len(hits) != 1 || hits[0].ID != saved[i].ID {
			t.Errorf("note %d after the rebuild: %+v, %v", i, hits, err)
		}
	}
	if n := v.index.Len(); n != len(bodies) {
		t.Errorf("the rebuilt index holds %d records, want %d", n, len(bodies))
	}
}
