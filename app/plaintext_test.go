package app

import (
	"bytes"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/letapis/letapis/storage/record"
)

// TestNoPlaintextAfterSession drives a whole session through the UI
// (create the vault, add a person with a Cyrillic name, add and seal a
// testimony, switch language, lock) and then looks for what was typed in
// every file of the vault, every file of the system temp directory
// modified during the test, and the app's storage root, where Fyne keeps
// preferences.
func TestNoPlaintextAfterSession(t *testing.T) {
	start := time.Now().Add(-time.Second)
	u, a := newTestUI(t, Config{})
	// Made at run time, so that the test binary (in the temp directory)
	// does not hold them.
	given := "Ула" + randomWord(8)
	family := "Шчы" + randomWord(10)
	narrative := "Мяне білі ў " + randomWord(12) + " каля " + randomWord(9)
	pass := randomWord(6) + " " + randomWord(6) + " " + randomWord(6) + " " + randomWord(6) + " " + randomWord(6)
	s := u.firstRun
	test.Type(s.phrase.pass, pass)
	test.Type(s.phrase.confirm, pass)
	test.Tap(s.create)
	u.wait()
	test.Tap(button(t, u, "I understand"))
	u.wait()
	addPerson(t, u, given, family, "1971")

	u.main.selectKind(record.KindTestimony)
	l := u.main.lists[record.KindTestimony]
	test.Tap(l.add)
	f := shownForm[*testimonyForm](t, l)
	test.Type(f.interviewee, given+" "+family)
	f.consent.Group.SetSelected([]string{f.consent.Group.Options[0]})
	test.Type(f.text, narrative)
	test.Tap(f.frame.save)
	u.wait()
	test.Tap(button(t, u, "Seal…"))
	test.Tap(button(t, u, "Seal"))
	u.wait()
	if len(l.all) != 1 || !l.all[0].Sealed {
		t.Fatalf("testimony not saved and sealed: %+v", l.all)
	}
	u.main.settings.language.SetSelected("Русский")
	u.wait()
	u.Lock()
	u.wait()

	secrets := [][]byte{[]byte(given), []byte(family), []byte(narrative), []byte(pass)}
	scanForPlaintext(t, a, start, u.cfg.VaultDir, secrets)
	// Preferences hold the language and nothing else readable.
	if got := a.Preferences().String(prefLanguage); got != "ru" {
		t.Errorf("language preference = %q", got)
	}
}

// scanForPlaintext fails t for every file that holds one of secrets: any
// file in vaultDir, and files modified since start in the system temp
// directory and the app's storage root, where Fyne keeps preferences. A
// canary file holding secrets[0] proves that the scan reads the test's
// temp directory.
func scanForPlaintext(t *testing.T, a fyne.App, start time.Time, vaultDir string, secrets [][]byte) {
	t.Helper()
	roots := []string{vaultDir, os.TempDir()}
	if root := a.Storage().RootURI(); root != nil {
		roots = append(roots, root.Path())
	}
	canary := filepath.Join(t.TempDir(), "canary")
	if err := os.WriteFile(canary, []byte("x"+string(secrets[0])+"x"), 0o600); err != nil {
		t.Fatal(err)
	}
	canaryFound := false
	scanned := 0
	for _, root := range roots {
		err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return nil // unreadable or vanished: not ours
			}
			if d.IsDir() || !d.Type().IsRegular() {
				return nil
			}
			info, err := d.Info()
			if err != nil {
				return nil
			}
			inVault := strings.HasPrefix(path, vaultDir)
			if !inVault && info.ModTime().Before(start) {
				return nil
			}
			b, err := os.ReadFile(path)
			if err != nil {
				return nil
			}
			scanned++
			if path == canary {
				canaryFound = bytes.Contains(b, secrets[0])
				return nil
			}
			for _, s := range secrets {
				if bytes.Contains(b, s) {
					t.Errorf("%s holds %q in plaintext", path, s)
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if !canaryFound {
		t.Fatal("the scan missed the canary file")
	}
	if scanned < 3 {
		t.Fatalf("only %d files scanned: the scan looks broken", scanned)
	}
}

// randomWord returns n random Cyrillic letters.
func randomWord(n int) string {
	letters := []rune("абвгдеёжзійклмнопрстуўфхцчшыьэюя")
	w := make([]rune, n)
	for i := range w {
		w[i] = letters[rand.IntN(len(letters))]
	}
	return string(w)
}

// TestFileDialogFolderForgotten checks that the folder Fyne's file dialog
// remembers (a plain-text path in the preferences) is gone once the vault
// is locked.
func TestFileDialogFolderForgotten(t *testing.T) {
	u, a := unlockedUI(t)
	a.Preferences().SetString(fileDialogFolderPref, "file:///home/someone/prison-letters")
	u.Lock()
	if got := a.Preferences().String(fileDialogFolderPref); got != "" {
		t.Errorf("the file dialog's last folder is still in the preferences after lock: %q", got)
	}
}
