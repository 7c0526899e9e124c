package relay

import (
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/dgraph-io/badger/v4"
)

// TestBatcherSplitsBigBatchesAndDropsFailedWrites runs concurrent writes
// through a batcher on a database whose transactions hold under 2,000
// entries: batches are split, a write too big alone fails on its own, and
// a write that fails or panics leaves nothing behind while the rest of its
// batch is committed.
func TestBatcherSplitsBigBatchesAndDropsFailedWrites(t *testing.T) {
	db, err := badger.Open(badger.DefaultOptions(t.TempDir()).
		WithMemTableSize(1 << 20). // transactions of at most ~1,600 entries
		WithValueThreshold(1 << 10).
		WithDetectConflicts(false).
		WithLoggingLevel(badger.WARNING))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	b := newBatcher(db)

	writeKeys := func(w, n int, then error) func(*badger.Txn) error {
		return func(txn *badger.Txn) error {
			for i := range n {
				if err := txn.Set(fmt.Appendf(nil, "w%02d/%04d", w, i), []byte("v")); err != nil {
					return err
				}
			}
			if then == errWritePanicked {
				panic("bug")
			}
			return then
		}
	}
	refused := errors.New("refused")
	outcome := func(w int) (n int, then error) {
		switch w % 5 {
		case 1:
			return 10, refused
		case 2:
			return 10, errWritePanicked
		}
		if w == 0 {
			return 5000, nil // too big for any transaction
		}
		return 400, nil
	}

	var wg sync.WaitGroup
	errs := make([]error, 40)
	for w := range errs {
		wg.Go(func() {
			n, then := outcome(w)
			errs[w] = b.update(writeKeys(w, n, then))
		})
	}
	wg.Wait()

	err = db.View(func(txn *badger.Txn) error {
		for w, err := range errs {
			n, then := outcome(w)
			if w == 0 {
				then = badger.ErrTxnTooBig
			}
			if !errors.Is(err, then) {
				t.Errorf("write %d: %v, want %v", w, err, then)
			}
			count := 0
			it := txn.NewIterator(badger.IteratorOptions{Prefix: fmt.Appendf(nil, "w%02d/", w)})
			for it.Rewind(); it.Valid(); it.Next() {
				count++
			}
			it.Close()
			if want := map[bool]int{true: n, false: 0}[then == nil]; count != want {
				t.Errorf("write %d left %d keys, want %d", w, count, want)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
