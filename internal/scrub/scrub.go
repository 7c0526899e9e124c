// Package scrub overwrites the memory that the Go heap holds free, so that
// what a locked vault let go of (decrypted records, the search index, the
// copies of keys and passphrase that libraries made and dropped) does not
// stay in the process's memory until it happens to be reused.
//
// The garbage collector frees an object without clearing it: the bytes
// stay in their slot until the slot is handed out again, and the
// allocator clears a slot when it hands it out. FreedHeap hands out every
// free slot of every size class, and so clears them, then drops them
// again; debug.FreeOSMemory gives the pages of larger objects back to the
// system, which zeroes them. Neither reaches memory that is still in use,
// such as a library's live cache.
package scrub

import (
	"runtime"
	"runtime/debug"
)

// batch is how many bytes of one size class FreedHeap asks for at a time.
const batch = 64 << 10

// maxSmall is the largest size class of small objects; larger ones have
// pages of their own, which FreeOSMemory returns.
const maxSmall = 32 << 10

// FreedHeap clears the free slots of the Go heap and gives free pages back
// to the system. It costs about as much allocation as the heap holds free
// plus a collection per size class: tens of milliseconds on a heap of a
// few hundred megabytes. Call it off the UI goroutine.
func FreedHeap() {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	sizes := make([]int, 0, len(ms.BySize)+2)
	for _, c := range ms.BySize {
		if c.Size > 0 {
			sizes = append(sizes, int(c.Size))
		}
	}
	// BySize stops short of the largest small size classes.
	for _, s := range []int{28672, maxSmall} {
		if s > sizes[len(sizes)-1] {
			sizes = append(sizes, s)
		}
	}
	for _, size := range sizes {
		fill(size, &ms)
		runtime.GC()
	}
	debug.FreeOSMemory()
}

// fill allocates objects of size bytes until the heap grows by new spans
// rather than by free slots: the free slots of that size class have then
// all been handed out, and cleared.
func fill(size int, ms *runtime.MemStats) {
	per := max(1, batch/size)
	var keep [][][]byte
	for {
		// The batch's own slice is made before the heap is measured, so
		// that only the objects of this size count.
		objs := make([][]byte, per)
		keep = append(keep, objs)
		runtime.ReadMemStats(ms)
		before := ms.HeapInuse
		for i := range objs {
			objs[i] = make([]byte, size)
		}
		runtime.ReadMemStats(ms)
		if grew := ms.HeapInuse - before; grew >= uint64(per*size)/2 {
			break
		}
	}
	runtime.KeepAlive(keep)
}
