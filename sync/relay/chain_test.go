package relay

import (
	"bytes"
	"context"
	"testing"

	"github.com/dgraph-io/badger/v4"

	"github.com/letapis/letapis/sync/wire"
)

// TestLogFromBeforeChainsIsChainedOnOpen: a relay store whose log entries
// were written before log version 2 (no chain hash, no chain record) is
// chained from the log's start when it is opened, serves the chain a
// client computes itself, and appends on to it.
func TestLogFromBeforeChainsIsChainedOnOpen(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := OpenBadgerStore(dir, BadgerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	team := newName()
	var ids []string
	for i := range 3 {
		data := []byte{byte(i), 'x'}
		id := blobIDOf(data)
		if _, err := s.PutBlob(ctx, team, id, data, 0); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	// The entries as the code before log version 2 wrote them.
	err = s.db.Update(func(txn *badger.Txn) error {
		for i, id := range ids {
			seq := uint64(i + 1)
			if err := txn.Set(logKey(team, seq), append(u64(2), id...)); err != nil {
				return err
			}
			if err := txn.Set(key("logid", team, id), u64(seq)); err != nil {
				return err
			}
		}
		return txn.Set(key("head", team), u64(uint64(len(ids))))
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s = openBadger(t, dir, nil)
	lr, err := s.ReadLog(ctx, team, 0, 10)
	if err != nil || len(lr.Entries) != 3 {
		t.Fatalf("the log after the upgrade: %+v, %v", lr, err)
	}
	hash := wire.GenesisHash
	for _, e := range lr.Entries {
		hash = wire.ChainHash(hash, e.Seq, e.ID)
	}
	if !bytes.Equal(lr.Prev, wire.GenesisHash) || !bytes.Equal(lr.Hash, hash) {
		t.Fatalf("chain after the upgrade: prev %x hash %x, want %x and %x", lr.Prev, lr.Hash, wire.GenesisHash, hash)
	}
	data := []byte("after the upgrade")
	id := blobIDOf(data)
	if _, err := s.PutBlob(ctx, team, id, data, 0); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Append(ctx, team, []string{id}); err != nil {
		t.Fatalf("append after the upgrade: %v", err)
	}
	lr, err = s.ReadLog(ctx, team, 3, 10)
	if err != nil || len(lr.Entries) != 1 || !bytes.Equal(lr.Prev, hash) || !bytes.Equal(lr.Hash, wire.ChainHash(hash, 4, id)) {
		t.Fatalf("the entry appended after the upgrade: %+v, %v", lr, err)
	}
}

// TestLogPagesAreSignedAndChained: every page of the log the relay serves
// is signed at its end with the relay key, and chains from the hash it
// gives for the cursor; a client's check (client.CheckPage in package
// sync/client) relies on nothing else.
func TestLogPagesAreSignedAndChained(t *testing.T) {
	r := newTestRelay(t, Options{})
	admin := r.newTeam()
	var ids []string
	for i := range 5 {
		data := randomBytes(100 + i)
		ids = append(ids, blobIDOf(data))
		if _, err := r.store.PutBlob(context.Background(), admin.team, ids[i], data, 0); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := r.store.Append(context.Background(), admin.team, ids); err != nil {
		t.Fatal(err)
	}
	pub := r.info().RelayKey
	prev := wire.GenesisHash
	for since := uint64(0); since < 5; since += 2 {
		lr, err := r.store.ReadLog(context.Background(), admin.team, since, 2)
		if err != nil {
			t.Fatal(err)
		}
		p := r.srv.page(admin.team, since, lr)
		if !bytes.Equal(p.Prev, prev) {
			t.Fatalf("page from %d: prev %x, want %x", since, p.Prev, prev)
		}
		hash := prev
		for _, e := range p.Entries {
			hash = wire.ChainHash(hash, e.Seq, e.ID)
		}
		if !bytes.Equal(hash, p.Hash) || !wire.VerifyHead(pub, admin.team, p.End(since), p.Sig) {
			t.Fatalf("page from %d: its entries do not chain to its signed end", since)
		}
		prev = hash
	}
}
