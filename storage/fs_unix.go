//go:build unix

package storage

import (
	"golang.org/x/sys/unix"
)

// freeSpace returns the bytes available to an unprivileged user on the file
// system that holds path.
func freeSpace(path string) (uint64, error) {
	var st unix.Statfs_t
	if err := unix.Statfs(path, &st); err != nil {
		return 0, err
	}
	return uint64(st.Bavail) * uint64(st.Bsize), nil // Bavail is int64 on some systems
}
