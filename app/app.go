// Package app is the Letapis desktop interface, built with Fyne.
//
// # Screens
//
// One file per screen, each a struct holding its widgets and built from the
// *UI (window, vault, translator): firstrun.go (create a vault, recovery
// kit), unlock.go, browse.go (the tabs after unlock) with list.go (one lazy
// list per record kind) and detail.go (a record, read-only; history.go and
// conflict.go show its revisions and resolve its conflicts), person.go,
// testimony.go and note.go (forms), attachments.go (a record's files:
// attach, preview, export a decrypted copy), settings.go, lock.go (Lock
// now, Ctrl+L, auto-lock after idle), syncpanel.go and team.go (the Sync
// tab), and syncrun.go (the sync engine, running from unlock to lock).
//
// # Rules
//
// The package calls the storage.Vault API and nothing below it: no Badger,
// no age. Vault calls that can take long (unlock, create, list, get, save,
// seal) run on their own goroutine and come back through fyne.Do; each
// result carries the session it was started in and is dropped if the vault
// was locked meanwhile. Locking closes the vault and drops every screen, so
// no decrypted record stays reachable from the UI. Preferences hold only the
// interface language and the auto-lock delay.
package app

import (
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"fyne.io/fyne/v2"
	fyneapp "fyne.io/fyne/v2/app"

	"github.com/letapis/letapis/assets"
	"github.com/letapis/letapis/internal/safefile"
	"github.com/letapis/letapis/storage"
	"github.com/letapis/letapis/sync/engine"
)

// ID is the application ID, as in FyneApp.toml.
const ID = "org.letapis.app"

// Name is the application name, as in FyneApp.toml: the window title.
const Name = "Letapis"

// DefaultIdleLock is how long the app waits without user activity before it
// locks the vault.
const DefaultIdleLock = 5 * time.Minute

// Config sets up a UI. The zero value (with VaultDir set) is the production
// setting.
type Config struct {
	// VaultDir is the vault directory. Required.
	VaultDir string
	// WorkFactor is the scrypt work factor of a new vault (see
	// storage.Options). 0 is the production default; tests use ~10.
	WorkFactor int
	// IdleLock is how long without activity before the vault locks;
	// 0 means the delay chosen in Settings, else DefaultIdleLock.
	IdleLock time.Duration
	// IdleCheck is how often idleness is checked; 0 means every
	// 5 seconds, or IdleLock/4 if that is shorter.
	IdleCheck time.Duration
	// WipeCountdown is how long the panic wipe waits, cancellable, before
	// it destroys the vault; 0 means DefaultWipeCountdown.
	WipeCountdown time.Duration
	// Logger receives diagnostics (never record content); nil discards.
	Logger *slog.Logger
	// engineConfig, if set, adjusts the sync engine's configuration
	// (tests shorten its retries).
	engineConfig func(*engine.Config)
	// opened, if set, is called off the UI goroutine once the vault is
	// open, before the UI hears of it (the app's benchmark counts its
	// peak memory from there).
	opened func()
}

// UI is the Letapis window and what it shows. All its methods must be called
// on the Fyne UI goroutine.
type UI struct {
	app fyne.App
	win fyne.Window
	cfg Config
	tr  *translator
	log *slog.Logger

	// vault is the unlocked vault, nil while locked.
	vault *storage.Vault
	// session changes at every unlock and lock; background work started in
	// another session must not touch the UI.
	session uint64
	// unlockedAt is when the vault was last unlocked, for the diagnostics
	// of how long the lists take to show.
	unlockedAt time.Time
	// main is the screen shown while unlocked, nil while locked.
	main *mainScreen
	// firstRun and unlock are the start screen last shown while locked.
	firstRun *firstRunScreen
	unlock   *unlockScreen
	idle     idleWatch
	// sync runs the sync engine while unlocked (syncrun.go).
	sync *syncer
	// do runs a function on the UI goroutine: fyne.Do, or a queue that
	// tests drain on their own goroutine.
	do func(func())
	// pending counts functions handed to do and not yet run.
	pending atomic.Int64
	// transfers are the attachment imports and exports running; locking
	// cancels them (attachments.go).
	transfers map[*transfer]struct{}
}

// New builds the Letapis window in a and shows the first screen: create a
// vault if cfg.VaultDir holds none, unlock otherwise. It does not show the
// window; Run does, and tests need not.
func New(a fyne.App, cfg Config) (*UI, error) {
	if cfg.VaultDir == "" {
		return nil, errors.New("no vault directory")
	}
	if cfg.IdleLock <= 0 {
		cfg.IdleLock = savedIdleLock(a)
	}
	if cfg.WipeCountdown <= 0 {
		cfg.WipeCountdown = DefaultWipeCountdown
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	tr, err := newTranslator()
	if err != nil {
		return nil, err
	}
	tr.set(initialLanguage(a))
	u := &UI{app: a, cfg: cfg, tr: tr, log: cfg.Logger, do: fyne.Do}
	u.win = a.NewWindow(Name)
	u.win.Resize(fyne.NewSize(1100, 720))
	u.win.SetIcon(assets.Icon)
	u.setupLock()
	u.win.SetOnDropped(u.dropped)
	u.showStart()
	return u, nil
}

// Run starts the desktop app on the vault in cfg and returns when its window
// is closed, Quit is chosen, or the process gets SIGINT or SIGTERM (Fyne
// ends its event loop on these). The vault is locked on the way out.
func Run(cfg Config) error {
	limitMemory()
	a := fyneapp.NewWithID(ID)
	a.SetIcon(assets.Icon)
	u, err := New(a, cfg)
	if err != nil {
		return err
	}
	// Once the event loop has ended, results of background work are
	// dropped: the window is gone.
	var ended atomic.Bool
	u.do = func(f func()) {
		if !ended.Load() {
			fyne.Do(f)
		}
	}
	// Fyne ends the event loop on SIGINT and SIGTERM too.
	u.win.ShowAndRun()
	ended.Store(true)
	u.stopIdle()
	u.stopSync()
	if u.vault != nil {
		if err := u.vault.Close(); err != nil {
			return fmt.Errorf("lock vault: %w", err)
		}
		u.vault = nil
	}
	return nil
}

// About returns one line with the name, version, build and ID that Fyne
// reports for the app (fyne.App.Metadata). A binary made by `fyne package`
// carries them built in, taken from FyneApp.toml; a `go build` binary reads
// the FyneApp.toml beside it, where `make build` puts a copy. It creates the
// Fyne app but opens no window.
func About() string {
	m := fyneapp.NewWithID(ID).Metadata()
	return fmt.Sprintf("%s %s (build %d), ID %s", m.Name, m.Version, m.Build, m.ID)
}

// Window returns the Letapis window.
func (u *UI) Window() fyne.Window { return u.win }

// Locked reports whether the vault is locked.
func (u *UI) Locked() bool { return u.vault == nil }

// T translates an interface string (English key) into the UI language.
func (u *UI) T(key string) string { return u.tr.T(key) }

// Tf is T with fmt.Sprintf arguments.
func (u *UI) Tf(key string, args ...any) string { return u.tr.Tf(key, args...) }

// Lang returns the code of the interface language.
func (u *UI) Lang() string { return u.tr.lang }

// showStart shows the screen for a locked app: first run or unlock.
func (u *UI) showStart() {
	u.firstRun, u.unlock = nil, nil
	if storage.Exists(u.cfg.VaultDir) {
		u.unlock = newUnlockScreen(u)
		u.show(u.unlock.content)
		u.win.Canvas().Focus(u.unlock.pass)
	} else {
		u.firstRun = newFirstRunScreen(u)
		u.show(u.firstRun.content)
		u.win.Canvas().Focus(u.firstRun.phrase.pass)
	}
}

// show replaces the window content and closes every dialog.
func (u *UI) show(content fyne.CanvasObject) {
	c := u.win.Canvas()
	for o := c.Overlays().Top(); o != nil; o = c.Overlays().Top() {
		c.Overlays().Remove(o)
	}
	u.win.SetContent(content)
}

// options returns the storage options for opening or creating the vault.
func (u *UI) options() storage.Options {
	return storage.Options{WorkFactor: u.cfg.WorkFactor, Logger: u.log}
}

// background runs work off the UI goroutine with the unlocked vault and
// applies the function it returns on the UI goroutine, unless the vault was
// locked in between.
func (u *UI) background(work func(v *storage.Vault) func()) {
	v, session := u.vault, u.session
	if v == nil {
		return
	}
	u.async(func() func() {
		done := work(v)
		return func() {
			if u.session == session && done != nil {
				done()
			}
		}
	})
}

// async runs work on its own goroutine and applies the function it returns
// (if any) on the UI goroutine.
func (u *UI) async(work func() func()) {
	u.pending.Add(1)
	go func() {
		done := work()
		u.do(func() {
			defer u.pending.Add(-1)
			if done != nil {
				done()
			}
		})
	}()
}

// later runs f on the UI goroutine after the current callback returns.
func (u *UI) later(f func()) {
	u.pending.Add(1)
	u.do(func() {
		defer u.pending.Add(-1)
		f()
	})
}

// errorText words an error from the vault for people.
func (u *UI) errorText(err error) string {
	switch {
	case errors.Is(err, storage.ErrWrongPassphrase):
		return u.T("Wrong passphrase. Check the keyboard layout and Caps Lock, then try again.")
	case errors.Is(err, storage.ErrDamaged):
		return u.T("The vault files are damaged and cannot be opened. Do not write to this folder; ask your coordinator for help.")
	case errors.Is(err, storage.ErrBusy):
		return u.T("This vault is already open in another Letapis window.")
	case errors.Is(err, storage.ErrNoVault):
		return u.T("There is no vault in this folder.")
	case errors.Is(err, storage.ErrDiskFull):
		return u.T("The disk is nearly full, so nothing was saved. Free some space and try again.")
	case errors.Is(err, storage.ErrSealed):
		return u.T("This testimony is sealed and cannot be changed.")
	case errors.Is(err, storage.ErrLocked):
		return u.T("The vault is locked.")
	case errors.Is(err, storage.ErrNotFound), errors.Is(err, storage.ErrDeleted):
		return u.T("This record no longer exists.")
	case errors.Is(err, storage.ErrNewerSchema):
		return u.T("This record was written by a newer version of Letapis.")
	case errors.Is(err, safefile.ErrSymlink):
		return u.T("That name is a link to another file, so nothing was written there. Choose another name.")
	case errors.Is(err, storage.ErrJoining):
		return u.T("This device waits for an admin's approval; records can be written once it is a member.")
	}
	return u.Tf("Something went wrong: %v", err)
}
