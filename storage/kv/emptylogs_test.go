//go:build unix

package kv

import (
	"os"
	"path/filepath"
	"testing"
)

// TestRemoveEmptyLogs removes empty .mem and .vlog files, keeps the rest,
// and keeps everything while another holder has the directory's lock.
func TestRemoveEmptyLogs(t *testing.T) {
	dir := t.TempDir()
	files := map[string][]byte{"00001.mem": nil, "000002.vlog": nil, "000001.vlog": []byte("x"), "MANIFEST": nil}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	exists := func(name string) bool {
		_, err := os.Stat(filepath.Join(dir, name))
		return err == nil
	}

	unlock, ok, err := lockDir(dir) // as a running Badger would hold it
	if err != nil || !ok {
		t.Fatalf("lockDir: %v, %v", ok, err)
	}
	if err := RemoveEmptyLogs(dir); err != nil {
		t.Fatal(err)
	}
	if !exists("00001.mem") || !exists("000002.vlog") {
		t.Fatal("empty logs removed while another holder had the store's lock")
	}
	unlock()

	if err := RemoveEmptyLogs(dir); err != nil {
		t.Fatal(err)
	}
	for name, data := range files {
		want := data != nil || filepath.Ext(name) == ""
		if exists(name) != want {
			t.Errorf("%s exists: %v, want %v", name, exists(name), want)
		}
	}
	if err := RemoveEmptyLogs(filepath.Join(dir, "absent")); err != nil {
		t.Errorf("a store not created yet: %v", err)
	}
}
