package storage

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"sync"

	"github.com/dgraph-io/badger/v4"
	"github.com/dgraph-io/badger/v4/fb"
	"github.com/dgraph-io/badger/v4/options"
	"github.com/dgraph-io/badger/v4/table"
	"github.com/dgraph-io/badger/v4/y"
	"github.com/dgraph-io/ristretto/v2"
	"github.com/dgraph-io/ristretto/v2/z"
)

// Badger checks each table block against its checksum when it reads it
// (options.OnBlockRead), but does not pass the error on: Txn.Get answers
// ErrKeyNotFound for a key in a block that fails, and an Iterator ends
// that table's part of the iteration there, without a word (Badger
// v4.9.6, levelHandler.get and table.Iterator). A damaged block could so
// take a kind's count away (List read it as 0) and another the list
// entries (List read 0 of them): a list empty and, in appearance,
// complete (TestFlipVaultDamageIsReported). Badger also panics, in a
// goroutine of its own where no caller can recover, while opening a
// table whose footer is damaged (TestDamagedTableFooterIsReported).
//
// So before Badger opens a store, checkTables opens every table of the
// store's MANIFEST itself, read-only, which reads each table's footer,
// its index (checked against the index's checksum) and its last block,
// and reads every block that holds keys of checkedPrefixes: the list
// entries, their counts, the links, and the vault's counters. A table
// whose reading of a range stops before the range ends and before the
// table's last key has a block that fails its checksum. Those ranges are
// small beside the records and envelopes (about 25 MB of 440 MB in a
// vault of 100,000 records), which are not read here: reading a whole
// large store takes seconds. A damaged block there makes the records it
// holds unreadable (Get fails with an error).
var checkedPrefixes = []string{pfxBack, pfxCount, pfxKind, pfxLinks, "meta/"}

// checkTables verifies the tables of the Badger store in dir, encrypted
// under key, as described above. It returns an error wrapping ErrDamaged
// for a damaged table, and nil when the store is new, or when its
// manifest or key registry cannot be read: Badger's own opening then
// reports that.
func checkTables(dir string, key []byte) error {
	mf, err := os.Open(filepath.Join(dir, badger.ManifestFilename))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("check the store's tables: %w", err)
	}
	defer mf.Close()
	opts := badger.DefaultOptions(dir)
	manifest, _, err := replayManifest(mf, opts)
	if err != nil || len(manifest.Tables) == 0 {
		return nil
	}
	reg, err := badger.OpenKeyRegistry(badger.KeyRegistryOptions{
		Dir: dir, ReadOnly: true, EncryptionKey: key,
		EncryptionKeyRotationDuration: opts.EncryptionKeyRotationDuration,
	})
	if err != nil {
		return nil
	}
	defer reg.Close()
	// Encrypted tables keep their decrypted index in a cache.
	indexes, err := ristretto.NewCache(&ristretto.Config[uint64, *fb.TableIndex]{
		NumCounters: 1000, MaxCost: 64 << 20, BufferItems: 64,
	})
	if err != nil {
		return fmt.Errorf("check the store's tables: %w", err)
	}
	defer indexes.Close()
	// Two tables at a time: a laptop has at least two cores, and the
	// blocks of a table are read one after the other.
	type job struct {
		id uint64
		tm badger.TableManifest
	}
	jobs := make(chan job)
	errs := make(chan error, len(manifest.Tables))
	var wg sync.WaitGroup
	for range min(2, len(manifest.Tables)) {
		wg.Go(func() {
			for j := range jobs {
				errs <- checkTable(dir, j.id, j.tm, reg, indexes, opts.BlockSize)
			}
		})
	}
	for id, tm := range manifest.Tables {
		jobs <- job{id, tm}
	}
	close(jobs)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// replayManifest reads a MANIFEST as Badger does, turning a panic on
// damaged data into an error.
func replayManifest(f *os.File, opts badger.Options) (m badger.Manifest, off int64, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("read the manifest: %v", p)
		}
	}()
	return badger.ReplayManifestFile(f, opts.ExternalMagicVersion, opts)
}

// prefixEnd returns the smallest key after every key that starts with p
// (p ends with a slash).
func prefixEnd(p string) []byte {
	end := []byte(p)
	end[len(end)-1]++
	return end
}

// errTableCut means a table's blocks ended before its last key.
var errTableCut = errors.New("a block fails its checksum")

// checkTable opens table id of the store in dir and reads the blocks of
// the checked ranges. It returns an error wrapping ErrDamaged if they
// cannot all be read.
func checkTable(dir string, id uint64, tm badger.TableManifest, reg *badger.KeyRegistry,
	indexes *ristretto.Cache[uint64, *fb.TableIndex], blockSize int) error {
	dk, err := reg.DataKey(tm.KeyID)
	if err == nil {
		err = readTable(table.NewFilename(id, dir), table.Options{ReadOnly: true, ChkMode: options.OnBlockRead,
			BlockSize: blockSize, Compression: tm.Compression, DataKey: dk, IndexCache: indexes})
	}
	if err != nil {
		return fmt.Errorf("%w: table %s: %w; part of the store cannot be read", ErrDamaged, table.IDToFilename(id), err)
	}
	return nil
}

// readTable opens the table at path and reads the blocks of the checked
// ranges. Badger panics on some damage (lengths out of range); that is
// an error here.
func readTable(path string, opts table.Options) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("%v", p)
		}
	}()
	mf, err := z.OpenMmapFile(path, os.O_RDONLY, 0)
	if errors.Is(err, fs.ErrNotExist) {
		return nil // Badger reports a missing table
	}
	if err != nil {
		return err
	}
	defer func() {
		// Close without MmapFile.Close's msync: nothing was written.
		z.Munmap(mf.Data)
		mf.Fd.Close()
	}()
	t, err := table.OpenTable(mf, opts)
	if err != nil {
		return err
	}
	// OpenTable cached the table's decrypted index; without waiting for
	// the cache to take it, every block read would decrypt it again.
	opts.IndexCache.Wait()
	it := t.NewIterator(table.NOCACHE)
	defer it.Close()
	last := t.Biggest()
	var prev []byte // the last key read
	for _, p := range checkedPrefixes {
		prev = prev[:0]
		if bytes.Compare(y.ParseKey(last), []byte(p)) < 0 {
			return nil // the table ends before p
		}
		if bytes.Compare(y.ParseKey(t.Smallest()), prefixEnd(p)) >= 0 {
			continue // the table starts after p
		}
		for it.Seek(y.KeyWithTs([]byte(p), math.MaxUint64)); it.Valid(); it.Next() {
			if !bytes.HasPrefix(y.ParseKey(it.Key()), []byte(p)) {
				break
			}
			prev = append(prev[:0], it.Key()...)
		}
		// The iterator ends early, without saying why, at a block it
		// cannot read; at the table's end it has read its last key.
		if !it.Valid() && !bytes.Equal(prev, last) {
			return errTableCut
		}
	}
	return nil
}
