package kv

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/letapis/letapis/internal/dirsync"
)

// RemoveEmptyLogs removes the empty memtable logs (.mem) and value logs
// (.vlog) of the Badger store in dir; call it before badger.Open. A
// process killed between creating such a file and writing its header
// leaves it empty, and Badger then refuses to open the store ("Create a
// new file": dgraph-io/badger issue 2207; read-only, it fails truncating
// the file). An empty log holds no write, so nothing is lost with it (the
// vault's kill -9 test met one in 200 cycles).
//
// It does nothing while another process holds Badger's lock on dir: a
// store in use may have just created a log it is about to write. Badger's
// own Open then reports that process.
func RemoveEmptyLogs(dir string) error {
	unlock, ok, err := lockDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil // a new store
	} else if err != nil || !ok {
		return err
	}
	defer unlock()
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	removed := false
	for _, e := range entries {
		if ext := filepath.Ext(e.Name()); ext != ".mem" && ext != ".vlog" {
			continue
		}
		info, err := e.Info()
		if err != nil {
			return err
		}
		if info.Size() != 0 {
			continue
		}
		if err := os.Remove(filepath.Join(dir, e.Name())); err != nil {
			return fmt.Errorf("remove the empty log %s: %w", e.Name(), err)
		}
		removed = true
	}
	if removed {
		return dirsync.Sync(dir)
	}
	return nil
}
