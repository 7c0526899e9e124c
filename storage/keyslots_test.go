package storage

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/letapis/letapis/storage/keyfile"
	"github.com/letapis/letapis/storage/record"
)

// readSlots returns the slot file of the vault in dir.
func readSlots(t *testing.T, dir string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, keyFileName))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// TestEveryCrashStateOfAKeyChangeOpens builds, from the slot files before
// and after a passphrase change and a purge, each state a crash can leave
// (the new slot torn halfway, both slots intact, the old slot torn halfway
// by its overwrite) and unlocks it: the vault opens, with its records,
// and afterwards only one slot is intact.
func TestEveryCrashStateOfAKeyChangeOpens(t *testing.T) {
	const half = keyfile.SlotSize / 2
	// mix returns before with the bytes [from, to) taken from after.
	mix := func(before, after []byte, from, to int) []byte {
		out := bytes.Clone(before)
		copy(out[from:to], after[from:to])
		return out
	}
	for _, purge := range []bool{false, true} {
		v := newVault(t)
		rec := mustAdd(t, v, &record.Note{Text: "kept across every crash"})
		dir := v.Dir()
		saved := filepath.Join(t.TempDir(), "before")
		if err := os.CopyFS(saved, os.DirFS(dir)); err != nil {
			t.Fatal(err)
		}
		before := readSlots(t, dir)
		oldIdx := v.slot.index
		newPass := testPassphrase
		if purge {
			if err := v.Purge(); err != nil {
				t.Fatal(err)
			}
		} else {
			newPass = newPassphrase
			if err := v.ChangePassphrase(newPass); err != nil {
				t.Fatal(err)
			}
		}
		after := readSlots(t, dir)
		v.Close()
		o, n := oldIdx*keyfile.SlotSize, (1-oldIdx)*keyfile.SlotSize
		for _, st := range []struct {
			name string
			data []byte
			pass string // the passphrase that opens it
		}{
			{"new slot torn", mix(before, after, n, n+half), testPassphrase},
			{"both slots intact", mix(before, after, n, n+keyfile.SlotSize), newPass},
			{"both slots intact, old passphrase", mix(before, after, n, n+keyfile.SlotSize), testPassphrase},
			{"old slot torn by its overwrite", mix(after, before, o+half, o+keyfile.SlotSize), newPass},
		} {
			t.Run(map[bool]string{false: "passphrase change/", true: "purge/"}[purge]+st.name, func(t *testing.T) {
				crashed := filepath.Join(t.TempDir(), "vault")
				// The old store generation is still there until the old
				// slot is gone (Purge removes it after replaceKeys).
				if err := os.CopyFS(crashed, os.DirFS(saved)); err != nil {
					t.Fatal(err)
				}
				copyDirFiles(t, dir, crashed)
				if err := os.WriteFile(filepath.Join(crashed, keyFileName), st.data, 0o600); err != nil {
					t.Fatal(err)
				}
				w, err := Open(crashed, st.pass, testOptions)
				if err != nil {
					t.Fatalf("the crashed vault does not open: %v", err)
				}
				defer w.Close()
				if _, err := w.Get(rec.ID); err != nil {
					t.Errorf("the record: %v", err)
				}
				slots, err := keyfile.ParseSlots(readSlots(t, crashed))
				if err != nil || len(slots) != 1 {
					t.Errorf("after the unlock %d slots are intact (%v), want 1", len(slots), err)
				}
				gens, _ := os.ReadDir(filepath.Join(crashed, dbDirName))
				if len(gens) != 1 {
					t.Errorf("%d store generations after the unlock, want 1", len(gens))
				}
			})
		}
	}
}

// copyDirFiles copies the tree src over dst, replacing files that exist.
func copyDirFiles(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dst, rel)), 0o700); err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), data, 0o600)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestLegacyKeyFileMovesToSlots unlocks a vault of an earlier version
// (testdata/flipvault, with key.age): it opens with every record, its
// key.age is gone, overwritten first (a hard link keeps what was left in
// it), and it opens again from its slots.
func TestLegacyKeyFileMovesToSlots(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "vault")
	if err := os.CopyFS(dir, os.DirFS(flipVault)); err != nil {
		t.Fatal(err)
	}
	legacy := filepath.Join(dir, legacyKeyFileName)
	orig, err := os.ReadFile(legacy)
	if err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(t.TempDir(), "key-link")
	if err := os.Link(legacy, link); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(dir, "wrong", testOptions); !errors.Is(err, ErrWrongPassphrase) {
		t.Fatalf("a wrong passphrase: %v", err)
	}
	if _, err := os.Stat(legacy); err != nil {
		t.Fatalf("a wrong passphrase touched key.age: %v", err)
	}
	w := unlock(t, dir)
	n := countRecords(t, w)
	w.Close()
	if _, err := os.Stat(legacy); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("key.age after the move: %v", err)
	}
	left, _ := os.ReadFile(link)
	if bytes.Equal(left, orig) || bytes.Contains(left, []byte("age-encryption.org")) {
		t.Error("key.age was removed without being overwritten")
	}
	w = unlock(t, dir)
	if m := countRecords(t, w); m != n || n == 0 {
		t.Errorf("%d records from the slots, %d from key.age", m, n)
	}
}

// countRecords counts the notes of v.
func countRecords(t *testing.T, v *Vault) int {
	t.Helper()
	n := 0
	if err := v.List(record.KindNote, func(Summary) bool { n++; return true }); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestPurgeOverwritesTheOldGenerationsSmallFiles keeps hard links to the
// small files of the store generation a purge replaces (KEYREGISTRY holds
// the store's data keys under the old store key): after the purge what was
// left in them is none of the old bytes, and the old generation is gone.
func TestPurgeOverwritesTheOldGenerationsSmallFiles(t *testing.T) {
	v := newVault(t)
	mustAdd(t, v, &record.Note{Text: "in the old generation"})
	old := storeDir(v.Dir(), v.secrets.StoreGeneration)
	links := t.TempDir()
	orig := map[string][]byte{}
	for _, name := range []string{"KEYREGISTRY", "MANIFEST"} {
		data, err := os.ReadFile(filepath.Join(old, name))
		if err != nil || len(data) == 0 {
			t.Fatalf("%s of the store: %d bytes, %v", name, len(data), err)
		}
		orig[name] = data
		if err := os.Link(filepath.Join(old, name), filepath.Join(links, name)); err != nil {
			t.Skipf("hard links unsupported here: %v", err)
		}
	}
	if err := v.Purge(); err != nil {
		t.Fatal(err)
	}
	for name, data := range orig {
		left, err := os.ReadFile(filepath.Join(links, name))
		if err != nil {
			t.Fatal(err)
		}
		// Badger may have grown the file after it was read: compare
		// what was there.
		if len(left) < len(data) || bytes.Equal(left[:len(data)], data) || bytes.Contains(left, data[:min(len(data), 16)]) {
			t.Errorf("%s of the old generation was removed without being overwritten", name)
		}
	}
	if _, err := os.Stat(old); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the old generation after the purge: %v", err)
	}
}
