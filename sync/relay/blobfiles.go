package relay

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/dgraph-io/badger/v4"

	"github.com/letapis/letapis/internal/dirsync"
	"github.com/letapis/letapis/sync/wire"
)

// fileBlobSize is the size from which a BadgerStore keeps a blob as a file
// of its own rather than a Badger value: attachment parts (4 MiB but the
// last) go there, envelopes stay in Badger. Writing a file and syncing it
// costs about a third of writing the same bytes into Badger's memory-mapped
// value log and syncing that (measured with 4 MiB parts), and the file is
// served with sendfile rather than read into memory.
const fileBlobSize = 1 << 20

// blobFiles is the directory of a BadgerStore's large blobs, one file per
// blob named team.id. A file is written to a temporary name, synced and
// renamed, and the directory synced, before the transaction that records
// the blob's size commits: a blob the database knows has its whole file
// on disk. A crash between the two leaves a file the database does not
// know, which OpenBadgerStore removes.
type blobFiles struct{ dir string }

// tmpPrefix starts the names of files still being written.
const tmpPrefix = ".tmp-"

func openBlobFiles(dir string) (*blobFiles, error) {
	if err := os.Mkdir(dir, 0o700); err != nil && !errors.Is(err, os.ErrExist) {
		return nil, err
	}
	if err := syncDir(filepath.Dir(dir)); err != nil {
		return nil, err
	}
	return &blobFiles{dir: dir}, nil
}

func (f *blobFiles) path(team, id string) string { return filepath.Join(f.dir, team+"."+id) }

// write stores each of blobs as a synced file, then syncs the directory
// once for them all.
func (f *blobFiles) write(team string, ids []string, blobs [][]byte) error {
	for i, id := range ids {
		if err := f.writeFile(f.path(team, id), blobs[i]); err != nil {
			return fmt.Errorf("write blob file: %w", err)
		}
	}
	if err := syncDir(f.dir); err != nil {
		return fmt.Errorf("write blob file: %w", err)
	}
	return nil
}

func (f *blobFiles) writeFile(path string, data []byte) error {
	tmp, err := os.CreateTemp(f.dir, tmpPrefix+"*")
	if err != nil {
		return err
	}
	_, err = tmp.Write(data)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		os.Remove(tmp.Name())
	}
	return err
}

// open opens the file of a blob of size bytes, checking that it is whole.
func (f *blobFiles) open(team, id string, size uint64) (*os.File, error) {
	file, err := os.Open(f.path(team, id))
	if err != nil {
		return nil, fmt.Errorf("open blob file: %w", err)
	}
	info, err := file.Stat()
	if err == nil && uint64(info.Size()) != size {
		err = fmt.Errorf("the file has %d bytes, the blob %d", info.Size(), size)
	}
	if err != nil {
		file.Close()
		return nil, fmt.Errorf("open blob file: %w", err)
	}
	return file, nil
}

// removeStray removes the files that no committed blob owns: those of a
// write cut off by a crash, or refused over the quota after the file was
// written. known reports whether the database has a team's blob.
func (f *blobFiles) removeStray(known func(team, id string) (bool, error)) (removed int, err error) {
	entries, err := os.ReadDir(f.dir)
	if err != nil {
		return 0, err
	}
	for _, e := range entries {
		team, id, ok := strings.Cut(e.Name(), ".")
		keep := false
		if ok && !strings.HasPrefix(e.Name(), tmpPrefix) && wire.ValidName(team) && wire.ValidBlobID(id) {
			if keep, err = known(team, id); err != nil {
				return removed, err
			}
		}
		if keep {
			continue
		}
		if err := os.Remove(filepath.Join(f.dir, e.Name())); err != nil {
			return removed, err
		}
		removed++
	}
	if removed > 0 {
		return removed, syncDir(f.dir)
	}
	return 0, nil
}

// syncDir makes the creation, renaming or removal of files in dir durable.
var syncDir = dirsync.Sync

// blobReader returns a team's blob from the database, or from its file
// if it is large, or ErrNotFound.
func (s *BadgerStore) blobReader(txn *badger.Txn, team, id string) (io.ReadSeekCloser, error) {
	item, err := txn.Get(key("blob", team, id))
	switch {
	case err == nil:
		data, err := item.ValueCopy(nil)
		if err != nil {
			return nil, err
		}
		return nopCloser{bytes.NewReader(data)}, nil
	case !errors.Is(err, badger.ErrKeyNotFound):
		return nil, err
	}
	size, found, err := getUint(txn, key("size", team, id))
	if err != nil || !found {
		return nil, errOr(err, ErrNotFound)
	}
	return s.files.open(team, id, size)
}
