package search

import (
	"bytes"
	"errors"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/dgraph-io/badger/v4"
)

// memKV is a KV in a map, for tests: not transactional, sorted on Iterate.
type memKV struct{ m map[string][]byte }

var _ KV = (*memKV)(nil)

func newMemKV() *memKV { return &memKV{m: make(map[string][]byte)} }

func (kv *memKV) Get(key []byte) ([]byte, error) {
	v, ok := kv.m[string(key)]
	if !ok {
		return nil, ErrNoKey
	}
	return v, nil
}

func (kv *memKV) Set(key, value []byte) error {
	kv.m[string(key)] = bytes.Clone(value)
	return nil
}

func (kv *memKV) Delete(key []byte) error {
	delete(kv.m, string(key))
	return nil
}

func (kv *memKV) Iterate(prefix []byte, fn func(key, value []byte) error) error {
	for _, k := range slices.Sorted(maps.Keys(kv.m)) {
		if !strings.HasPrefix(k, string(prefix)) {
			continue
		}
		if err := fn([]byte(k), kv.m[k]); err != nil {
			return err
		}
	}
	return nil
}

// update is Rebuild's update function over kv.
func (kv *memKV) update(fn func(KV) error) error { return fn(kv) }

// size returns the bytes of every key and value under the index's prefix.
func (kv *memKV) size() int {
	n := 0
	for k, v := range kv.m {
		if strings.HasPrefix(k, prefix) {
			n += len(k) + len(v)
		}
	}
	return n
}

// newBadger returns an in-memory Badger store that is closed with the test.
func newBadger(t testing.TB) *badger.DB {
	t.Helper()
	db, err := badger.Open(badger.DefaultOptions("").WithInMemory(true).WithLoggingLevel(badger.WARNING))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// badgerUpdate is Rebuild's update function over db.
func badgerUpdate(db *badger.DB) func(func(KV) error) error {
	return func(fn func(KV) error) error {
		return db.Update(func(txn *badger.Txn) error { return fn(TxnKV(txn)) })
	}
}

// testKV checks the KV contract on an empty store, through update.
func testKV(t *testing.T, update func(func(KV) error) error) {
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(update(func(kv KV) error {
		if _, err := kv.Get([]byte("idx/none")); !errors.Is(err, ErrNoKey) {
			t.Errorf("Get of a missing key: %v, want ErrNoKey", err)
		}
		for _, k := range []string{"idx/b", "idx/a", "idy/c", "idx/c"} {
			must(kv.Set([]byte(k), []byte("v"+k)))
		}
		must(kv.Delete([]byte("idx/c")))
		must(kv.Delete([]byte("idx/never")))
		return nil
	}))
	must(update(func(kv KV) error {
		v, err := kv.Get([]byte("idx/a"))
		if err != nil || string(v) != "vidx/a" {
			t.Errorf("Get idx/a = %q, %v", v, err)
		}
		var keys []string
		must(kv.Iterate([]byte("idx/"), func(k, v []byte) error {
			keys = append(keys, string(k))
			if string(v) != "v"+string(k) {
				t.Errorf("value of %s = %q", k, v)
			}
			return nil
		}))
		if want := []string{"idx/a", "idx/b"}; !slices.Equal(keys, want) {
			t.Errorf("Iterate keys = %q, want %q", keys, want)
		}
		stop := errors.New("stop here")
		n := 0
		err = kv.Iterate([]byte("idx/"), func(k, v []byte) error { n++; return stop })
		if !errors.Is(err, stop) || n != 1 {
			t.Errorf("Iterate stopped after %d keys with %v, want 1 and the callback's error", n, err)
		}
		return nil
	}))
}

func TestKVConformance(t *testing.T) {
	t.Run("mem", func(t *testing.T) { testKV(t, newMemKV().update) })
	t.Run("badger", func(t *testing.T) { testKV(t, badgerUpdate(newBadger(t))) })
}
