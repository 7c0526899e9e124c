package app

import (
	"path/filepath"
	"testing"

	"fyne.io/fyne/v2/test"

	"github.com/letapis/letapis/internal/loopfs"
)

// A vault created on a real btrfs gets the copy-on-write warning in its
// recovery kit, under the general advice on full-disk encryption.
func TestRecoveryKitWarnsOnCopyOnWrite(t *testing.T) {
	u, _ := newTestUI(t, Config{VaultDir: filepath.Join(loopfs.Mount(t, "btrfs"), "vault")})
	s := u.firstRun
	s.phrase.pass.SetText(testPass)
	s.phrase.confirm.SetText(testPass)
	test.Tap(s.create)
	u.wait()
	if s.problem.Text != "" {
		t.Fatalf("create on btrfs failed: %s", s.problem.Text)
	}
	if !hasText(u, "This vault is on btrfs, a file system that keeps old copies") || !hasText(u, "5. Turn on full-disk encryption") {
		t.Fatal("the recovery kit on btrfs does not warn about copy-on-write")
	}
	test.Tap(button(t, u, "I understand"))
	u.wait()
	u.Lock() // before the image is unmounted
	u.wait()
}
