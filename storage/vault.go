package storage

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/subtle"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"filippo.io/age"
	"github.com/dgraph-io/badger/v4"
	"github.com/dustin/go-humanize"

	"github.com/letapis/letapis/storage/hlc"
	"github.com/letapis/letapis/storage/keyfile"
	"github.com/letapis/letapis/storage/search"
)

// File and directory names inside a vault directory.
const (
	keyFileName = "keys" // the key slots (keyslots.go)
	// legacyKeyFileName is the key file of earlier versions, moved to
	// key slots at the first unlock.
	legacyKeyFileName = "key.age"
	dbDirName         = "db"
	blobDirName       = "blobs"
)

// DefaultMinFreeBytes is the free space below which writes are refused.
// It leaves room for Badger to allocate a memtable and a value log file.
const DefaultMinFreeBytes = 256 << 20

// Options tune a vault. The zero value is the production default.
type Options struct {
	// WorkFactor is the scrypt work factor (log2 N) used when the key
	// file is written. 0 means age's default for a new vault and, for an
	// existing one, the work factor the key file already has; tests use
	// ~10 to stay fast.
	WorkFactor int
	// MinFreeBytes is the free space below which writes are refused with
	// ErrDiskFull. 0 means DefaultMinFreeBytes.
	MinFreeBytes int64
	// Logger receives the vault's and Badger's log messages. They never
	// contain record content. nil discards them.
	Logger *slog.Logger
	// Now is the wall clock for revision times; nil means time.Now.
	Now func() time.Time
}

func (o *Options) fill() {
	if o.MinFreeBytes == 0 {
		o.MinFreeBytes = DefaultMinFreeBytes
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
}

// Vault is an unlocked vault. Its methods are safe for concurrent use.
// Close locks it: the store is closed and the keys dropped from memory.
type Vault struct {
	dir  string
	opts Options

	// mu guards the fields below. Writes and purges hold it exclusively;
	// reads hold it shared. A purge swaps db.
	mu sync.RWMutex
	db *badger.DB
	// readOnly is set when the vault was unlocked on a nearly full disk.
	readOnly bool
	// team says whether new envelopes go to the outbox (teamMember) and
	// whether records may be written at all (not while teamJoining).
	team    teamStatus
	secrets *keyfile.Secrets
	slot    slotRef // the key slot that holds secrets
	// passphrase is kept while unlocked because a purge must rewrite the
	// key file with a new store key. It is cleared on Close.
	passphrase []byte
	signer     ed25519.PrivateKey
	identity   age.Identity // the device's own key
	audiences  []audience   // oldest first
	restricted map[string]*Restricted
	// index is the search index, loaded in the background: it and
	// indexErr (why there is no index) may be read only once indexReady
	// is closed (see startIndex). search is the batch of the write
	// transaction in progress (see writeRecords).
	index      *search.Index
	indexErr   error
	indexStart sync.Once
	indexReady chan struct{}
	search     *search.Batch
	recipient  age.Recipient // the newest audience: new envelopes go to it
	current    audience      // the audience of recipient
	clock      *hlc.Clock
	// shelf counts the pending and set-aside envelopes during a receive
	// (caps.go); heldTried is set once the held envelopes were tried
	// again (receivecheck.go).
	shelf     *shelves
	heldTried bool
	// locking is set by Close to stop a background index load.
	locking atomic.Bool
	// locked holds the secrets above in memory that Close zeroes and
	// gives back (secrets.go).
	locked *lockedSecrets
}

// Exists reports whether dir holds a vault.
func Exists(dir string) bool {
	for _, name := range []string{keyFileName, legacyKeyFileName} {
		if _, err := os.Stat(filepath.Join(dir, name)); err == nil {
			return true
		}
	}
	return false
}

// Create makes a new vault in dir (created if missing, and required to
// hold no vault) protected by passphrase, and returns it unlocked.
func Create(dir, passphrase string, opts Options) (*Vault, error) {
	opts.fill()
	if passphrase == "" {
		return nil, errors.New("create vault: the passphrase is empty")
	}
	if Exists(dir) {
		return nil, fmt.Errorf("create vault in %s: %w", dir, ErrVaultExists)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create vault: %w", err)
	}
	if err := checkFree(dir, opts.MinFreeBytes); err != nil {
		return nil, fmt.Errorf("create vault: %w", err)
	}
	ident, err := age.GenerateHybridIdentity()
	if err != nil {
		return nil, fmt.Errorf("create vault: generate age identity: %w", err)
	}
	s := &keyfile.Secrets{
		SigningKey:      make([]byte, ed25519.SeedSize),
		Identity:        ident.String(),
		StoreKey:        make([]byte, 32),
		StoreGeneration: 1,
	}
	_, _ = rand.Read(s.SigningKey)
	_, _ = rand.Read(s.StoreKey)
	// The store first, then the key slots: a vault exists once they do,
	// so a crash in between leaves no half-made vault behind.
	db, err := openStore(storeDir(dir, s.StoreGeneration), s.StoreKey, opts.Logger, false)
	if err != nil {
		return nil, fmt.Errorf("create vault: %w", err)
	}
	if err := closeStore(db, opts.Logger); err != nil {
		return nil, fmt.Errorf("create vault: %w", err)
	}
	ref, err := createKeys(dir, s, passphrase, opts.WorkFactor)
	if err != nil {
		return nil, fmt.Errorf("create vault: %w", err)
	}
	return open(dir, s, ref, passphrase, opts)
}

// Open unlocks the vault in dir with passphrase. A wrong passphrase gives
// an error wrapping ErrWrongPassphrase; a damaged key file one wrapping
// ErrDamaged. Opening changes nothing on disk but to finish what a crash
// interrupted (a key change, a purge) and to move the key.age of an
// earlier version into key slots (loadKeys).
func Open(dir, passphrase string, opts Options) (*Vault, error) {
	opts.fill()
	s, ref, wf, err := loadKeys(dir, passphrase, opts.Logger)
	if errors.Is(err, keyfile.ErrDamaged) {
		return nil, fmt.Errorf("unlock vault: %w: %w", ErrDamaged, err)
	}
	if err != nil {
		return nil, fmt.Errorf("unlock vault: %w", err)
	}
	if opts.WorkFactor == 0 {
		// Keep the key file's own cost when it is rewritten (purge).
		opts.WorkFactor = wf
	}
	return open(dir, s, ref, passphrase, opts)
}

func open(dir string, s *keyfile.Secrets, ref slotRef, passphrase string, opts Options) (*Vault, error) {
	ident, err := parseIdentity(s.Identity)
	if err != nil {
		return nil, fmt.Errorf("unlock vault: %w: %w", ErrDamaged, err)
	}
	locked, opened := &lockedSecrets{}, false
	defer func() {
		if !opened {
			*s = keyfile.Secrets{}
			locked.free()
		}
	}()
	locked.adopt(s, opts.Logger)
	if err := removeStaleGenerations(dir, s.StoreGeneration, opts.Logger); err != nil {
		return nil, fmt.Errorf("unlock vault: %w", err)
	}
	// On a nearly full disk, Badger's replay of its log into a new table
	// would crash the process: open read-only instead, which never writes.
	readOnly := checkFree(dir, opts.MinFreeBytes) != nil
	if readOnly {
		opts.Logger.Warn("the disk is nearly full: the vault is open read-only")
	}
	db, err := openStore(storeDir(dir, s.StoreGeneration), s.StoreKey, opts.Logger, readOnly)
	if err != nil {
		return nil, fmt.Errorf("unlock vault: %w", err)
	}
	v := &Vault{
		readOnly:   readOnly,
		dir:        dir,
		opts:       opts,
		db:         db,
		secrets:    s,
		slot:       ref,
		passphrase: []byte(passphrase),
		signer:     s.Signer(),
		identity:   ident,
	}
	v.lockSecrets(locked)
	last, err := v.loadClock()
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("unlock vault: %w", err)
	}
	var auds []audience
	load := db.Update
	if readOnly {
		load = db.View
	}
	if err := load(func(txn *badger.Txn) error {
		var err error
		if auds, err = loadAudiences(txn); err != nil {
			return err
		}
		if v.restricted, err = loadRestricted(txn); err != nil {
			return err
		}
		v.team, err = loadTeamStatus(txn)
		return err
	}); err != nil {
		db.Close()
		return nil, fmt.Errorf("unlock vault: %w", err)
	}
	v.useAudiences(auds)
	if err := v.loadLists(); err != nil {
		db.Close()
		return nil, fmt.Errorf("unlock vault: %w", err)
	}
	v.clock = hlc.New(opts.Now, last)
	if _, dragged := v.clock.Recovered(); dragged && !readOnly {
		// A remote clock dragged this one far ahead before remote times
		// were bounded: start again from the wall clock (see package hlc).
		if err := db.Update(func(txn *badger.Txn) error { return setJSON(txn, []byte(keyClock), v.clock.Last()) }); err != nil {
			db.Close()
			return nil, fmt.Errorf("unlock vault: set the clock back: %w", err)
		}
	}
	v.indexReady = make(chan struct{})
	time.AfterFunc(indexStartDelay, v.startIndex)
	opened = true
	return v, nil
}

func parseIdentity(s string) (age.Identity, error) {
	if id, err := age.ParseHybridIdentity(s); err == nil {
		return id, nil
	}
	return age.ParseX25519Identity(s)
}

func recipientOf(id age.Identity) age.Recipient {
	switch id := id.(type) {
	case *age.HybridIdentity:
		return id.Recipient()
	case *age.X25519Identity:
		return id.Recipient()
	}
	panic(fmt.Sprintf("storage: unexpected identity type %T", id))
}

// Dir returns the vault directory.
func (v *Vault) Dir() string { return v.dir }

// DeviceKey returns the device's Ed25519 public key, which signs every
// revision this vault writes.
func (v *Vault) DeviceKey() ed25519.PublicKey {
	return v.signer.Public().(ed25519.PublicKey)
}

// Close locks the vault: it closes the store and drops the keys. Using the
// vault afterwards returns ErrLocked.
func (v *Vault) Close() error {
	v.locking.Store(true)
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.db == nil {
		return nil
	}
	// An index load that has not started never will; one that has stops.
	v.indexStart.Do(func() { close(v.indexReady) })
	<-v.indexReady
	err := closeStore(v.db, v.opts.Logger)
	v.db = nil
	clear(v.signer)
	clear(v.passphrase) // a passphrase changed since the unlock is on the heap
	v.locked.free()
	v.secrets, v.passphrase, v.signer, v.identity, v.audiences, v.restricted, v.recipient, v.index = nil, nil, nil, nil, nil, nil, nil, nil
	v.search, v.current, v.locked = nil, audience{}, nil
	v.indexErr = ErrLocked
	if err != nil {
		return fmt.Errorf("lock vault: %w", err)
	}
	return nil
}

// CheckPassphrase reports whether p is the passphrase the vault was
// unlocked with (or last changed to), without deriving a key: the unlocked
// vault compares it in constant time with the one it holds. A UI asks for
// the current passphrase with it before a change. It reports ErrLocked on a
// locked vault.
func (v *Vault) CheckPassphrase(p string) (bool, error) {
	v.mu.RLock()
	defer v.mu.RUnlock()
	if v.db == nil {
		return false, fmt.Errorf("check passphrase: %w", ErrLocked)
	}
	// Compared where it is, not copied to the heap (secrets.go).
	return subtle.ConstantTimeCompare(v.passphrase, unsafe.Slice(unsafe.StringData(p), len(p))) == 1, nil
}

// ChangePassphrase re-encrypts the key file under a new passphrase into
// the free key slot and then overwrites the old slot in place, so that
// nothing on the medium opens with the old passphrase afterwards. After a
// crash the vault opens with the old or the new passphrase.
func (v *Vault) ChangePassphrase(newPassphrase string) error {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.db == nil {
		return fmt.Errorf("change passphrase: %w", ErrLocked)
	}
	if newPassphrase == "" {
		return errors.New("change passphrase: the new passphrase is empty")
	}
	ref, err := replaceKeys(v.dir, v.slot, v.secrets, newPassphrase, v.opts.WorkFactor)
	if ref != (slotRef{}) {
		v.slot = ref
		clear(v.passphrase)
		v.passphrase = []byte(newPassphrase)
	}
	if err != nil {
		return fmt.Errorf("change passphrase: %w", err)
	}
	return nil
}

// Wipe destroys the vault in dir without needing its passphrase. It
// overwrites both key slots in place and syncs them first
// (crypto-shredding: without them the rest is noise, and this takes a
// few milliseconds), then shreds any older key file, overwrites the small
// files of each store generation in place and removes the store and the
// attachments. Files that are not part of a vault are left alone. It is
// safe to call on a vault that is open in this process only after closing
// it. The app's panic wipe and letapis-cli wipe both call it.
func Wipe(dir string) error {
	if !Exists(dir) {
		if _, err := os.Stat(filepath.Join(dir, dbDirName)); err != nil {
			return fmt.Errorf("wipe: %w in %s", ErrNoVault, dir)
		}
	}
	if err := wipeKeys(dir); err != nil {
		return fmt.Errorf("wipe: %w", err)
	}
	return wipeStore(dir)
}

// wipeKeys destroys every key file of the vault in dir: both key slots,
// overwritten in place and synced, then an older key file or temp file.
func wipeKeys(dir string) error {
	if err := shred(filepath.Join(dir, keyFileName), keyfile.SlotsSize); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("destroy key slots: %w", err)
	}
	return shredKeyLeftovers(dir)
}

// wipeStore destroys what wipeKeys leaves of the vault in dir: the store
// generations (destroyStore), the attachments and, if nothing else is in
// it, the directory.
func wipeStore(dir string) error {
	gens, _ := os.ReadDir(filepath.Join(dir, dbDirName))
	for _, g := range gens {
		if err := destroyStore(filepath.Join(dir, dbDirName, g.Name())); err != nil {
			return fmt.Errorf("wipe: destroy store: %w", err)
		}
	}
	for _, name := range []string{dbDirName, blobDirName} {
		if err := os.RemoveAll(filepath.Join(dir, name)); err != nil {
			return fmt.Errorf("wipe: remove %s: %w", name, err)
		}
	}
	// Remove the directory itself if nothing else is in it.
	if rest, err := os.ReadDir(dir); err == nil && len(rest) == 0 {
		if err := os.Remove(dir); err != nil {
			return fmt.Errorf("wipe: %w", err)
		}
	}
	return nil
}

// Wipe locks the vault and destroys it; see the package-level Wipe.
func (v *Vault) Wipe() error {
	if err := v.Close(); err != nil {
		v.opts.Logger.Warn("closing the store before wiping failed; wiping anyway", "err", err)
	}
	return Wipe(v.dir)
}

func storeDir(dir string, gen uint64) string {
	return filepath.Join(dir, dbDirName, strconv.FormatUint(gen, 10))
}

// removeStaleGenerations deletes store generations other than the current
// one: leftovers of a purge interrupted before or after the key file switch.
func removeStaleGenerations(dir string, current uint64, log *slog.Logger) error {
	entries, err := os.ReadDir(filepath.Join(dir, dbDirName))
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		return err
	}
	for _, e := range entries {
		if e.Name() == strconv.FormatUint(current, 10) {
			continue
		}
		log.Info("removing a store generation left by an interrupted purge")
		if err := destroyStore(filepath.Join(dir, dbDirName, e.Name())); err != nil {
			return fmt.Errorf("remove stale store: %w", err)
		}
	}
	return nil
}

// writable returns nil if a write of about need bytes may go ahead: the
// vault is unlocked, writable, and the disk keeps MinFreeBytes free after
// it. The caller holds v.mu.
func (v *Vault) writable(need int64) error {
	switch {
	case v.db == nil:
		return ErrLocked
	case v.readOnly:
		return fmt.Errorf("%w: the vault was unlocked read-only because the disk was nearly full; free some space, then lock and unlock it", ErrDiskFull)
	}
	return checkFree(v.dir, v.opts.MinFreeBytes+need)
}

// recordsWritable is writable for writes of records: they are refused
// while the vault waits to join a team, because the team could not read
// them.
func (v *Vault) recordsWritable(need int64) error {
	if v.team == teamJoining {
		return ErrJoining
	}
	return v.writable(need)
}

// checkFree returns an error wrapping ErrDiskFull when fewer than need
// bytes are free on the file system that holds dir.
func checkFree(dir string, need int64) error {
	free, err := freeSpace(dir)
	if err != nil {
		return fmt.Errorf("check free disk space: %w", err)
	}
	if free < uint64(need) {
		return fmt.Errorf("%w: %s free, %s needed (free some space and try again)",
			ErrDiskFull, humanize.IBytes(free), humanize.IBytes(uint64(need)))
	}
	return nil
}
