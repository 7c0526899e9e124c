package storage

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/dgraph-io/badger/v4"

	"github.com/letapis/letapis/storage/record"
)

// Attachment files travel as parts of record.PartSize bytes of their
// ciphertext, each a blob named by its SHA-256 (listed, and signed, in the
// Attachment record). A member's vault remembers which files still have to
// go up (blobup/) and which it still has to fetch (blobneed/); a fetch
// writes the parts in order to a partial file and resumes at the first
// part that is missing.

const (
	pfxBlobUp   = "blobup/"
	pfxBlobNeed = "blobneed/"
)

// BlobTransfer is an attachment file to send or fetch.
type BlobTransfer struct {
	Blob  string   `json:"blob"`  // local file name
	Parts []string `json:"parts"` // part ids, in order
}

// queueBlob marks an attachment's file for upload (own) or download
// (received) inside txn.
func queueBlob(txn *badger.Txn, prefix string, a *record.Attachment) error {
	return setJSON(txn, key(prefix, a.Blob), BlobTransfer{Blob: a.Blob, Parts: a.Parts})
}

func blobTransfers(txn *badger.Txn, prefix string) ([]BlobTransfer, error) {
	var ts []BlobTransfer
	it := txn.NewIterator(badger.IteratorOptions{Prefix: []byte(prefix), PrefetchValues: true})
	defer it.Close()
	for it.Rewind(); it.Valid(); it.Next() {
		var t BlobTransfer
		if err := it.Item().Value(func(b []byte) error { return json.Unmarshal(b, &t) }); err != nil {
			return nil, fmt.Errorf("%w: transfer entry: %w", ErrDamaged, err)
		}
		ts = append(ts, t)
	}
	return ts, nil
}

// BlobsToSend returns the attachment files waiting to be sent.
func (v *Vault) BlobsToSend() ([]BlobTransfer, error) {
	var ts []BlobTransfer
	err := v.view(func(txn *badger.Txn) error {
		var err error
		ts, err = blobTransfers(txn, pfxBlobUp)
		return err
	})
	return ts, err
}

// BlobsToFetch returns the attachment files received records refer to and
// this vault does not have yet.
func (v *Vault) BlobsToFetch() ([]BlobTransfer, error) {
	var ts []BlobTransfer
	err := v.view(func(txn *badger.Txn) error {
		var err error
		ts, err = blobTransfers(txn, pfxBlobNeed)
		return err
	})
	return ts, err
}

// BlobSent records that every part of an attachment file is on the relay.
func (v *Vault) BlobSent(blob string) error {
	return v.update("record a sent attachment", func(txn *badger.Txn) error {
		return txn.Delete(key(pfxBlobUp, blob))
	})
}

// ReadPart reads part i of an attachment file's ciphertext into buf, or
// into a new buffer if buf has no room for a part, and returns it. It does
// not check the part against its id, so that an upload hashes each part
// once: the relay checks every part it is sent and refuses one that does
// not match, and Check then tells a damaged file from damage on the way.
func (v *Vault) ReadPart(t BlobTransfer, i int, buf []byte) ([]byte, error) {
	v.mu.RLock()
	defer v.mu.RUnlock()
	if v.db == nil {
		return nil, ErrLocked
	}
	f, err := os.Open(v.blobPath(t.Blob))
	if err != nil {
		return nil, fmt.Errorf("read attachment part: %w", err)
	}
	defer f.Close()
	if cap(buf) < record.PartSize {
		buf = make([]byte, record.PartSize)
	}
	buf = buf[:record.PartSize]
	n, err := f.ReadAt(buf, int64(i)*record.PartSize)
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("read attachment part: %w", err)
	}
	return buf[:n], nil
}

// Check reports, wrapping ErrIntegrity, whether data, part i of the file
// as ReadPart read it, does not match the part's id.
func (t BlobTransfer) Check(i int, data []byte) error {
	if sum := sha256.Sum256(data); hex.EncodeToString(sum[:]) != t.Parts[i] {
		return fmt.Errorf("attachment part %d: %w", i, ErrIntegrity)
	}
	return nil
}

func (v *Vault) partialPath(blob string) string {
	return filepath.Join(v.dir, blobDirName, ".partial-"+blob)
}

// NextPart returns the index of the first part of a fetch that is not on
// disk yet: where an interrupted download resumes.
func (v *Vault) NextPart(t BlobTransfer) (int, error) {
	info, err := os.Stat(v.partialPath(t.Blob))
	if errors.Is(err, os.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	// Only whole parts count; a torn last write is overwritten.
	return int(info.Size() / record.PartSize), nil
}

// WritePart stores part i of a fetch after checking it against its id. The
// last part completes the file, which then becomes the attachment's.
func (v *Vault) WritePart(t BlobTransfer, i int, data []byte) error {
	if t.Check(i, data) != nil {
		return fmt.Errorf("attachment part %d does not match its id: %w", i, ErrRejected)
	}
	if i < len(t.Parts)-1 && len(data) != record.PartSize {
		return fmt.Errorf("attachment part %d is %d bytes, want %d: %w", i, len(data), record.PartSize, ErrRejected)
	}
	v.mu.RLock()
	defer v.mu.RUnlock()
	if err := v.writable(int64(len(data))); err != nil {
		return err
	}
	dir := filepath.Join(v.dir, blobDirName)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	f, err := os.OpenFile(v.partialPath(t.Blob), os.O_WRONLY|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	defer f.Close()
	if _, err := f.WriteAt(data, int64(i)*record.PartSize); err != nil {
		return fmt.Errorf("write attachment part: %w", err)
	}
	if err := f.Sync(); err != nil {
		return err
	}
	if i < len(t.Parts)-1 {
		return nil
	}
	if err := f.Truncate(int64(i)*record.PartSize + int64(len(data))); err != nil {
		return err
	}
	if err := os.Rename(v.partialPath(t.Blob), v.blobPath(t.Blob)); err != nil {
		return err
	}
	if err := syncDir(dir); err != nil {
		return err
	}
	return v.db.Update(func(txn *badger.Txn) error { return txn.Delete(key(pfxBlobNeed, t.Blob)) })
}
