package relay

import (
	"bytes"
	"cmp"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/dgraph-io/badger/v4"

	"github.com/dgraph-io/badger/v4/options"
	"github.com/letapis/letapis/storage/kv"

	"github.com/letapis/letapis/sync/wire"
)

// ErrLocked is returned by OpenBadgerStore when another process, most
// likely a running relay, has the store open.
var ErrLocked = errors.New("the relay store is in use by another process (is 'letapis-relay serve' running?)")

// BadgerStore is a Store in an embedded Badger database, with its large
// blobs in files beside it.
//
// Small blobs (envelopes) are Badger values rather than files, so that a
// blob, its size and the team's usage change in one transaction, and so
// that thousands of small envelopes cost neither an inode nor an fsync
// each (writes are group-committed). Every value over 1 KiB goes to the
// value log, written once: compactions of the LSM tree move only keys and
// small records, never ciphertext. Blobs of fileBlobSize bytes or more
// (attachment parts) are files in the directory "files", named by team
// and id (see blobFiles), each written and synced before the transaction
// that records its size and the team's usage, which is what makes it a
// blob of the team. Blobs are never deleted or rewritten, so the value log
// needs no garbage collection. Nothing is compressed: ciphertext does not
// compress. A small blob is read into memory to be served; a file is not.
//
// All writes go through one group-committing writer (see batcher) with
// SyncWrites on, so a write is on disk when its method returns.
//
// Keys, with team ids, pseudonyms and blob ids of fixed length:
//
//	team/T          teamRecord (JSON)
//	dev/T/P         deviceRecord (JSON)
//	inv/T/H         inviteRecord (JSON); H is the hex token hash
//	blob/T/ID       the blob's bytes, unless it is a file
//	size/T/ID       its size (uint64)
//	usage/T         bytes of the team's blobs (uint64)
//	head/T          sequence number of the log's last entry (uint64)
//	log/T/SEQ       entry: size (uint64), the id, then the chain hash after
//	                it (wire.ChainHash; absent in stores made before log
//	                version 2 until OpenBadgerStore computes it); SEQ is a
//	                big-endian uint64
//	chain/T         how far the chain is computed: a sequence number
//	                (uint64) and the chain hash there
//	logid/T/ID      the id's sequence number (uint64)
//	nonce/H         empty, expiring with the nonce; H is the hex SHA-256 of
//	                pseudonym and nonce, so that these short-lived records
//	                do not say which devices were active when
type BadgerStore struct {
	db    *badger.DB
	w     *batcher
	files *blobFiles
	log   *slog.Logger
}

var _ Store = (*BadgerStore)(nil)

// BadgerOptions configures OpenBadgerStore.
type BadgerOptions struct {
	// Logger receives Badger's warnings and errors and the store's own;
	// nil discards them. Neither logs keys or values.
	Logger *slog.Logger
}

// OpenBadgerStore opens the store in dir, creating it if needed, and
// removes the blob files that no blob owns (left by a crash). It returns
// ErrLocked if another process has it open. Close it when done.
func OpenBadgerStore(dir string, opts BadgerOptions) (*BadgerStore, error) {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if err := kv.RemoveEmptyLogs(dir); err != nil {
		return nil, fmt.Errorf("open relay store in %s: %w", dir, err)
	}
	db, err := badger.Open(badger.DefaultOptions(dir).
		WithSyncWrites(true).
		WithDetectConflicts(false). // the batcher is the only writer
		WithValueThreshold(1 << 10).
		WithCompression(options.None).
		WithMemTableSize(32 << 20).
		WithNumMemtables(3).
		WithBlockCacheSize(64 << 20).
		WithValueLogFileSize(256 << 20).
		WithNumCompactors(2).
		WithLogger(kv.Logger(log)).
		WithLoggingLevel(badger.WARNING))
	if err != nil {
		// Badger reports a held lock only as text.
		if strings.Contains(err.Error(), "Cannot acquire directory lock") {
			return nil, ErrLocked
		}
		return nil, fmt.Errorf("open relay store in %s: %w", dir, err)
	}
	s := &BadgerStore{db: db, w: newBatcher(db), log: log}
	if err := s.openFiles(filepath.Join(dir, "files")); err != nil {
		db.Close()
		return nil, fmt.Errorf("open relay store in %s: blob files: %w", dir, err)
	}
	if err := s.chainLogs(); err != nil {
		db.Close()
		return nil, fmt.Errorf("open relay store in %s: chain the team logs: %w", dir, err)
	}
	return s, nil
}

// openFiles opens the directory of blob files and clears it of files no
// blob owns.
func (s *BadgerStore) openFiles(dir string) error {
	files, err := openBlobFiles(dir)
	if err != nil {
		return err
	}
	s.files = files
	removed, err := files.removeStray(func(team, id string) (found bool, err error) {
		err = s.db.View(func(txn *badger.Txn) error {
			_, found, err = getUint(txn, key("size", team, id))
			return err
		})
		return found, err
	})
	if removed > 0 {
		s.log.Warn("removed blob files that no blob owns, left by a crash or a refused upload", "files", removed)
	}
	return err
}

// Close closes the database. Calls made after Close fail.
func (s *BadgerStore) Close() error {
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("close relay store: %w", err)
	}
	return nil
}

type teamRecord struct {
	Token []byte `json:"token"`           // hash of the operator token
	Admin string `json:"admin,omitempty"` // the device that used it
	// Recovery says the token is one of RecoverTeam, for an active device.
	Recovery bool `json:"recovery,omitempty"`
}

type deviceRecord struct {
	AuthKey   []byte    `json:"auth_key,omitempty"`
	Role      Role      `json:"role,omitempty"`
	Status    Status    `json:"status"`
	Device    []byte    `json:"device,omitempty"`    // while pending
	Recipient string    `json:"recipient,omitempty"` // while pending
	Requested time.Time `json:"requested,omitzero"`  // while pending
}

type inviteRecord struct {
	Expires time.Time `json:"expires"`
	UsedBy  string    `json:"used_by,omitempty"`
}

func key(parts ...string) []byte { return []byte(strings.Join(parts, "/")) }

func logKey(team string, seq uint64) []byte {
	return binary.BigEndian.AppendUint64(key("log", team, ""), seq)
}

func inviteKey(team string, token TokenHash) []byte {
	return key("inv", team, hex.EncodeToString(token[:]))
}

// CreateTeam implements Store.
func (s *BadgerStore) CreateTeam(_ context.Context, team string, token TokenHash) error {
	return s.w.update(func(txn *badger.Txn) error {
		var t teamRecord
		if found, err := getJSON(txn, key("team", team), &t); err != nil || found {
			return errOr(err, ErrExists)
		}
		return setJSON(txn, key("team", team), teamRecord{Token: token[:]})
	})
}

// RegisterAdmin implements Store.
func (s *BadgerStore) RegisterAdmin(_ context.Context, team, pseudonym string, authKey ed25519.PublicKey, token TokenHash) error {
	return s.w.update(func(txn *badger.Txn) error {
		var t teamRecord
		found, err := getJSON(txn, key("team", team), &t)
		switch {
		case err != nil:
			return err
		case !found || subtle.ConstantTimeCompare(t.Token, token[:]) != 1:
			return ErrBadToken
		case t.Admin != "":
			return usedBy(txn, team, t.Admin, pseudonym, authKey, ErrExists)
		}
		if t.Recovery {
			var d deviceRecord
			found, err := getJSON(txn, key("dev", team, pseudonym), &d)
			switch {
			case err != nil:
				return err
			case !found || d.Status != StatusActive || !bytes.Equal(d.AuthKey, authKey):
				return ErrNotActiveDevice
			}
		}
		t.Admin = pseudonym
		if err := setJSON(txn, key("team", team), t); err != nil {
			return err
		}
		return setJSON(txn, key("dev", team, pseudonym), deviceRecord{AuthKey: authKey, Role: RoleAdmin, Status: StatusActive})
	})
}

// RecoverTeam implements Store.
func (s *BadgerStore) RecoverTeam(_ context.Context, team string, token TokenHash) error {
	return s.w.update(func(txn *badger.Txn) error {
		var t teamRecord
		if found, err := getJSON(txn, key("team", team), &t); err != nil || !found {
			return errOr(err, ErrNotFound)
		}
		return setJSON(txn, key("team", team), teamRecord{Token: token[:], Recovery: true})
	})
}

// usedBy decides a retry with a token already used by user: it succeeds
// for the same device with the same key, if not revoked since, and fails
// with refusal otherwise.
func usedBy(txn *badger.Txn, team, user, pseudonym string, authKey ed25519.PublicKey, refusal error) error {
	if user != pseudonym {
		return refusal
	}
	var d deviceRecord
	found, err := getJSON(txn, key("dev", team, pseudonym), &d)
	switch {
	case err != nil:
		return err
	case found && d.Status != StatusRevoked && bytes.Equal(d.AuthKey, authKey):
		return nil
	}
	return refusal
}

// loadDevice reads a device record, or returns ErrNotFound.
func loadDevice(txn *badger.Txn, team, pseudonym string) (deviceRecord, error) {
	var d deviceRecord
	found, err := getJSON(txn, key("dev", team, pseudonym), &d)
	if err != nil || !found {
		return d, errOr(err, ErrNotFound)
	}
	return d, nil
}

// Device implements Store.
func (s *BadgerStore) Device(_ context.Context, team, pseudonym string) (Device, error) {
	var d deviceRecord
	err := s.db.View(func(txn *badger.Txn) error {
		var err error
		d, err = loadDevice(txn, team, pseudonym)
		return err
	})
	if err != nil {
		return Device{}, err
	}
	return Device{Pseudonym: pseudonym, AuthKey: d.AuthKey, Role: d.Role, Status: d.Status}, nil
}

// CreateInvite implements Store.
func (s *BadgerStore) CreateInvite(_ context.Context, team string, token TokenHash, expires time.Time) error {
	return s.w.update(func(txn *badger.Txn) error {
		return setJSON(txn, inviteKey(team, token), inviteRecord{Expires: expires})
	})
}

// Join implements Store.
func (s *BadgerStore) Join(_ context.Context, team string, token TokenHash, a wire.Applicant, now time.Time) error {
	return s.w.update(func(txn *badger.Txn) error {
		var inv inviteRecord
		found, err := getJSON(txn, inviteKey(team, token), &inv)
		switch {
		case err != nil:
			return err
		case !found:
			return ErrBadToken
		case inv.UsedBy != "":
			return usedBy(txn, team, inv.UsedBy, a.Pseudonym, a.AuthKey, ErrBadToken)
		case !now.Before(inv.Expires):
			return ErrBadToken
		}
		var d deviceRecord
		if found, err := getJSON(txn, key("dev", team, a.Pseudonym), &d); err != nil || found {
			return errOr(err, ErrExists)
		}
		inv.UsedBy = a.Pseudonym
		if err := setJSON(txn, inviteKey(team, token), inv); err != nil {
			return err
		}
		return setJSON(txn, key("dev", team, a.Pseudonym), deviceRecord{
			AuthKey: a.AuthKey, Role: RoleMember, Status: StatusPending,
			Device: a.Device, Recipient: a.Recipient, Requested: a.Requested,
		})
	})
}

// PendingJoins implements Store.
func (s *BadgerStore) PendingJoins(_ context.Context, team string) ([]wire.Applicant, error) {
	joins := []wire.Applicant{}
	err := s.db.View(func(txn *badger.Txn) error {
		return eachDevice(txn, team, func(pseudonym string, d deviceRecord) {
			if d.Status == StatusPending {
				joins = append(joins, wire.Applicant{
					Pseudonym: pseudonym, AuthKey: d.AuthKey,
					Device: d.Device, Recipient: d.Recipient, Requested: d.Requested,
				})
			}
		})
	})
	if err != nil {
		return nil, err
	}
	slices.SortStableFunc(joins, func(a, b wire.Applicant) int { return a.Requested.Compare(b.Requested) })
	return joins, nil
}

// eachDevice calls fn for every device of team.
func eachDevice(txn *badger.Txn, team string, fn func(pseudonym string, d deviceRecord)) error {
	prefix := key("dev", team, "")
	it := txn.NewIterator(badger.IteratorOptions{Prefix: prefix, PrefetchValues: true, PrefetchSize: 16})
	defer it.Close()
	for it.Rewind(); it.Valid(); it.Next() {
		var d deviceRecord
		if err := it.Item().Value(func(v []byte) error { return json.Unmarshal(v, &d) }); err != nil {
			return fmt.Errorf("read device record: %w", err)
		}
		fn(string(it.Item().Key()[len(prefix):]), d)
	}
	return nil
}

// Approve implements Store.
func (s *BadgerStore) Approve(_ context.Context, team, pseudonym string, role Role) error {
	return s.w.update(func(txn *badger.Txn) error {
		d, err := loadDevice(txn, team, pseudonym)
		switch {
		case err != nil:
			return err
		case d.Status == StatusRevoked:
			return ErrRevoked
		case d.Status == StatusActive && (d.Role == role || role != RoleAdmin):
			return nil
		}
		return setJSON(txn, key("dev", team, pseudonym), deviceRecord{AuthKey: d.AuthKey, Role: role, Status: StatusActive})
	})
}

// Revoke implements Store.
func (s *BadgerStore) Revoke(_ context.Context, team, pseudonym string) error {
	return s.w.update(func(txn *badger.Txn) error {
		d, err := loadDevice(txn, team, pseudonym)
		switch {
		case err != nil:
			return err
		case d.Status == StatusRevoked:
			return nil
		case d.Status == StatusActive && d.Role == RoleAdmin:
			admins := 0
			err := eachDevice(txn, team, func(_ string, o deviceRecord) {
				if o.Status == StatusActive && o.Role == RoleAdmin {
					admins++
				}
			})
			if err != nil {
				return err
			}
			if admins == 1 {
				return ErrLastAdmin
			}
		}
		return setJSON(txn, key("dev", team, pseudonym), deviceRecord{Status: StatusRevoked})
	})
}

// PutBlob implements Store.
func (s *BadgerStore) PutBlob(ctx context.Context, team, id string, data []byte, quota int64) (created bool, err error) {
	n, err := s.PutBlobs(ctx, team, []string{id}, [][]byte{data}, quota)
	return n == 1, err
}

// PutBlobs implements Store. The large new blobs are written to files
// first (see blobFiles), then all are recorded in one transaction.
func (s *BadgerStore) PutBlobs(_ context.Context, team string, ids []string, blobs [][]byte, quota int64) (created int, err error) {
	if err := s.putFiles(team, ids, blobs, quota); err != nil {
		return 0, err
	}
	err = s.w.update(func(txn *badger.Txn) error {
		created = 0
		usage, _, err := getUint(txn, key("usage", team))
		if err != nil {
			return err
		}
		for i, id := range ids {
			// An id seen earlier in this batch is found here too: a
			// transaction reads its own writes.
			_, found, err := getUint(txn, key("size", team, id))
			switch {
			case err != nil:
				return err
			case found:
				continue
			}
			size := uint64(len(blobs[i]))
			if quota > 0 && usage+size > uint64(quota) {
				return ErrQuotaExceeded
			}
			usage += size
			if size < fileBlobSize {
				if err := txn.Set(key("blob", team, id), blobs[i]); err != nil {
					return err
				}
			}
			if err := txn.Set(key("size", team, id), u64(size)); err != nil {
				return err
			}
			created++
		}
		if created == 0 {
			return nil
		}
		return txn.Set(key("usage", team), u64(usage))
	})
	return created, err
}

// putFiles writes the files of the blobs of at least fileBlobSize bytes
// that the team lacks, unless they would take it over its quota. A blob
// stored meanwhile by another request is written again, with the same
// bytes: the rename replaces its file whole.
func (s *BadgerStore) putFiles(team string, ids []string, blobs [][]byte, quota int64) error {
	var bigIDs []string
	var big [][]byte
	err := s.db.View(func(txn *badger.Txn) error {
		usage, _, err := getUint(txn, key("usage", team))
		if err != nil {
			return err
		}
		for i, id := range ids {
			if len(blobs[i]) < fileBlobSize || slices.Contains(bigIDs, id) {
				continue
			}
			if _, found, err := getUint(txn, key("size", team, id)); err != nil || found {
				if err != nil {
					return err
				}
				continue
			}
			usage += uint64(len(blobs[i]))
			if quota > 0 && usage > uint64(quota) {
				return ErrQuotaExceeded
			}
			bigIDs, big = append(bigIDs, id), append(big, blobs[i])
		}
		return nil
	})
	if err != nil || len(bigIDs) == 0 {
		return err
	}
	return s.files.write(team, bigIDs, big)
}

// MissingBlobs implements Store.
func (s *BadgerStore) MissingBlobs(_ context.Context, team string, ids []string) ([]string, error) {
	missing := []string{}
	err := s.db.View(func(txn *badger.Txn) error {
		seen := make(map[string]bool, len(ids))
		for _, id := range ids {
			if seen[id] {
				continue
			}
			seen[id] = true
			if _, found, err := getUint(txn, key("size", team, id)); err != nil {
				return err
			} else if !found {
				missing = append(missing, id)
			}
		}
		return nil
	})
	return missing, err
}

// OpenBlob implements Store.
func (s *BadgerStore) OpenBlob(_ context.Context, team, id string) (blob io.ReadSeekCloser, err error) {
	err = s.db.View(func(txn *badger.Txn) error {
		blob, err = s.blobReader(txn, team, id)
		return err
	})
	return blob, err
}

type nopCloser struct{ io.ReadSeeker }

func (nopCloser) Close() error { return nil }

// Usage implements Store.
func (s *BadgerStore) Usage(_ context.Context, team string) (int64, error) {
	var usage uint64
	err := s.db.View(func(txn *badger.Txn) (err error) {
		usage, _, err = getUint(txn, key("usage", team))
		return err
	})
	return int64(usage), err
}

// Append implements Store.
func (s *BadgerStore) Append(_ context.Context, team string, ids []string) ([]wire.Entry, error) {
	var entries []wire.Entry
	err := s.w.update(func(txn *badger.Txn) error {
		sizes := make(map[string]uint64, len(ids))
		missing := 0
		for _, id := range ids {
			if _, ok := sizes[id]; ok {
				continue
			}
			size, found, err := getUint(txn, key("size", team, id))
			if err != nil {
				return err
			}
			if !found {
				missing++
			}
			sizes[id] = size
		}
		if missing > 0 {
			return &MissingBlobsError{Missing: missing}
		}
		head, _, err := getUint(txn, key("head", team))
		if err != nil {
			return err
		}
		chained, hash, err := getChain(txn, team)
		if err != nil {
			return err
		}
		if chained != head {
			return fmt.Errorf("the log's chain ends at entry %d, the log at %d: reopen the store to complete it", chained, head)
		}
		entries = make([]wire.Entry, 0, len(sizes))
		for _, id := range ids {
			size, ok := sizes[id]
			if !ok {
				continue // a repeated id, done
			}
			delete(sizes, id)
			seq, found, err := getUint(txn, key("logid", team, id))
			if err != nil {
				return err
			}
			if !found {
				head++
				seq = head
				hash = wire.ChainHash(hash, seq, id)
				if err := appendEntry(txn, team, seq, id, size, hash); err != nil {
					return err
				}
			}
			entries = append(entries, wire.Entry{Seq: seq, ID: id, Size: int64(size)})
		}
		slices.SortFunc(entries, func(a, b wire.Entry) int { return cmp.Compare(a.Seq, b.Seq) })
		if err := setChain(txn, team, head, hash); err != nil {
			return err
		}
		return txn.Set(key("head", team), u64(head))
	})
	return entries, err
}

func appendEntry(txn *badger.Txn, team string, seq uint64, id string, size uint64, hash []byte) error {
	if err := txn.Set(logKey(team, seq), entryValue(size, id, hash)); err != nil {
		return err
	}
	return txn.Set(key("logid", team, id), u64(seq))
}

// entryValue is the value of a log entry: its size, id and chain hash.
func entryValue(size uint64, id string, hash []byte) []byte {
	return append(append(u64(size), id...), hash...)
}

// entryIDLen is the length of a blob id in a log entry's value.
const entryIDLen = 64

// parseEntry reads a log entry's value; hash is nil in an entry stored
// before log version 2 and not chained yet.
func parseEntry(v []byte) (size uint64, id string, hash []byte, err error) {
	switch len(v) {
	case 8 + entryIDLen:
	case 8 + entryIDLen + sha256.Size:
		hash = v[8+entryIDLen:]
	default:
		return 0, "", nil, errors.New("log entry is damaged")
	}
	return binary.BigEndian.Uint64(v), string(v[8 : 8+entryIDLen]), hash, nil
}

// getChain returns how far the team's chain is computed and its hash
// there: 0 and wire.GenesisHash for a team without entries.
func getChain(txn *badger.Txn, team string) (seq uint64, hash []byte, err error) {
	item, err := txn.Get(key("chain", team))
	if errors.Is(err, badger.ErrKeyNotFound) {
		return 0, wire.GenesisHash, nil
	}
	if err != nil {
		return 0, nil, err
	}
	v, err := item.ValueCopy(nil)
	if err != nil {
		return 0, nil, err
	}
	if len(v) != 8+sha256.Size {
		return 0, nil, errors.New("the log's chain record is damaged")
	}
	return binary.BigEndian.Uint64(v), v[8:], nil
}

func setChain(txn *badger.Txn, team string, seq uint64, hash []byte) error {
	return txn.Set(key("chain", team), append(u64(seq), hash...))
}

// chainBatch is how many entries of a log made before log version 2 get
// their chain hash in one transaction.
const chainBatch = 10000

// chainLogs computes the chain hashes of the entries stored before log
// version 2, from the first entry of each team's log (the chain starts at
// the log's start, whatever version wrote the entries), chainBatch
// entries per transaction: an interrupted upgrade goes on where it
// stopped at the next open.
func (s *BadgerStore) chainLogs() error {
	var teams []string
	err := s.db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: []byte("head/")})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			teams = append(teams, string(it.Item().Key()[len("head/"):]))
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, team := range teams {
		for done := false; !done; {
			err := s.w.update(func(txn *badger.Txn) error {
				var err error
				done, err = chainSome(txn, team)
				return err
			})
			if err != nil {
				return fmt.Errorf("team %s: %w", team, err)
			}
		}
	}
	return nil
}

// chainSome chains up to chainBatch entries of team's log after the point
// its chain has reached; done reports that the chain reaches the head.
func chainSome(txn *badger.Txn, team string) (done bool, err error) {
	head, _, err := getUint(txn, key("head", team))
	if err != nil {
		return false, err
	}
	seq, hash, err := getChain(txn, team)
	if err != nil || seq >= head {
		return true, err
	}
	end := min(head, seq+chainBatch)
	for ; seq < end; seq++ {
		item, err := txn.Get(logKey(team, seq+1))
		if err != nil {
			return false, fmt.Errorf("entry %d: %w", seq+1, err)
		}
		v, err := item.ValueCopy(nil)
		if err != nil {
			return false, err
		}
		size, id, _, err := parseEntry(v)
		if err != nil {
			return false, fmt.Errorf("entry %d: %w", seq+1, err)
		}
		hash = wire.ChainHash(hash, seq+1, id)
		if err := txn.Set(logKey(team, seq+1), entryValue(size, id, hash)); err != nil {
			return false, err
		}
	}
	return seq >= head, setChain(txn, team, seq, hash)
}

// ReadLog implements Store.
func (s *BadgerStore) ReadLog(_ context.Context, team string, since uint64, limit int) (LogRead, error) {
	lr := LogRead{Entries: []wire.Entry{}}
	err := s.db.View(func(txn *badger.Txn) (err error) {
		if lr.Head, _, err = getUint(txn, key("head", team)); err != nil || since > lr.Head {
			return err
		}
		if lr.Prev, err = chainAt(txn, team, since); err != nil {
			return err
		}
		lr.Hash = lr.Prev
		prefix := key("log", team, "")
		it := txn.NewIterator(badger.IteratorOptions{Prefix: prefix, PrefetchValues: true, PrefetchSize: min(limit, 100)})
		defer it.Close()
		for it.Seek(logKey(team, since+1)); it.Valid() && len(lr.Entries) < limit; it.Next() {
			k := it.Item().Key()
			err := it.Item().Value(func(v []byte) error {
				size, id, hash, err := parseEntry(v)
				if err == nil && hash == nil {
					err = errors.New("log entry has no chain hash")
				}
				if err != nil {
					return err
				}
				lr.Entries = append(lr.Entries, wire.Entry{
					Seq:  binary.BigEndian.Uint64(k[len(prefix):]),
					ID:   id,
					Size: int64(size),
				})
				lr.Hash = bytes.Clone(hash)
				return nil
			})
			if err != nil {
				return err
			}
		}
		return nil
	})
	return lr, err
}

// chainAt returns the chain hash after the entry at seq.
func chainAt(txn *badger.Txn, team string, seq uint64) ([]byte, error) {
	if seq == 0 {
		return wire.GenesisHash, nil
	}
	item, err := txn.Get(logKey(team, seq))
	if err != nil {
		return nil, fmt.Errorf("entry %d: %w", seq, err)
	}
	var hash []byte
	err = item.Value(func(v []byte) error {
		var err error
		if _, _, hash, err = parseEntry(v); err == nil && hash == nil {
			err = errors.New("log entry has no chain hash")
		}
		hash = bytes.Clone(hash)
		return err
	})
	return hash, err
}

// Seen implements wire.NonceStore.
func (s *BadgerStore) Seen(pseudonym, nonce string, expiry time.Time) bool {
	seen := true
	err := s.w.update(func(txn *badger.Txn) error {
		sum := sha256.Sum256([]byte(pseudonym + "/" + nonce))
		k := key("nonce", hex.EncodeToString(sum[:]))
		_, err := txn.Get(k)
		switch {
		case err == nil:
			seen = true
			return nil
		case !errors.Is(err, badger.ErrKeyNotFound):
			return err
		}
		seen = false
		e := badger.NewEntry(k, nil)
		e.ExpiresAt = uint64(expiry.Unix())
		return txn.SetEntry(e)
	})
	if err != nil {
		s.log.Error("cannot record a request nonce; refusing the request", "err", err)
		return true
	}
	return seen
}

var (
	getJSON = kv.GetJSON
	setJSON = kv.SetJSON
)

func getUint(txn *badger.Txn, k []byte) (n uint64, found bool, err error) {
	item, err := txn.Get(k)
	if errors.Is(err, badger.ErrKeyNotFound) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, err
	}
	err = item.Value(func(b []byte) error {
		if len(b) != 8 {
			return errors.New("counter is damaged")
		}
		n = binary.BigEndian.Uint64(b)
		return nil
	})
	return n, true, err
}

// errOr returns err if it is not nil and otherwise refusal; for "read,
// then refuse if found" checks.
func errOr(err, refusal error) error {
	if err != nil {
		return err
	}
	return refusal
}

func u64(n uint64) []byte { return binary.BigEndian.AppendUint64(nil, n) }
