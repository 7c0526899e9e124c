package storage

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dgraph-io/badger/v4"

	"github.com/letapis/letapis/storage/envelope"
	"github.com/letapis/letapis/storage/keyfile"
	"github.com/letapis/letapis/storage/record"
)

// rawStoreContains opens the vault's current store with the key from the
// key file, as someone who knows the passphrase could, and reports whether
// any version of any value, or the plaintext of any envelope, contains
// needle.
func rawStoreContains(t *testing.T, dir string, needle []byte) bool {
	t.Helper()
	s := testSecrets(t, dir)
	ident, err := parseIdentity(s.Identity)
	if err != nil {
		t.Fatal(err)
	}
	db, err := openStore(storeDir(dir, s.StoreGeneration), s.StoreKey, testOptions.Logger, true)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	found := false
	err = db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{AllVersions: true, PrefetchValues: false})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			val, err := it.Item().ValueCopy(nil)
			if err != nil {
				return err
			}
			if bytes.Contains(val, needle) {
				found = true
			}
			if strings.HasPrefix(string(it.Item().Key()), pfxEnvelope) && len(val) > 0 {
				if o, err := envelope.Open(val, ident); err == nil && bytes.Contains(o.Revision.Body, needle) {
					found = true
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return found
}

func TestDeletePurgesContentEvenFromSomeoneWithTheKey(t *testing.T) {
	v := newVault(t)
	const secret = "Сакрэтнае сведчанне PURGE-ME"
	keep := mustAdd(t, v, &record.Note{Text: "this note stays"})
	r := mustAdd(t, v, &record.Note{Text: secret + " v1"})
	if _, err := v.Update(r.ID, &record.Note{Text: secret + " v2"}); err != nil {
		t.Fatal(err)
	}
	v.Close()
	if !rawStoreContains(t, v.Dir(), []byte(secret)) {
		t.Fatal("test is blind: the text is not found in the store before deletion")
	}
	v = unlock(t, v.Dir())

	if err := v.Delete(r.ID); err != nil {
		t.Fatal(err)
	}
	got, err := v.Get(r.ID)
	if err != nil || !got.Deleted || got.Body != nil {
		t.Fatalf("after Delete: %+v, %v", got, err)
	}
	if _, err := v.Update(r.ID, &record.Note{Text: "resurrect"}); !errors.Is(err, ErrDeleted) {
		t.Fatalf("Update of deleted: got %v, want ErrDeleted", err)
	}
	h, err := v.History(r.ID)
	if err != nil || len(h) != 1 || h[0].Op != envelope.OpDelete {
		t.Fatalf("history after delete: %+v, %v", h, err)
	}
	if k, err := v.Get(keep.ID); err != nil || k.Deleted {
		t.Fatalf("unrelated record lost in purge: %v", err)
	}
	v.Close()

	if rawStoreContains(t, v.Dir(), []byte(secret)) {
		t.Fatal("deleted text recoverable from the store with the key")
	}
	scanForPlaintext(t, v.Dir(), secret, "PURGE-ME")
	gens, _ := os.ReadDir(filepath.Join(v.Dir(), dbDirName))
	if len(gens) != 1 {
		t.Fatalf("%d store generations left after purge, want 1", len(gens))
	}
}

func TestDeleteAttachmentDestroysItsFile(t *testing.T) {
	v := newVault(t)
	a, err := v.ImportAttachment(strings.NewReader("photo of injuries"), "injuries.jpg", "image/jpeg", nil)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := a.Decode()
	path := v.blobPath(body.(*record.Attachment).Blob)
	if _, err := os.Stat(path); err != nil {
		t.Fatal(err)
	}
	if err := v.Delete(a.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("attachment file survived deletion: %v", err)
	}
}

func TestInterruptedPurgeLeftoversAreRemovedOnUnlock(t *testing.T) {
	v := newVault(t)
	r := mustAdd(t, v, &record.Note{Text: "survives"})
	v.Close()
	stale := storeDir(v.Dir(), 99)
	if err := os.MkdirAll(stale, 0o700); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(stale, "000001.sst"), []byte("half-written"), 0o600)
	w := unlock(t, v.Dir())
	if _, err := os.Stat(stale); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("stale generation not removed: %v", err)
	}
	if _, err := w.Get(r.ID); err != nil {
		t.Fatal(err)
	}
}

func TestPurgeKeepsTheKeyFileWorkFactor(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "v")
	opts := testOptions
	opts.WorkFactor = 11
	v, err := Create(dir, testPassphrase, opts)
	if err != nil {
		t.Fatal(err)
	}
	v.Close()
	opts.WorkFactor = 0 // as a client that does not choose one
	w, err := Open(dir, testPassphrase, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if err := w.Purge(); err != nil {
		t.Fatal(err)
	}
	file, _ := os.ReadFile(filepath.Join(dir, keyFileName))
	slots, err := keyfile.ParseSlots(file)
	if err != nil {
		t.Fatal(err)
	}
	if wf, err := keyfile.WorkFactor(slots[0].File); err != nil || wf != 11 {
		t.Fatalf("work factor after purge: %d, %v; want 11", wf, err)
	}
}
