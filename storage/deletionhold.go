package storage

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/dgraph-io/badger/v4"

	"github.com/letapis/letapis/storage/envelope"
)

// The deletion hold is a team setting: a signed system revision of kind
// "teamconf" that only an admin writes, numbered from 1, the highest
// number being the current setting. A deletion gets the hold in force
// when a device receives it: the current one, or a longer one it
// replaced while that longer one has not run since it was replaced, so
// that a coerced admin who lowers the hold erases nothing sooner.

// Hold bounds.
const (
	// DefaultHold is the hold of a team that has not set one.
	DefaultHold = 7 * 24 * time.Hour
	// MinHold and MaxHold bound the hold an admin may set.
	MinHold = 24 * time.Hour
	MaxHold = 365 * 24 * time.Hour
)

// teamConfBody is the body of a teamconf system revision: setting N of
// the team, the highest N (then revision id) being the current one.
type teamConfBody struct {
	V           int    `json:"v"`
	N           uint64 `json:"n"`
	HoldSeconds int64  `json:"hold_seconds"`
}

// teamConf is a team setting as a device stores it.
type teamConf struct {
	N        uint64        `json:"n"`
	Rev      string        `json:"rev"`
	Hold     time.Duration `json:"hold"`
	Received time.Time     `json:"received"`
}

// SetDeletionHold sets how long the team keeps a deleted record before
// every device purges it, between MinHold and MaxHold. Only an admin may.
// A lower hold than the current one applies only once the current one
// has run since this setting, so that lowering it erases nothing sooner.
func (v *Vault) SetDeletionHold(hold time.Duration) error {
	if hold < MinHold || hold > MaxHold {
		return fmt.Errorf("set the deletion hold: %s is outside %s", holdWords(hold), holdRange)
	}
	err := v.update("set the deletion hold", func(txn *badger.Txn) error {
		if err := v.requireAdmin(txn); err != nil {
			return err
		}
		confs, err := teamConfs(txn)
		if err != nil {
			return err
		}
		var n uint64 = 1
		if len(confs) > 0 {
			n = confs[len(confs)-1].N + 1
		}
		body := teamConfBody{V: 1, N: n, HoldSeconds: int64(hold / time.Second)}
		if err := v.writeSystem(txn, kindTeamConf, body, v.teamAddress()); err != nil {
			return err
		}
		return storeTeamConf(txn, teamConf{N: n, Rev: "own", Hold: hold, Received: v.wallNow().UTC()})
	})
	return err
}

// DeletionHold returns the hold the team set (DefaultHold if none) and the
// hold that a deletion received now gets, which is longer while a higher
// hold that was lowered still runs.
func (v *Vault) DeletionHold() (set, now time.Duration, err error) {
	err = v.view(func(txn *badger.Txn) error {
		confs, err := teamConfs(txn)
		if err != nil {
			return err
		}
		set = DefaultHold
		if len(confs) > 0 {
			set = confs[len(confs)-1].Hold
		}
		now, err = holdAt(txn, v.wallNow())
		return err
	})
	return set, now, err
}

// receiveTeamConf checks and stores a team setting from another device.
// A setting numbered past the next one waits (pending) for those between,
// so that no admin can number one so high that none can follow it.
func (v *Vault) receiveTeamConf(txn *badger.Txn, o *envelope.Opened, ct []byte, author *Member) (pending bool, reject, err error) {
	if author == nil || author.Removed || author.Role != RoleAdmin {
		return false, fmt.Errorf("team setting signed by %s, who is not an admin", Fingerprint(o.Revision.Author)), nil
	}
	var b teamConfBody
	if err := json.Unmarshal(o.Revision.Body, &b); err != nil {
		return false, fmt.Errorf("team setting: %w", err), nil
	}
	hold := time.Duration(b.HoldSeconds) * time.Second
	if b.N == 0 || hold < MinHold || hold > MaxHold {
		return false, fmt.Errorf("team setting %d: a deletion hold of %s is outside %s", b.N, holdWords(hold), holdRange), nil
	}
	confs, err := teamConfs(txn)
	if err != nil {
		return false, nil, err
	}
	var highest uint64
	if len(confs) > 0 {
		highest = confs[len(confs)-1].N
	}
	if b.N > highest+1 {
		return true, nil, nil
	}
	if err := storeRevision(txn, o, ct); err != nil {
		return false, nil, err
	}
	return false, nil, storeTeamConf(txn, teamConf{N: b.N, Rev: o.Revision.ID, Hold: hold, Received: v.wallNow().UTC()})
}

func storeTeamConf(txn *badger.Txn, c teamConf) error {
	return setJSON(txn, key(pfxTeamConf, fmt.Sprintf("%016x/", c.N), c.Rev), c)
}

// teamConfs returns the team settings held, in order (number, then
// revision id).
func teamConfs(txn *badger.Txn) ([]teamConf, error) {
	var confs []teamConf
	it := txn.NewIterator(badger.IteratorOptions{Prefix: []byte(pfxTeamConf), PrefetchValues: true})
	defer it.Close()
	for it.Rewind(); it.Valid(); it.Next() {
		var c teamConf
		if err := it.Item().Value(func(b []byte) error { return json.Unmarshal(b, &c) }); err != nil {
			return nil, fmt.Errorf("%w: team setting: %w", ErrDamaged, err)
		}
		confs = append(confs, c)
	}
	return confs, nil
}

// holdAt is the hold of a deletion received at t: the current setting's,
// or a longer one it replaced if that has not run yet since it was
// replaced (the default counts as replaced when the first setting came).
func holdAt(txn *badger.Txn, t time.Time) (time.Duration, error) {
	confs, err := teamConfs(txn)
	if err != nil || len(confs) == 0 {
		return DefaultHold, err
	}
	all := append([]teamConf{{Hold: DefaultHold}}, confs...)
	hold := all[len(all)-1].Hold
	for i, c := range all[:len(all)-1] {
		replaced := all[i+1].Received
		if c.Received.After(replaced) {
			replaced = c.Received
		}
		if t.Before(replaced.Add(c.Hold)) {
			hold = max(hold, c.Hold)
		}
	}
	return hold, nil
}

// holdRange says which holds an admin may set.
var holdRange = fmt.Sprintf("%d to %d days", MinHold/(24*time.Hour), MaxHold/(24*time.Hour))

// holdWords writes a hold in days when it is whole days.
func holdWords(d time.Duration) string {
	if d > 0 && d%(24*time.Hour) == 0 {
		return fmt.Sprintf("%d days", d/(24*time.Hour))
	}
	return d.String()
}
