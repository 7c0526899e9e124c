//go:build linux

// Package loopfs mounts, in tests, a real file system of a given type on
// a loop device backed by an image file in the test's temporary folder,
// so that code can be tried on btrfs and the like without a spare disk.
// It needs root, the mkfs tool of the type and the kernel's support; the
// test is skipped, with the reason, when one is missing.
package loopfs

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// imageSize is the size of the (sparse) image: btrfs wants at least 114
// MiB, and the app refuses to create a vault with less than 256 MiB free.
const imageSize = 512 << 20

// Mount makes a file system of type fstype ("btrfs") on a fresh image,
// mounts it and returns the mount point. It is unmounted when the test
// ends.
func Mount(t testing.TB, fstype string) string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skipf("mounting a %s image needs root", fstype)
	}
	known, err := os.ReadFile("/proc/filesystems")
	if err != nil || !strings.Contains(string(known), "\t"+fstype+"\n") {
		t.Skipf("the kernel does not offer %s (/proc/filesystems: %v)", fstype, err)
	}
	mkfs, err := exec.LookPath("mkfs." + fstype)
	if err != nil {
		t.Skipf("no mkfs.%s (install its tools, e.g. btrfs-progs): %v", fstype, err)
	}
	tmp := t.TempDir()
	img := filepath.Join(tmp, fstype+".img")
	f, err := os.Create(img)
	if err != nil {
		t.Fatal(err)
	}
	err = f.Truncate(imageSize)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(mkfs, "-q", img).CombinedOutput(); err != nil {
		t.Fatalf("mkfs.%s: %v\n%s", fstype, err, out)
	}
	mnt := filepath.Join(tmp, "mnt")
	if err := os.Mkdir(mnt, 0o700); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("mount", "-o", "loop", img, mnt).CombinedOutput(); err != nil {
		t.Skipf("cannot loop-mount the %s image (no loop devices in this container?): %v\n%s", fstype, err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", mnt).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v\n%s", mnt, err, out)
		}
	})
	return mnt
}
