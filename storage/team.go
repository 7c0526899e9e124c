package storage

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"filippo.io/age"
	"github.com/dgraph-io/badger/v4"

	"github.com/letapis/letapis/storage/envelope"
	"github.com/letapis/letapis/storage/hlc"
	"github.com/letapis/letapis/storage/record"
)

// A team is a set of devices that share records through a relay. Its
// membership is a roster kept as signed revisions of kind "roster" that
// only admins may write; the roster also introduces every team audience
// epoch, with a commitment to its key (epochs.go), and a removal fixes the
// removed member's history (history.go). Audience keys reach members as
// key grants (revisions of kind "key") encrypted to each member's own
// device key and signed by an admin, accepted only for epochs the roster
// introduced. A device that joins trusts the admin whose whole device key
// came with the invite code, and through that admin's grant the roster and
// epochs it sends.

// Member roles.
const (
	RoleAdmin  = "admin"
	RoleMember = "member"
)

const (
	keyTeam   = "team/state"
	pfxMember = "member/"
)

// teamStatus is what the vault knows of its team without reading the store.
type teamStatus int

const (
	teamNone    teamStatus = iota // a vault on its own
	teamJoining                   // asked to join; waits for a key grant
	teamMember                    // founded or joined a team
)

func loadTeamStatus(txn *badger.Txn) (teamStatus, error) {
	var t TeamState
	found, err := getJSON(txn, []byte(keyTeam), &t)
	switch {
	case err != nil:
		return teamNone, err
	case !found:
		return teamNone, nil
	case !t.Joined:
		return teamJoining, nil
	}
	return teamMember, nil
}

// Errors about teams.
var (
	// ErrNoTeam means the vault has not founded or joined a team.
	ErrNoTeam = errors.New("this vault is not part of a team")
	// ErrNotAdmin means an admin-only action was attempted by a member.
	ErrNotAdmin = errors.New("only a team admin can do this")
	// ErrJoining means the vault asked to join a team and waits for an
	// admin's approval; it cannot write records until then.
	ErrJoining = errors.New("this device is waiting for an admin to approve it; records can be written once it is a member")
)

// TeamState is this vault's membership of a team.
type TeamState struct {
	Team      string `json:"team"`
	Relay     string `json:"relay"`
	Pin       string `json:"pin,omitempty"`
	Pseudonym string `json:"pseudonym"`
	// AuthSeed is the seed of the Ed25519 key that signs this device's
	// requests to the relay; separate from the device key so the relay
	// cannot link the device across teams.
	AuthSeed []byte `json:"auth_seed"`
	// Inviter is the device key of the admin who invited this device,
	// whole, from the invite code; nil for the founder. While joining, a
	// key grant is trusted only if this key signed it.
	Inviter ed25519.PublicKey `json:"inviter_key,omitempty"`
	// OldInviter is the inviter's fingerprint as vaults kept it before
	// invite codes carried the whole key. Such a vault has joined (the
	// fingerprint is used for nothing after that); one still waiting to
	// join cannot: it needs a new invite code, in a new vault.
	OldInviter string `json:"inviter,omitempty"`
	// Joined is false while waiting for the first key grant.
	Joined bool `json:"joined"`
	// Cursor is the position in the relay's log up to which everything
	// has been received.
	Cursor uint64 `json:"cursor"`
	// RelayKey is the key the relay signs receipts with, as first seen; a
	// relay that later shows another key is refused.
	RelayKey ed25519.PublicKey `json:"relay_key,omitempty"`
}

// Invited reports whether this device joined (or asks to join) its team
// with an invite code, rather than founding it.
func (t *TeamState) Invited() bool { return len(t.Inviter) > 0 || t.OldInviter != "" }

// AuthKey returns the key that signs requests to the relay.
func (t *TeamState) AuthKey() ed25519.PrivateKey { return ed25519.NewKeyFromSeed(t.AuthSeed) }

// Member is a device in a team's roster.
type Member struct {
	Device    ed25519.PublicKey `json:"device"`
	Recipient string            `json:"recipient"`
	Role      string            `json:"role"`
	Pseudonym string            `json:"pseudonym,omitempty"`
	Added     hlc.Timestamp     `json:"added"`
	Removed   bool              `json:"removed,omitempty"`
	// LastSeq is, for a removed member, the highest sequence number of its
	// revisions that stay valid; later ones are rejected.
	LastSeq uint64 `json:"last_seq,omitempty"`
}

// Fingerprint returns the member's device key fingerprint.
func (m *Member) Fingerprint() string { return Fingerprint(m.Device) }

// rosterEntry is the body of a roster revision.
type rosterEntry struct {
	Op     string `json:"op"` // "add", "remove" or "rotate"
	Member Member `json:"member"`
	// Epoch is the team audience epoch this entry starts, with the
	// commitment to its key: on the founder's first entry, on a removal
	// and on a rotation (absent in entries written before commitments).
	Epoch *epochCommit `json:"epoch,omitempty"`
	// History fixes, on a removal, which revisions of the removed member
	// up to its cut-off are genuine (see history.go).
	History *removalHistory `json:"history,omitempty"`
}

// keyGrant is the body of a key revision: audience keys, and for a new
// member the roster as the granting admin knows it, with the team's epoch
// commitments.
type keyGrant struct {
	To        ed25519.PublicKey `json:"to"`
	Audiences []audience        `json:"audiences,omitempty"`
	Roster    []Member          `json:"roster,omitempty"`
	Epochs    []epochCommit     `json:"epochs,omitempty"`
	// Histories are the histories the removals fixed, so that a joiner
	// checks them before it receives the removal entries themselves.
	Histories []memberHistory `json:"histories,omitempty"`
	// Restricted carries restricted audience keys: only ID and Keys are
	// read; the name and members come from the audience's own record.
	Restricted []Restricted `json:"restricted,omitempty"`
}

// Team returns the vault's team membership, or ErrNoTeam.
func (v *Vault) Team() (*TeamState, error) {
	var t TeamState
	var found bool
	err := v.view(func(txn *badger.Txn) error {
		var err error
		found, err = getJSON(txn, []byte(keyTeam), &t)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("read team state: %w", err)
	}
	if !found {
		return nil, ErrNoTeam
	}
	return &t, nil
}

// Members returns the roster, removed members included.
func (v *Vault) Members() ([]Member, error) {
	var ms []Member
	err := v.view(func(txn *badger.Txn) error {
		var err error
		ms, err = members(txn)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("read roster: %w", err)
	}
	return ms, nil
}

func members(txn *badger.Txn) ([]Member, error) {
	var ms []Member
	it := txn.NewIterator(badger.IteratorOptions{Prefix: []byte(pfxMember), PrefetchValues: true})
	defer it.Close()
	for it.Rewind(); it.Valid(); it.Next() {
		var m Member
		if err := it.Item().Value(func(b []byte) error { return json.Unmarshal(b, &m) }); err != nil {
			return nil, fmt.Errorf("%w: roster entry: %w", ErrDamaged, err)
		}
		ms = append(ms, m)
	}
	return ms, nil
}

func member(txn *badger.Txn, device ed25519.PublicKey) (*Member, error) {
	var m Member
	found, err := getJSON(txn, key(pfxMember, hex.EncodeToString(device)), &m)
	if err != nil || !found {
		return nil, err
	}
	return &m, nil
}

// CreateTeam founds a team with this device as its admin. The vault's
// audience becomes the team's first audience, and every record already in
// the vault goes into the outbox, so the team starts with them.
func (v *Vault) CreateTeam(team, relay, pin string) (*TeamState, error) {
	t := &TeamState{Team: team, Relay: relay, Pin: pin, Pseudonym: NewID(), AuthSeed: newSeed(), Joined: true}
	v.mu.Lock()
	defer v.mu.Unlock()
	if err := v.writable(64 << 10); err != nil {
		return nil, fmt.Errorf("create team: %w", err)
	}
	if v.team != teamNone {
		return nil, errors.New("create team: this vault is already part of a team")
	}
	if err := v.queueAll(); err != nil {
		return nil, fmt.Errorf("create team: %w", err)
	}
	err := v.db.Update(func(txn *badger.Txn) error {
		if err := setJSON(txn, []byte(keyTeam), t); err != nil {
			return err
		}
		self := Member{Device: v.DeviceKey(), Recipient: v.recipientString(), Role: RoleAdmin, Pseudonym: t.Pseudonym, Added: v.clock.Now()}
		first := &epochCommit{Epoch: v.current.Epoch, Commit: commitOf(v.current.id)}
		if err := v.writeSystem(txn, kindRoster, rosterEntry{Op: "add", Member: self, Epoch: first}, v.teamAddress()); err != nil {
			return err
		}
		return setJSON(txn, []byte(keyClock), v.clock.Last())
	})
	if err != nil {
		return nil, fmt.Errorf("create team: %w", err)
	}
	v.team = teamMember
	return t, nil
}

// PrepareJoin records that this vault asks to join a team, invited by the
// admin whose device key is inviter (from the invite code), and returns
// the state to send to the relay. The vault must hold no records: its
// records would be encrypted to an audience the team cannot read.
func (v *Vault) PrepareJoin(team, relay, pin string, inviter ed25519.PublicKey) (*TeamState, error) {
	t := &TeamState{Team: team, Relay: relay, Pin: pin, Pseudonym: NewID(), AuthSeed: newSeed(), Inviter: slices.Clone(inviter)}
	err := v.update("join team", func(txn *badger.Txn) error {
		if len(inviter) != ed25519.PublicKeySize {
			return errors.New("the inviting admin's key is not an Ed25519 public key")
		}
		if v.team != teamNone {
			return errors.New("this vault is already part of a team")
		}
		it := txn.NewIterator(badger.IteratorOptions{Prefix: []byte(pfxKind), PrefetchValues: false})
		defer it.Close()
		if it.Rewind(); it.Valid() {
			return errors.New("this vault already holds records; join the team from a new, empty vault (--vault NEWDIR)")
		}
		return setJSON(txn, []byte(keyTeam), t)
	})
	if err != nil {
		return nil, err
	}
	v.mu.Lock()
	v.team = teamJoining
	v.mu.Unlock()
	return t, nil
}

// Admit adds a device to the team: a roster entry for everyone, and a key
// grant for the device with every audience key and the roster. Only an
// admin can admit.
func (v *Vault) Admit(device ed25519.PublicKey, recipient, pseudonym, role string) error {
	if role != RoleAdmin && role != RoleMember {
		return fmt.Errorf("admit: unknown role %q", role)
	}
	to, err := age.ParseHybridRecipient(recipient)
	if err != nil {
		return fmt.Errorf("admit: the device's recipient is not a hybrid age recipient: %w", err)
	}
	return v.update("admit member", func(txn *badger.Txn) error {
		if err := v.requireAdmin(txn); err != nil {
			return err
		}
		m := Member{Device: device, Recipient: recipient, Role: role, Pseudonym: pseudonym, Added: v.clock.Now()}
		if err := v.writeSystem(txn, kindRoster, rosterEntry{Op: "add", Member: m}, v.teamAddress()); err != nil {
			return err
		}
		roster, err := members(txn)
		if err != nil {
			return err
		}
		epochs, err := teamEpochs(txn)
		if err != nil {
			return err
		}
		if !v.current.committed {
			// A team made before commitments: the joiner starts from the
			// epoch this admin writes to.
			epochs = append(epochs, epochCommit{Epoch: v.current.Epoch, Commit: commitOf(v.current.id)})
		}
		hists, err := removalHistories(txn, roster)
		if err != nil {
			return err
		}
		return v.writeSystem(txn, kindKey, keyGrant{To: device, Audiences: v.audiences, Roster: roster, Epochs: epochs, Histories: hists}, deviceAddress(to))
	})
}

// Expel removes a device from the team. Its revisions up to the last one
// this vault has seen stay valid, and the removal fixes which ones those
// are (see history.go); anything newer is rejected everywhere. A new
// audience epoch starts, granted to every remaining member, so the removed
// device cannot read what is written from now on, and so does a new epoch
// of every restricted audience it was in.
func (v *Vault) Expel(device ed25519.PublicKey) error {
	return v.update("remove member", func(txn *badger.Txn) error {
		if err := v.requireAdmin(txn); err != nil {
			return err
		}
		m, err := member(txn, device)
		if err != nil {
			return err
		}
		if m == nil || m.Removed {
			return fmt.Errorf("device %s is not a member", Fingerprint(device))
		}
		if _, err := getJSON(txn, key(pfxSeq, hex.EncodeToString(device)), &m.LastSeq); err != nil {
			return err
		}
		m.Removed = true
		hist, err := removedHistory(txn, device, m.LastSeq)
		if err != nil {
			return err
		}
		if err := v.rotateTeam(txn, rosterEntry{Op: "remove", Member: *m, History: hist}, device); err != nil {
			return err
		}
		return v.rotateRestricted(txn, device)
	})
}

// RotateTeamKey starts a new team audience epoch without removing anyone,
// for instance after a suspected compromise of a key: what is written from
// now on is encrypted to a new key, granted to every member. Only an admin
// can rotate.
func (v *Vault) RotateTeamKey() error {
	return v.update("rotate the team key", func(txn *badger.Txn) error {
		if err := v.requireAdmin(txn); err != nil {
			return err
		}
		return v.rotateTeam(txn, rosterEntry{Op: "rotate"}, nil)
	})
}

// rotateTeam writes roster entry e introducing the next team epoch, starts
// using it and grants it to every member but this device and except. The
// entry goes to the old epoch, so members can read the commitment before
// the key's grant.
func (v *Vault) rotateTeam(txn *badger.Txn, e rosterEntry, except ed25519.PublicKey) error {
	known, err := teamEpochs(txn)
	if err != nil {
		return err
	}
	next, err := newAudience(maxEpoch(known, v.audiences) + 1)
	if err != nil {
		return err
	}
	e.Epoch = &epochCommit{Epoch: next.Epoch, Commit: commitOf(next.id)}
	if err := setJSON(txn, audienceKey(next.Epoch), next); err != nil {
		return err
	}
	v.useAudiences(append(slices.Clone(v.audiences), *next))
	if err := v.writeSystem(txn, kindRoster, e, audienceAddress(v.audiences[len(v.audiences)-2])); err != nil {
		return err
	}
	roster, err := members(txn)
	if err != nil {
		return err
	}
	for _, other := range roster {
		if other.Removed || other.Device.Equal(except) || other.Device.Equal(v.DeviceKey()) {
			continue
		}
		to, err := age.ParseHybridRecipient(other.Recipient)
		if err != nil {
			return fmt.Errorf("%w: recipient of member %s: %w", ErrDamaged, other.Fingerprint(), err)
		}
		if err := v.writeSystem(txn, kindKey, keyGrant{To: other.Device, Audiences: []audience{*next}}, deviceAddress(to)); err != nil {
			return err
		}
	}
	return nil
}

func (v *Vault) requireAdmin(txn *badger.Txn) error {
	if err := inTeam(txn); err != nil {
		return err
	}
	self, err := member(txn, v.DeviceKey())
	if err != nil {
		return err
	}
	if self == nil || self.Removed || self.Role != RoleAdmin {
		return ErrNotAdmin
	}
	return nil
}

func inTeam(txn *badger.Txn) error {
	var t TeamState
	found, err := getJSON(txn, []byte(keyTeam), &t)
	switch {
	case err != nil:
		return err
	case !found:
		return ErrNoTeam
	case !t.Joined:
		return ErrJoining
	}
	return nil
}

func newSeed() []byte {
	seed := make([]byte, ed25519.SeedSize)
	_, _ = rand.Read(seed)
	return seed
}

func (v *Vault) recipientString() string {
	return recipientOf(v.identity).(interface{ String() string }).String()
}

// update runs fn in a durable write transaction of the unlocked, writable
// vault, and then persists the clock.
func (v *Vault) update(what string, fn func(txn *badger.Txn) error) error {
	v.mu.Lock()
	defer v.mu.Unlock()
	if err := v.writable(64 << 10); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	err := v.db.Update(func(txn *badger.Txn) error {
		if err := fn(txn); err != nil {
			return err
		}
		return setJSON(txn, []byte(keyClock), v.clock.Last())
	})
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return nil
}

// writeSystem writes a roster or key revision by this device, encrypted to
// one recipient, stores it, queues it for the relay and applies it.
func (v *Vault) writeSystem(txn *badger.Txn, kind string, body any, to address) error {
	data, err := json.Marshal(body)
	if err != nil {
		return err
	}
	if g, ok := body.(keyGrant); ok {
		data = g.padded(data)
	}
	rev, err := v.newRevision(txn, NewID(), record.Kind(kind), envelope.OpPut, data, nil)
	if err != nil {
		return err
	}
	ct, id, err := to.seal(rev, v.signer)
	if err != nil {
		return err
	}
	o := &envelope.Opened{ID: id, Revision: *rev}
	if err := storeRevision(txn, o, ct); err != nil {
		return err
	}
	if err := queue(txn, id.String()); err != nil {
		return err
	}
	switch kind {
	case kindKey: // to one device
		return markPrivate(txn, rev.Seq)
	case kindRoster:
		var e rosterEntry
		_ = json.Unmarshal(data, &e)
		return v.applyRosterEntry(txn, &e)
	case kindAudience:
		var r audienceRecord
		_ = json.Unmarshal(data, &r)
		return v.applyAudienceRecord(txn, &r, rev)
	}
	return nil
}

// checkRosterEntry says whether a verified admin's roster entry can be
// applied now: the epoch it introduces must follow those known.
func (v *Vault) checkRosterEntry(txn *badger.Txn, e *rosterEntry) (pending bool, reject, err error) {
	if e.Op == "rotate" && e.Epoch == nil {
		return false, errors.New("roster rotation without a new epoch"), nil
	}
	if e.Epoch == nil {
		return false, nil, nil
	}
	known, err := teamEpochs(txn)
	if err != nil {
		return false, nil, err
	}
	pending, reject = checkIntroduction(*e.Epoch, known, v.audiences)
	return pending, reject, nil
}

// applyRosterEntry applies a verified roster entry: the roster change, the
// epoch it introduces and the history it fixes. The caller holds v.mu.
func (v *Vault) applyRosterEntry(txn *badger.Txn, e *rosterEntry) error {
	if e.Op != "rotate" {
		if err := applyRoster(txn, e); err != nil {
			return err
		}
	}
	if e.Op == "remove" {
		if err := keepHistory(txn, e.Member.Device, e.History); err != nil {
			return err
		}
		if err := v.closeLegacyAudiences(txn, e.Member.Device); err != nil {
			return err
		}
	}
	if e.Epoch == nil {
		return nil
	}
	if err := txn.Set(epochKey(*e.Epoch), nil); err != nil {
		return err
	}
	known, err := teamEpochs(txn)
	if err != nil {
		return err
	}
	auds := slices.Clone(v.audiences)
	markCommitted(auds, known)
	v.useAudiences(auds)
	return nil
}

// applyRoster updates the roster with a verified entry. A removal is
// final: a later "add" of the same device does not undo it.
func applyRoster(txn *badger.Txn, e *rosterEntry) error {
	cur, err := member(txn, e.Member.Device)
	if err != nil {
		return err
	}
	k := key(pfxMember, hex.EncodeToString(e.Member.Device))
	switch e.Op {
	case "add":
		if cur != nil {
			return nil // already known, maybe already removed
		}
		return setJSON(txn, k, e.Member)
	case "remove":
		if cur != nil && cur.Removed {
			return nil
		}
		m := e.Member
		m.Removed = true
		return setJSON(txn, k, m)
	}
	return fmt.Errorf("unknown roster operation %q", e.Op)
}
