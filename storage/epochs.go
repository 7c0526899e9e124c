package storage

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"

	"filippo.io/age"
	"github.com/dgraph-io/badger/v4"
)

// Audience epochs are introduced by the roster, never by a key grant. An
// admin's roster revision that starts an epoch (the founder's first entry,
// a removal, an explicit rotation) names the epoch and commits to its key:
// the SHA-256 of the epoch's age recipient. A key grant is accepted for an
// epoch only if such a commitment is known and the granted key matches it;
// until the commitment arrives the grant is kept pending. New envelopes go
// to the newest epoch whose key this device holds and the roster
// introduced. Restricted audiences do the same through their own signed
// records (see audienceRecord).

const pfxEpoch = "epoch/"

// epochCommit is one epoch and the commitment to its key.
type epochCommit struct {
	Epoch  uint64 `json:"epoch"`
	Commit string `json:"commit"` // hex SHA-256 of the epoch's recipient
}

// commitOf returns the commitment to an audience key.
func commitOf(id age.Identity) string {
	s := recipientOf(id).(fmt.Stringer).String()
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

func epochKey(e epochCommit) []byte {
	return key(pfxEpoch, fmt.Sprintf("%016x/", e.Epoch), e.Commit)
}

// teamEpochs reads every team epoch commitment the roster introduced.
func teamEpochs(txn *badger.Txn) ([]epochCommit, error) {
	var out []epochCommit
	it := txn.NewIterator(badger.IteratorOptions{Prefix: []byte(pfxEpoch)})
	defer it.Close()
	for it.Rewind(); it.Valid(); it.Next() {
		ep, commit, _ := strings.Cut(strings.TrimPrefix(string(it.Item().Key()), pfxEpoch), "/")
		var e epochCommit
		if _, err := fmt.Sscanf(ep, "%x", &e.Epoch); err != nil {
			return nil, fmt.Errorf("%w: epoch entry: %w", ErrDamaged, err)
		}
		e.Commit = commit
		out = append(out, e)
	}
	return out, nil
}

// committed reports whether es holds a commitment for a's epoch, and
// whether a's key matches one of them.
func committed(es []epochCommit, epoch uint64, commit string) (known, match bool) {
	for _, e := range es {
		if e.Epoch == epoch {
			known = true
			match = match || e.Commit == commit
		}
	}
	return known, match
}

// maxEpoch returns the highest epoch in es and auds.
func maxEpoch(es []epochCommit, auds []audience) uint64 {
	var n uint64
	for _, e := range es {
		n = max(n, e.Epoch)
	}
	for _, a := range auds {
		n = max(n, a.Epoch)
	}
	return n
}

// checkIntroduction says whether a roster entry may introduce epoch e now:
// it must follow the newest epoch known (or repeat a known one, as two
// admins rotating at once do). One further ahead waits: the entries
// between may still come.
func checkIntroduction(e epochCommit, known []epochCommit, held []audience) (pending bool, reject error) {
	if len(e.Commit) != 2*sha256.Size || e.Epoch == 0 {
		return false, fmt.Errorf("roster entry introduces epoch %d without a valid key commitment", e.Epoch)
	}
	if e.Epoch > maxEpoch(known, held)+1 {
		return true, nil
	}
	return false, nil
}

// markCommitted sets which of auds the roster introduced.
func markCommitted(auds []audience, es []epochCommit) {
	for i := range auds {
		_, auds[i].committed = committed(es, auds[i].Epoch, commitOf(auds[i].id))
	}
}
