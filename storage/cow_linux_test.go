package storage

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/letapis/letapis/internal/loopfs"
)

// A vault made on a real btrfs is reported as copy-on-write.
func TestCopyOnWriteOnBtrfs(t *testing.T) {
	mnt := loopfs.Mount(t, "btrfs")
	v, err := Create(filepath.Join(mnt, "vault"), "a long passphrase for btrfs", Options{WorkFactor: 10, MinFreeBytes: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	name, cow, err := CopyOnWrite(v.Dir())
	if err != nil || !cow || name != "btrfs" {
		t.Fatalf("CopyOnWrite on btrfs = %q, %v, %v; want btrfs, true", name, cow, err)
	}
}

// The test's own temporary folder is judged as stat(1), a tool apart,
// names its file system: on ext4, tmpfs or overlay it is not
// copy-on-write.
func TestCopyOnWriteOnTempDir(t *testing.T) {
	dir := t.TempDir()
	out, err := exec.Command("stat", "-f", "-c", "%T", dir).Output()
	if err != nil {
		t.Skipf("no stat(1) to name the file system: %v", err)
	}
	fsType := strings.TrimSpace(string(out))
	name, cow, err := CopyOnWrite(dir)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{"btrfs": true, "zfs": true, "bcachefs": true}[fsType]
	if cow != want || cow && name != fsType {
		t.Fatalf("CopyOnWrite(%s) on %s = %q, %v; want cow %v", dir, fsType, name, cow, want)
	}
	if _, _, err := CopyOnWrite(filepath.Join(dir, "missing")); err == nil || !strings.Contains(err.Error(), "missing") {
		t.Fatalf("CopyOnWrite of a missing folder: %v", err)
	}
}
