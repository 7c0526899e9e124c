// Package safefile writes a file outside the vault, such as a decrypted
// copy of an attachment, so that a symbolic link planted at the target
// cannot send the plaintext elsewhere and no file prepared in advance by
// someone else is written into: the content goes to a temporary file
// created exclusively (O_CREATE|O_EXCL, mode 0600, not following links)
// beside the target and is renamed into place only once complete and
// synced. A rename replaces a link; it never writes through one.
package safefile

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/letapis/letapis/internal/dirsync"
)

// ErrSymlink is returned when the target is a symbolic link.
var ErrSymlink = errors.New("it is a symbolic link, which could point anywhere")

// tempTries is how many temporary names are tried before giving up.
const tempTries = 10

// Write writes path with what write writes, through an exclusive
// temporary file in the same folder that is removed on any failure. It
// refuses a path that is a symbolic link (ErrSymlink), and an existing
// path (fs.ErrExist) unless overwrite is set; both are checked before
// writing and again just before the rename.
func Write(path string, overwrite bool, write func(io.Writer) error) (err error) {
	if err := checkTarget(path, overwrite); err != nil {
		return err
	}
	f, err := createTemp(filepath.Dir(path), "."+filepath.Base(path)+".partial-", randomName)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if err := write(f); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := checkTarget(path, overwrite); err != nil {
		return err
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return err
	}
	return dirsync.Sync(filepath.Dir(path))
}

// checkTarget refuses a path that is a symbolic link, or that exists
// unless overwrite is set.
func checkTarget(path string, overwrite bool) error {
	st, err := os.Lstat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case err != nil:
		return err
	case st.Mode()&fs.ModeSymlink != 0:
		return fmt.Errorf("refusing to write %s: %w; choose another name", path, ErrSymlink)
	case !overwrite:
		return fmt.Errorf("%s: %w", path, fs.ErrExist)
	case !st.Mode().IsRegular():
		return fmt.Errorf("refusing to write %s: it is not a regular file", path)
	}
	return nil
}

// createTemp creates a new file in dir named prefix followed by a name
// from next, exclusively: a file or link that already has the name is
// never opened, and another name is tried.
func createTemp(dir, prefix string, next func() string) (*os.File, error) {
	for range tempTries {
		name := filepath.Join(dir, prefix+next())
		f, err := openExclusive(name)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("create a temporary file in %s: %w", dir, err)
		}
		return f, nil
	}
	return nil, fmt.Errorf("create a temporary file in %s: %d names were all taken", dir, tempTries)
}

// openExclusive creates name for writing with mode 0600, failing with
// fs.ErrExist if anything, a symbolic link included, already has it.
func openExclusive(name string) (*os.File, error) {
	return os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL|oNoFollow, 0o600)
}

// randomName returns 16 random hex digits.
func randomName() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
