package storage

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/letapis/letapis/internal/proof"
	"github.com/letapis/letapis/storage/keyfile"
	"github.com/letapis/letapis/storage/record"
)

// testOptions keeps key derivation cheap and the free-space floor low.
var testOptions = Options{WorkFactor: 10, MinFreeBytes: 1 << 20}

const testPassphrase = "correct horse battery staple"

// newVault creates a vault on disk in a fresh temp directory and closes it
// when the test ends.
func newVault(t testing.TB) *Vault {
	t.Helper()
	return newVaultOpts(t, testOptions)
}

// newVaultOpts is newVault with other options.
func newVaultOpts(t testing.TB, opts Options) *Vault {
	t.Helper()
	v, err := Create(filepath.Join(t.TempDir(), "vault"), testPassphrase, opts)
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	t.Cleanup(func() { v.Close() })
	return v
}

// reopen locks v and unlocks the same directory again.
func reopen(t testing.TB, v *Vault) *Vault {
	t.Helper()
	if err := v.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	return unlock(t, v.Dir())
}

// unlock opens the vault in dir and closes it when the test ends.
func unlock(t testing.TB, dir string) *Vault {
	t.Helper()
	w, err := Open(dir, testPassphrase, testOptions)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { w.Close() })
	return w
}

func mustAdd(t testing.TB, v *Vault, b record.Body) *Record {
	t.Helper()
	r, err := v.Add(b)
	if err != nil {
		t.Fatalf("Add %s: %v", b.Kind(), err)
	}
	return r
}

// scanForPlaintext fails the test if any file under dir contains any of the
// needles, reporting the file and the needle.
func scanForPlaintext(t testing.TB, dir string, needles ...string) {
	t.Helper()
	proof.ScanReport(t, []string{dir}, needles)
}

// testSecrets reads the secrets of the key file of the vault in dir, as
// someone who knows the passphrase could.
func testSecrets(t testing.TB, dir string) *keyfile.Secrets {
	t.Helper()
	file, err := os.ReadFile(filepath.Join(dir, keyFileName))
	if err != nil {
		t.Fatal(err)
	}
	s, _, _, err := keyfile.DecodeSlots(file, testPassphrase)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// teamOf returns the id of v's team, for a vault that joins it.
func teamOf(t *testing.T, v *Vault) string {
	t.Helper()
	st, err := v.Team()
	if err != nil {
		t.Fatal(err)
	}
	return st.Team
}

// openLegacyTeam unlocks copies of the two vaults in testdata/legacyteam,
// of a team made by an older version: A (admin) and B. The helper that
// made them gave each joiner a team id of its own, which no invite code
// can: the team is named in every envelope now (format 2), so B takes A's,
// as it would have from an invite.
func openLegacyTeam(t *testing.T) (a, b *Vault) {
	t.Helper()
	open := func(name string) *Vault {
		dir := filepath.Join(t.TempDir(), name)
		if err := os.CopyFS(dir, os.DirFS(filepath.Join("testdata/legacyteam", name))); err != nil {
			t.Fatal(err)
		}
		return unlock(t, dir)
	}
	a, b = open("a"), open("b")
	if err := b.changeTeam("fix the test team id", func(st *TeamState) { st.Team = teamOf(t, a) }); err != nil {
		t.Fatal(err)
	}
	return a, b
}
