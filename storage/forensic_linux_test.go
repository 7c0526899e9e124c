package storage

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"filippo.io/age"

	"github.com/letapis/letapis/internal/proof"
	"github.com/letapis/letapis/storage/keyfile"
	"github.com/letapis/letapis/storage/record"
)

// forensicMarker starts the text of every note of the forensic tests, so
// that a reader of the raw device can look for any of them.
const forensicMarker = "FORENSIC-MARKER-"

// The checks of the forensic tests in the reliability table.
const (
	forensicWipeCheck       = "seized ext4 disk after a wipe"
	forensicPassphraseCheck = "seized ext4 disk after a passphrase change"
	forensicMoveCheck       = "seized ext4 disk after the move of key.age"
	forensicPurgeCheck      = "seized ext4 disk after purges"
)

// newPassphrase is what the forensic tests change testPassphrase to.
const newPassphrase = "the passphrase after the change"

// mountExt4 makes an ext4 image file of 384 MiB (a purge needs room for a second store), loop-mounts it and
// returns the image and the mount point; unmount unmounts it (the test's
// cleanup does too). It skips the test, and the check named check of the
// reliability table, naming why, without root, mkfs.ext4 or loop devices.
func mountExt4(t *testing.T, check string) (image, mnt string, unmount func()) {
	t.Helper()
	if os.Geteuid() != 0 {
		proof.Skip(t, check, "loop-mounting an ext4 image needs root (CI runs as root)")
	}
	if _, err := exec.LookPath("mkfs.ext4"); err != nil {
		proof.Skip(t, check, "mkfs.ext4 is not installed (e2fsprogs; `make deps-gui-test` installs it)")
	}
	tmp := t.TempDir()
	image, mnt = filepath.Join(tmp, "disk.img"), filepath.Join(tmp, "mnt")
	if err := os.Mkdir(mnt, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(image, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(image, 384<<20); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("mkfs.ext4", "-F", "-q", image).CombinedOutput(); err != nil {
		t.Fatalf("mkfs.ext4: %v: %s", err, out)
	}
	if out, err := exec.Command("mount", "-o", "loop", image, mnt).CombinedOutput(); err != nil {
		proof.Skip(t, check, fmt.Sprintf("cannot loop-mount an ext4 image here (no loop devices?): %v: %s", err, out))
	}
	mounted := true
	unmount = func() {
		if !mounted {
			return
		}
		mounted = false
		if out, err := exec.Command("umount", mnt).CombinedOutput(); err != nil {
			// Detach it all the same, so that no mount outlives the test.
			_ = exec.Command("umount", "-l", mnt).Run()
			t.Fatalf("umount: %v: %s", err, out)
		}
	}
	t.Cleanup(unmount)
	return image, mnt, unmount
}

// deviceFindings is what a forensic reader of a raw device image found.
type deviceFindings struct {
	ageHeaders, keyHeaders, slotHeaders int
	// opens counts the age files found that each passphrase opens.
	opens map[string]int
	// plaintext counts the record texts found.
	plaintext int
}

// readDevice reads the raw image as a forensic reader would: it counts the
// age, key file and key slot headers, tries to open every age file found
// with each passphrase, and counts the marked record texts.
func readDevice(t *testing.T, image string, passphrases ...string) deviceFindings {
	t.Helper()
	f := deviceFindings{opens: map[string]int{}}
	eachChunk(t, image, func(raw []byte, own int) {
		f.keyHeaders += countIn(raw, own, []byte("letapis-key/v1\n"))
		f.slotHeaders += countIn(raw, own, []byte(keyfile.SlotMagic))
		f.plaintext += countIn(raw, own, []byte(forensicMarker))
		f.scanAge(t, raw, own, passphrases)
	})
	return f
}

// eachChunk reads image in chunks of 16 MiB and calls fn with each and the
// 64 KiB that follow it, and the chunk's own length, so that what starts in
// a chunk is seen whole, and once.
func eachChunk(t *testing.T, image string, fn func(raw []byte, own int)) {
	t.Helper()
	img, err := os.Open(image)
	if err != nil {
		t.Fatal(err)
	}
	defer img.Close()
	const chunk, tail = 16 << 20, 64 << 10
	buf := make([]byte, chunk+tail)
	for at := int64(0); ; at += chunk {
		n, err := img.ReadAt(buf, at)
		if n == 0 {
			if err == nil || errors.Is(err, io.EOF) {
				return
			}
			t.Fatal(err)
		}
		fn(buf[:n], min(n, chunk))
	}
}

// countIn counts the needles that start in the first own bytes of raw.
func countIn(raw []byte, own int, needle []byte) int {
	c := 0
	for off := 0; ; off++ {
		i := bytes.Index(raw[off:], needle)
		if i < 0 || off+i >= own {
			return c
		}
		off += i
		c++
	}
}

// scanAge counts the age files that start in the first own bytes of raw,
// and those that each passphrase opens.
func (f *deviceFindings) scanAge(t *testing.T, raw []byte, own int, passphrases []string) {
	t.Helper()
	ageHeader := []byte("age-encryption.org/v1\n")
	for off := 0; ; {
		i := bytes.Index(raw[off:], ageHeader)
		if i < 0 || off+i >= own {
			break
		}
		off += i
		f.ageHeaders++
		candidate := raw[off:]
		for _, p := range passphrases {
			id, err := age.NewScryptIdentity(p)
			if err != nil {
				t.Fatal(err)
			}
			// Decrypt unwraps the file key from the header: a nil error
			// means the passphrase opens this file.
			if _, err := age.Decrypt(bytes.NewReader(candidate), id); err == nil {
				f.opens[p]++
			}
		}
		off += len(ageHeader)
	}
}

// newForensicVault creates a vault under mnt, closed before the unmount
// when the test ends, adds n marked notes to it and deletes the first.
func newForensicVault(t *testing.T, mnt string, n int) *Vault {
	t.Helper()
	v, err := Create(filepath.Join(mnt, "vault"), testPassphrase, testOptions)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { v.Close() })
	var first *Record
	for i := range n {
		r := mustAdd(t, v, &record.Note{Text: fmt.Sprintf("%s%03d detained at the border", forensicMarker, i)})
		if first == nil {
			first = r
		}
	}
	if err := v.Delete(first.ID); err != nil {
		t.Fatal(err)
	}
	return v
}

// TestSeizedExt4DiskGivesUpNothingAfterWipe is a seized laptop: on a real
// ext4 file system a vault gets records, loses one, changes its
// passphrase, purges and is wiped. A forensic reader of the raw device
// then finds no key slot or key file header, nothing either passphrase
// opens, and no record text.
func TestSeizedExt4DiskGivesUpNothingAfterWipe(t *testing.T) {
	image, mnt, unmount := mountExt4(t, forensicWipeCheck)
	v := newForensicVault(t, mnt, 20)
	if err := v.ChangePassphrase(newPassphrase); err != nil {
		t.Fatal(err)
	}
	if err := v.Purge(); err != nil {
		t.Fatal(err)
	}
	if err := v.Wipe(); err != nil {
		t.Fatal(err)
	}
	unmount()
	f := readDevice(t, image, testPassphrase, newPassphrase)
	t.Logf("raw device after wipe: %+v", f)
	proof.Report(t, forensicWipeCheck,
		proof.Count{Name: "age headers", Value: float64(f.ageHeaders), Zero: true},
		proof.Count{Name: "key file headers", Value: float64(f.keyHeaders), Zero: true},
		proof.Count{Name: "key slot headers", Value: float64(f.slotHeaders), Zero: true},
		proof.Count{Name: "files the old passphrase opens", Value: float64(f.opens[testPassphrase]), Zero: true},
		proof.Count{Name: "files the new passphrase opens", Value: float64(f.opens[newPassphrase]), Zero: true},
		proof.Count{Name: "record texts", Value: float64(f.plaintext), Zero: true})
	if f.ageHeaders+f.keyHeaders+f.slotHeaders+f.opens[testPassphrase]+f.opens[newPassphrase]+f.plaintext != 0 {
		t.Errorf("the wiped device still holds key material or records: %+v", f)
	}
}

// TestSeizedExt4DiskAfterPassphraseChange is a laptop seized after a
// passphrase change, the old passphrase known to the reader (it was
// coerced or leaked): nothing on the raw device opens with it, and the new
// one opens the one live slot.
func TestSeizedExt4DiskAfterPassphraseChange(t *testing.T) {
	image, mnt, unmount := mountExt4(t, forensicPassphraseCheck)
	v := newForensicVault(t, mnt, 5)
	for _, p := range []string{"an intermediate passphrase", newPassphrase} {
		if err := v.ChangePassphrase(p); err != nil {
			t.Fatal(err)
		}
	}
	if err := v.Close(); err != nil {
		t.Fatal(err)
	}
	unmount()
	f := readDevice(t, image, testPassphrase, "an intermediate passphrase", newPassphrase)
	t.Logf("raw device after two passphrase changes: %+v", f)
	proof.Report(t, forensicPassphraseCheck,
		proof.Count{Name: "files the old passphrases open", Value: float64(f.opens[testPassphrase] + f.opens["an intermediate passphrase"]), Zero: true},
		proof.Count{Name: "files the new passphrase opens", Value: float64(f.opens[newPassphrase])},
		proof.Count{Name: "key slot headers", Value: float64(f.slotHeaders)},
		proof.Count{Name: "record texts", Value: float64(f.plaintext), Zero: true})
	if n := f.opens[testPassphrase] + f.opens["an intermediate passphrase"]; n != 0 {
		t.Errorf("%d files on the device still open with an old passphrase", n)
	}
	if f.opens[newPassphrase] != 1 || f.slotHeaders != 1 {
		t.Errorf("want exactly the one live slot, found %+v", f)
	}
	if f.plaintext != 0 {
		t.Errorf("%d record texts on the raw device", f.plaintext)
	}
}

// TestSeizedExt4DiskAfterKeyFileMove is a laptop seized after a vault of
// an earlier version (testdata/flipvault, with key.age) was unlocked once:
// the bytes of its key.age are nowhere on the raw device, and the only
// file the passphrase opens is the live key slot.
func TestSeizedExt4DiskAfterKeyFileMove(t *testing.T) {
	image, mnt, unmount := mountExt4(t, forensicMoveCheck)
	dir := filepath.Join(mnt, "vault")
	if err := os.CopyFS(dir, os.DirFS(flipVault)); err != nil {
		t.Fatal(err)
	}
	legacy, err := os.ReadFile(filepath.Join(dir, legacyKeyFileName))
	if err != nil {
		t.Fatal(err)
	}
	// What was copied must be on the medium before the move, as it is on
	// a disk that has held the vault for a while.
	if out, err := exec.Command("sync").CombinedOutput(); err != nil {
		t.Fatalf("sync: %v: %s", err, out)
	}
	v, err := Open(dir, testPassphrase, testOptions)
	if err != nil {
		t.Fatal(err)
	}
	if err := v.Close(); err != nil {
		t.Fatal(err)
	}
	unmount()
	f := readDevice(t, image, testPassphrase)
	copies := 0
	eachChunk(t, image, func(raw []byte, own int) {
		copies += countIn(raw, own, legacy[len(legacy)-64:]) // its last bytes: the key's ciphertext
	})
	t.Logf("raw device after the move of key.age: %+v, copies of key.age: %d", f, copies)
	proof.Report(t, forensicMoveCheck,
		proof.Count{Name: "copies of key.age", Value: float64(copies), Zero: true},
		proof.Count{Name: "files the passphrase opens", Value: float64(f.opens[testPassphrase])})
	if copies != 0 || f.opens[testPassphrase] != 1 || f.slotHeaders != 1 {
		t.Errorf("want no copy of key.age and the one live slot; found %d copies, %+v", copies, f)
	}
}

// TestSeizedExt4DiskAfterPurge is a laptop seized, passphrase and all,
// after purges: the passphrase opens one file on the raw device, the live
// key slot, and so no store key of an earlier generation survives to
// decrypt what is left of the purged records' store.
func TestSeizedExt4DiskAfterPurge(t *testing.T) {
	image, mnt, unmount := mountExt4(t, forensicPurgeCheck)
	v := newForensicVault(t, mnt, 5) // the delete purged once
	if err := v.Purge(); err != nil {
		t.Fatal(err)
	}
	gen := v.secrets.StoreGeneration
	if err := v.Close(); err != nil {
		t.Fatal(err)
	}
	unmount()
	f := readDevice(t, image, testPassphrase)
	t.Logf("raw device after purges up to generation %d: %+v", gen, f)
	proof.Report(t, forensicPurgeCheck,
		proof.Count{Name: "store generations", Value: float64(gen)},
		proof.Count{Name: "files the passphrase opens", Value: float64(f.opens[testPassphrase])},
		proof.Count{Name: "record texts", Value: float64(f.plaintext), Zero: true})
	if f.opens[testPassphrase] != 1 || f.slotHeaders != 1 || f.plaintext != 0 {
		t.Errorf("want the one live slot and no record text; found %+v", f)
	}
}
