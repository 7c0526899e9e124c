package storage

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/letapis/letapis/storage/keyfile"
	"github.com/letapis/letapis/storage/record"
)

func TestCreateRefusesExistingVaultAndEmptyPassphrase(t *testing.T) {
	v := newVault(t)
	if _, err := Create(v.Dir(), "other", testOptions); !errors.Is(err, ErrVaultExists) {
		t.Fatalf("Create over a vault: got %v, want ErrVaultExists", err)
	}
	if _, err := Create(filepath.Join(t.TempDir(), "v"), "", testOptions); err == nil {
		t.Fatal("Create with an empty passphrase succeeded")
	}
}

func TestOpenMissingVault(t *testing.T) {
	_, err := Open(t.TempDir(), testPassphrase, testOptions)
	if !errors.Is(err, ErrNoVault) {
		t.Fatalf("got %v, want ErrNoVault", err)
	}
}

func TestWrongPassphraseIsClearAndChangesNothing(t *testing.T) {
	v := newVault(t)
	mustAdd(t, v, &record.Note{Text: "before"})
	v.Close()
	before := snapshot(t, v.Dir())

	_, err := Open(v.Dir(), "not the passphrase", testOptions)
	if !errors.Is(err, ErrWrongPassphrase) || errors.Is(err, ErrDamaged) {
		t.Fatalf("got %v, want ErrWrongPassphrase only", err)
	}
	if after := snapshot(t, v.Dir()); !equalSnapshots(before, after) {
		t.Fatal("a failed unlock changed files in the vault")
	}
}

func TestDamagedKeyFileIsNotAWrongPassphrase(t *testing.T) {
	for _, tc := range []struct {
		name   string
		damage func([]byte) []byte
	}{
		{"truncated", func(b []byte) []byte { return b[:len(b)/2] }},
		{"empty", func([]byte) []byte { return nil }},
		{"bit flip in header", func(b []byte) []byte { b[3] ^= 1; return b }},
		{"bit flip in ciphertext", func(b []byte) []byte { b[300] ^= 0x40; return b }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := newVault(t)
			v.Close()
			path := filepath.Join(v.Dir(), keyFileName)
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, tc.damage(data), 0o600); err != nil {
				t.Fatal(err)
			}
			_, err = Open(v.Dir(), testPassphrase, testOptions)
			if !errors.Is(err, ErrDamaged) || errors.Is(err, ErrWrongPassphrase) {
				t.Fatalf("got %v, want ErrDamaged only", err)
			}
		})
	}
}

func TestChangePassphrase(t *testing.T) {
	v := newVault(t)
	r := mustAdd(t, v, &record.Note{Text: "kept across a passphrase change"})
	if ok, err := v.CheckPassphrase(testPassphrase); !ok || err != nil {
		t.Fatalf("CheckPassphrase(current) = %v, %v", ok, err)
	}
	if ok, _ := v.CheckPassphrase(testPassphrase + " "); ok {
		t.Fatal("CheckPassphrase accepts a different passphrase")
	}
	if err := v.ChangePassphrase("a new and longer passphrase"); err != nil {
		t.Fatal(err)
	}
	if ok, _ := v.CheckPassphrase("a new and longer passphrase"); !ok {
		t.Fatal("CheckPassphrase does not know the new passphrase")
	}
	v.Close()
	if _, err := v.CheckPassphrase(testPassphrase); !errors.Is(err, ErrLocked) {
		t.Fatalf("CheckPassphrase on a locked vault: %v", err)
	}
	if _, err := Open(v.Dir(), testPassphrase, testOptions); !errors.Is(err, ErrWrongPassphrase) {
		t.Fatalf("old passphrase: got %v, want ErrWrongPassphrase", err)
	}
	w, err := Open(v.Dir(), "a new and longer passphrase", testOptions)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if _, err := w.Get(r.ID); err != nil {
		t.Fatalf("record lost after passphrase change: %v", err)
	}
}

func TestLockedVaultRefusesUse(t *testing.T) {
	v := newVault(t)
	v.Close()
	if _, err := v.Add(&record.Note{Text: "x"}); !errors.Is(err, ErrLocked) {
		t.Fatalf("Add after Close: got %v, want ErrLocked", err)
	}
	if _, err := v.Get("x"); !errors.Is(err, ErrLocked) {
		t.Fatalf("Get after Close: got %v, want ErrLocked", err)
	}
}

func TestSecondProcessGetsBusy(t *testing.T) {
	v := newVault(t)
	_, err := Open(v.Dir(), testPassphrase, testOptions)
	if !errors.Is(err, ErrBusy) {
		t.Fatalf("second Open: got %v, want ErrBusy", err)
	}
}

func TestWipeDestroysEverythingWithoutThePassphrase(t *testing.T) {
	v := newVault(t)
	mustAdd(t, v, &record.Note{Text: "to be wiped"})
	if _, err := v.ImportAttachment(strings.NewReader("attachment bytes"), "a.txt", "", nil); err != nil {
		t.Fatal(err)
	}
	v.Close()
	stray := filepath.Join(v.Dir(), "not-ours.txt")
	if err := os.WriteFile(stray, []byte("user file"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := Wipe(v.Dir()); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{keyFileName, dbDirName, blobDirName} {
		if _, err := os.Stat(filepath.Join(v.Dir(), name)); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s survived the wipe (err %v)", name, err)
		}
	}
	if _, err := os.Stat(stray); err != nil {
		t.Errorf("wipe removed a file that is not part of the vault: %v", err)
	}
	if _, err := Open(v.Dir(), testPassphrase, testOptions); !errors.Is(err, ErrNoVault) {
		t.Fatalf("Open after wipe: got %v, want ErrNoVault", err)
	}
	if err := Wipe(t.TempDir()); !errors.Is(err, ErrNoVault) {
		t.Fatalf("Wipe of a non-vault: got %v, want ErrNoVault", err)
	}
}

func TestWipeKeyFileIsOverwrittenBeforeRemoval(t *testing.T) {
	// Wipe shreds the key file: keep a hard link to see what was left in it.
	v := newVault(t)
	v.Close()
	link := filepath.Join(t.TempDir(), "key-link")
	if err := os.Link(filepath.Join(v.Dir(), keyFileName), link); err != nil {
		t.Skipf("hard links unsupported here: %v", err)
	}
	if err := Wipe(v.Dir()); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(link)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := keyfile.DecodeSlots(data, testPassphrase); err == nil {
		t.Fatal("the key file content survived the wipe and still opens")
	}
}

func TestDiskFullRefusesWritesAndKeepsData(t *testing.T) {
	v := newVault(t)
	r := mustAdd(t, v, &record.Note{Text: "saved before the disk filled"})
	free, err := freeSpace(v.Dir())
	if err != nil {
		t.Fatal(err)
	}
	v.opts.MinFreeBytes = int64(free) + 1<<40 // as if the disk were full
	if _, err := v.Add(&record.Note{Text: "refused"}); !errors.Is(err, ErrDiskFull) {
		t.Fatalf("Add on a full disk: got %v, want ErrDiskFull", err)
	}
	if _, err := v.ImportAttachment(strings.NewReader("x"), "x.txt", "", nil); !errors.Is(err, ErrDiskFull) {
		t.Fatalf("ImportAttachment on a full disk: got %v, want ErrDiskFull", err)
	}
	if got, err := v.Get(r.ID); err != nil || got.Revisions != 1 {
		t.Fatalf("earlier record after refused writes: %v, %+v", err, got)
	}
}

// snapshot maps each file under dir to its content.
func snapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	m := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		m[p] = string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func equalSnapshots(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}
