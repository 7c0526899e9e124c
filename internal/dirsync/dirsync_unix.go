//go:build unix

package dirsync

import (
	"errors"

	"golang.org/x/sys/unix"
)

func unsupported(err error) bool {
	return errors.Is(err, unix.EINVAL) || errors.Is(err, unix.ENOTSUP)
}
