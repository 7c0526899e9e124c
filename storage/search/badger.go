package search

import (
	"errors"

	"github.com/dgraph-io/badger/v4"
)

// TxnKV returns the KV of a Badger transaction: the vault's store. A
// read-only transaction serves Open; a Batch and Rebuild need update
// transactions.
func TxnKV(txn *badger.Txn) KV { return txnKV{txn} }

type txnKV struct{ txn *badger.Txn }

var _ KV = txnKV{}

func (t txnKV) Get(key []byte) ([]byte, error) {
	item, err := t.txn.Get(key)
	if errors.Is(err, badger.ErrKeyNotFound) {
		return nil, ErrNoKey
	}
	if err != nil {
		return nil, err
	}
	return item.ValueCopy(nil)
}

func (t txnKV) Set(key, value []byte) error { return t.txn.Set(key, value) }

func (t txnKV) Delete(key []byte) error { return t.txn.Delete(key) }

func (t txnKV) Iterate(prefix []byte, fn func(key, value []byte) error) error {
	it := t.txn.NewIterator(badger.IteratorOptions{Prefix: prefix, PrefetchValues: true, PrefetchSize: 64})
	defer it.Close()
	for it.Rewind(); it.Valid(); it.Next() {
		item := it.Item()
		if err := item.Value(func(v []byte) error { return fn(item.Key(), v) }); err != nil {
			return err
		}
	}
	return nil
}
