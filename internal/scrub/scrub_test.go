package scrub

import (
	"crypto/rand"
	"errors"
	"runtime"
	"testing"

	"github.com/letapis/letapis/internal/memscan"
)

// TestFreedHeapClearsFreedSlots frees objects holding a marker among live
// neighbours, so that their slots stay in spans the heap keeps, and counts
// the marker in the process's memory before and after FreedHeap.
func TestFreedHeapClearsFreedSlots(t *testing.T) {
	marker := make([]byte, 32)
	rand.Read(marker)
	sc, err := memscan.New(memscan.Needle{Name: "marker", Bytes: marker})
	if errors.Is(err, memscan.ErrUnsupported) {
		t.Skip(err)
	}
	if err != nil {
		t.Fatal(err)
	}
	defer sc.Close()
	var live, freed [][]byte
	for i := range 4096 {
		b := make([]byte, 96)
		if i%2 == 0 {
			live = append(live, b)
		} else {
			copy(b, marker)
			freed = append(freed, b)
		}
	}
	clear(marker)
	freed = nil
	runtime.GC()
	before, err := sc.Count()
	if err != nil {
		t.Fatal(err)
	}
	FreedHeap()
	after, err := sc.Count()
	if err != nil {
		t.Fatal(err)
	}
	runtime.KeepAlive(live)
	t.Logf("freed copies of the marker: %d before FreedHeap, %d after", before[0], after[0])
	if before[0] == 0 || after[0] != 0 {
		t.Errorf("marker found %d times before FreedHeap and %d after; want some, then none", before[0], after[0])
	}
}

// BenchmarkFreedHeap scrubs a heap that has just let go of 64 MiB of
// small objects, as a lock of a large vault does.
func BenchmarkFreedHeap(b *testing.B) {
	for b.Loop() {
		b.StopTimer()
		var keep [][]byte
		for i := range 64 << 10 {
			keep = append(keep, make([]byte, 64+i%900))
		}
		keep = nil
		b.StartTimer()
		FreedHeap()
	}
}
