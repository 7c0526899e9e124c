package app

import (
	"os"
	"runtime/debug"

	"github.com/letapis/letapis/internal/scrub"
)

// Memory (docs/ARCHITECTURE.md: a vault of 100,000 records open in at most
// 250 MB). The key derivation needs 256 MiB for a moment at every unlock;
// unlock.go gives them back to the system as soon as the vault is open,
// and locking gives back what the session held (releaseMemory). Between
// the two, memoryLimit keeps the Go heap from growing to twice its live
// size, as the collector lets it by default, while the lists and the
// search index are loaded.

// memoryLimit is the soft limit of the Go runtime's memory that Run sets.
// The collector works harder near it rather than fail: past it, it takes
// at most half of the CPU.
const memoryLimit = 192 << 20

// limitMemory sets the runtime's soft memory limit to memoryLimit, unless
// the GOMEMLIMIT environment variable sets one.
func limitMemory() {
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(memoryLimit)
	}
}

// releaseMemory collects what locking dropped, clears it and gives it
// back to the system, off the UI goroutine, so that a locked app keeps no
// idle heap of the session, no freed copy of a record or key lingers
// (scrub.FreedHeap), and the next key derivation does not stack its 256 MiB
// on top of it.
func (u *UI) releaseMemory() {
	u.async(func() func() {
		scrub.FreedHeap()
		return nil
	})
}
