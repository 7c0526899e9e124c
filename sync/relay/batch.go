package relay

import (
	"errors"
	"fmt"
	"sync"

	"github.com/dgraph-io/badger/v4"
)

// batcher runs every write of a BadgerStore (group commit). Writes that
// arrive while a transaction commits queue up; the next committer takes
// all of them into one transaction, so that concurrent requests share one
// fsync instead of waiting for one each. As the batcher is the only
// writer, transactions never conflict.
type batcher struct {
	db *badger.DB
	// turn holds a token while a goroutine commits. It is a channel, not
	// a mutex, so that a waiting writer also sees its write finished by
	// another committer.
	turn chan struct{}

	mu    sync.Mutex
	queue []*write // writes no committer has taken yet
}

// write is one caller's part of a batch.
type write struct {
	fn   func(*badger.Txn) error
	err  error
	done chan struct{}
}

func newBatcher(db *badger.DB) *batcher {
	return &batcher{db: db, turn: make(chan struct{}, 1)}
}

// update runs fn in a write transaction, possibly shared with other
// writes, and returns when that transaction is committed (with SyncWrites,
// on disk) or fn has failed. fn may run more than once, each time on a
// fresh transaction, so it must set its results afresh on every run; the
// writes of a run that fails are discarded.
func (b *batcher) update(fn func(*badger.Txn) error) error {
	w := &write{fn: fn, done: make(chan struct{})}
	b.mu.Lock()
	b.queue = append(b.queue, w)
	b.mu.Unlock()

	select {
	case <-w.done: // an earlier committer took it
		return w.err
	case b.turn <- struct{}{}:
	}
	defer func() { <-b.turn }()
	select {
	case <-w.done: // committed while this goroutine took its turn
		return w.err
	default:
	}
	b.mu.Lock()
	batch := b.queue
	b.queue = nil
	b.mu.Unlock()
	b.commit(batch)
	return w.err
}

// commit runs batch in one transaction and commits it. A write that fails
// is left out and the others run again on a fresh transaction, so that a
// failed write leaves nothing behind; a batch too big for one transaction
// is split in halves.
func (b *batcher) commit(batch []*write) {
	if len(batch) == 0 {
		return
	}
	txn := b.db.NewTransaction(true)
	defer txn.Discard()
	for i, w := range batch {
		err := run(w.fn, txn)
		switch {
		case err == nil:
			continue
		case errors.Is(err, badger.ErrTxnTooBig) && len(batch) > 1:
			txn.Discard()
			half := len(batch) / 2
			b.commit(batch[:half])
			b.commit(batch[half:])
			return
		default:
			w.finish(err)
			txn.Discard()
			rest := make([]*write, 0, len(batch)-1)
			b.commit(append(append(rest, batch[:i]...), batch[i+1:]...))
			return
		}
	}
	err := txn.Commit()
	if err != nil {
		err = fmt.Errorf("commit: %w", err)
	}
	for _, w := range batch {
		w.finish(err)
	}
}

func (w *write) finish(err error) {
	w.err = err
	close(w.done)
}

// errWritePanicked reports a bug in a write function. The batch goes on
// without it, so that one bug does not stall every writer.
var errWritePanicked = errors.New("store write panicked")

func run(fn func(*badger.Txn) error, txn *badger.Txn) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("%w: %s", errWritePanicked, describePanic(v))
		}
	}()
	return fn(txn)
}
