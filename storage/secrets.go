package storage

import (
	"crypto/rand"
	"log/slog"
	"unsafe"

	"github.com/letapis/letapis/storage/keyfile"
)

// Secrets in memory. While a vault is unlocked it holds its passphrase,
// the signing seed, the age identity in its text form and the store key.
// Each lives in a lockedBytes: memory outside the
// Go heap (on Linux; see lockedbytes_linux.go), locked so the system does
// not swap it out, and zeroed and given back when the vault is locked, so
// no copy of the vault's own survives the lock. Copies that libraries make
// (age's scrypt, the parsed age identity, Badger's cipher) are out of
// reach; docs/SECURITY.md lists them and TestLockLeavesNoSecretsInMemory
// counts them.

// lockedSecrets are the locked copies of a vault's secrets.
type lockedSecrets struct {
	bufs []*lockedBytes
}

// keep copies b into locked memory and returns the copy. It clears b,
// which the caller no longer uses.
func (l *lockedSecrets) keep(b []byte, log *slog.Logger) []byte {
	m := newLockedBytes(len(b), log)
	copy(m.b, b)
	clear(b)
	l.bufs = append(l.bufs, m)
	return m.b
}

// keepString copies s into locked memory, zeroes the heap bytes of s and
// returns a string that shares the locked copy. s must be a string of the
// caller's own, allocated at run time (decoded from JSON, built by
// String()): never a constant and never shared with code that reads it
// afterwards.
func (l *lockedSecrets) keepString(s string, log *slog.Logger) string {
	if s == "" {
		return ""
	}
	b := l.keep(unsafe.Slice(unsafe.StringData(s), len(s)), log)
	return unsafe.String(unsafe.SliceData(b), len(b))
}

// free zeroes and releases every locked copy. Nothing may use them after.
func (l *lockedSecrets) free() {
	for _, m := range l.bufs {
		m.free()
	}
	l.bufs = nil
}

// adopt moves the keys of s into locked memory: the signing seed, the
// store key and the age identity's text.
func (l *lockedSecrets) adopt(s *keyfile.Secrets, log *slog.Logger) {
	s.SigningKey = l.keep(s.SigningKey, log)
	s.StoreKey = l.keep(s.StoreKey, log)
	s.Identity = l.keepString(s.Identity, log)
}

// lockSecrets moves the passphrase of a vault being opened into its locked
// memory, next to the keys adopted before the store was opened with them.
// The expanded signing key stays on the Go heap, where Close zeroes it:
// crypto/ed25519 caches its work by the key's heap address and refuses a
// key anywhere else.
func (v *Vault) lockSecrets(l *lockedSecrets) {
	v.locked = l
	v.passphrase = l.keep(v.passphrase, v.opts.Logger)
}

// newStoreKey returns a random store key in the vault's locked memory.
// The caller holds v.mu.
func (v *Vault) newStoreKey() []byte {
	k := v.locked.keep(make([]byte, 32), v.opts.Logger)
	_, _ = rand.Read(k)
	return k
}
