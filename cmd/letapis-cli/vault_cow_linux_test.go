package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/letapis/letapis/internal/loopfs"
	"github.com/letapis/letapis/storage"
)

const cowWarning = "a copy-on-write file system: what Letapis overwrites or deletes can stay readable on the disk"

// init on a real btrfs says, in one line, that deleted data can survive
// there; on the test's temporary folder (ext4 here) it says nothing.
func TestInitWarnsOnCopyOnWrite(t *testing.T) {
	h := newHarness(t)
	h.dir = filepath.Join(loopfs.Mount(t, "btrfs"), "vault")
	r := h.run("", "init")
	if r.code != 0 {
		t.Fatalf("init on btrfs: %v", r)
	}
	var lines []string
	for _, l := range strings.Split(r.stderr, "\n") {
		if strings.Contains(l, cowWarning) {
			lines = append(lines, l)
		}
	}
	if len(lines) != 1 || !strings.HasPrefix(lines[0], "letapis-cli: warning: the vault is on btrfs, ") {
		t.Fatalf("init on btrfs warned %q; stderr:\n%s", lines, r.stderr)
	}

	plain := newHarness(t)
	if name, cow, _ := storage.CopyOnWrite(filepath.Dir(plain.dir)); cow {
		t.Skipf("the temporary folder is itself on %s", name)
	}
	if r := plain.run("", "init"); r.code != 0 || strings.Contains(r.stderr, "copy-on-write") {
		t.Fatalf("init on the temp dir: %v", r)
	}
}
