package storage

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"

	"github.com/dgraph-io/badger/v4"
	"github.com/dgraph-io/badger/v4/fb"
	"github.com/dgraph-io/badger/v4/options"
	"github.com/dgraph-io/badger/v4/table"
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
// complete (TestFlipVaultDamageIsReported). Badger's compaction skips
// such a block the same way: it rewrites the table without the block's
// keys, and at the next unlock the records they held are gone, with no
// error and no damage left to find (TestCompactionCannotHideDamage).
// Badger also panics, in a goroutine of its own where no caller can
// recover, while opening a table whose footer is damaged
// (TestDamagedTableFooterIsReported).
//
// So before Badger opens a store, checkTables makes sure every table of
// the store's MANIFEST reads whole. Tables never change once written: at
// lock, closeStore records the size and CRC-32C of each table not yet
// recorded (tablesums.go), and at unlock a table whose bytes still have
// that size and checksum is what it was. A table that has none (written
// in a session that was killed) or whose checksum differs is opened
// read-only and read block by block, each block checked against its own
// checksum, from its first key to its last; one that does not read
// whole is damaged.

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
	sums := readTableSums(dir)
	// A table whose checksum matches needs neither the key registry nor
	// the index cache: both are made for the first table that does not.
	var (
		once    sync.Once
		reg     *badger.KeyRegistry
		regErr  error
		indexes *ristretto.Cache[uint64, *fb.TableIndex]
	)
	reader := func() (*badger.KeyRegistry, *ristretto.Cache[uint64, *fb.TableIndex], error) {
		once.Do(func() {
			reg, regErr = badger.OpenKeyRegistry(badger.KeyRegistryOptions{
				Dir: dir, ReadOnly: true, EncryptionKey: key,
				EncryptionKeyRotationDuration: opts.EncryptionKeyRotationDuration,
			})
			if regErr != nil {
				return
			}
			// Encrypted tables keep their decrypted index in a cache.
			indexes, regErr = ristretto.NewCache(&ristretto.Config[uint64, *fb.TableIndex]{
				NumCounters: 1000, MaxCost: 64 << 20, BufferItems: 64,
			})
		})
		return reg, indexes, regErr
	}
	defer func() {
		if reg != nil {
			reg.Close()
		}
		if indexes != nil {
			indexes.Close()
		}
	}()
	// Two tables at a time: a laptop has at least two cores.
	type job struct {
		id uint64
		tm badger.TableManifest
	}
	jobs := make(chan job)
	errs := make(chan error, len(manifest.Tables))
	var wg sync.WaitGroup
	for range min(2, len(manifest.Tables)) {
		wg.Go(func() {
			buf := make([]byte, sumBufSize)
			for j := range jobs {
				name := table.IDToFilename(j.id)
				if sum, ok := sums[name]; ok && sum.matches(filepath.Join(dir, name), buf) {
					errs <- nil
					continue
				}
				reg, indexes, err := reader()
				if err != nil {
					errs <- nil // Badger's opening reports the key registry
					continue
				}
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

// errTableCut means a table's blocks ended before its last key.
var errTableCut = errors.New("a block fails its checksum")

// checkTable opens table id of the store in dir and reads all its
// blocks. It returns an error wrapping ErrDamaged if they
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

// readTable opens the table at path and reads all its blocks. Badger
// panics on some damage (lengths out of range); that is an error here.
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
	var prev []byte // the last key read
	for it.Rewind(); it.Valid(); it.Next() {
		prev = append(prev[:0], it.Key()...)
	}
	// The iterator ends early, without saying why, at a block it cannot
	// read; at the table's end it has read its last key.
	if !bytes.Equal(prev, t.Biggest()) {
		return errTableCut
	}
	return nil
}
