package storage

import (
	"bytes"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// TestMlockRefusedIsLoggedNotFatal lowers the process's RLIMIT_MEMLOCK to
// nothing, as a locked-down account has it: the vault still creates and
// opens, its secrets are still zeroed at Close, and the log says that a
// key may be swapped without saying which key or what it is.
func TestMlockRefusedIsLoggedNotFatal(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root may lock memory whatever RLIMIT_MEMLOCK says (CAP_IPC_LOCK), so mlock cannot be made to fail")
	}
	var old unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_MEMLOCK, &old); err != nil {
		t.Fatal(err)
	}
	if err := unix.Setrlimit(unix.RLIMIT_MEMLOCK, &unix.Rlimit{Cur: 0, Max: old.Max}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Setrlimit(unix.RLIMIT_MEMLOCK, &old) })

	var logs bytes.Buffer
	opts := testOptions
	opts.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	dir := filepath.Join(t.TempDir(), "vault")
	v, err := Create(dir, testPassphrase, opts)
	if err != nil {
		t.Fatalf("Create with mlock refused: %v", err)
	}
	identity := strings.Clone(v.secrets.Identity) // the vault unmaps its own copy at Close
	if err := v.Close(); err != nil {
		t.Fatal(err)
	}
	if v, err = Open(dir, testPassphrase, opts); err != nil {
		t.Fatalf("Open with mlock refused: %v", err)
	}
	if err := v.Close(); err != nil {
		t.Fatal(err)
	}
	out := logs.String()
	if !strings.Contains(out, "locking its memory failed") {
		t.Errorf("no warning that mlock failed; log:\n%s", out)
	}
	if strings.Contains(out, testPassphrase) || strings.Contains(out, identity) {
		t.Errorf("the log holds a secret:\n%s", out)
	}
}
