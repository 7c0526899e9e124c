package engine

import (
	"testing"

	"github.com/letapis/letapis/storage/record"
)

// TestDeletingBeforeSyncLeavesNoGap: a record saved and deleted before
// its device synced never reaches the relay (Delete drops the revision,
// and Outbox skips what was dropped), which is right, but its author's
// sequence number must not then be missing for ever: every other device's
// Vault.Gaps would report it as a revision the relay may be withholding, a
// permanent false alarm of the withholding check.
// Delete queues a stand-in with that number (see Vault.BeginSend). Found
// by TestConvergesThroughFaults under -race, where records were deleted
// before the slow link had carried them.
func TestDeletingBeforeSyncLeavesNoGap(t *testing.T) {
	r := startRelay(t)
	ds := formTeam(t, r, 2)
	a, b := ds[0], ds[1]
	before, err := b.v.Gaps()
	if err != nil {
		t.Fatal(err)
	}
	n, err := a.v.Add(&record.Note{Text: "a note written in haste"})
	if err != nil {
		t.Fatal(err)
	}
	if err := a.v.Delete(n.ID); err != nil {
		t.Fatal(err)
	}
	syncAll(t, a, b)
	after, err := b.v.Gaps()
	if err != nil {
		t.Fatal(err)
	}
	if len(after) != len(before) {
		t.Fatalf("B reports gaps %v after A deleted an unsent record; before: %v", after, before)
	}
}
