package storage

import (
	"fmt"

	"golang.org/x/sys/unix"
)

func copyOnWrite(dir string) (string, bool, error) {
	var st unix.Statfs_t
	if err := unix.Statfs(dir, &st); err != nil {
		return "", false, fmt.Errorf("file system of %s: %w", dir, err)
	}
	name := unix.ByteSliceToString(st.Fstypename[:])
	return name, name == "apfs", nil
}
