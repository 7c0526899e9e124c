//go:build !unix

package dirsync

// Directories cannot be synced on Windows; renames are durable there once
// the file itself is flushed.
func unsupported(error) bool { return true }
