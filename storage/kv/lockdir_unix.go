//go:build unix

package kv

import (
	"os"

	"golang.org/x/sys/unix"
)

// lockDir takes the lock Badger takes on a store's directory (an
// exclusive flock of the directory itself) without waiting. ok is false
// when another process holds it.
func lockDir(dir string) (unlock func(), ok bool, err error) {
	f, err := os.Open(dir)
	if err != nil {
		return nil, false, err
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		f.Close()
		return nil, false, nil
	}
	return func() { f.Close() }, true, nil // closing releases the lock
}
