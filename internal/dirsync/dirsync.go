// Package dirsync makes changes to a directory durable: the creation,
// renaming or removal of the files in it, which syncing the files alone
// does not make durable.
package dirsync

import "os"

// Sync syncs directory dir, after a file in it was created, renamed or
// removed. On systems that cannot sync a directory (Windows, some file
// systems) it does nothing: a rename there is durable once the file is
// synced.
func Sync(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !unsupported(err) {
		return err
	}
	return nil
}
