package storage

import (
	"log/slog"

	"golang.org/x/sys/unix"
)

// lockedBytes is memory for one secret, mapped for it alone outside the Go
// heap, so the garbage collector never copies it and unmapping it removes
// it from the process, and locked with mlock so it is never written to
// swap.
type lockedBytes struct {
	b      []byte
	mapped []byte // the whole mapping, nil if it fell back to the heap
}

// newLockedBytes returns n bytes of locked memory. When the system refuses
// (RLIMIT_MEMLOCK reached, mapping failed) the secret is kept anyway, in
// unlocked memory, and the failure logged: never the secret.
func newLockedBytes(n int, log *slog.Logger) *lockedBytes {
	m, err := unix.Mmap(-1, 0, max(n, 1), unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANON)
	if err != nil {
		log.Warn("a key is kept in ordinary memory: mapping memory for it failed", "err", err)
		return &lockedBytes{b: make([]byte, n)}
	}
	if err := unix.Mlock(m); err != nil {
		log.Warn("a key may be swapped to disk: locking its memory failed (see ulimit -l)", "err", err)
	}
	return &lockedBytes{b: m[:n], mapped: m}
}

// free zeroes the memory and unmaps it.
func (l *lockedBytes) free() {
	clear(l.b)
	if l.mapped != nil {
		clear(l.mapped)
		_ = unix.Munlock(l.mapped)
		_ = unix.Munmap(l.mapped)
	}
	l.b, l.mapped = nil, nil
}
