package app

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"

	"github.com/letapis/letapis/storage"
	"github.com/letapis/letapis/storage/record"
)

func TestChangePassphrase(t *testing.T) {
	u, _ := unlockedUI(t)
	const next = "seven purple lanterns drift over quiet rivers"
	test.Tap(u.main.settings.changePass)
	d := u.main.settings.changing

	// A wrong current passphrase changes nothing.
	test.Type(d.current, "not the passphrase")
	test.Type(d.phrase.pass, next)
	if !d.change.Disabled() {
		t.Error("Change enabled before the new passphrase is typed twice")
	}
	test.Type(d.phrase.confirm, next)
	test.Tap(d.change)
	u.wait()
	if d.problem.Text != "The current passphrase is wrong. Nothing was changed." {
		t.Fatalf("wrong current passphrase: %q", d.problem.Text)
	}

	d.current.SetText(testPass)
	test.Tap(d.change)
	u.wait()
	if d.problem.Text != "" {
		t.Fatalf("change: %q", d.problem.Text)
	}
	if !hasText(u, "Passphrase changed") {
		t.Error("no confirmation that the passphrase changed")
	}
	u.Lock()
	unlockWith(t, u, testPass)
	if !u.Locked() {
		t.Fatal("the old passphrase still unlocks the vault")
	}
	u.unlock.pass.SetText("")
	unlockWith(t, u, next)
	if u.Locked() {
		t.Fatalf("the new passphrase does not unlock: %q", u.unlock.problem.Text)
	}
}

func TestAutoLockDelaySetting(t *testing.T) {
	u, a := unlockedUI(t)
	s := u.main.settings
	s.idleLock.SetSelected("15 min")
	if u.cfg.IdleLock != 15*time.Minute {
		t.Fatalf("IdleLock = %v", u.cfg.IdleLock)
	}
	if got := a.Preferences().Int(prefIdleLock); got != 900 {
		t.Errorf("saved auto-lock = %d s, want 900", got)
	}
	if savedIdleLock(a) != 15*time.Minute {
		t.Error("the saved delay is not what a new window starts with")
	}
}

func TestPanicWipeCancelled(t *testing.T) {
	u, _ := unlockedUI(t)
	addPerson(t, u, "Ірына", "Тэст", "")
	test.Tap(u.main.settings.wipe)
	test.Tap(button(t, u, "Wipe"))
	if !hasText(u, "The vault will be wiped in 5 s.") {
		t.Fatal("no countdown")
	}
	test.Tap(button(t, u, "Cancel the wipe"))
	u.pumpFor(200 * time.Millisecond)
	if u.Locked() || !storage.Exists(u.cfg.VaultDir) {
		t.Fatal("the vault is gone or locked after Cancel")
	}
	if l := u.main.lists[record.KindPerson]; len(l.all) != 1 {
		t.Errorf("people after a cancelled wipe = %d", len(l.all))
	}
}

func TestPanicWipe(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "vault")
	makeVault(t, dir)
	u, _ := newTestUI(t, Config{VaultDir: dir, WipeCountdown: 300 * time.Millisecond})
	unlockWith(t, u, testPass)
	addPerson(t, u, "Ірына", "Тэст", "")
	test.Tap(u.main.settings.wipe)
	// Dismissing the question does nothing.
	test.Tap(button(t, u, "Cancel"))
	if !storage.Exists(dir) || u.Locked() {
		t.Fatal("dismissing the question wiped or locked")
	}
	test.Tap(u.main.settings.wipe)
	test.Tap(button(t, u, "Wipe"))
	if !u.pumpUntil(func() bool { return u.firstRun != nil && u.pending.Load() == 0 }) {
		t.Fatal("the countdown did not end in a wipe")
	}
	if storage.Exists(dir) {
		t.Fatal("the vault still exists")
	}
	if _, err := os.Stat(filepath.Join(dir, "keys")); !os.IsNotExist(err) {
		t.Errorf("key file after wipe: %v", err)
	}
	if u.vault != nil || u.main != nil {
		t.Error("the wipe left decrypted state in the UI")
	}
}
