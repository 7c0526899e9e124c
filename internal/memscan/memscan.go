// Package memscan counts where known secrets survive in the memory of the
// running process. Tests use it to measure what a lock leaves behind: they
// hand it the secrets they used (passphrase, keys, record text) and read
// the counts after the vault is closed and the garbage collected.
//
// The scanner keeps its own copy of the secrets and its read buffer in
// memory mapped for it alone, which the scan leaves out, so that the
// needles are not found in the scanner itself. It reads the process's
// private anonymous memory (the Go heap, goroutine stacks, C allocations),
// not the mappings of files (the program, libraries, Badger's tables).
package memscan

import "errors"

// ErrUnsupported is returned by New where the process's memory cannot be
// read (anything but Linux).
var ErrUnsupported = errors.New("memscan: reading the process's own memory needs Linux (/proc/self/mem)")

// Needle is a secret to count and the name it is reported by.
type Needle struct {
	Name  string
	Bytes []byte
}
