// Package hostile plays, in tests, a team member whose keys are out of its
// vault: its own laptop under its control, or one seized with its
// passphrase forced. With the vault's files and passphrase it reads the
// device's signing key, its team and the team's audience keys, and signs
// and encrypts revisions no honest build would write. Tests use it to
// attack the other devices with real keys, real age and real signatures.
package hostile

import (
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"filippo.io/age"
	"github.com/dgraph-io/badger/v4"

	"github.com/letapis/letapis/storage"
	"github.com/letapis/letapis/storage/envelope"
	"github.com/letapis/letapis/storage/hlc"
	"github.com/letapis/letapis/storage/keyfile"
)

// Member is a device's keys, out of its vault.
type Member struct {
	// Signer is the device's signing key.
	Signer ed25519.PrivateKey
	// Team is the id of its team.
	Team string
	// Audiences are the team's audience keys it holds, by epoch.
	Audiences map[uint64]*age.HybridIdentity
	seq       uint64
}

// Seize reads the keys of the vault in dir, which must be locked (closed),
// with its passphrase.
func Seize(dir, passphrase string) (*Member, error) {
	file, err := os.ReadFile(filepath.Join(dir, "keys"))
	if err != nil {
		return nil, err
	}
	sec, _, _, err := keyfile.DecodeSlots(file, passphrase)
	if err != nil {
		return nil, err
	}
	store := filepath.Join(dir, "db", strconv.FormatUint(sec.StoreGeneration, 10))
	db, err := badger.Open(badger.DefaultOptions(store).WithEncryptionKey(sec.StoreKey).WithIndexCacheSize(1 << 20).WithLogger(nil))
	if err != nil {
		return nil, fmt.Errorf("open the seized store: %w", err)
	}
	defer db.Close()
	m := &Member{Signer: sec.Signer(), Audiences: map[uint64]*age.HybridIdentity{}, seq: 1 << 20}
	err = db.View(func(txn *badger.Txn) error {
		item, err := txn.Get([]byte("team/state"))
		if err != nil {
			return fmt.Errorf("team state: %w", err)
		}
		var st storage.TeamState
		if err := item.Value(func(b []byte) error { return json.Unmarshal(b, &st) }); err != nil {
			return err
		}
		m.Team = st.Team
		it := txn.NewIterator(badger.IteratorOptions{Prefix: []byte("aud/"), PrefetchValues: true})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			var a struct {
				Epoch    uint64 `json:"epoch"`
				Identity string `json:"identity"`
			}
			if err := it.Item().Value(func(b []byte) error { return json.Unmarshal(b, &a) }); err != nil {
				return err
			}
			id, err := age.ParseHybridIdentity(a.Identity)
			if err != nil {
				return err
			}
			m.Audiences[a.Epoch] = id
		}
		return nil
	})
	if err == nil && len(m.Audiences) == 0 {
		err = errors.New("the seized vault holds no audience key")
	}
	return m, err
}

// Device returns the member's device key.
func (m *Member) Device() ed25519.PublicKey { return m.Signer.Public().(ed25519.PublicKey) }

// Newest returns the newest team epoch the member holds.
func (m *Member) Newest() uint64 {
	var e uint64
	for k := range m.Audiences {
		e = max(e, k)
	}
	return e
}

// Note returns a new note revision by the member with the given JSON body,
// addressed to the newest team epoch, with its next sequence number (far
// above any it wrote honestly).
func (m *Member) Note(body string) envelope.Revision {
	m.seq++
	return envelope.Revision{Team: m.Team, Record: storage.NewID(), ID: storage.NewID(), Author: m.Device(), Seq: m.seq,
		Time: hlc.Timestamp{Wall: time.Now().UnixMilli()}, Kind: "note", Schema: 1, Op: envelope.OpPut,
		Body: json.RawMessage(body), Epoch: m.Newest()}
}

// Seal signs rev and encrypts it to to, or to the newest team key if to
// is nil.
func (m *Member) Seal(rev envelope.Revision, to age.Recipient) ([]byte, error) {
	if to == nil {
		to = m.Audiences[m.Newest()].Recipient()
	}
	ct, _, err := envelope.Seal(rev, m.Signer, to)
	return ct, err
}

// SealVersion1 signs rev in the envelope format of older builds and
// encrypts it to the newest team key.
func (m *Member) SealVersion1(rev envelope.Revision) ([]byte, error) {
	ct, _, err := envelope.SealVersion1(rev, m.Signer, m.Audiences[m.Newest()].Recipient())
	return ct, err
}
