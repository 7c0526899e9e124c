package storage

import (
	"testing"
	"time"

	"github.com/letapis/letapis/storage/record"
)

// TestEmptyOutboxIsQuickToRead guards against a regression: Outbox,
// OutboxLen and Acknowledge used to iterate the outbox prefix from its
// start, and every envelope ever sent had left a deleted key there that
// Badger's iterator still steps over until compaction drops it. Reading an empty outbox therefore costs time
// in proportion to everything the vault has sent: about 4 ms after
// 20,000 records against 1.5 µs in a new vault, and a sync pass reads it
// three times or more (sync/engine: Outbox twice, OutboxLen in
// publishPending). The one-record pass of sync/engine's
// BenchmarkOneNewRecordInLargeVault took 27 ms after 20,000 records
// (7 ms in a new vault) and 340 ms after 100,000.
//
// The outbox now seeks past the last acknowledged position.
func TestEmptyOutboxIsQuickToRead(t *testing.T) {
	v := newVault(t)
	if _, err := v.CreateTeam("aaaaaaaaaaaaaaaaaaaaaaaaaa", "https://relay.example", ""); err != nil {
		t.Fatal(err)
	}
	bodies := make([]record.Body, 10_000)
	for i := range bodies {
		bodies[i] = &record.Note{Text: "a note"}
	}
	if _, err := v.Import(bodies); err != nil {
		t.Fatal(err)
	}
	for {
		out, err := v.Outbox(1000)
		if err != nil {
			t.Fatal(err)
		}
		if len(out) == 0 {
			break
		}
		if err := v.Acknowledge(out[len(out)-1].Pos); err != nil {
			t.Fatal(err)
		}
	}
	start := time.Now()
	const reads = 10
	for range reads {
		if out, err := v.Outbox(500); err != nil || len(out) != 0 {
			t.Fatalf("outbox: %d, %v", len(out), err)
		}
	}
	if each := time.Since(start) / reads; each > 250*time.Microsecond {
		t.Fatalf("reading the empty outbox of a vault that sent 10,000 envelopes took %v (a new vault: a few µs)", each)
	}
}
