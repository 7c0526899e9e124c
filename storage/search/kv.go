package search

import "errors"

// KV is the part of a key-value transaction the index needs. The vault
// passes an adapter over its Badger transaction, so the index is encrypted
// at rest and committed atomically with the records it describes. The index
// touches only keys under the prefix "idx/"; the caller must not write
// there.
type KV interface {
	// Get returns the value stored under key, or an error wrapping
	// ErrNoKey when there is none. The returned slice may be retained by
	// the index: return a copy when the store reuses its buffers.
	Get(key []byte) ([]byte, error)
	// Set stores value under key, replacing any earlier value. The index
	// does not modify key or value after the call.
	Set(key, value []byte) error
	// Delete removes key. Deleting a missing key is not an error.
	Delete(key []byte) error
	// Iterate calls fn with every key that starts with prefix and its
	// value, in ascending key order, until fn returns an error, which
	// Iterate then returns unchanged (so that errors.Is works). fn must not
	// retain key or value after it returns; the index copies what it keeps.
	Iterate(prefix []byte, fn func(key, value []byte) error) error
}

// Errors of the package. Callers test with errors.Is; returned errors wrap
// these with details.
var (
	// ErrNoKey is what KV.Get returns (possibly wrapped) for a missing key.
	ErrNoKey = errors.New("no such key")
	// ErrNeedsRebuild means the stored index is missing, was written by
	// another version of this package, or is damaged. Call Rebuild.
	ErrNeedsRebuild = errors.New("the search index must be rebuilt")
	// ErrEmptyQuery means a query had neither text nor a filter.
	ErrEmptyQuery = errors.New("the search query is empty")
)

// Store keys. Everything lives under prefix; see the package documentation.
const (
	prefix    = "idx/"
	docPrefix = prefix + "d/" // idx/d/<record id> → entry
	metaKey   = prefix + "meta"
)

// formatVersion is stored under metaKey. Change it whenever the entry
// encoding, the tokenizer or the name normaliser changes in a way that
// makes stored entries stale: Open then asks for a rebuild.
const formatVersion = 1

func docKey(id string) []byte { return []byte(docPrefix + id) }
