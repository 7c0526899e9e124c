package app

import (
	"sync/atomic"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
)

// lockShortcut is Ctrl+L (Cmd+L on macOS).
var lockShortcut = &desktop.CustomShortcut{KeyName: fyne.KeyL, Modifier: fyne.KeyModifierShortcutDefault}

// idleWatch tracks user activity for auto-lock.
type idleWatch struct {
	last atomic.Int64 // UnixNano of the last activity
	stop chan struct{}
}

// setupLock installs Lock now (the menu item and Ctrl+L) and the activity
// hooks. The menu item makes Ctrl+L work even while a text field has the
// focus, because Fyne offers shortcuts to the main menu first.
func (u *UI) setupLock() {
	u.setMenu()
	c := u.win.Canvas()
	c.AddShortcut(lockShortcut, func(fyne.Shortcut) { u.Lock() })
	c.SetOnTypedKey(func(*fyne.KeyEvent) { u.touch() })
	c.SetOnTypedRune(func(rune) { u.touch() })
}

// setMenu sets the main menu in the current language.
func (u *UI) setMenu() {
	lock := fyne.NewMenuItem(u.T("Lock now"), func() { u.Lock() })
	lock.Shortcut = lockShortcut
	// Our own Quit, so that it is labelled in the UI language (Fyne would
	// add one in the system language).
	quit := fyne.NewMenuItem(u.T("Quit"), nil)
	quit.IsQuit = true
	u.win.SetMainMenu(fyne.NewMainMenu(fyne.NewMenu(u.T("Vault"), lock, fyne.NewMenuItemSeparator(), quit)))
}

// touch records user activity. Every control Letapis builds calls it from
// its callback (see button, entry), and so do keys typed outside a field.
// It is safe from any goroutine.
func (u *UI) touch() { u.idle.last.Store(time.Now().UnixNano()) }

// Lock locks the vault at once: it closes the vault (dropping its keys),
// forgets every screen and the records they held, closes dialogs and shows
// the unlock screen. Work still running in the background finds the vault
// locked and its results are discarded. Locking a locked app does nothing
// but show the start screen again.
func (u *UI) Lock() {
	u.session++
	u.stopIdle()
	u.stopSync()
	u.cancelTransfers()
	u.forgetFileDialogFolder()
	if u.main != nil {
		u.main.drop()
		u.main = nil
	}
	if u.vault != nil {
		if err := u.vault.Close(); err != nil {
			u.log.Error("lock vault", "err", err)
		}
		u.vault = nil
	}
	u.showStart()
	u.releaseMemory()
}

// unlocked takes an open vault: it starts a new session and the idle watch.
func (u *UI) unlocked() {
	u.session++
	u.unlockedAt = time.Now()
	u.touch()
	u.startIdle()
	u.startSync()
}

// startIdle starts the goroutine that locks the vault after cfg.IdleLock
// without activity.
func (u *UI) startIdle() {
	u.stopIdle()
	stop := make(chan struct{})
	u.idle.stop = stop
	session := u.session
	timeout, every := u.cfg.IdleLock, u.cfg.IdleCheck
	if every <= 0 {
		every = min(5*time.Second, timeout/4)
	}
	go func() {
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				if time.Since(time.Unix(0, u.idle.last.Load())) < timeout {
					continue
				}
				u.later(func() {
					if u.session == session && u.vault != nil {
						u.log.Info("auto-lock after idle")
						u.Lock()
					}
				})
				return
			}
		}
	}()
}

// stopIdle ends the idle watch, if it runs.
func (u *UI) stopIdle() {
	if u.idle.stop != nil {
		close(u.idle.stop)
		u.idle.stop = nil
	}
}
