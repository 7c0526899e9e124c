package storage

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/dgraph-io/badger/v4"
	"github.com/dgraph-io/badger/v4/options"

	"github.com/letapis/letapis/storage/hlc"
	"github.com/letapis/letapis/storage/kv"
)

// openStore opens (creating if needed) the encrypted Badger store in dir.
// The settings favour a laptop: small memtables and caches, and a sync on
// every commit so that a save that returned is on disk. A read-only store
// writes nothing, not even the replay of its log.
func openStore(dir string, key []byte, log *slog.Logger, readOnly bool) (*badger.DB, error) {
	opts := badger.DefaultOptions(dir).
		WithEncryptionKey(key).
		WithIndexCacheSize(16 << 20). // required with encryption
		WithBlockCacheSize(32 << 20).
		WithMemTableSize(16 << 20).
		WithNumMemtables(2).
		WithValueLogFileSize(64 << 20).
		WithNumVersionsToKeep(1).
		// Values from 4 KiB up (envelopes, the views of long records)
		// go to the value log, written once, and the tables keep 12-byte
		// pointers: without this every envelope was copied again by each
		// memtable flush and compaction, most of a bulk import's cost
		// (BenchmarkImport). Smaller values (summaries, counts, most
		// views and search entries) stay in the tables: the value log is
		// memory-mapped, and reading the search index from it at unlock
		// brought the envelopes around each entry into the process's RSS
		// (about 230 MB at 100,000 records with a 1 KiB threshold,
		// BenchmarkAppUnlockToFirstList). Value log entries carry a CRC,
		// checked on every read below, as table blocks' checksums are. A
		// value replaced later (the view of an edited record) stays in
		// the value log until the next purge rewrites the store.
		WithValueThreshold(valueThreshold).
		WithVerifyValueChecksum(true).
		WithNumCompactors(2).
		WithCompactL0OnClose(true).
		WithSyncWrites(true).
		WithLogger(kv.Logger(log)).
		WithLoggingLevel(badger.WARNING).
		WithReadOnly(readOnly).
		// Table blocks are encrypted without authentication: without
		// this check a damaged block could read as a different key or
		// value (TestStoreFileByteFlips). Badger does not report the
		// blocks that fail it; checkTables does, before it opens.
		WithChecksumVerificationMode(options.OnBlockRead)
	if err := checkTables(dir, key); err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	if err := kv.RemoveEmptyLogs(dir); err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	db, err := badger.Open(opts)
	if err != nil {
		switch {
		// Badger reports a held lock only as text.
		case strings.Contains(err.Error(), "Cannot acquire directory lock"):
			return nil, ErrBusy
		case errors.Is(err, badger.ErrEncryptionKeyMismatch):
			return nil, fmt.Errorf("%w: the store does not match the key file: %w", ErrDamaged, err)
		}
		return nil, fmt.Errorf("open store: %w", err)
	}
	return db, nil
}

// valueThreshold is the size from which Badger keeps a value in its value
// log, and only a pointer to it in its tables (openStore).
const valueThreshold = 4 << 10

// Store key prefixes; see the package documentation.
const (
	pfxEnvelope = "env/"
	pfxRevision = "rev/"
	pfxRecord   = "rec/"
	pfxKind     = "kind/"
	pfxTerm     = "term/"
	pfxAmend    = "amend/"
	pfxSeq      = "seq/"
	keyClock    = "meta/hlc"
	keyOwnSeq   = "meta/seq"
)

func key(parts ...string) []byte { return []byte(strings.Join(parts, "")) }

// getJSON reads and decodes a JSON value; found is false if the key is
// absent. A value that does not decode means damaged vault data.
func getJSON(txn *badger.Txn, k []byte, v any) (found bool, err error) {
	found, err = kv.GetJSON(txn, k, v)
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	if errors.As(err, &syntax) || errors.As(err, &typ) {
		return true, fmt.Errorf("%w: value of %s: %w", ErrDamaged, strings.SplitAfter(string(k), "/")[0], err)
	}
	return found, err
}

var setJSON = kv.SetJSON

func (v *Vault) loadClock() (hlc.Timestamp, error) {
	var ts hlc.Timestamp
	err := v.db.View(func(txn *badger.Txn) error {
		_, err := getJSON(txn, []byte(keyClock), &ts)
		return err
	})
	return ts, err
}

// view runs fn in a read transaction of the unlocked vault.
func (v *Vault) view(fn func(txn *badger.Txn) error) error {
	v.mu.RLock()
	defer v.mu.RUnlock()
	if v.db == nil {
		return ErrLocked
	}
	return v.db.View(fn)
}
