package storage

import (
	"runtime"
	"testing"

	"github.com/letapis/letapis/storage/record"
)

// TestPurgeOfASmallVaultIsCheap guards against a regression: copying the
// store with Badger's Stream and StreamWriter allocated about 2.3 GiB of
// buffers for a vault of ten notes (found by sync/engine's fault test,
// where devices spent most of their time purging). A purge runs on every
// Delete and after sync passes that received deletions, so it must cost
// about as much as the data it copies.
func TestPurgeOfASmallVaultIsCheap(t *testing.T) {
	v := newVault(t)
	for range 10 {
		mustAdd(t, v, &record.Note{Text: "a note"})
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	if err := v.Purge(); err != nil {
		t.Fatal(err)
	}
	runtime.ReadMemStats(&after)
	if mib := (after.TotalAlloc - before.TotalAlloc) >> 20; mib > 128 {
		t.Fatalf("a purge of a 10-record vault allocated %d MiB; unlocking it takes about 25", mib)
	}
}
