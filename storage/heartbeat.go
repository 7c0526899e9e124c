package storage

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"strings"
	"time"

	"filippo.io/age"
	"github.com/dgraph-io/badger/v4"

	"github.com/letapis/letapis/storage/envelope"
	"github.com/letapis/letapis/storage/record"
)

// A heartbeat is a small system revision (kind "heartbeat") that every
// device of a team writes now and then, encrypted to every member's
// device key and signed like any revision: the head of the relay's log it verified
// last, and its version vector, the highest sequence number it holds from
// every author. Another device compares them with what it holds itself
// (watch.go): a relay that hides records from some devices, or shows two
// devices two different histories, is seen. A vault keeps only the latest
// heartbeat of each device (and, like every envelope of the log, the
// envelopes of the others). Receiving a heartbeat does not raise its
// author's sequence number in the receiver's vector, so that heartbeats
// answer only to records, not to one another.

const (
	pfxHeartbeat = "hb/"            // hb/AUTHOR (hex) -> storedHeartbeat, the latest
	pfxHeard     = "heard/"         // heard/AUTHOR (hex) -> the newest time of its revisions (Unix ms)
	pfxPrivate   = "priv/"          // priv/SEQ (16 hex digits): an own revision not sealed to the whole team
	keySendSeq   = "meta/sendseq"   // this device's highest sequence number when its last send began
	keyLoggedSeq = "meta/loggedseq" // the highest one up to which all its revisions are in the relay's log
)

// HeartbeatEvery is the longest a device goes without a heartbeat while
// it syncs, even when nothing changed.
const HeartbeatEvery = 3 * time.Hour

// heartbeat is the body of a heartbeat revision.
type heartbeat struct {
	// Head is the latest point of the relay's log the author verified,
	// with the relay's signature; absent before its first verified page.
	Head *SignedHead `json:"head,omitempty"`
	// Held is, per author (hex device key), the highest sequence number
	// of the revisions the author of the heartbeat holds, heartbeats of
	// others left out.
	Held map[string]uint64 `json:"held"`
	// Logged is the author's own highest sequence number up to which all
	// its revisions were appended to the relay's log at or before Head.
	Logged uint64 `json:"logged,omitempty"`
	// Private lists, as [first, last] ranges, the author's own sequence
	// numbers above Logged and up to its entry in Held that were sealed
	// to less than the whole team (key grants, restricted audiences, its
	// heartbeats, which later members cannot read): another member may
	// lack those without anything being hidden from it.
	Private [][2]uint64 `json:"private,omitempty"`
}

// storedHeartbeat is the latest heartbeat of a device, as kept.
type storedHeartbeat struct {
	Seq      uint64    `json:"seq"`
	Time     time.Time `json:"time"`
	Envelope string    `json:"envelope"`
	Body     heartbeat `json:"body"`
}

func privateKey(seq uint64) []byte { return fmt.Appendf([]byte(pfxPrivate), "%016x", seq) }

// markPrivate notes that this device's revision seq is sealed to less
// than the whole team.
func markPrivate(txn *badger.Txn, seq uint64) error { return txn.Set(privateKey(seq), nil) }

// markIfPrivate marks rev private if body b is sealed to a restricted
// audience.
func (v *Vault) markIfPrivate(txn *badger.Txn, b record.Body, rev *envelope.Revision) error {
	if b == nil {
		return nil
	}
	if to, err := v.recipientFor(b); err != nil || to.audience == "" {
		return nil // a body that cannot be sealed is refused elsewhere
	}
	return markPrivate(txn, rev.Seq)
}

// WriteHeartbeat writes a heartbeat if one is due at now: the vault has
// none yet, it wrote or received a revision since its last one, or the
// last one is too old. It reports whether it wrote one; the sync engine
// calls it once per pass, after receiving, so that the heartbeat leaves
// with what the pass sends.
func (v *Vault) WriteHeartbeat(now time.Time, every time.Duration) (bool, error) {
	due := false
	err := v.view(func(txn *badger.Txn) (err error) {
		due, _, err = v.heartbeatDue(txn, now, every)
		return err
	})
	if err != nil || !due {
		return false, err // most passes: no write
	}
	written := false
	err = v.update("write a heartbeat", func(txn *badger.Txn) error {
		due, held, err := v.heartbeatDue(txn, now, every)
		if err != nil || !due {
			return err
		}
		own := hex.EncodeToString(v.DeviceKey())
		hb := heartbeat{Held: held}
		if hb.Logged, err = v.loggedSeq(txn); err != nil {
			return err
		}
		if hb.Private, err = privateRanges(txn, hb.Logged, held[own]); err != nil {
			return err
		}
		var head SignedHead
		if found, err := getJSON(txn, []byte(keyRelayHead), &head); err != nil {
			return err
		} else if found {
			hb.Head = &head
		}
		data, err := json.Marshal(hb)
		if err != nil {
			return err
		}
		rev, err := v.newRevision(txn, NewID(), kindHeartbeat, envelope.OpPut, data, nil)
		if err != nil {
			return err
		}
		to, err := heartbeatRecipients(txn)
		if err != nil {
			return err
		}
		addr := deviceAddress(to...)
		if len(to) == 0 {
			addr = v.teamAddress()
		}
		ct, id, err := addr.seal(rev, v.signer)
		if err != nil {
			return err
		}
		o := &envelope.Opened{ID: id, Revision: *rev}
		if err := recordSeq(txn, rev.Author, rev.Seq, rev.ID); err != nil {
			return err
		}
		if err := markPrivate(txn, rev.Seq); err != nil {
			return err
		}
		if err := keepHeartbeat(txn, o, ct, &hb); err != nil {
			return err
		}
		written = true
		return queue(txn, id.String())
	})
	return written, err
}

// heartbeatRecipients returns the device recipients of the roster's
// members. A heartbeat is sealed to each of them rather than to the team's
// audience key, so that a device from which the relay hid a key rotation
// still reads the heartbeats that show it.
func heartbeatRecipients(txn *badger.Txn) ([]age.Recipient, error) {
	ms, err := members(txn)
	if err != nil {
		return nil, err
	}
	var to []age.Recipient
	for _, m := range ms {
		if m.Removed {
			continue
		}
		if r, err := age.ParseHybridRecipient(m.Recipient); err == nil {
			to = append(to, r)
		}
	}
	return to, nil
}

// heartbeatDue reports whether a heartbeat is due at now (see
// WriteHeartbeat), with the vault's version vector. The caller holds v.mu.
func (v *Vault) heartbeatDue(txn *badger.Txn, now time.Time, every time.Duration) (bool, map[string]uint64, error) {
	if v.team != teamMember {
		return false, nil, nil
	}
	own := hex.EncodeToString(v.DeviceKey())
	last, err := loadHeartbeat(txn, own)
	if err != nil {
		return false, nil, err
	}
	held, err := heldVector(txn)
	if err != nil {
		return false, nil, err
	}
	quiet := last != nil && now.Sub(last.Time) < every && held[own] <= last.Seq &&
		maps.Equal(withoutKey(held, own), withoutKey(last.Body.Held, own))
	return !quiet, held, nil
}

// withoutKey returns m without k.
func withoutKey(m map[string]uint64, k string) map[string]uint64 {
	c := maps.Clone(m)
	delete(c, k)
	return c
}

// heldVector reads the vault's version vector.
func heldVector(txn *badger.Txn) (map[string]uint64, error) {
	held := map[string]uint64{}
	it := txn.NewIterator(badger.IteratorOptions{Prefix: []byte(pfxSeq), PrefetchValues: true})
	defer it.Close()
	for it.Rewind(); it.Valid(); it.Next() {
		var n uint64
		if err := it.Item().Value(func(b []byte) error { return json.Unmarshal(b, &n) }); err != nil {
			return nil, fmt.Errorf("%w: sequence number: %w", ErrDamaged, err)
		}
		held[strings.TrimPrefix(string(it.Item().Key()), pfxSeq)] = n
	}
	return held, nil
}

// privateRanges returns this device's private sequence numbers above
// from and up to upTo, as ranges.
func privateRanges(txn *badger.Txn, from, upTo uint64) ([][2]uint64, error) {
	var rs [][2]uint64
	it := txn.NewIterator(badger.IteratorOptions{Prefix: []byte(pfxPrivate)})
	defer it.Close()
	for it.Seek(privateKey(from + 1)); it.Valid(); it.Next() {
		var seq uint64
		if _, err := fmt.Sscanf(strings.TrimPrefix(string(it.Item().Key()), pfxPrivate), "%x", &seq); err != nil {
			return nil, fmt.Errorf("%w: private sequence number: %w", ErrDamaged, err)
		}
		if seq > upTo {
			break
		}
		if n := len(rs); n > 0 && rs[n-1][1]+1 == seq {
			rs[n-1][1] = seq
		} else {
			rs = append(rs, [2]uint64{seq, seq})
		}
	}
	return rs, nil
}

// noteSending records, as a send begins, this device's highest sequence
// number: every revision up to it is queued by then.
func (v *Vault) noteSending(txn *badger.Txn) error {
	var seq uint64
	if _, err := getJSON(txn, key(pfxSeq, hex.EncodeToString(v.DeviceKey())), &seq); err != nil {
		return err
	}
	return setJSON(txn, []byte(keySendSeq), seq)
}

// loggedSeq returns the highest own sequence number up to which every
// revision of this device is in the relay's log: all of them when nothing
// waits in the outbox, else the one noted when the last send began, once
// everything that send began with is acknowledged. The sync engine
// receives the log to its head before it writes a heartbeat, so these
// revisions are all at or before the head it reports.
func (v *Vault) loggedSeq(txn *badger.Txn) (uint64, error) {
	var queued, sending, acked, sendSeq, logged, own uint64
	for k, p := range map[string]*uint64{keyOutSeq: &queued, keyOutSend: &sending, keyOutAck: &acked,
		keySendSeq: &sendSeq, keyLoggedSeq: &logged, string(key(pfxSeq, hex.EncodeToString(v.DeviceKey()))): &own} {
		if _, err := getJSON(txn, []byte(k), p); err != nil {
			return 0, err
		}
	}
	next := logged
	switch {
	case acked >= queued:
		next = own
	case acked >= sending:
		next = sendSeq
	}
	if next <= logged {
		return logged, nil
	}
	return next, setJSON(txn, []byte(keyLoggedSeq), next)
}

// loadHeartbeat returns the latest heartbeat kept from author (hex), or
// nil.
func loadHeartbeat(txn *badger.Txn, author string) (*storedHeartbeat, error) {
	var h storedHeartbeat
	found, err := getJSON(txn, key(pfxHeartbeat, author), &h)
	if err != nil || !found {
		return nil, err
	}
	return &h, nil
}

// keepHeartbeat stores a verified heartbeat's envelope, as every envelope
// of the log is kept, and makes it its author's latest heartbeat unless
// the one kept is newer.
func keepHeartbeat(txn *badger.Txn, o *envelope.Opened, ct []byte, hb *heartbeat) error {
	rev := &o.Revision
	author := hex.EncodeToString(rev.Author)
	if err := noteHeard(txn, author, rev.Time.Time()); err != nil {
		return err
	}
	if err := txn.Set(key(pfxEnvelope, o.ID.String()), ct); err != nil {
		return err
	}
	last, err := loadHeartbeat(txn, author)
	if err != nil || (last != nil && last.Seq >= rev.Seq) {
		return err
	}
	return setJSON(txn, key(pfxHeartbeat, author), storedHeartbeat{Seq: rev.Seq, Time: rev.Time.Time(), Envelope: o.ID.String(), Body: *hb})
}

// applyHeartbeat receives another device's verified heartbeat: its
// sequence number is noted as held (not raising its author's entry in
// this vault's vector) and it replaces the author's previous one.
func applyHeartbeat(txn *badger.Txn, o *envelope.Opened, ct []byte) (reject, err error) {
	var hb heartbeat
	dec := json.NewDecoder(bytes.NewReader(o.Revision.Body))
	if err := dec.Decode(&hb); err != nil {
		return fmt.Errorf("heartbeat: %w", err), nil
	}
	if hb.Head != nil && len(hb.Head.Hash) != 32 {
		return errors.New("heartbeat: the relay head has no chain hash"), nil
	}
	rev := &o.Revision
	if err := txn.Set(key(pfxHave, hex.EncodeToString(rev.Author), "/", fmt.Sprintf("%016x", rev.Seq)), []byte(rev.ID)); err != nil {
		return nil, err
	}
	return nil, keepHeartbeat(txn, o, ct, &hb)
}

// noteHeard records that a revision of author (hex) written at t has
// arrived, if it is the newest so far; a time ahead of the clock counts
// as now.
func noteHeard(txn *badger.Txn, author string, t time.Time) error {
	ms := min(t.UnixMilli(), time.Now().UnixMilli())
	var last int64
	if _, err := getJSON(txn, key(pfxHeard, author), &last); err != nil || last >= ms {
		return err
	}
	return setJSON(txn, key(pfxHeard, author), ms)
}
