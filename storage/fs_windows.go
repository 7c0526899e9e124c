//go:build windows

package storage

import (
	"golang.org/x/sys/windows"
)

// freeSpace returns the bytes available to the current user on the volume
// that holds path.
func freeSpace(path string) (uint64, error) {
	p, err := windows.UTF16PtrFromString(path)
	if err != nil {
		return 0, err
	}
	var avail uint64
	if err := windows.GetDiskFreeSpaceEx(p, &avail, nil, nil); err != nil {
		return 0, err
	}
	return avail, nil
}
