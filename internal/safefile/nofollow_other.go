//go:build !unix

package safefile

// oNoFollow is zero where the OS has no O_NOFOLLOW; O_EXCL already
// refuses an existing link there.
const oNoFollow = 0
