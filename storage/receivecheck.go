package storage

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/dgraph-io/badger/v4"

	"github.com/letapis/letapis/storage/envelope"
	"github.com/letapis/letapis/storage/record"
)

// Robust receive: a correctly signed envelope can still be wrong (a body
// that does not validate, a kind this build does not know, ids that are
// not ids, an address that is not this vault's). Each such envelope is
// quarantined with its reason on its own, so that one member cannot halt
// every device's sync; one written by a newer build is held intact
// instead, for a newer build to apply.

// knownSchema is the newest schema version of the system kinds this build
// reads; a newer one is held (see Held).
var knownSchema = record.SchemaVersion

// errNewer marks the reason an envelope is held rather than quarantined.
var errNewer = errors.New("written by a newer version of Letapis")

// Reasons an envelope is set aside, as Quarantine.Code: a user interface
// words each in the reader's language. Reasons without a code (a damaged
// envelope, a bad signature, a removed author...) have only their text.
const (
	ReasonOtherTeam = "other-team" // names another team
	ReasonAddress   = "address"    // names an audience or epoch other than the key that opened it
	ReasonDowngrade = "downgrade"  // the old format from an author that writes the new one
	ReasonBody      = "body"       // a body that does not validate
	ReasonKind      = "kind"       // a kind this build does not know
	ReasonIDs       = "ids"        // ids that are not ids
	ReasonNewer     = "newer"      // held: a schema this build does not read
)

// problem is a reason to set an envelope aside, with its code.
type problem struct {
	code string
	err  error
}

func (p *problem) Error() string { return p.err.Error() }
func (p *problem) Unwrap() error { return p.err }

// because gives err the reason code.
func because(code string, err error) error { return &problem{code: code, err: err} }

// codeOf returns the reason code of err, "" if it has none.
func codeOf(err error) string {
	var p *problem
	if errors.As(err, &p) {
		return p.code
	}
	return ""
}

// checkReceived checks a verified envelope before anything of it is
// applied: its ids, kind, body and address (checkAddress). reject is why
// it must be quarantined, or, wrapping errNewer, why it is held. author is
// the roster entry of its author, nil if there is none.
func (v *Vault) checkReceived(txn *badger.Txn, o *envelope.Opened, team *TeamState, inTeam bool, author *Member) (reject, err error) {
	rev := &o.Revision
	if reject := checkIDs(rev); reject != nil {
		return because(ReasonIDs, reject), nil
	}
	if reject, err := v.checkAddress(txn, o, team, inTeam, author); reject != nil || err != nil {
		return reject, err
	}
	if isSystemKind(rev.Kind) {
		if rev.Schema > knownSchema {
			return because(ReasonNewer, fmt.Errorf("%w: a %s entry of schema %d (this version reads %d); kept until this device is updated", errNewer, rev.Kind, rev.Schema, knownSchema)), nil
		}
		return nil, nil
	}
	k, err := record.ParseKind(rev.Kind)
	if err != nil {
		return because(ReasonKind, fmt.Errorf("unknown kind %q", rev.Kind)), nil
	}
	if rev.Op == envelope.OpDelete || rev.Schema > record.SchemaVersion {
		// A delete's body is not a record; a newer record is kept intact
		// and read-only (see record.SchemaVersion).
		return nil, nil
	}
	if _, err := record.Decode(k, rev.Body); err != nil {
		return because(ReasonBody, fmt.Errorf("the %s it carries is not valid: %w", k, err)), nil
	}
	return nil, nil
}

// checkIDs refuses a revision whose record, revision or parent ids are not
// ids as vaults make them: they become parts of keys in the store.
func checkIDs(rev *envelope.Revision) error {
	if !record.IsID(rev.Record) {
		return fmt.Errorf("record id %.40q is not a record id", rev.Record)
	}
	if !record.IsID(rev.ID) {
		return fmt.Errorf("revision id %.40q is not a revision id", rev.ID)
	}
	for _, p := range rev.Parents {
		if !record.IsID(p) {
			return fmt.Errorf("parent revision id %.40q is not a revision id", p)
		}
	}
	return nil
}

// contentError reports whether err, from applying a verified envelope, is
// about the envelope's content rather than the store: such an envelope is
// quarantined instead of failing the batch.
func contentError(err error) bool {
	var field *record.FieldError
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	if errors.Is(err, ErrDamaged) || errors.Is(err, ErrDiskFull) {
		return false
	}
	return errors.Is(err, envelope.ErrMalformed) || errors.As(err, &field) || errors.As(err, &syntax) || errors.As(err, &typ)
}

const pfxHeld = "held/"

// setHeld keeps an envelope a newer build wrote, intact, inside txn.
func setHeld(txn *badger.Txn, id string, ct []byte, reason error) error {
	if err := txn.Delete(key(pfxPending, id)); err != nil {
		return err
	}
	return setJSON(txn, key(pfxHeld, id), Quarantine{ID: id, Reason: reason.Error(), Code: codeOf(reason), Held: true, Received: time.Now().UTC(), CT: ct})
}

// Held lists the envelopes kept for a newer version of Letapis, without
// their ciphertext: this build cannot apply them, a newer one will.
func (v *Vault) Held() ([]Quarantine, error) { return v.setAside(pfxHeld) }

// SetAsideEnvelopes lists the quarantined and the held envelopes together,
// oldest first, without their ciphertext.
func (v *Vault) SetAsideEnvelopes() ([]Quarantine, error) {
	qs, err := v.Quarantined()
	if err != nil {
		return nil, err
	}
	held, err := v.Held()
	if err != nil {
		return nil, err
	}
	qs = append(qs, held...)
	slices.SortStableFunc(qs, func(x, y Quarantine) int { return x.Received.Compare(y.Received) })
	return qs, nil
}

// retryHeld receives again, once per unlock, the envelopes held for a
// newer version: this build may be it. The caller holds v.mu.
func (v *Vault) retryHeld() error {
	if v.heldTried {
		return nil
	}
	v.heldTried = true
	var ins []*incoming
	err := v.db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: []byte(pfxHeld), PrefetchValues: true})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			var q Quarantine
			if err := it.Item().Value(func(b []byte) error { return json.Unmarshal(b, &q) }); err != nil {
				return fmt.Errorf("%w: held envelope: %w", ErrDamaged, err)
			}
			ins = append(ins, &incoming{ct: q.CT, id: q.ID})
		}
		return nil
	})
	if err != nil || len(ins) == 0 {
		return err
	}
	outs, changedKeys, err := v.receiveAll(ins)
	if err != nil {
		return err // what was not received is still held
	}
	err = v.db.Update(func(txn *badger.Txn) error {
		for i, out := range outs {
			if out != Held {
				if err := txn.Delete(key(pfxHeld, ins[i].id)); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err == nil && changedKeys {
		err = v.retryPending()
	}
	return err
}
