package storage

import (
	"errors"

	"github.com/letapis/letapis/storage/keyfile"
)

// Errors returned by the vault. Callers test with errors.Is; the returned
// errors wrap these with details.
var (
	// ErrNoVault means the directory holds no vault (no key file).
	ErrNoVault = errors.New("no vault here")
	// ErrVaultExists means Create found a vault already in the directory.
	ErrVaultExists = errors.New("a vault already exists here")
	// ErrWrongPassphrase means the key file is intact but the passphrase
	// does not open it.
	ErrWrongPassphrase = keyfile.ErrWrongPassphrase
	// ErrDamaged means vault data (the key file, the store or an
	// attachment file) is truncated, altered or unreadable. For the key
	// file the error also wraps keyfile.ErrDamaged.
	ErrDamaged = errors.New("vault data is damaged")
	// ErrBusy means another process has the vault open.
	ErrBusy = errors.New("the vault is open in another Letapis process")
	// ErrLocked means the vault was locked (closed) and must be unlocked
	// again before use.
	ErrLocked = errors.New("the vault is locked")
	// ErrDiskFull means a write was refused because the disk is nearly full.
	ErrDiskFull = errors.New("not enough free disk space")
	// ErrNotFound means no record has the id.
	ErrNotFound = errors.New("no such record")
	// ErrAmbiguous means an id prefix matches more than one record.
	ErrAmbiguous = errors.New("id prefix matches more than one record")
	// ErrSealed means a change was attempted on a sealed testimony.
	ErrSealed = errors.New("the testimony is sealed and cannot be changed; amend it instead")
	// ErrDeleted means a change was attempted on a deleted record.
	ErrDeleted = errors.New("the record was deleted")
	// ErrNewerSchema means a record was written by a newer version of
	// Letapis; it is kept intact and can be read only as raw JSON.
	ErrNewerSchema = errors.New("the record was written by a newer version of Letapis")
	// ErrRejected means an envelope from elsewhere failed verification and
	// was not stored.
	ErrRejected = errors.New("envelope rejected")
	// ErrIntegrity means stored data does not match its recorded hash.
	ErrIntegrity = errors.New("stored data does not match its recorded hash")
)
