package app

import (
	"bytes"
	"errors"
	"os"
	"runtime"
	"testing"
	"time"
	"weak"

	"fyne.io/fyne/v2/test"

	"github.com/letapis/letapis/internal/proof"
	"github.com/letapis/letapis/storage"
	"github.com/letapis/letapis/storage/record"
	"github.com/letapis/letapis/storage/search"
	"github.com/letapis/letapis/storage/synth"
)

// lockChildEnv is set in the child process of
// TestLockLeavesNothingReachable.
const lockChildEnv = "LETAPIS_TEST_LOCK_CHILD"

// TestLockLeavesNothingReachable shows that after Lock nothing decrypted
// stays reachable from the UI: the main screen, each tab's loaded
// summaries and the record shown in a pane are collected once the garbage
// collector runs, and the vault is closed. Fyne keeps the renderers of
// widgets it drew for a minute after their last use (its FYNE_CACHE
// setting), so the check runs in a child process with that set to a
// millisecond and renders once after Lock, as a window does every frame.
func TestLockLeavesNothingReachable(t *testing.T) {
	if os.Getenv(lockChildEnv) == "" {
		out := proof.RunChild(t, "TestLockLeavesNothingReachable", lockChildEnv+"=1", "FYNE_CACHE=1ms")
		if !bytes.Contains(out, []byte("PASS")) {
			t.Fatalf("the child did not pass: %s", out)
		}
		return
	}
	u, _ := unlockedUI(t)
	g := synth.New(5)
	person := addBody(t, u, g.Person())
	addBody(t, u, g.Note(person))
	for _, k := range browseKinds {
		u.main.selectKind(k)
	}
	u.wait()
	l := openRecord(u, record.KindPerson, person)
	if l.detail == nil || len(l.all) == 0 {
		t.Fatal("the person is not listed and shown")
	}
	if _, err := u.vault.Search(search.Query{Text: "a"}); err != nil {
		t.Fatal(err)
	}
	vault := u.vault
	main := weak.Make(u.main)
	detail := weak.Make(l.detail)
	var summaries []weak.Pointer[storage.Summary]
	for _, l := range u.main.lists {
		if len(l.all) > 0 {
			summaries = append(summaries, weak.Make(&l.all[0]))
		}
	}
	if len(summaries) < 2 {
		t.Fatalf("%d lists loaded, want the people's and the notes'", len(summaries))
	}
	l = nil

	u.Lock()
	u.wait()
	time.Sleep(2 * time.Millisecond) // past FYNE_CACHE
	u.win.Canvas().(test.WindowlessCanvas).Capture()
	runtime.GC()
	runtime.GC()
	if main.Value() != nil {
		t.Error("the main screen is still reachable after Lock")
	}
	if detail.Value() != nil {
		t.Error("the record shown is still reachable after Lock")
	}
	for i, s := range summaries {
		if s.Value() != nil {
			t.Errorf("the summaries of list %d are still reachable after Lock", i)
		}
	}
	// The vault itself stays reachable for a few seconds (its timer that
	// starts the search index late), closed: no keys, no index.
	if _, err := vault.Search(search.Query{Text: "a"}); !errors.Is(err, storage.ErrLocked) {
		t.Errorf("search after Lock: %v, want ErrLocked", err)
	}
}
