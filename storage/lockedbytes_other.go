//go:build !linux

package storage

import "log/slog"

// lockedBytes is memory for one secret. Outside Linux it is ordinary heap
// memory, zeroed when freed; it is not locked against swapping.
type lockedBytes struct {
	b []byte
}

// newLockedBytes returns n bytes of memory for a secret.
func newLockedBytes(n int, _ *slog.Logger) *lockedBytes {
	return &lockedBytes{b: make([]byte, n)}
}

// free zeroes the memory.
func (l *lockedBytes) free() {
	clear(l.b)
	l.b = nil
}
