package app

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/letapis/letapis/internal/hostile"
	"github.com/letapis/letapis/storage"
	"github.com/letapis/letapis/storage/envelope"
)

// TestSyncPanelListsWhatWasSetAside: a member whose keys are out of its
// vault sends an envelope addressed to another team and a roster entry in
// a schema no build reads yet. The Sync panel of the device that received
// them lists both, one quarantined and one held, each with its reason in
// plain words.
func TestSyncPanelListsWhatWasSetAside(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "vault")
	admin, member, _ := teamOfTwo(t, dir)
	if err := member.Close(); err != nil {
		t.Fatal(err)
	}
	m, err := hostile.Seize(member.Dir(), testPass)
	if err != nil {
		t.Fatal(err)
	}
	misaddressed := m.Note(`{"text":"for another team"}`)
	misaddressed.Team = storage.NewID()
	newer := m.Note(`{"op":"add"}`)
	newer.Kind, newer.Schema = "roster", 99
	seal := func(r envelope.Revision) []byte {
		ct, err := m.Seal(r, nil)
		if err != nil {
			t.Fatal(err)
		}
		return ct
	}
	if _, err := admin.Receive(seal(misaddressed)); !errors.Is(err, storage.ErrRejected) {
		t.Fatalf("an envelope for another team: %v, want it rejected", err)
	}
	if out, err := admin.Receive(seal(newer)); err != nil || out != storage.Held {
		t.Fatalf("a roster entry of a newer schema: %v, %v; want it held", out, err)
	}
	if err := admin.Close(); err != nil {
		t.Fatal(err)
	}
	u := syncUIOn(t, dir)
	texts := panelTexts(u)
	for _, want := range []string{"Quarantined · ", "Addressed to another team.", "Held · ",
		"Written by a newer version of Letapis: kept, and applied once this device is updated.", "addressed to another team (\""} {
		if !strings.Contains(texts, want) {
			t.Errorf("the Sync panel does not say %q:\n%s", want, texts)
		}
	}
}
