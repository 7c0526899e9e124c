package storage

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/dgraph-io/badger/v4"
)

// Purge rewrites the store into a new generation under a fresh key, leaving
// out everything deleted, then deletes the old generation. Badger does not
// erase deleted values from its files; after a purge they are gone, and
// the key that could decrypt any surviving copy is gone with the old key
// slot, overwritten in place (replaceKeys), and with the old generation's
// KEYREGISTRY, overwritten in place before removal (destroyStore). Delete
// purges by itself; call Purge after a bulk deletion.
//
// The switch is crash-safe: the new key slot names the new generation, and
// whichever generation the slot in use does not name is removed at the
// next unlock.
func (v *Vault) Purge() error {
	v.waitIndex() // the index loads from the store that is replaced
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.db == nil {
		return fmt.Errorf("purge: %w", ErrLocked)
	}
	oldDir := storeDir(v.dir, v.secrets.StoreGeneration)
	size, err := dirSize(oldDir)
	if err != nil {
		return fmt.Errorf("purge: %w", err)
	}
	if err := v.writable(size); err != nil {
		return fmt.Errorf("purge: %w", err)
	}

	if err := v.db.Update(func(txn *badger.Txn) error { return txn.Delete([]byte(keyPurge)) }); err != nil {
		return fmt.Errorf("purge: %w", err)
	}
	next := *v.secrets
	next.StoreGeneration++
	next.StoreKey = v.newStoreKey()
	newDir := storeDir(v.dir, next.StoreGeneration)
	if err := os.RemoveAll(newDir); err != nil {
		return fmt.Errorf("purge: %w", err)
	}
	if err := v.copyStore(newDir, next.StoreKey); err != nil {
		os.RemoveAll(newDir)
		return fmt.Errorf("purge: copy live records: %w", err)
	}
	ref, err := replaceKeys(v.dir, v.slot, &next, string(v.passphrase), v.opts.WorkFactor)
	if ref == (slotRef{}) {
		os.RemoveAll(newDir)
		return fmt.Errorf("purge: %w", err)
	}
	v.slot = ref
	if err != nil {
		v.opts.Logger.Warn("purge: the old key slot is destroyed at the next unlock", "err", err)
	}

	// From here on the new generation is the vault.
	if err := v.db.Close(); err != nil {
		v.opts.Logger.Warn("closing the old store during purge failed", "err", err)
	}
	clear(v.secrets.StoreKey)
	*v.secrets = next
	db, err := openStore(newDir, next.StoreKey, v.opts.Logger, false)
	if err != nil {
		v.db = nil
		return fmt.Errorf("purge: reopen store (unlock again): %w", err)
	}
	v.db = db
	if err := destroyStore(oldDir); err != nil {
		return fmt.Errorf("purge: remove old store (it is removed at the next unlock): %w", err)
	}
	if err := syncDir(filepath.Join(v.dir, dbDirName)); err != nil {
		return fmt.Errorf("purge: %w", err)
	}
	if err := v.shredOrphanBlobs(); err != nil {
		return fmt.Errorf("purge: %w", err)
	}
	return nil
}

// shredOrphanBlobs destroys attachment files that no live attachment
// record refers to any more: those of records deleted here or by another
// device. The caller holds v.mu.
func (v *Vault) shredOrphanBlobs() error {
	live, err := v.liveBlobs()
	if err != nil {
		return err
	}
	held, err := v.heldBlobs() // pending deletion: kept for a restore
	if err != nil {
		return err
	}
	files, err := filepath.Glob(filepath.Join(v.dir, blobDirName, "*.age"))
	if err != nil {
		return err
	}
	for _, f := range files {
		if name := strings.TrimSuffix(filepath.Base(f), ".age"); live[name] == nil && !held[name] {
			if err := shred(f, shredBytes); err != nil {
				return fmt.Errorf("destroy attachment file: %w", err)
			}
		}
	}
	return nil
}

// copyStore copies every live key of the open store into a new store at
// dir encrypted with key; deleted keys and old versions are left behind.
// A plain iteration into a write batch keeps memory small and steady,
// where Badger's parallel Stream allocates gigabytes of buffers even for a
// small store.
func (v *Vault) copyStore(dir string, key []byte) error {
	ndb, err := openStore(dir, key, v.opts.Logger, false)
	if err != nil {
		return err
	}
	wb := ndb.NewWriteBatch()
	err = v.db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{PrefetchValues: true, PrefetchSize: 64})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			item := it.Item()
			val, err := item.ValueCopy(nil)
			if err != nil {
				return err
			}
			if err := wb.Set(item.KeyCopy(nil), val); err != nil {
				return err
			}
		}
		return nil
	})
	if err == nil {
		err = wb.Flush()
	} else {
		wb.Cancel()
	}
	if cerr := closeStore(ndb, v.opts.Logger); err == nil {
		err = cerr
	}
	return err
}
