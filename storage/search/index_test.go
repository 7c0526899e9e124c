package search

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/dgraph-io/badger/v4"

	"github.com/letapis/letapis/storage/record"
	"github.com/letapis/letapis/storage/synth"
)

// person returns a person with the spellings "Given|Patronymic|Family".
func person(status string, spellings ...string) *record.Person {
	p := plantedPerson(spellings)
	p.Status = status
	return p
}

// buildIndex indexes docs in a new memKV.
func buildIndex(t testing.TB, docs ...Doc) (*Index, *memKV) {
	t.Helper()
	kv := newMemKV()
	ix, err := Rebuild(kv.update, slicesSeq(docs))
	if err != nil {
		t.Fatal(err)
	}
	return ix, kv
}

func mustSearch(t testing.TB, ix *Index, q Query) []Hit {
	t.Helper()
	hits, err := ix.Search(q)
	if err != nil {
		t.Fatalf("search %+v: %v", q, err)
	}
	return hits
}

// found returns the ids of the hits of q.
func found(t testing.TB, ix *Index, q Query) []string {
	t.Helper()
	var ids []string
	for _, h := range mustSearch(t, ix, q) {
		ids = append(ids, h.ID)
	}
	return ids
}

// apply runs one batch of changes against kv and commits it.
func apply(t testing.TB, ix *Index, kv KV, change func(b *Batch) error) {
	t.Helper()
	b := ix.Begin(kv)
	if err := change(b); err != nil {
		t.Fatal(err)
	}
	b.Commit()
}

func TestBatchReplacesAndRemoves(t *testing.T) {
	ix, kv := buildIndex(t,
		Doc{"p1", person("convicted", "Алесь||Кавалёў", "Ales||Kavaliou")},
		Doc{"t1", &record.Testimony{Interviewee: "Сведка", Text: "Яго катавалі ў ШІЗА."}},
	)
	b := ix.Begin(kv)
	if err := b.Put("p1", person("released", "Вольга||Жукава")); err != nil {
		t.Fatal(err)
	}
	if err := b.Delete("t1"); err != nil {
		t.Fatal(err)
	}
	// Until Commit, the transaction's changes are not visible.
	if got := found(t, ix, Query{Text: "Kavaliou"}); !slices.Equal(got, []string{"p1"}) {
		t.Errorf("before Commit, Kavaliou finds %q", got)
	}
	b.Commit()
	for _, tt := range []struct {
		q    Query
		want []string
	}{
		{Query{Text: "Kavaliou"}, nil},
		{Query{Text: "Кавалёў"}, nil},
		{Query{Text: "Zhukava"}, []string{"p1"}},
		{Query{Status: "convicted"}, nil},
		{Query{Status: "released"}, []string{"p1"}},
		{Query{Text: "катав"}, nil},
	} {
		if got := found(t, ix, tt.q); !slices.Equal(got, tt.want) {
			t.Errorf("after Commit, %+v finds %q, want %q", tt.q, got, tt.want)
		}
	}
	if ix.Len() != 1 {
		t.Errorf("Len = %d, want 1", ix.Len())
	}
	if _, err := kv.Get(docKey("t1")); !errors.Is(err, ErrNoKey) {
		t.Errorf("the deleted record's entry is still stored: %v", err)
	}
	// The store holds the same index as memory.
	reopened, err := Open(kv)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{"Zhukava", "Kavaliou", "катав", "Вольга"} {
		if a, b := found(t, ix, Query{Text: q}), found(t, reopened, Query{Text: q}); !slices.Equal(a, b) {
			t.Errorf("%q: live index finds %q, reopened %q", q, a, b)
		}
	}
}

func TestDeleteMissing(t *testing.T) {
	ix, kv := buildIndex(t, Doc{"p1", person("", "Ян||Гнацюк")})
	apply(t, ix, kv, func(b *Batch) error { return b.Delete("nothing") })
	apply(t, ix, kv, func(b *Batch) error { return b.Put("p1", nil) }) // nil body: as Delete
	if ix.Len() != 0 {
		t.Errorf("Len = %d, want 0", ix.Len())
	}
}

func TestOpenNeedsRebuild(t *testing.T) {
	_, kv := buildIndex(t, Doc{"p1", person("", "Ян||Гнацюк")})
	if _, err := Open(kv); err != nil {
		t.Fatalf("a complete index does not open: %v", err)
	}
	damaged := func(change func(kv *memKV)) *memKV {
		c := newMemKV()
		for k, v := range kv.m {
			c.m[k] = v
		}
		change(c)
		return c
	}
	for name, kv := range map[string]*memKV{
		"empty store":     newMemKV(),
		"no meta":         damaged(func(kv *memKV) { delete(kv.m, metaKey) }),
		"other version":   damaged(func(kv *memKV) { kv.m[metaKey] = []byte{formatVersion + 1} }),
		"damaged entry":   damaged(func(kv *memKV) { kv.m[string(docKey("p1"))] = []byte{0xff} }),
		"truncated entry": damaged(func(kv *memKV) { v := kv.m[string(docKey("p1"))]; kv.m[string(docKey("p1"))] = v[:len(v)-1] }),
	} {
		if _, err := Open(kv); !errors.Is(err, ErrNeedsRebuild) {
			t.Errorf("%s: Open = %v, want ErrNeedsRebuild", name, err)
		}
	}
	storeErr := errors.New("disk on fire")
	if _, err := Open(failingKV{storeErr}); !errors.Is(err, storeErr) || errors.Is(err, ErrNeedsRebuild) {
		t.Errorf("store failure: Open = %v, want the store's error and not ErrNeedsRebuild", err)
	}
}

// failingKV fails every operation with err.
type failingKV struct{ err error }

func (f failingKV) Get([]byte) ([]byte, error)                          { return nil, f.err }
func (f failingKV) Set(_, _ []byte) error                               { return f.err }
func (f failingKV) Delete([]byte) error                                 { return f.err }
func (f failingKV) Iterate([]byte, func(key, value []byte) error) error { return f.err }

// TestRebuildInBadger rebuilds over a stale, damaged index in a real store,
// in more transactions than one, and checks that what Open then loads
// answers like what Rebuild returned.
func TestRebuildInBadger(t *testing.T) {
	db := newBadger(t)
	update := badgerUpdate(db)
	if err := update(func(kv KV) error {
		kv.Set(docKey("stale"), entryOf(person("", "Пётр||Сцяцкевіч")).encode())
		return kv.Set(docKey("damaged"), []byte("garbage"))
	}); err != nil {
		t.Fatal(err)
	}
	g := synth.New(9)
	var docs []Doc
	for i := range 2*chunkKeys + 7 {
		var b record.Body = g.Person()
		if i%10 == 0 {
			b = g.Note("")
		}
		docs = append(docs, Doc{ID: fmt.Sprintf("r%05d", i), Body: b})
	}
	docs = append(docs, Doc{ID: "gone", Body: nil}) // deleted: nothing to index
	ix, err := Rebuild(update, slicesSeq(docs))
	if err != nil {
		t.Fatal(err)
	}
	if ix.Len() != len(docs)-1 {
		t.Errorf("Len = %d, want %d", ix.Len(), len(docs)-1)
	}
	var opened *Index
	err = db.View(func(txn *badger.Txn) error {
		var err error
		opened, err = Open(TxnKV(txn))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if opened.Len() != ix.Len() {
		t.Errorf("opened Len = %d, rebuilt %d", opened.Len(), ix.Len())
	}
	for _, q := range []Query{{Text: "Сцяцкевіч"}, {Text: "Kazlou"}, {Text: "адвакат"}, {Kind: record.KindNote, Limit: 5}} {
		if a, b := found(t, ix, q), found(t, opened, q); !slices.Equal(a, b) {
			t.Errorf("%+v: rebuilt finds %q, opened %q", q, a, b)
		}
	}
	if got := found(t, opened, Query{Text: "Пётр Сцяцкевіч"}); slices.Contains(got, "stale") {
		t.Errorf("the stale entry survived the rebuild: %q", got)
	}
}

func TestRebuildFails(t *testing.T) {
	kv := newMemKV()
	if _, err := Rebuild(kv.update, slicesSeq([]Doc{{"p1", person("", "Ян||Гнацюк")}})); err != nil {
		t.Fatal(err)
	}
	broken := errors.New("cannot read records")
	docs := func(yield func(Doc, error) bool) {
		if yield(Doc{"p2", person("", "Ян||Шышко")}, nil) {
			yield(Doc{}, broken)
		}
	}
	if _, err := Rebuild(kv.update, docs); !errors.Is(err, broken) {
		t.Fatalf("Rebuild = %v, want the records' error", err)
	}
	if _, err := Open(kv); !errors.Is(err, ErrNeedsRebuild) {
		t.Errorf("after a failed rebuild, Open = %v, want ErrNeedsRebuild", err)
	}
	storeErr := errors.New("disk full")
	if _, err := Rebuild(failingKV{storeErr}.update, slicesSeq(nil)); !errors.Is(err, storeErr) {
		t.Errorf("Rebuild over a failing store = %v", err)
	}
}

func (f failingKV) update(fn func(KV) error) error { return fn(f) }

// TestCompaction changes most records again and again, so that dead
// documents are renumbered away, and checks the answers stay right.
func TestCompaction(t *testing.T) {
	const n = 1350 // two thirds fit in one search
	g := synth.New(4)
	var docs []Doc
	for i := range n {
		docs = append(docs, Doc{ID: fmt.Sprintf("p%04d", i), Body: g.Person()})
	}
	ix, kv := buildIndex(t, docs...)
	for round := range 3 {
		status := []string{"released", "exile", "convicted"}[round]
		apply(t, ix, kv, func(b *Batch) error {
			for _, d := range docs[:2*n/3] {
				p := *d.Body.(*record.Person)
				p.Status = status
				if err := b.Put(d.ID, &p); err != nil {
					return err
				}
			}
			return nil
		})
		if got := len(found(t, ix, Query{Status: status, Limit: MaxLimit})); got < 2*n/3 {
			t.Errorf("round %d: %d people are %s, want at least %d", round, got, status, 2*n/3)
		}
		// The second round leaves more than minDead dead documents, over a
		// quarter of all: they are compacted away.
		if round == 1 && len(ix.docs) != n {
			t.Errorf("round %d: %d documents for %d records: dead ones were not compacted", round, len(ix.docs), n)
		}
	}
	p := docs[0].Body.(*record.Person)
	if got := found(t, ix, Query{Text: p.Names[0].String(), Limit: MaxLimit}); !slices.Contains(got, docs[0].ID) {
		t.Errorf("after compaction %q does not find %s", p.Names[0], docs[0].ID)
	}
}

// TestConcurrentSearch searches while batches commit (run with -race).
func TestConcurrentSearch(t *testing.T) {
	ix, kv := buildIndex(t, Doc{"p0", person("", "Ян||Гнацюк")})
	var mu sync.Mutex // memKV is not safe for concurrent use; a store transaction would be
	var wg sync.WaitGroup
	for w := range 2 {
		wg.Go(func() {
			for i := range 200 {
				mu.Lock()
				b := ix.Begin(kv)
				if err := b.Put(fmt.Sprintf("p%d-%d", w, i), person("", "Ян||Гнацюк")); err != nil {
					t.Error(err)
				}
				b.Commit()
				mu.Unlock()
			}
		})
	}
	for range 2 {
		wg.Go(func() {
			for range 200 {
				if hits, err := ix.Search(Query{Text: "Hnatsiuk"}); err != nil || len(hits) == 0 {
					t.Errorf("%d hits, %v", len(hits), err)
				}
			}
		})
	}
	wg.Wait()
	if got := ix.Len(); got != 401 {
		t.Errorf("Len = %d, want 401", got)
	}
}
