package storage

import (
	"crypto/ed25519"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"strings"
	gosync "sync"
	"time"

	"filippo.io/age"
	"github.com/dgraph-io/badger/v4"

	"github.com/letapis/letapis/storage/envelope"
	"github.com/letapis/letapis/storage/record"
)

// What the sync engine (package sync) uses: an outbox of envelopes written
// here and not yet on the relay, the position in the relay's log, and
// Receive for envelopes that come from it.

const (
	pfxOutbox     = "out/"
	pfxHave       = "have/"
	pfxPending    = "pend/"
	pfxQuarantine = "quar/"
	keyOutSeq     = "meta/outseq"
	keyOutAck     = "meta/outack"
	keyOutSend    = "meta/outsend"
	keyPurge      = "meta/purge"
)

// Outgoing is an envelope waiting in the outbox.
type Outgoing struct {
	Pos uint64 // position in the outbox
	ID  string // envelope id
	CT  []byte // ciphertext
	// Heartbeat marks this device's latest heartbeat (heartbeat.go),
	// which a report of what was sent leaves out.
	Heartbeat bool
}

// Outcome says what Receive did with an envelope.
type Outcome int

// The outcomes of Receive.
const (
	// Applied: verified and stored.
	Applied Outcome = iota
	// Duplicate: the vault already had it, or it is another device's
	// heartbeat (heartbeat.go): nothing for a person to see.
	Duplicate
	// Pending: it cannot be verified yet (it is encrypted to a key this
	// device does not hold yet, or its author is not in the roster yet);
	// it is kept and retried whenever keys or the roster change.
	Pending
	// Quarantined: it failed verification and was set aside with a reason.
	Quarantined
	// Held: a newer version of Letapis wrote it in a schema this build
	// does not read; it is kept intact, not applied (see Vault.Held).
	Held
	// Dropped: it could not be verified or was rejected, and the vault
	// already keeps as many such envelopes as it may (see Vault.SetAside);
	// it was not kept.
	Dropped
)

// Quarantine is an envelope that failed verification.
type Quarantine struct {
	ID     string `json:"id"`
	Reason string `json:"reason"`
	// Code names the kind of reason (Reason... constants), "" for most
	// reasons of before envelope format 2.
	Code string `json:"code,omitempty"`
	// Held is set on an envelope held for a newer version (Vault.Held)
	// rather than quarantined.
	Held     bool      `json:"held,omitempty"`
	Received time.Time `json:"received"`
	CT       []byte    `json:"ct,omitempty"`
}

// queue appends an envelope id to the outbox.
func queue(txn *badger.Txn, envID string) error {
	var n uint64
	if _, err := getJSON(txn, []byte(keyOutSeq), &n); err != nil {
		return err
	}
	n++
	if err := setJSON(txn, []byte(keyOutSeq), n); err != nil {
		return err
	}
	return txn.Set(outboxKey(n), []byte(envID))
}

func outboxKey(n uint64) []byte {
	k := []byte(pfxOutbox)
	return binary.BigEndian.AppendUint64(k, n)
}

// queueAll puts every stored envelope into the outbox, in batches: the
// history a vault brings to a team it founds. The caller holds v.mu.
func (v *Vault) queueAll() error {
	var ids []string
	err := v.db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: []byte(pfxEnvelope)})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			ids = append(ids, strings.TrimPrefix(string(it.Item().Key()), pfxEnvelope))
		}
		return nil
	})
	for start := 0; err == nil && start < len(ids); start += 1000 {
		err = v.db.Update(func(txn *badger.Txn) error {
			for _, id := range ids[start:min(start+1000, len(ids))] {
				if err := queue(txn, id); err != nil {
					return err
				}
			}
			return nil
		})
	}
	if err != nil {
		return err
	}
	// And the attachment files.
	blobs, err := v.liveBlobs()
	if err != nil {
		return err
	}
	return v.db.Update(func(txn *badger.Txn) error {
		for _, a := range blobs {
			if err := queueBlob(txn, pfxBlobUp, a); err != nil {
				return err
			}
		}
		return nil
	})
}

// liveBlobs returns the attachment record bodies of every live attachment.
// The caller holds v.mu.
func (v *Vault) liveBlobs() (map[string]*record.Attachment, error) {
	blobs := map[string]*record.Attachment{}
	err := v.db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: key(pfxKind, string(record.KindAttachment), "/")})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			id := strings.TrimPrefix(string(it.Item().Key()), string(key(pfxKind, string(record.KindAttachment), "/")))
			r, err := loadRecord(txn, id)
			if err != nil || r == nil || r.Schema > record.SchemaVersion {
				return err
			}
			a, err := attachmentOf(r.Body)
			if err != nil {
				return fmt.Errorf("%w: attachment %s: %w", ErrDamaged, id, err)
			}
			blobs[a.Blob] = a
		}
		return nil
	})
	return blobs, err
}

// Outbox returns up to n envelopes waiting to be sent, oldest first.
func (v *Vault) Outbox(n int) ([]Outgoing, error) {
	var out []Outgoing
	err := v.view(func(txn *badger.Txn) error {
		hb, err := loadHeartbeat(txn, hex.EncodeToString(v.DeviceKey()))
		if err != nil {
			return err
		}
		return eachQueued(txn, func(pos uint64, id string) (bool, error) {
			item, err := txn.Get(key(pfxEnvelope, id))
			if errors.Is(err, badger.ErrKeyNotFound) {
				return true, nil // purged since it was queued; Acknowledge drops it
			}
			if err != nil {
				return false, err
			}
			ct, err := item.ValueCopy(nil)
			if err != nil {
				return false, err
			}
			out = append(out, Outgoing{Pos: pos, ID: id, CT: ct, Heartbeat: hb != nil && hb.Envelope == id})
			return len(out) < n, nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("read outbox: %w", err)
	}
	return out, nil
}

// OutboxLen returns how many envelopes wait to be sent.
func (v *Vault) OutboxLen() (int, error) {
	n := 0
	err := v.view(func(txn *badger.Txn) error {
		return eachQueued(txn, func(uint64, string) (bool, error) { n++; return true, nil })
	})
	return n, err
}

// BeginSend returns the position of the newest queued envelope: a sync
// pass sends up to there, so that a device that keeps saving does not keep
// it from receiving. It also records that everything up to there may be
// on the relay from now on, even before it is acknowledged: a revision
// queued later and deleted before any pass began to send it is certainly
// unsent (see Delete).
func (v *Vault) BeginSend() (uint64, error) {
	var n, sending uint64
	err := v.view(func(txn *badger.Txn) error {
		if _, err := getJSON(txn, []byte(keyOutSeq), &n); err != nil {
			return err
		}
		_, err := getJSON(txn, []byte(keyOutSend), &sending)
		return err
	})
	if err != nil || n == sending {
		return n, err // nothing queued since the last pass: no write
	}
	err = v.update("begin sending", func(txn *badger.Txn) error {
		if _, err := getJSON(txn, []byte(keyOutSeq), &n); err != nil {
			return err
		}
		if err := v.noteSending(txn); err != nil {
			return err
		}
		return setJSON(txn, []byte(keyOutSend), n)
	})
	return n, err
}

// unsentEnvelopes returns the ids of the queued envelopes that no sync
// pass has begun to send.
func unsentEnvelopes(txn *badger.Txn) (map[string]bool, error) {
	var sending, acked uint64
	if _, err := getJSON(txn, []byte(keyOutSend), &sending); err != nil {
		return nil, err
	}
	if _, err := getJSON(txn, []byte(keyOutAck), &acked); err != nil {
		return nil, err
	}
	ids := map[string]bool{}
	it := txn.NewIterator(badger.IteratorOptions{Prefix: []byte(pfxOutbox), PrefetchValues: true, PrefetchSize: 64})
	defer it.Close()
	for it.Seek(outboxKey(max(sending, acked) + 1)); it.Valid(); it.Next() {
		id, err := it.Item().ValueCopy(nil)
		if err != nil {
			return nil, err
		}
		ids[string(id)] = true
	}
	return ids, nil
}

// eachQueued calls fn for each queued envelope, oldest first, until fn
// returns false. It starts after the last acknowledged position, so the
// deleted entries of everything sent before cost nothing.
func eachQueued(txn *badger.Txn, fn func(pos uint64, id string) (bool, error)) error {
	var acked uint64
	if _, err := getJSON(txn, []byte(keyOutAck), &acked); err != nil {
		return err
	}
	it := txn.NewIterator(badger.IteratorOptions{Prefix: []byte(pfxOutbox), PrefetchValues: true, PrefetchSize: 64})
	defer it.Close()
	for it.Seek(outboxKey(acked + 1)); it.Valid(); it.Next() {
		id, err := it.Item().ValueCopy(nil)
		if err != nil {
			return err
		}
		more, err := fn(binary.BigEndian.Uint64(it.Item().Key()[len(pfxOutbox):]), string(id))
		if err != nil || !more {
			return err
		}
	}
	return nil
}

// Acknowledge removes sent envelopes from the outbox: every position up to
// and including upTo.
func (v *Vault) Acknowledge(upTo uint64) error {
	return v.update("acknowledge sent envelopes", func(txn *badger.Txn) error {
		var acked uint64
		if _, err := getJSON(txn, []byte(keyOutAck), &acked); err != nil {
			return err
		}
		for pos := acked + 1; pos <= upTo; pos++ {
			if err := txn.Delete(outboxKey(pos)); err != nil {
				return err
			}
		}
		if upTo > acked {
			return setJSON(txn, []byte(keyOutAck), upTo)
		}
		return nil
	})
}

// SetCursor records the relay log position up to which every entry has
// been received.
func (v *Vault) SetCursor(seq uint64) error {
	return v.changeTeam("save sync position", func(t *TeamState) { t.Cursor = seq })
}

// SetRelayKey remembers the relay's receipt key the first time it is seen.
func (v *Vault) SetRelayKey(k ed25519.PublicKey) error {
	return v.changeTeam("remember the relay key", func(t *TeamState) { t.RelayKey = k })
}

func (v *Vault) changeTeam(what string, fn func(*TeamState)) error {
	return v.update(what, func(txn *badger.Txn) error {
		var t TeamState
		found, err := getJSON(txn, []byte(keyTeam), &t)
		if err != nil {
			return err
		}
		if !found {
			return ErrNoTeam
		}
		fn(&t)
		return setJSON(txn, []byte(keyTeam), &t)
	})
}

// MissingEnvelopes returns those of ids that the vault does not store, in
// their order.
func (v *Vault) MissingEnvelopes(ids []string) ([]string, error) {
	var missing []string
	err := v.view(func(txn *badger.Txn) error {
		for _, id := range ids {
			_, err := txn.Get(key(pfxEnvelope, id))
			switch {
			case errors.Is(err, badger.ErrKeyNotFound):
				missing = append(missing, id)
			case err != nil:
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("look up envelopes: %w", err)
	}
	return missing, nil
}

// Receive verifies an envelope from the relay (or an import) and stores it.
// It is decrypted and verified completely first. An envelope that fails
// (damaged, truncated, a signature that does not verify, written by a
// removed member after its removal, a reused sequence number, addressed
// to another team or key, a downgrade to envelope format 1, an unknown
// kind, an invalid body; see checkReceived) is quarantined with its
// reason and an error wrapping ErrRejected is returned; nothing of it is
// applied. One that cannot be verified yet is kept as Pending and retried
// when keys or the roster change; a system entry of a newer schema is
// Held. Beyond the caps on what is kept so (Vault.SetAside) it is Dropped.
func (v *Vault) Receive(ct []byte) (Outcome, error) {
	v.waitIndex()
	v.mu.Lock()
	defer v.mu.Unlock()
	if err := v.writable(4 * int64(len(ct))); err != nil {
		return 0, fmt.Errorf("receive envelope: %w", err)
	}
	defer v.forgetShelves()
	if err := v.retryHeld(); err != nil {
		return 0, fmt.Errorf("receive envelope: %w", err)
	}
	in := &incoming{ct: ct, id: envelope.IDOf(ct).String()}
	out, changedKeys, err := v.receive(in)
	if err == nil && changedKeys {
		err = v.retryPending()
	}
	return out, err
}

// ReceiveBatch receives envelopes as Receive does each, in their order,
// but faster: they are decrypted and verified in parallel on every core,
// and applied in as few durable transactions as their size allows. Each is
// still checked on its own (signature, roster membership, sequence
// numbers), and one that fails is quarantined with its reason without
// holding back the others: outs[i] says what became of cts[i]. The error
// is for what stopped the batch (a full disk, a failing store); the
// outcomes of the envelopes before that one are returned with it, and
// the rest were not received.
func (v *Vault) ReceiveBatch(cts [][]byte) (outs []Outcome, err error) {
	return v.receiveBatch(newIncoming(cts))
}

// Opened is a batch of envelopes decrypted and signature-checked by
// OpenBatch, to be received by ReceiveOpened. Nothing of it is trusted or
// stored yet.
type Opened struct {
	ins []*incoming
}

// OpenBatch decrypts envelopes and verifies their signatures in parallel
// on every core, with the keys the vault holds now, without holding up
// writes to the vault: a caller can open the next batch while the vault
// stores the one before (ReceiveOpened). Everything that depends on the
// vault's state (roster membership, sequence numbers, keys received
// meanwhile) is checked by ReceiveOpened.
func (v *Vault) OpenBatch(cts [][]byte) (*Opened, error) {
	v.mu.RLock()
	if v.db == nil {
		v.mu.RUnlock()
		return nil, fmt.Errorf("receive envelopes: %w", ErrLocked)
	}
	ids := v.identities()
	v.mu.RUnlock()
	ins := newIncoming(cts)
	openParallel(ins, ids)
	return &Opened{ins: ins}, nil
}

// ReceiveOpened receives a batch opened by OpenBatch as ReceiveBatch
// receives its envelopes: outs[i] says what became of the i-th. An
// envelope that could not be decrypted with the keys of the time is
// tried again with the vault's current keys.
func (v *Vault) ReceiveOpened(b *Opened) (outs []Outcome, err error) {
	for _, in := range b.ins {
		if in.undecryptable() {
			in.err = nil // the keys may have come since
		}
	}
	return v.receiveBatch(b.ins)
}

func newIncoming(cts [][]byte) []*incoming {
	ins := make([]*incoming, len(cts))
	for i, ct := range cts {
		ins[i] = &incoming{ct: ct, id: envelope.IDOf(ct).String()}
	}
	return ins
}

// receiveBatch is ReceiveBatch for envelopes that may have been opened.
func (v *Vault) receiveBatch(ins []*incoming) (outs []Outcome, err error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	var total int64
	for _, in := range ins {
		total += int64(len(in.ct))
	}
	if err := v.writable(4 * total); err != nil {
		return nil, fmt.Errorf("receive envelopes: %w", err)
	}
	defer v.forgetShelves()
	if err := v.retryHeld(); err != nil {
		return nil, fmt.Errorf("receive envelopes: %w", err)
	}
	outs, changedKeys, err := v.receiveAll(ins)
	if err == nil && changedKeys {
		err = v.retryPending()
	}
	return outs, err
}

// incoming is an envelope being received.
type incoming struct {
	ct  []byte
	id  string
	o   *envelope.Opened // decrypted and verified, once opened
	err error            // why it could not be opened
}

// open decrypts and verifies in with the identities, unless that was done.
func (in *incoming) open(ids []age.Identity) {
	if in.o == nil && in.err == nil {
		in.o, in.err = envelope.Open(in.ct, ids...)
	}
}

// undecryptable reports whether in failed to open for want of a key.
func (in *incoming) undecryptable() bool {
	var noMatch *age.NoIdentityMatchError
	return errors.As(in.err, &noMatch)
}

// receive receives one envelope in its own transaction; changedKeys
// reports whether the roster or the audience keys changed. The caller
// holds v.mu.
func (v *Vault) receive(in *incoming) (out Outcome, changedKeys bool, err error) {
	var reject error
	err = v.writeRecords(func(txn *badger.Txn) error {
		var err error
		out, changedKeys, reject, err = v.receiveIn(txn, in, &rosterReads{})
		return err
	})
	if err != nil && contentError(err) {
		// Nothing of it was written: set it aside, on its own.
		reject, err = err, nil
	}
	if err != nil {
		v.forgetShelves()
		return 0, false, fmt.Errorf("receive envelope: %w", err)
	}
	if reject != nil {
		err := v.db.Update(func(txn *badger.Txn) error {
			out, err = v.setAsideWithin(txn, in, reject, false)
			return err
		})
		if err != nil {
			v.forgetShelves()
			return 0, false, err
		}
		return out, false, fmt.Errorf("%w: %w", ErrRejected, reject)
	}
	return out, changedKeys, nil
}

// receiveAll receives envelopes in order, as many in one transaction as
// the transaction's size allows; an envelope that changes the roster or
// the audience keys ends its transaction, so that the next ones are
// opened with the new keys. Rejected envelopes are quarantined in the
// same transaction. If a transaction fails, its envelopes and those after
// it are received one per transaction, up to the one that fails: a bad
// envelope costs only itself. The caller holds v.mu.
func (v *Vault) receiveAll(ins []*incoming) (outs []Outcome, changedKeys bool, err error) {
	v.openAll(ins)
	outs = make([]Outcome, 0, len(ins))
	for len(outs) < len(ins) {
		rest := ins[len(outs):]
		chunk, keys, err := v.receiveChunk(rest)
		if err != nil {
			v.forgetShelves() // they counted what the failed transaction kept
			return v.receiveEach(rest, outs, changedKeys)
		}
		outs = append(outs, chunk...)
		if keys {
			changedKeys = true
			// What the old keys could not open may open now.
			rest = rest[len(chunk):]
			for _, in := range rest {
				if in.undecryptable() {
					in.err = nil
				}
			}
			v.openAll(rest)
		}
	}
	return outs, changedKeys, nil
}

// receiveChunk receives envelopes from the first of ins in one
// transaction, up to importChunkBytes of estimated writes or an envelope
// that changes keys, and returns their outcomes.
func (v *Vault) receiveChunk(ins []*incoming) (outs []Outcome, changedKeys bool, err error) {
	err = v.writeRecords(func(txn *badger.Txn) error {
		outs, changedKeys = nil, false
		roster := &rosterReads{}
		for size := 0; len(outs) < len(ins) && size < importChunkBytes && !changedKeys; {
			in := ins[len(outs)]
			out, keys, reject, err := v.receiveIn(txn, in, roster)
			if err != nil {
				return err
			}
			if reject != nil {
				if out, err = v.setAsideWithin(txn, in, reject, false); err != nil {
					return err
				}
			}
			outs, changedKeys = append(outs, out), keys
			size += importCost(len(in.ct))
		}
		return nil
	})
	return outs, changedKeys, err
}

// receiveEach receives ins one per transaction after outs, up to the
// first that fails.
func (v *Vault) receiveEach(ins []*incoming, outs []Outcome, changedKeys bool) ([]Outcome, bool, error) {
	for _, in := range ins {
		out, keys, err := v.receive(in)
		if err != nil && !errors.Is(err, ErrRejected) {
			return outs, changedKeys, err
		}
		outs, changedKeys = append(outs, out), changedKeys || keys
	}
	return outs, changedKeys, nil
}

// openAll opens, in parallel on every core, those of ins that the vault
// does not store yet and that were not opened. The caller holds v.mu.
func (v *Vault) openAll(ins []*incoming) {
	var todo []*incoming
	_ = v.db.View(func(txn *badger.Txn) error {
		for _, in := range ins {
			if in.o != nil || in.err != nil {
				continue
			}
			if _, err := txn.Get(key(pfxEnvelope, in.id)); err != nil {
				todo = append(todo, in) // on a read error, opening does no harm
			}
		}
		return nil
	})
	openParallel(todo, v.identities())
}

// openParallel opens ins with ids on every core.
func openParallel(ins []*incoming, ids []age.Identity) {
	next := make(chan *incoming)
	var wg gosync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), len(ins)) {
		wg.Go(func() {
			for in := range next {
				in.open(ids)
			}
		})
	}
	for _, in := range ins {
		next <- in
	}
	close(next)
	wg.Wait()
}

// receiveIn receives an envelope inside txn, opening it first unless
// that was done. reject, if not nil, is why it must be quarantined (the
// caller does that) and out is then meaningless. roster holds what txn's
// earlier envelopes read of the roster.
func (v *Vault) receiveIn(txn *badger.Txn, in *incoming, roster *rosterReads) (out Outcome, changedKeys bool, reject, err error) {
	if _, err := txn.Get(key(pfxEnvelope, in.id)); err == nil {
		return Duplicate, false, nil, nil
	}
	in.open(v.identities())
	if in.o != nil {
		if _, _, ok := v.addressOf(in.o.Identity); !ok {
			// Opened with keys of before a change: open it again.
			in.o = nil
			in.open(v.identities())
		}
	}
	switch {
	case in.undecryptable():
		// A key we do not hold (yet), or a grant for another member.
		out, err := v.setPending(txn, in, true)
		return out, false, nil, err
	case in.err != nil:
		return 0, false, in.err, nil
	}
	out, changedKeys, pending, reject, err := v.verifyAndApply(txn, in.o, in.ct, roster)
	switch {
	case err == nil && errors.Is(reject, errNewer):
		out, err := v.setAsideWithin(txn, in, reject, true)
		return out, false, nil, err
	case err != nil || reject != nil:
		return 0, false, reject, err
	case pending:
		out, err := v.setPending(txn, in, false)
		return out, false, nil, err
	}
	if out == Applied {
		if err := noteVersion2(txn, in.o); err != nil {
			return 0, false, nil, err
		}
		if err := noteHeard(txn, hex.EncodeToString(in.o.Revision.Author), in.o.Revision.Time.Time()); err != nil {
			return 0, false, nil, err
		}
	}
	return out, changedKeys, nil, txn.Delete(key(pfxPending, in.id))
}

// verifyAndApply checks a decrypted envelope's author against the roster
// and its sequence number against what the author sent before, then
// applies it. reject is the reason to quarantine it; pending means "not
// yet".
func (v *Vault) verifyAndApply(txn *badger.Txn, o *envelope.Opened, ct []byte, roster *rosterReads) (out Outcome, changedKeys, pending bool, reject, err error) {
	rev := &o.Revision
	if changesRoster(rev.Kind) {
		// They may change what roster holds, even when rejected.
		defer roster.forget()
	}
	team, inTeam, err := roster.teamState(txn)
	if err != nil {
		return 0, false, false, nil, err
	}
	if !inTeam && !rev.Author.Equal(v.DeviceKey()) {
		return 0, false, false, fmt.Errorf("author %s is not a member of this vault", Fingerprint(rev.Author)), nil
	}
	author, err := roster.member(txn, rev.Author)
	if err != nil {
		return 0, false, false, nil, err
	}
	if inTeam && rev.Kind != kindKey {
		switch {
		case author == nil && rev.Author.Equal(v.DeviceKey()):
		case author == nil:
			return 0, false, true, nil, nil // the roster entry may still come
		case author.Removed && rev.Seq > author.LastSeq:
			return 0, false, false, fmt.Errorf("written by %s after it was removed from the team", author.Fingerprint()), nil
		}
	}
	if item, err := txn.Get(key(pfxHave, hex.EncodeToString(rev.Author), "/", fmt.Sprintf("%016x", rev.Seq))); err == nil {
		prev, _ := item.ValueCopy(nil)
		if string(prev) != rev.ID {
			return 0, false, false, fmt.Errorf("sequence number %d of %s was already used by another revision (replay or forgery)", rev.Seq, Fingerprint(rev.Author)), nil
		}
		return Duplicate, false, false, nil, nil
	}
	if inTeam && author != nil && author.Removed && rev.Seq <= author.LastSeq {
		if reject, err := checkHistory(txn, author, o.ID, rev.Seq); reject != nil || err != nil {
			return 0, false, false, reject, err
		}
	}
	if reject, err := v.checkReceived(txn, o, team, inTeam, author); reject != nil || err != nil {
		return 0, false, false, reject, err
	}

	if done, out, pending, reject, err := v.receiveDeletion(txn, o, ct, author, inTeam); done {
		return out, false, pending, reject, err
	}
	switch rev.Kind {
	case kindRoster:
		if author == nil || author.Role != RoleAdmin {
			if author == nil && inTeam && !team.Joined {
				return 0, false, true, nil, nil
			}
			return 0, false, false, fmt.Errorf("roster change signed by %s, who is not an admin", Fingerprint(rev.Author)), nil
		}
		var e rosterEntry
		if err := json.Unmarshal(rev.Body, &e); err != nil {
			return 0, false, false, fmt.Errorf("roster entry: %w", err), nil
		}
		if pending, reject, err := v.checkRosterEntry(txn, &e); pending || reject != nil || err != nil {
			return 0, false, pending, reject, err
		}
		if err := storeRevision(txn, o, ct); err != nil {
			return 0, false, false, nil, err
		}
		return Applied, true, false, nil, v.applyRosterEntry(txn, &e)
	case kindKey:
		pending, reject, err := v.applyGrant(txn, team, author, o)
		if pending || reject != nil || err != nil {
			return 0, false, pending, reject, err
		}
		return Applied, true, false, nil, storeRevision(txn, o, ct)
	case kindHeartbeat:
		if reject, err := applyHeartbeat(txn, o, ct); reject != nil || err != nil {
			return 0, false, false, reject, err
		}
		return Duplicate, false, false, nil, nil
	case kindAudience:
		var a audienceRecord
		if err := json.Unmarshal(rev.Body, &a); err != nil {
			return 0, false, false, fmt.Errorf("audience record: %w", err), nil
		}
		if reject := checkAudienceRecord(&a, author); reject != nil {
			return 0, false, false, reject, nil
		}
		if err := storeRevision(txn, o, ct); err != nil {
			return 0, false, false, nil, err
		}
		return Applied, true, false, nil, v.applyAudienceRecord(txn, &a, rev)
	}

	cur, err := loadRecord(txn, rev.Record)
	if err != nil {
		return 0, false, false, nil, err
	}
	if cur != nil && cur.Kind != record.Kind(rev.Kind) {
		return 0, false, false, fmt.Errorf("revision of a %s for a %s record", rev.Kind, cur.Kind), nil
	}
	v.clock.Observe(rev.Time)
	if _, err := v.applyRemote(txn, o, ct, cur); err != nil {
		return 0, false, false, nil, err
	}
	if rev.Op == envelope.OpDelete && cur != nil && !cur.Deleted {
		// The old content is gone from the views but not yet from the
		// store files; PurgeIfNeeded finishes the job after a batch.
		if err := txn.Set([]byte(keyPurge), nil); err != nil {
			return 0, false, false, nil, err
		}
	}
	return Applied, false, false, nil, nil
}

// rosterReads keeps what the envelopes received in one transaction read of
// the team state and the roster, so that each reads them once. Only the
// kinds changesRoster names alter them; each of those empties the
// rosterReads (forget), and one that changed keys ends its transaction
// (receiveChunk).
type rosterReads struct {
	read    bool
	inTeam  bool
	team    TeamState
	members map[string]*Member
}

// teamState returns the team state and whether the vault is in a team.
func (c *rosterReads) teamState(txn *badger.Txn) (*TeamState, bool, error) {
	if !c.read {
		found, err := getJSON(txn, []byte(keyTeam), &c.team)
		if err != nil {
			return nil, false, err
		}
		c.read, c.inTeam = true, found
	}
	return &c.team, c.inTeam, nil
}

// member returns the roster entry of device, nil if it has none.
func (c *rosterReads) member(txn *badger.Txn, device ed25519.PublicKey) (*Member, error) {
	k := string(device)
	if m, ok := c.members[k]; ok {
		return m, nil
	}
	m, err := member(txn, device)
	if err != nil {
		return nil, err
	}
	if c.members == nil {
		c.members = map[string]*Member{}
	}
	c.members[k] = m
	return m, nil
}

// forget drops what c read.
func (c *rosterReads) forget() { *c = rosterReads{} }

// applyGrant installs the audience keys (and, on joining, the roster) of a
// key grant addressed to this device; pending means a roster entry or an
// audience record it needs has not arrived yet.
func (v *Vault) applyGrant(txn *badger.Txn, team *TeamState, author *Member, o *envelope.Opened) (pending bool, reject, err error) {
	rev := &o.Revision
	var g keyGrant
	if err := json.Unmarshal(rev.Body, &g); err != nil {
		return false, fmt.Errorf("key grant: %w", err), nil
	}
	if !g.To.Equal(v.DeviceKey()) {
		return false, errors.New("key grant addressed to another device"), nil
	}
	// Team audience keys come from admins (or, when joining, the inviter);
	// a restricted audience's key from its creator or an admin
	// (receiveRestricted).
	trusted := author != nil && !author.Removed && (author.Role == RoleAdmin || len(g.Audiences) == 0)
	if !team.Joined {
		// The whole key of the invite code, byte for byte: a fingerprint
		// is short enough for a relay to match with a key of its own.
		trusted = len(team.Inviter) == ed25519.PublicKeySize && team.Inviter.Equal(rev.Author)
	}
	if !trusted {
		return false, fmt.Errorf("key grant signed by %s, who may not grant these keys", Fingerprint(rev.Author)), nil
	}
	return v.installGrant(txn, team, author, &g)
}

func containsEpoch(auds []audience, epoch uint64) bool {
	for _, a := range auds {
		if a.Epoch == epoch {
			return true
		}
	}
	return false
}

// revisionInfo describes a verified revision for the history.
func revisionInfo(o *envelope.Opened) RevisionInfo {
	rev := &o.Revision
	return RevisionInfo{ID: rev.ID, Envelope: o.ID.String(), Parents: rev.Parents, Author: hex.EncodeToString(rev.Author),
		Seq: rev.Seq, Time: rev.Time, Op: rev.Op, Schema: rev.Schema}
}

// storeRevision keeps a verified revision's envelope, its history entry
// and its author's sequence number.
func storeRevision(txn *badger.Txn, o *envelope.Opened, ct []byte) error {
	rev := &o.Revision
	if err := txn.Set(key(pfxEnvelope, o.ID.String()), ct); err != nil {
		return err
	}
	if err := setJSON(txn, key(pfxRevision, rev.Record, "/", rev.ID), revisionInfo(o)); err != nil {
		return err
	}
	return recordSeq(txn, rev.Author, rev.Seq, rev.ID)
}

// recordSeq notes that author used seq for revision rev.
func recordSeq(txn *badger.Txn, author ed25519.PublicKey, seq uint64, rev string) error {
	a := hex.EncodeToString(author)
	if err := txn.Set(key(pfxHave, a, "/", fmt.Sprintf("%016x", seq)), []byte(rev)); err != nil {
		return err
	}
	var last uint64
	if _, err := getJSON(txn, key(pfxSeq, a), &last); err != nil {
		return err
	}
	if seq > last {
		return setJSON(txn, key(pfxSeq, a), seq)
	}
	return nil
}

// retryPending receives again every pending envelope until no more can be
// verified. The caller holds v.mu.
func (v *Vault) retryPending() error {
	for {
		var ins []*incoming
		err := v.db.View(func(txn *badger.Txn) error {
			it := txn.NewIterator(badger.IteratorOptions{Prefix: []byte(pfxPending), PrefetchValues: true})
			defer it.Close()
			for it.Rewind(); it.Valid(); it.Next() {
				ct, err := it.Item().ValueCopy(nil)
				if err != nil {
					return err
				}
				ins = append(ins, &incoming{ct: ct, id: strings.TrimPrefix(string(it.Item().Key()), pfxPending)})
			}
			return nil
		})
		if err != nil {
			return err
		}
		outs, _, err := v.receiveAll(ins)
		if err != nil {
			return err
		}
		// Applied and quarantined envelopes left the pending ones when
		// they were received; duplicates leave now.
		progress := false
		err = v.db.Update(func(txn *badger.Txn) error {
			for i, out := range outs {
				progress = progress || out != Pending
				if out == Duplicate {
					if err := txn.Delete(key(pfxPending, ins[i].id)); err != nil {
						return err
					}
				}
			}
			return nil
		})
		if err != nil || !progress {
			return err
		}
	}
}

// setQuarantine moves an envelope to the quarantine inside txn.
func setQuarantine(txn *badger.Txn, id string, ct []byte, reason error) error {
	q := Quarantine{ID: id, Reason: reason.Error(), Code: codeOf(reason), Received: time.Now().UTC(), CT: ct}
	if err := txn.Delete(key(pfxPending, id)); err != nil {
		return err
	}
	return setJSON(txn, key(pfxQuarantine, id), q)
}

// PurgeIfNeeded purges the store (see Purge) if deletions received from
// other devices, or whose hold has ended, have not been purged yet. The sync engine calls it after
// each batch, so that one purge covers many deletions.
func (v *Vault) PurgeIfNeeded() error {
	if err := v.finishHeldDeletions(); err != nil {
		return err
	}
	needed := false
	err := v.view(func(txn *badger.Txn) error {
		_, err := txn.Get([]byte(keyPurge))
		needed = err == nil
		if errors.Is(err, badger.ErrKeyNotFound) {
			return nil
		}
		return err
	})
	if err != nil || !needed {
		return err
	}
	return v.Purge()
}

// Quarantined lists the envelopes that failed verification, without their
// ciphertext.
func (v *Vault) Quarantined() ([]Quarantine, error) { return v.setAside(pfxQuarantine) }

// setAside lists the envelopes kept under prefix, without their ciphertext.
func (v *Vault) setAside(prefix string) ([]Quarantine, error) {
	var qs []Quarantine
	err := v.view(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: []byte(prefix), PrefetchValues: true})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			var q Quarantine
			if err := it.Item().Value(func(b []byte) error { return json.Unmarshal(b, &q) }); err != nil {
				return err
			}
			q.CT = nil
			qs = append(qs, q)
		}
		return nil
	})
	return qs, err
}

// Gaps returns, per author fingerprint, the sequence numbers below the
// highest one received that are missing: revisions a relay may be
// withholding; an envelope this device verified and set aside (quarantined
// or held) is received, not missing. The device's own revisions are not
// checked; at most 100,000 gaps are listed per author. A gap is a
// hint, not proof: revisions this device cannot decrypt (key grants for
// other members, restricted audiences it is not in) leave gaps too, and so
// do revisions their author deleted while a sync pass was sending them
// (one deleted before is replaced by a stand-in; see Vault.BeginSend).
func (v *Vault) Gaps() (map[string][]uint64, error) {
	var gaps map[string][]uint64
	err := v.view(func(txn *badger.Txn) error {
		held, err := heldSeqs(txn)
		gaps = gapsIn(held, hex.EncodeToString(v.DeviceKey()))
		return err
	})
	return gaps, err
}

// gapsIn returns Gaps from the sequence numbers held per author (hex,
// from heldSeqs), leaving out the author own.
func gapsIn(held map[string][]uint64, own string) map[string][]uint64 {
	// A member that signs a sequence number far ahead cannot make this
	// list, or the time to build it, grow without bound.
	const maxGaps = 100_000
	gaps := map[string][]uint64{}
	for a, seqs := range held {
		b, err := hex.DecodeString(a)
		if a == own || err != nil {
			continue
		}
		fp := Fingerprint(b)
		next := uint64(1)
		for _, seq := range seqs {
			for ; next < seq && len(gaps[fp]) < maxGaps; next++ {
				gaps[fp] = append(gaps[fp], next)
			}
			next = seq + 1
		}
	}
	return gaps
}
