package storage

import (
	"cmp"
	"errors"
	"fmt"
	"slices"

	"github.com/dgraph-io/badger/v4"
)

// installGrant checks and installs the keys of a trusted key grant (see
// applyGrant): team audience keys only for epochs the roster introduced
// and matching their commitment, restricted keys as receiveRestricted
// says. A device that joins starts from the grant's roster and epoch
// commitments, and accepts from it only keys that those commitments name.
// Nothing is written unless the whole grant is accepted. The caller holds
// v.mu.
func (v *Vault) installGrant(txn *badger.Txn, team *TeamState, author *Member, g *keyGrant) (pending bool, reject, err error) {
	known := g.Epochs
	if team.Joined {
		if known, err = teamEpochs(txn); err != nil {
			return false, nil, err
		}
	}
	var fresh []audience
	for _, a := range g.Audiences {
		if a.id, err = parseIdentity(a.Identity); err != nil {
			return false, fmt.Errorf("key grant: audience %d: %w", a.Epoch, err), nil
		}
		if team.Joined && slices.ContainsFunc(v.audiences, func(h audience) bool { return h.Identity == a.Identity }) {
			continue
		}
		isKnown, match := committed(known, a.Epoch, commitOf(a.id))
		switch {
		case team.Joined && !isKnown:
			return true, nil, nil // the roster entry that introduces it may still come
		case isKnown && !match:
			return false, fmt.Errorf("key grant: the key for team epoch %d does not match the roster's commitment", a.Epoch), nil
		case !team.Joined && len(known) > 0 && !isKnown:
			return false, fmt.Errorf("key grant: the inviter's grant holds a key for team epoch %d that its roster did not introduce", a.Epoch), nil
		}
		a.committed = isKnown
		fresh = append(fresh, a)
	}
	if !team.Joined && len(fresh) == 0 {
		return false, errors.New("key grant carries no audience key"), nil
	}
	if pending, reject, err := v.receiveRestricted(txn, author, g.Restricted); pending || reject != nil || err != nil {
		return pending, reject, err
	}
	if len(fresh) == 0 {
		return false, nil, nil
	}
	auds := v.audiences
	if !team.Joined {
		if auds, err = v.join(txn, team, g); err != nil {
			return false, nil, err
		}
	}
	for _, a := range fresh {
		k := audienceKey(a.Epoch)
		switch {
		case !containsEpoch(auds, a.Epoch):
		case a.committed:
			// Two admins rotating at once make two keys of one epoch:
			// both are kept.
			k = append(k, "/"+commitOf(a.id)[:16]...)
		default:
			continue
		}
		auds = append(auds, a)
		if err := setJSON(txn, k, a); err != nil {
			return false, nil, err
		}
	}
	slices.SortStableFunc(auds, func(a, b audience) int { return cmp.Compare(a.Epoch, b.Epoch) })
	v.useAudiences(auds)
	return false, nil, nil
}

// join makes this vault a member from its first grant: its own audience
// gives way to the team's, and the grant's roster and epoch commitments
// are where it starts. It returns the audiences left (none).
func (v *Vault) join(txn *badger.Txn, team *TeamState, g *keyGrant) ([]audience, error) {
	for _, a := range v.audiences {
		if err := txn.Delete(audienceKey(a.Epoch)); err != nil {
			return nil, err
		}
	}
	for _, m := range g.Roster {
		if err := applyRoster(txn, &rosterEntry{Op: "add", Member: m}); err != nil {
			return nil, err
		}
		if m.Removed {
			if err := applyRoster(txn, &rosterEntry{Op: "remove", Member: m}); err != nil {
				return nil, err
			}
		}
	}
	for _, h := range g.Histories {
		if err := keepHistory(txn, h.Device, &h.History); err != nil {
			return nil, err
		}
	}
	for _, e := range g.Epochs {
		if len(e.Commit) == 64 {
			if err := txn.Set(epochKey(e), nil); err != nil {
				return nil, err
			}
		}
	}
	team.Joined = true
	if err := setJSON(txn, []byte(keyTeam), team); err != nil {
		return nil, err
	}
	v.team = teamMember
	return nil, nil
}
