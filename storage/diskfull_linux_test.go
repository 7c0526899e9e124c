package storage

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/letapis/letapis/internal/proof"
	"github.com/letapis/letapis/storage/record"
)

// TestRealDiskFull fills a small tmpfs with attachments and records until
// the vault refuses, and checks that the process survives and every save
// that succeeded is there after reopening. It needs root to mount.
func TestRealDiskFull(t *testing.T) {
	mnt := t.TempDir()
	if err := unix.Mount("tmpfs", mnt, "tmpfs", 0, "size=160m"); err != nil {
		proof.Skip(t, diskFullCheck, fmt.Sprintf("cannot mount a small tmpfs to fill (needs root): %v", err))
	}
	t.Cleanup(func() { unix.Unmount(mnt, unix.MNT_DETACH) })

	opts := testOptions
	opts.MinFreeBytes = 48 << 20
	dir := filepath.Join(mnt, "vault")
	v, err := Create(dir, testPassphrase, opts)
	if err != nil {
		t.Fatal(err)
	}
	var saved []string
	var fullErr error
	for range 100 {
		r, err := v.ImportAttachment(io.LimitReader(rand.Reader, 8<<20), "recording.wav", "", nil)
		if err != nil {
			fullErr = err
			break
		}
		saved = append(saved, r.ID)
	}
	if !errors.Is(fullErr, ErrDiskFull) {
		t.Fatalf("filling the disk ended with %v, want ErrDiskFull", fullErr)
	}
	// Small records still fit above the floor.
	note, err := v.Add(&record.Note{Text: "saved after attachments were refused"})
	if err != nil {
		t.Fatalf("Add above the free-space floor: %v", err)
	}
	saved = append(saved, note.ID)
	leftovers, _ := filepath.Glob(filepath.Join(dir, blobDirName, ".tmp-*"))
	if len(leftovers) != 0 {
		t.Errorf("partial attachment files left behind: %v", leftovers)
	}
	if err := v.Close(); err != nil {
		t.Fatal(err)
	}

	// Another program takes the rest of the disk. Unlocking must neither
	// crash nor lose anything: the vault opens read-only.
	filler := filepath.Join(mnt, "filler")
	fillDisk(t, filler)
	w, err := Open(dir, testPassphrase, opts)
	if err != nil {
		proof.Report(t, diskFullCheck, proof.Count{Name: "failed reopenings", Value: 1, Zero: true})
		t.Fatalf("unlock on a full disk: %v", err)
	}
	lost := 0
	for _, id := range saved {
		if _, err := w.Get(id); err != nil {
			t.Errorf("record %s saved before the disk filled: %v", id, err)
			lost++
		}
	}
	for _, id := range saved[:len(saved)-1] {
		if _, err := w.ExportAttachment(id, io.Discard); err != nil {
			t.Errorf("attachment %s saved before the disk filled: %v", id, err)
			lost++
		}
	}
	if _, err := w.Add(&record.Note{Text: "refused"}); !errors.Is(err, ErrDiskFull) {
		t.Fatalf("Add on a full disk: %v, want ErrDiskFull", err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}

	// Space freed: the vault is writable again.
	os.Remove(filler)
	w, err = Open(dir, testPassphrase, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if _, err := w.Add(&record.Note{Text: "after space was freed"}); err != nil {
		t.Fatalf("Add after freeing space: %v", err)
	}
	t.Logf("%d attachments of 8 MiB saved before writes were refused: %v", len(saved)-1, fullErr)
	// Reaching this line means the process survived every step.
	proof.Report(t, diskFullCheck,
		proof.Count{Name: "saves before the disk was full", Value: float64(len(saved))},
		proof.Count{Name: "crashes", Value: 0, Zero: true},
		proof.Count{Name: "saved records lost", Value: float64(lost), Zero: true})
}

// diskFullCheck names TestRealDiskFull in the table of `make reliability`.
const diskFullCheck = "disk full on a 160 MB tmpfs"

// fillDisk writes path until the file system has no space left.
func fillDisk(t *testing.T, path string) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	buf := make([]byte, 1<<20)
	for {
		if _, err := f.Write(buf); err != nil {
			if errors.Is(err, unix.ENOSPC) {
				return
			}
			t.Fatal(err)
		}
	}
}
