package storage

import (
	"cmp"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"filippo.io/age"
	"github.com/dgraph-io/badger/v4"

	"github.com/letapis/letapis/storage/envelope"
	"github.com/letapis/letapis/storage/hlc"
	"github.com/letapis/letapis/storage/record"
)

// A restricted audience is a key shared by a subset of the team, such as
// the lawyers of one case: a testimony or attachment that names it is
// encrypted to it, and only its members' devices ever hold a key that can
// read it.
//
// What an audience is (its name, its members, its epochs and the
// commitment to each epoch's key) comes only from its audience records:
// system revisions of kind "audience", encrypted to the team's audience
// and signed by the audience's creator or by an admin. The audience id is
// derived from the creator's key and a nonce, so nobody else can write a
// "first" record for it. The newest record (highest newest epoch, then
// latest time, then revision id) gives the member list; every record's
// epoch commitments are kept. Key grants carry only keys, accepted when
// signed by the creator or an admin and matching a commitment; a key for
// an epoch no record has introduced yet is kept pending. Removing a member
// from an audience starts a new epoch, and so does removing a device from
// the team for every audience it was in.
//
// Audiences made before audience records (no creator) keep working for
// reading and writing until one of their members leaves the team; then
// they are closed for writing, and a new audience must be made.

const pfxRestricted = "raud/"

// Errors about restricted audiences.
var (
	// ErrNotAudienceEditor means an audience edit by a device that is
	// neither its creator nor a team admin.
	ErrNotAudienceEditor = errors.New("only the audience's creator or a team admin can change it")
	// ErrLegacyAudience means an edit of an audience made by an older
	// version, which has no signed record to change.
	ErrLegacyAudience = errors.New("this audience was made by an older version and cannot be changed: create a new one")
	// ErrAudienceName means an audience name that is empty or too long.
	ErrAudienceName = errors.New("an audience needs a name of 1 to 200 characters")
)

// Restricted is a restricted audience as this device knows it.
type Restricted struct {
	ID      string              `json:"id"`
	Name    string              `json:"name"`
	Creator ed25519.PublicKey   `json:"creator,omitempty"` // absent for audiences made before audience records
	Nonce   []byte              `json:"nonce,omitempty"`
	Members []ed25519.PublicKey `json:"members"`
	// Keys are the epochs whose key this device holds, oldest first.
	Keys []audience `json:"keys"`
	// Epochs are every commitment the audience's records made.
	Epochs []epochCommit `json:"epochs,omitempty"`
	// Newest is the newest record's last epoch, and Rev and Time its
	// revision: new envelopes go to that epoch.
	Newest epochCommit   `json:"newest,omitempty"`
	Rev    string        `json:"rev,omitempty"`
	Time   hlc.Timestamp `json:"time,omitempty"`
	// Closed is set on an old audience once one of its members left the
	// team: it cannot be rotated, so nothing more is written to it.
	Closed bool `json:"closed,omitempty"`
}

func (r *Restricted) has(device ed25519.PublicKey) bool {
	return slices.ContainsFunc(r.Members, isKey(device))
}

// isKey returns a test for device's key.
func isKey(device ed25519.PublicKey) func(ed25519.PublicKey) bool {
	return func(m ed25519.PublicKey) bool { return m.Equal(device) }
}

// legacy reports whether r was made before audience records.
func (r *Restricted) legacy() bool { return len(r.Creator) == 0 }

// key returns the key of the epoch new envelopes go to, nil if this device
// does not hold it.
func (r *Restricted) key() *audience {
	if r.legacy() {
		return &r.Keys[len(r.Keys)-1]
	}
	for i := range r.Keys {
		if r.Keys[i].Epoch == r.Newest.Epoch && commitOf(r.Keys[i].id) == r.Newest.Commit {
			return &r.Keys[i]
		}
	}
	return nil
}

// audienceRecord is the body of an audience revision: the audience as its
// writer sets it.
type audienceRecord struct {
	ID      string              `json:"id"`
	Name    string              `json:"name"`
	Creator ed25519.PublicKey   `json:"creator"`
	Nonce   []byte              `json:"nonce"`
	Members []ed25519.PublicKey `json:"members"`
	// Epochs are the audience's epochs from 1, each with the commitment
	// to its key.
	Epochs []epochCommit `json:"epochs"`
}

// audienceID derives an audience's id from its creator and a nonce.
func audienceID(creator ed25519.PublicKey, nonce []byte) string {
	sum := sha256.Sum256(slices.Concat([]byte("letapis/audience/v1\n"), creator, nonce))
	return strings.ToLower(idEncoding.EncodeToString(sum[:16]))
}

// validate checks the record on its own.
func (a *audienceRecord) validate() error {
	switch {
	case len(a.Creator) != ed25519.PublicKeySize || len(a.Nonce) < 16:
		return errors.New("audience record without a valid creator and nonce")
	case a.ID != audienceID(a.Creator, a.Nonce):
		return fmt.Errorf("audience record %q: the id is not derived from its creator", a.ID)
	case !validAudienceName(a.Name):
		return fmt.Errorf("audience record %s: %w", a.ID, ErrAudienceName)
	case len(a.Members) == 0:
		return fmt.Errorf("audience record %s has no members", a.ID)
	case len(a.Epochs) == 0:
		return fmt.Errorf("audience record %s has no epochs", a.ID)
	}
	for i, m := range a.Members {
		if len(m) != ed25519.PublicKeySize || slices.ContainsFunc(a.Members[:i], isKey(m)) {
			return fmt.Errorf("audience record %s: member %d is not a device key, or is listed twice", a.ID, i+1)
		}
	}
	for i, e := range a.Epochs {
		if e.Epoch != uint64(i)+1 || len(e.Commit) != 2*sha256.Size {
			return fmt.Errorf("audience record %s: epoch %d is not numbered in order or has no key commitment", a.ID, i+1)
		}
	}
	return nil
}

func validAudienceName(name string) bool {
	return strings.TrimSpace(name) != "" && utf8.RuneCountInString(name) <= 200 && utf8.ValidString(name)
}

// checkAudienceRecord returns why an audience revision by author must be
// refused, or nil.
func checkAudienceRecord(a *audienceRecord, author *Member) error {
	if err := a.validate(); err != nil {
		return err
	}
	if author == nil || author.Removed || (!author.Device.Equal(a.Creator) && author.Role != RoleAdmin) {
		return fmt.Errorf("audience record %s signed by %s: %w", a.ID, Fingerprint(authorKey(author)), ErrNotAudienceEditor)
	}
	return nil
}

func authorKey(m *Member) ed25519.PublicKey {
	if m == nil {
		return nil
	}
	return m.Device
}

// applyAudienceRecord merges a verified audience record into what this
// device knows. The caller holds v.mu.
func (v *Vault) applyAudienceRecord(txn *badger.Txn, a *audienceRecord, rev *envelope.Revision) error {
	r := v.restricted[a.ID]
	if r == nil {
		r = &Restricted{ID: a.ID, Creator: a.Creator, Nonce: a.Nonce}
	} else {
		c := *r
		r = &c
	}
	for _, e := range a.Epochs {
		if !slices.Contains(r.Epochs, e) {
			r.Epochs = append(r.Epochs, e)
		}
	}
	newest := a.Epochs[len(a.Epochs)-1]
	if c := cmp.Or(cmp.Compare(newest.Epoch, r.Newest.Epoch), rev.Time.Compare(r.Time), cmp.Compare(rev.ID, r.Rev)); c > 0 {
		r.Name, r.Members, r.Newest, r.Rev, r.Time = a.Name, a.Members, newest, rev.ID, rev.Time
	}
	return v.saveRestricted(txn, r)
}

func loadRestricted(txn *badger.Txn) (map[string]*Restricted, error) {
	out := map[string]*Restricted{}
	it := txn.NewIterator(badger.IteratorOptions{Prefix: []byte(pfxRestricted), PrefetchValues: true})
	defer it.Close()
	for it.Rewind(); it.Valid(); it.Next() {
		var r Restricted
		err := it.Item().Value(func(b []byte) error { return json.Unmarshal(b, &r) })
		for i := range r.Keys {
			if err == nil {
				r.Keys[i].id, err = parseIdentity(r.Keys[i].Identity)
			}
		}
		if err != nil {
			return nil, fmt.Errorf("%w: restricted audience: %w", ErrDamaged, err)
		}
		if r.legacy() && !r.Closed {
			// An old audience whose member left before this version.
			for _, d := range r.Members {
				m, err := member(txn, d)
				if err != nil {
					return nil, err
				}
				r.Closed = r.Closed || (m != nil && m.Removed)
			}
		}
		out[r.ID] = &r
	}
	return out, nil
}

// saveRestricted stores an audience and makes its keys usable. The caller
// holds v.mu.
func (v *Vault) saveRestricted(txn *badger.Txn, r *Restricted) error {
	if err := setJSON(txn, key(pfxRestricted, r.ID), r); err != nil {
		return err
	}
	v.restricted[r.ID] = r
	return nil
}

// CreateAudience makes a restricted audience of this device and the given
// members: its first record, and a key grant for each of them.
func (v *Vault) CreateAudience(name string, members []ed25519.PublicKey) (string, error) {
	nonce := make([]byte, 16)
	_, _ = rand.Read(nonce)
	self := v.DeviceKey()
	id := audienceID(self, nonce)
	if !validAudienceName(name) {
		return "", fmt.Errorf("create audience: %w", ErrAudienceName)
	}
	err := v.update("create audience", func(txn *badger.Txn) error {
		if err := inTeam(txn); err != nil {
			return err
		}
		r := &Restricted{ID: id, Name: name, Creator: self, Nonce: nonce, Members: []ed25519.PublicKey{self}}
		for _, d := range members {
			if !r.has(d) {
				r.Members = append(r.Members, d)
			}
		}
		return v.writeAudience(txn, r, nil, true)
	})
	if err != nil {
		return "", err
	}
	return id, nil
}

// AddAudienceMember adds a team member to a restricted audience. It gets
// every key of the audience this device holds; if this device (an admin
// outside the audience) holds none of the newest, a new epoch starts, and
// the new member reads from then on.
func (v *Vault) AddAudienceMember(id string, device ed25519.PublicKey) error {
	return v.update("add audience member", func(txn *badger.Txn) error {
		r, err := v.editable(txn, id)
		if err != nil {
			return err
		}
		if r.has(device) {
			return nil
		}
		r.Members = append(slices.Clone(r.Members), device)
		return v.writeAudience(txn, r, nil, r.key() == nil)
	})
}

// RemoveAudienceMember removes a device from a restricted audience and
// starts a new epoch, so it cannot read what is written to it from now
// on.
func (v *Vault) RemoveAudienceMember(id string, device ed25519.PublicKey) error {
	return v.update("remove audience member", func(txn *badger.Txn) error {
		r, err := v.editable(txn, id)
		if err != nil {
			return err
		}
		if !r.has(device) {
			return fmt.Errorf("device %s is not in the audience", Fingerprint(device))
		}
		r.Members = slices.DeleteFunc(slices.Clone(r.Members), isKey(device))
		if len(r.Members) == 0 {
			return errors.New("an audience needs at least one member")
		}
		return v.writeAudience(txn, r, device, true)
	})
}

// editable returns a copy of audience id if this device may change it.
func (v *Vault) editable(txn *badger.Txn, id string) (*Restricted, error) {
	if err := inTeam(txn); err != nil {
		return nil, err
	}
	r := v.restricted[id]
	if r == nil {
		return nil, fmt.Errorf("no restricted audience has the id %q", id)
	}
	if r.legacy() {
		return nil, ErrLegacyAudience
	}
	self, err := member(txn, v.DeviceKey())
	if err != nil {
		return nil, err
	}
	if self == nil || self.Removed || (!r.Creator.Equal(v.DeviceKey()) && self.Role != RoleAdmin) {
		return nil, ErrNotAudienceEditor
	}
	c := *r
	return &c, nil
}

// writeAudience writes r's record, with a new epoch if rotate, and grants
// its keys to its members (other than this device and except): the new
// key to all, or every key held to members that have not got them. The
// caller holds v.mu.
func (v *Vault) writeAudience(txn *badger.Txn, r *Restricted, except ed25519.PublicKey, rotate bool) error {
	self := v.DeviceKey()
	var fresh *audience
	before := slices.Clone(v.restricted[r.ID].membersOrNil())
	for _, d := range r.Members {
		m, err := member(txn, d)
		if err != nil {
			return err
		}
		if m == nil || m.Removed {
			return fmt.Errorf("device %s is not a member of the team", Fingerprint(d))
		}
	}
	if rotate {
		var err error
		if fresh, err = newAudience(maxEpoch(r.Epochs, nil) + 1); err != nil {
			return err
		}
		r.Epochs = append(slices.Clone(r.Epochs), epochCommit{Epoch: fresh.Epoch, Commit: commitOf(fresh.id)})
		if r.has(self) {
			r.Keys = append(slices.Clone(r.Keys), *fresh)
		}
	}
	if !r.has(self) {
		r.Keys = nil // an admin outside the audience keeps no key of it
	}
	epochs := slices.Clone(r.Epochs)
	slices.SortFunc(epochs, func(a, b epochCommit) int { return cmp.Compare(a.Epoch, b.Epoch) })
	// The record lists one commitment per epoch: the newest of each.
	rec := audienceRecord{ID: r.ID, Name: r.Name, Creator: r.Creator, Nonce: r.Nonce, Members: r.Members}
	for _, e := range epochs {
		if n := len(rec.Epochs); n > 0 && rec.Epochs[n-1].Epoch == e.Epoch {
			continue
		}
		rec.Epochs = append(rec.Epochs, e)
	}
	if fresh != nil {
		rec.Epochs[len(rec.Epochs)-1] = epochCommit{Epoch: fresh.Epoch, Commit: commitOf(fresh.id)}
	}
	if err := rec.validate(); err != nil {
		return err
	}
	if err := v.writeSystem(txn, kindAudience, rec, v.teamAddress()); err != nil {
		return err
	}
	if len(r.Keys) > 0 {
		stored := v.restricted[r.ID]
		stored.Keys = r.Keys
		if err := v.saveRestricted(txn, stored); err != nil {
			return err
		}
	}
	for _, d := range r.Members {
		if d.Equal(self) || d.Equal(except) {
			continue
		}
		keys := []audience{}
		switch {
		case fresh != nil:
			keys = append(keys, *fresh)
		case !slices.ContainsFunc(before, isKey(d)):
			keys = append(keys, r.Keys...)
		}
		if len(keys) == 0 {
			continue
		}
		if err := v.grantKeys(txn, d, Restricted{ID: r.ID, Keys: keys}); err != nil {
			return err
		}
	}
	return nil
}

func (r *Restricted) membersOrNil() []ed25519.PublicKey {
	if r == nil {
		return nil
	}
	return r.Members
}

// grantKeys writes a key grant of restricted audience keys to a member.
func (v *Vault) grantKeys(txn *badger.Txn, device ed25519.PublicKey, r Restricted) error {
	m, err := member(txn, device)
	if err != nil || m == nil {
		return err
	}
	to, err := age.ParseHybridRecipient(m.Recipient)
	if err != nil {
		return fmt.Errorf("%w: recipient of member %s: %w", ErrDamaged, m.Fingerprint(), err)
	}
	return v.writeSystem(txn, kindKey, keyGrant{To: device, Restricted: []Restricted{r}}, deviceAddress(to))
}

// rotateRestricted removes device from every restricted audience it is
// in, with a new epoch for the others. The caller holds v.mu.
func (v *Vault) rotateRestricted(txn *badger.Txn, device ed25519.PublicKey) error {
	ids := make([]string, 0, len(v.restricted))
	for id, r := range v.restricted {
		if r.has(device) && !r.legacy() {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	for _, id := range ids {
		c := *v.restricted[id]
		c.Members = slices.DeleteFunc(slices.Clone(c.Members), isKey(device))
		if len(c.Members) == 0 {
			continue
		}
		if err := v.writeAudience(txn, &c, device, true); err != nil {
			return err
		}
	}
	return nil
}

// closeLegacyAudiences closes the old audiences device was in, as it
// leaves the team. The caller holds v.mu.
func (v *Vault) closeLegacyAudiences(txn *badger.Txn, device ed25519.PublicKey) error {
	for _, r := range v.restricted {
		if r.legacy() && r.has(device) && !r.Closed {
			c := *r
			c.Closed = true
			if err := v.saveRestricted(txn, &c); err != nil {
				return err
			}
		}
	}
	return nil
}

// receiveRestricted installs restricted audience keys from a key grant
// signed by author. Each must be signed by the audience's creator or an
// admin and match a commitment of the audience's records; pending means a
// record it needs has not arrived yet. The caller holds v.mu.
func (v *Vault) receiveRestricted(txn *badger.Txn, author *Member, rs []Restricted) (pending bool, reject, err error) {
	next := map[string]*Restricted{}
	for _, in := range rs {
		cur := v.restricted[in.ID]
		if cur == nil || cur.legacy() {
			return true, nil, nil // its record may still come
		}
		if author == nil || author.Removed || (!author.Device.Equal(cur.Creator) && author.Role != RoleAdmin) {
			return false, fmt.Errorf("key of restricted audience %s signed by %s, who is neither its creator nor an admin", in.ID, Fingerprint(authorKey(author))), nil
		}
		r := next[in.ID]
		if r == nil {
			c := *cur
			c.Keys = slices.Clone(cur.Keys)
			r = &c
			next[in.ID] = r
		}
		for _, k := range in.Keys {
			if k.id, err = parseIdentity(k.Identity); err != nil {
				return false, fmt.Errorf("key of restricted audience %s: %w", in.ID, err), nil
			}
			switch known, match := committed(r.Epochs, k.Epoch, commitOf(k.id)); {
			case !known:
				return true, nil, nil
			case !match:
				return false, fmt.Errorf("key of restricted audience %s, epoch %d, does not match the audience record's commitment", in.ID, k.Epoch), nil
			}
			if !slices.ContainsFunc(r.Keys, func(h audience) bool { return h.Identity == k.Identity }) {
				r.Keys = append(r.Keys, k)
			}
		}
		slices.SortFunc(r.Keys, func(a, b audience) int { return cmp.Compare(a.Epoch, b.Epoch) })
	}
	for _, r := range next {
		if err := v.saveRestricted(txn, r); err != nil {
			return false, nil, err
		}
	}
	return false, nil, nil
}

// Audiences returns the restricted audiences this device can write to,
// with their members but without their keys.
func (v *Vault) Audiences() ([]Restricted, error) {
	return v.listAudiences(func(r *Restricted) bool { return r.has(v.DeviceKey()) && !r.Closed && r.key() != nil })
}

// AllAudiences returns every restricted audience this device knows of,
// those it is not in included (an admin sees them all), without keys.
func (v *Vault) AllAudiences() ([]Restricted, error) {
	return v.listAudiences(func(*Restricted) bool { return true })
}

func (v *Vault) listAudiences(keep func(*Restricted) bool) ([]Restricted, error) {
	v.mu.RLock()
	defer v.mu.RUnlock()
	if v.db == nil {
		return nil, ErrLocked
	}
	out := make([]Restricted, 0, len(v.restricted))
	for _, r := range v.restricted {
		if len(r.Members) > 0 && keep(r) {
			out = append(out, Restricted{ID: r.ID, Name: r.Name, Creator: r.Creator, Members: slices.Clone(r.Members),
				Newest: r.Newest, Closed: r.Closed, Rev: r.Rev, Time: r.Time})
		}
	}
	slices.SortFunc(out, func(a, b Restricted) int { return cmp.Or(cmp.Compare(a.Name, b.Name), cmp.Compare(a.ID, b.ID)) })
	return out, nil
}

// recipientFor returns the key a body is encrypted to: its restricted
// audience if it names one, the team's audience otherwise. The caller
// holds v.mu.
func (v *Vault) recipientFor(b record.Body) (address, error) {
	var aud string
	switch b := b.(type) {
	case *record.Testimony:
		aud = b.Audience
	case *record.Attachment:
		aud = b.Audience
	}
	if aud == "" {
		return v.teamAddress(), nil
	}
	r := v.restricted[aud]
	problem := ""
	switch {
	case r == nil || !r.has(v.DeviceKey()):
		problem = fmt.Sprintf("%q is not a restricted audience this device belongs to", aud)
	case r.Closed:
		problem = fmt.Sprintf("audience %q was made by an older version and one of its members left the team: create a new audience", r.Name)
	case r.key() == nil:
		problem = fmt.Sprintf("the newest key of audience %q has not reached this device yet: sync, then save again", r.Name)
	default:
		return address{to: []age.Recipient{recipientOf(r.key().id)}, audience: r.ID, epoch: r.key().Epoch}, nil
	}
	return address{}, &record.FieldError{Kind: b.Kind(), Field: "audience", Problem: problem}
}
