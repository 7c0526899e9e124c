package storage

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/letapis/letapis/storage/keyfile"
)

// slotRef names the key slot in use: its place in the slot file and its
// counter.
type slotRef struct {
	index   int
	counter uint64
}

// createKeys writes the slot file of a new (or migrated) vault: s under
// passphrase in slot 0, random bytes in slot 1. No slot file is there
// before, so renaming a complete one into place destroys no key material.
func createKeys(dir string, s *keyfile.Secrets, passphrase string, workFactor int) (slotRef, error) {
	ref := slotRef{index: 0, counter: 1}
	slot, err := encodeSlot(ref, s, passphrase, workFactor)
	if err != nil {
		return slotRef{}, err
	}
	data := make([]byte, keyfile.SlotsSize)
	_, _ = rand.Read(data)
	copy(data, slot)
	if err := writeFileAtomic(filepath.Join(dir, keyFileName), data, 0o600); err != nil {
		return slotRef{}, fmt.Errorf("write key slots: %w", err)
	}
	return ref, nil
}

func encodeSlot(ref slotRef, s *keyfile.Secrets, passphrase string, workFactor int) ([]byte, error) {
	file, err := keyfile.Encode(s, passphrase, workFactor)
	if err != nil {
		return nil, err
	}
	return keyfile.EncodeSlot(ref.counter, file)
}

// replaceKeys writes s under passphrase into the slot not in use, syncs
// it, then overwrites the slot in use in place and syncs again, and
// returns the new slot. A crash before the first sync leaves the old slot
// current; one after it leaves both intact, the new one current, and the
// next unlock overwrites the one it does not use (loadKeys).
func replaceKeys(dir string, cur slotRef, s *keyfile.Secrets, passphrase string, workFactor int) (slotRef, error) {
	next := slotRef{index: 1 - cur.index, counter: cur.counter + 1}
	slot, err := encodeSlot(next, s, passphrase, workFactor)
	if err != nil {
		return slotRef{}, err
	}
	f, err := os.OpenFile(filepath.Join(dir, keyFileName), os.O_RDWR, 0)
	if err != nil {
		return slotRef{}, fmt.Errorf("write key slot: %w", err)
	}
	defer f.Close()
	_, err = f.WriteAt(slot, int64(next.index)*keyfile.SlotSize)
	if err == nil {
		err = f.Sync()
	}
	if err != nil {
		// Some of the new slot may be on the medium: make sure it is not
		// taken for the current one once the caller drops what it names.
		_ = overwriteSlots(f, next.index)
		return slotRef{}, fmt.Errorf("write key slot: %w", err)
	}
	if err := overwriteSlots(f, cur.index); err != nil {
		return next, fmt.Errorf("destroy the old key slot (it is destroyed at the next unlock): %w", err)
	}
	return next, nil
}

// overwriteSlots overwrites the given slots of the open slot file with
// random bytes in place and syncs the file.
func overwriteSlots(f *os.File, indexes ...int) error {
	noise := make([]byte, keyfile.SlotSize)
	for _, i := range indexes {
		_, _ = rand.Read(noise)
		if _, err := f.WriteAt(noise, int64(i)*keyfile.SlotSize); err != nil {
			return err
		}
	}
	return f.Sync()
}

// loadKeys opens the key slots of the vault in dir with passphrase and
// returns the secrets, the slot in use and its scrypt work factor. It
// finishes what a crash interrupted: it overwrites the intact slot it did
// not use and shreds a key.age or temp file left beside the slots. A vault
// of an earlier version, with key.age and no slots, is moved to slots and
// its key.age shredded (overwritten in place, then removed).
func loadKeys(dir, passphrase string, log *slog.Logger) (*keyfile.Secrets, slotRef, int, error) {
	path := filepath.Join(dir, keyFileName)
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return migrateKeyFile(dir, passphrase, log)
	}
	if err != nil {
		return nil, slotRef{}, 0, fmt.Errorf("read key slots: %w", err)
	}
	s, slot, others, err := keyfile.DecodeSlots(data, passphrase)
	if err != nil {
		return nil, slotRef{}, 0, err
	}
	ref := slotRef{index: slot.Index, counter: slot.Counter}
	wf, _ := keyfile.WorkFactor(slot.File)
	if len(others) > 0 {
		log.Info("destroying a key slot left by an interrupted key change")
		if err := overwriteOthers(path, others); err != nil {
			return nil, slotRef{}, 0, fmt.Errorf("destroy the unused key slot: %w", err)
		}
	}
	if err := shredKeyLeftovers(dir); err != nil {
		return nil, slotRef{}, 0, err
	}
	return s, ref, wf, nil
}

func overwriteOthers(path string, others []keyfile.Slot) error {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	// The slot in use must be on the medium before the other goes.
	if err := f.Sync(); err != nil {
		return err
	}
	idx := make([]int, len(others))
	for i, o := range others {
		idx[i] = o.Index
	}
	return overwriteSlots(f, idx...)
}

// migrateKeyFile moves the key.age of an earlier version into key slots.
func migrateKeyFile(dir, passphrase string, log *slog.Logger) (*keyfile.Secrets, slotRef, int, error) {
	file, err := os.ReadFile(filepath.Join(dir, legacyKeyFileName))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, slotRef{}, 0, fmt.Errorf("%w in %s (create one first)", ErrNoVault, dir)
	}
	if err != nil {
		return nil, slotRef{}, 0, fmt.Errorf("read key file: %w", err)
	}
	s, err := keyfile.Decode(file, passphrase)
	if err != nil {
		return nil, slotRef{}, 0, err
	}
	wf, _ := keyfile.WorkFactor(file)
	ref, err := createKeys(dir, s, passphrase, wf)
	if err != nil {
		return nil, slotRef{}, 0, fmt.Errorf("move key.age to key slots: %w", err)
	}
	log.Info("moved the key file of an earlier version to key slots")
	if err := shredKeyLeftovers(dir); err != nil {
		return nil, slotRef{}, 0, err
	}
	return s, ref, wf, nil
}

// shredKeyLeftovers overwrites in place and removes the key files that are
// not the slot file: key.age of an earlier version and the temp files of
// an interrupted write.
func shredKeyLeftovers(dir string) error {
	paths := []string{filepath.Join(dir, legacyKeyFileName)}
	for _, name := range []string{keyFileName, legacyKeyFileName} {
		tmps, _ := filepath.Glob(filepath.Join(dir, ".tmp-"+name+"-*"))
		paths = append(paths, tmps...)
	}
	for _, p := range paths {
		err := shred(p, keyfile.SlotsSize+(1<<20))
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("destroy old key file %s: %w", filepath.Base(p), err)
		}
	}
	return nil
}

// smallStoreFile is the size up to which a store file is overwritten in
// place before removal: KEYREGISTRY (the store's data keys, encrypted with
// the store key), MANIFEST, the table checksums. The tables and value logs
// are only removed; their data keys went with KEYREGISTRY and the store
// key with the key slot.
const smallStoreFile = 64 << 10

// destroyStore overwrites the small files of a store generation in place
// and removes the generation.
func destroyStore(dir string) error {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	for _, e := range entries {
		info, err := e.Info()
		if err != nil || !info.Mode().IsRegular() || info.Size() > smallStoreFile {
			continue
		}
		if err := shred(filepath.Join(dir, e.Name()), smallStoreFile); err != nil {
			return fmt.Errorf("destroy %s: %w", e.Name(), err)
		}
	}
	return os.RemoveAll(dir)
}
