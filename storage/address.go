package storage

import (
	"crypto/ed25519"
	"encoding/hex"
	"errors"
	"fmt"

	"filippo.io/age"
	"github.com/dgraph-io/badger/v4"

	"github.com/letapis/letapis/storage/envelope"
)

// address is the key an envelope is encrypted to, with the audience and
// epoch that name it inside the author's signature (envelope format 2): a
// receiver checks that the key that opened an envelope is the one it
// names (checkAddress), so that an envelope cannot be passed off as meant
// for another audience or epoch.
type address struct {
	to       []age.Recipient
	audience string // "", a restricted audience's id or envelope.AudienceDevice
	epoch    uint64
}

// teamAddress is the team's current audience key. The caller holds v.mu.
func (v *Vault) teamAddress() address { return audienceAddress(v.current) }

// audienceAddress is a team audience epoch's key.
func audienceAddress(a audience) address {
	return address{to: []age.Recipient{recipientOf(a.id)}, epoch: a.Epoch}
}

// deviceAddress is devices' own keys: one device's, to which its key
// grants go, or every member's, to which heartbeats go.
func deviceAddress(to ...age.Recipient) address {
	return address{to: to, audience: envelope.AudienceDevice}
}

// seal names a's audience and epoch in rev, then signs and encrypts it.
func (a address) seal(rev *envelope.Revision, key ed25519.PrivateKey) ([]byte, envelope.ID, error) {
	rev.Audience, rev.Epoch = a.audience, a.epoch
	return envelope.Seal(*rev, key, a.to...)
}

// teamName returns the id of the vault's team, "" for a vault on its own.
func teamName(txn *badger.Txn) (string, error) {
	var t TeamState
	_, err := getJSON(txn, []byte(keyTeam), &t)
	return t.Team, err
}

// addressOf returns the audience and epoch of one of the vault's
// identities; ok is false if the vault does not hold it (any more). The
// caller holds v.mu.
func (v *Vault) addressOf(id age.Identity) (audience string, epoch uint64, ok bool) {
	for _, a := range v.audiences {
		if a.id == id {
			return "", a.Epoch, true
		}
	}
	for _, r := range v.restricted {
		for _, k := range r.Keys {
			if k.id == id {
				return r.ID, k.Epoch, true
			}
		}
	}
	if id == v.identity {
		return envelope.AudienceDevice, 0, true
	}
	return "", 0, false
}

// checkAddress checks what a format 2 envelope signs about where it goes
// against this vault: its team, and the audience and epoch of the key that
// opened it. A format 1 envelope signs neither; it is accepted only from
// an author that has not written format 2 before it (an old device),
// otherwise it is a downgrade. author is nil if the roster does not list
// the author (yet). The caller holds v.mu.
func (v *Vault) checkAddress(txn *badger.Txn, o *envelope.Opened, team *TeamState, inTeam bool, author *Member) (reject, err error) {
	rev := &o.Revision
	if o.Version == envelope.Version1 {
		first, found, err := firstVersion2(txn, rev.Author)
		if err != nil || !found || rev.Seq < first {
			return nil, err
		}
		return because(ReasonDowngrade, fmt.Errorf("downgrade: written in the old envelope format by %s, which writes the new one since its revision %d", Fingerprint(rev.Author), first)), nil
	}
	if inTeam && rev.Team != team.Team {
		// A founder's revisions from before its team existed name none.
		preTeam := rev.Team == "" && author != nil && rev.Time.Compare(author.Added) < 0
		if !preTeam {
			return because(ReasonOtherTeam, fmt.Errorf("addressed to another team (%q, this vault is in %q)", rev.Team, team.Team)), nil
		}
	}
	audience, epoch, ok := v.addressOf(o.Identity)
	switch {
	case rev.Audience == envelope.AudienceDevice && rev.Kind != kindKey && rev.Kind != kindHeartbeat:
		return because(ReasonAddress, fmt.Errorf("a %s addressed to devices' own keys: only key grants and heartbeats are", rev.Kind)), nil
	case !ok:
		return because(ReasonAddress, errors.New("opened with a key this vault no longer holds")), nil
	case rev.Audience != audience:
		return because(ReasonAddress, fmt.Errorf("addressed to %s but encrypted to %s", audienceName(rev.Audience), audienceName(audience))), nil
	case rev.Epoch != epoch:
		return because(ReasonAddress, fmt.Errorf("addressed to epoch %d of %s but encrypted to its epoch %d", rev.Epoch, audienceName(audience), epoch)), nil
	}
	return nil, nil
}

// audienceName names an envelope audience for a quarantine reason.
func audienceName(audience string) string {
	switch audience {
	case "":
		return "the team's audience"
	case envelope.AudienceDevice:
		return "one device's own key"
	}
	return fmt.Sprintf("restricted audience %s", audience)
}

// pfxVersion2 keys, per author, the lowest sequence number of a format 2
// envelope received from it.
const pfxVersion2 = "v2seq/"

// firstVersion2 returns the lowest sequence number of a format 2 envelope
// received from author, and whether there is one.
func firstVersion2(txn *badger.Txn, author ed25519.PublicKey) (uint64, bool, error) {
	var seq uint64
	found, err := getJSON(txn, key(pfxVersion2, hex.EncodeToString(author)), &seq)
	return seq, found, err
}

// noteVersion2 records that a format 2 envelope of o's author was applied.
func noteVersion2(txn *badger.Txn, o *envelope.Opened) error {
	if o.Version < envelope.Version {
		return nil
	}
	first, found, err := firstVersion2(txn, o.Revision.Author)
	if err != nil || (found && first <= o.Revision.Seq) {
		return err
	}
	return setJSON(txn, key(pfxVersion2, hex.EncodeToString(o.Revision.Author)), o.Revision.Seq)
}
