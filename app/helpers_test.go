package app

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/letapis/letapis/storage"
	"github.com/letapis/letapis/storage/record"
)

// testPass is the passphrase of test vaults.
const testPass = "correct horse battery staple"

// newTestUI builds a UI on a fresh test app over a vault directory that does
// not exist yet. The vault is locked when the test ends.
func newTestUI(t *testing.T, cfg Config) (*UI, fyne.App) {
	t.Helper()
	a := test.NewTempApp(t)
	if cfg.VaultDir == "" {
		cfg.VaultDir = filepath.Join(t.TempDir(), "vault")
	}
	if cfg.WorkFactor == 0 {
		cfg.WorkFactor = 10
	}
	u, err := New(a, cfg)
	if err != nil {
		t.Fatal(err)
	}
	u.win.Resize(fyne.NewSize(1100, 720))
	// Run every UI callback on the test goroutine, as the real app runs
	// them on its one UI goroutine.
	queue := make(chan func(), 64)
	u.do = func(f func()) { queue <- f }
	uiQueues[u] = queue
	t.Cleanup(func() {
		u.Lock()
		u.wait()
	})
	return u, a
}

// uiQueues holds the callback queue of each test UI.
var uiQueues = map[*UI]chan func(){}

// wait runs queued UI callbacks on the test goroutine until no background
// work is left.
func (u *UI) wait() {
	for u.pending.Load() > 0 {
		select {
		case f := <-uiQueues[u]:
			f()
		case <-time.After(60 * time.Second):
			panic("background work did not finish")
		}
	}
}

// pumpUntil runs queued UI callbacks until cond holds or 5 s pass.
func (u *UI) pumpUntil(cond func() bool) bool {
	deadline := time.After(5 * time.Second)
	for !cond() {
		select {
		case f := <-uiQueues[u]:
			f()
		case <-time.After(10 * time.Millisecond):
		case <-deadline:
			return false
		}
	}
	return true
}

// pumpFor runs queued UI callbacks for d.
func (u *UI) pumpFor(d time.Duration) {
	end := time.After(d)
	for {
		select {
		case f := <-uiQueues[u]:
			f()
		case <-end:
			return
		}
	}
}

// makeVault creates a vault in dir outside the UI, and locks it.
func makeVault(t *testing.T, dir string) {
	t.Helper()
	v, err := storage.Create(dir, testPass, storage.Options{WorkFactor: 10})
	if err != nil {
		t.Fatal(err)
	}
	if err := v.Close(); err != nil {
		t.Fatal(err)
	}
}

// unlockedUI is a UI over a new vault, unlocked through the unlock screen.
func unlockedUI(t *testing.T) (*UI, fyne.App) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "vault")
	makeVault(t, dir)
	u, a := newTestUI(t, Config{VaultDir: dir})
	unlockWith(t, u, testPass)
	if u.Locked() {
		t.Fatalf("not unlocked: %q", u.unlock.problem.Text)
	}
	return u, a
}

// unlockWith types pass into the unlock screen and taps Unlock.
func unlockWith(t *testing.T, u *UI, pass string) {
	t.Helper()
	if u.unlock == nil {
		t.Fatal("the unlock screen is not shown")
	}
	test.Type(u.unlock.pass, pass)
	test.Tap(u.unlock.unlock)
	u.wait()
}

// objects returns every object in the window and its dialogs.
func objects(u *UI) []fyne.CanvasObject {
	all := test.LaidOutObjects(u.win.Content())
	for _, o := range u.win.Canvas().Overlays().List() {
		all = append(all, test.LaidOutObjects(o)...)
	}
	return all
}

// button finds the visible button labelled text.
func button(t *testing.T, u *UI, text string) *widget.Button {
	t.Helper()
	for _, o := range objects(u) {
		if b, ok := o.(*widget.Button); ok && b.Text == text && b.Visible() {
			return b
		}
	}
	t.Fatalf("no button %q", text)
	return nil
}

// hasText reports whether some label, button or tab shows text.
func hasText(u *UI, text string) bool {
	for _, o := range objects(u) {
		switch w := o.(type) {
		case *widget.Label:
			if strings.Contains(w.Text, text) {
				return true
			}
		case *widget.Button:
			if w.Text == text {
				return true
			}
		case *container.AppTabs:
			for _, it := range w.Items {
				if it.Text == text {
					return true
				}
			}
		}
	}
	return false
}

// shownForm returns the form the list's pane shows, which must be an F.
func shownForm[F any](t *testing.T, l *recordList) F {
	t.Helper()
	f, ok := l.form.(F)
	if !ok {
		var want F
		t.Fatalf("the pane shows %T, not %T", l.form, want)
	}
	return f
}

// save taps a form's Save, waits for the vault, and fails the test if the
// form reports a problem.
func save(t *testing.T, u *UI, f *recordForm) {
	t.Helper()
	test.Tap(f.save)
	u.wait()
	if f.problem.Text != "" {
		t.Fatalf("save: %s", f.problem.Text)
	}
}

// stored reads record id from the vault and decodes its body as a B.
func stored[B record.Body](t *testing.T, u *UI, id string) (*storage.Record, B) {
	t.Helper()
	r, err := u.vault.Get(id)
	if err != nil {
		t.Fatal(err)
	}
	body, err := r.Decode()
	if err != nil {
		t.Fatal(err)
	}
	b, ok := body.(B)
	if !ok {
		t.Fatalf("record %s is a %T", id, body)
	}
	return r, b
}
