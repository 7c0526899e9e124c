package storage

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// zfsSuperMagic is ZFS's f_type (OpenZFS's ZFS_SUPER_MAGIC), which
// x/sys/unix does not define.
const zfsSuperMagic = 0x2fc12fc1

// cowFileSystems names the copy-on-write file systems by f_type. Overlay
// and tmpfs are not among them: they write in place (an overlay over a
// copy-on-write upper directory is not seen through).
var cowFileSystems = map[int64]string{
	unix.BTRFS_SUPER_MAGIC:    "btrfs",
	zfsSuperMagic:             "zfs",
	unix.BCACHEFS_SUPER_MAGIC: "bcachefs",
}

func copyOnWrite(dir string) (string, bool, error) {
	var st unix.Statfs_t
	if err := unix.Statfs(dir, &st); err != nil {
		return "", false, fmt.Errorf("file system of %s: %w", dir, err)
	}
	name, cow := cowFileSystems[int64(st.Type)] // Type is int32 on 32-bit architectures
	return name, cow, nil
}
