package storage

// CopyOnWrite reports whether dir is on a copy-on-write file system, and
// its name ("btrfs", "zfs", "bcachefs", "apfs"). Such a file system never
// changes a block in place: an overwrite goes to a new block and the old
// one stays on the disk until it happens to be reused, often inside a
// snapshot. Overwriting the key file's old slots or shredding a file
// there does not destroy the old bytes, so a vault on it relies on
// full-disk encryption for what it deletes (see docs/SECURITY.md).
//
// Linux detects btrfs, ZFS and bcachefs from statfs's f_type, macOS APFS
// from f_fstypename; elsewhere (Windows, the BSDs) cow is always false.
// SSD wear levelling, which also keeps old blocks, cannot be seen from
// here at all.
func CopyOnWrite(dir string) (name string, cow bool, err error) {
	return copyOnWrite(dir)
}
