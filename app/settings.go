package app

import (
	"fmt"
	"slices"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/letapis/letapis/storage"
)

// prefIdleLock is the preference holding the auto-lock delay in seconds.
// It says nothing about records; see prefLanguage.
const prefIdleLock = "autolock_seconds"

// DefaultWipeCountdown is how long the panic wipe counts down before it
// destroys the vault, for a mistaken tap to be cancelled.
const DefaultWipeCountdown = 5 * time.Second

// idleLockChoices are the auto-lock delays Settings offers.
var idleLockChoices = []time.Duration{time.Minute, 2 * time.Minute, 5 * time.Minute, 10 * time.Minute, 15 * time.Minute, 30 * time.Minute, time.Hour}

// savedIdleLock is the auto-lock delay chosen in Settings, else
// DefaultIdleLock.
func savedIdleLock(a fyne.App) time.Duration {
	if s := a.Preferences().Int(prefIdleLock); s > 0 {
		return time.Duration(s) * time.Second
	}
	return DefaultIdleLock
}

// settingsScreen is the Settings tab: language, auto-lock delay, change
// passphrase, and the panic wipe.
type settingsScreen struct {
	ui         *UI
	language   *widget.Select
	idleLock   *widget.Select
	idleChoice []time.Duration
	changePass *widget.Button
	// changing is the Change passphrase dialog last opened.
	changing *changePassphraseDialog
	wipe     *widget.Button
	content  fyne.CanvasObject
}

func newSettingsScreen(u *UI) *settingsScreen {
	s := &settingsScreen{ui: u}
	s.language = u.languageSelect()
	s.idleChoice = idleLockChoices
	if !slices.Contains(s.idleChoice, u.cfg.IdleLock) {
		s.idleChoice = append([]time.Duration{u.cfg.IdleLock}, s.idleChoice...)
	}
	var labels []string
	for _, d := range s.idleChoice {
		labels = append(labels, u.duration(d))
	}
	s.idleLock = widget.NewSelect(labels, nil)
	s.idleLock.SetSelectedIndex(slices.Index(s.idleChoice, u.cfg.IdleLock))
	s.idleLock.OnChanged = func(string) {
		if i := s.idleLock.SelectedIndex(); i >= 0 {
			u.SetIdleLock(s.idleChoice[i])
		}
	}
	s.changePass = u.button(u.T("Change passphrase…"), theme.AccountIcon(), func() {
		s.changing = u.showChangePassphrase()
	})
	s.wipe = u.button(u.T("Wipe this vault…"), theme.DeleteIcon(), u.confirmWipe)
	s.wipe.Importance = widget.DangerImportance
	form := widget.NewForm(
		widget.NewFormItem(u.T("Language"), s.language),
		widget.NewFormItem(u.T("Auto-lock after"), s.idleLock),
		widget.NewFormItem(u.T("Passphrase"), container.NewHBox(s.changePass)),
		widget.NewFormItem(u.T("Vault folder"), paragraph(u.cfg.VaultDir)),
	)
	form.Items[1].HintText = u.T("Letapis locks itself after this long without use.")
	danger := container.NewVBox(
		widget.NewSeparator(),
		heading(u.T("Panic wipe")),
		paragraph(u.Tf("Destroys this vault on this computer at once and for good, after a %d-second countdown you can cancel. What was synced stays with your team; what was not is lost.", int(u.cfg.WipeCountdown.Seconds()))),
		container.NewHBox(s.wipe),
	)
	s.content = container.NewVScroll(container.NewPadded(container.NewVBox(heading(u.T("Settings")), form, danger)))
	return s
}

// duration words a delay such as the auto-lock delay.
func (u *UI) duration(d time.Duration) string {
	switch {
	case d >= time.Hour && d%time.Hour == 0:
		return u.Tf("%d h", int(d.Hours()))
	case d >= time.Minute && d%time.Minute == 0:
		return u.Tf("%d min", int(d.Minutes()))
	}
	return fmt.Sprint(d)
}

// SetIdleLock changes the auto-lock delay, remembers it and restarts the
// idle watch with it.
func (u *UI) SetIdleLock(d time.Duration) {
	u.touch()
	u.cfg.IdleLock = d
	u.app.Preferences().SetInt(prefIdleLock, int(d/time.Second))
	if u.vault != nil {
		u.startIdle()
	}
}

// SetLanguage switches the interface language, remembers it and rebuilds
// the window in it. An unlocked vault stays unlocked; the lists are read
// again.
func (u *UI) SetLanguage(code string) {
	u.tr.set(code)
	u.app.Preferences().SetString(prefLanguage, u.tr.lang)
	u.setMenu()
	if u.vault == nil {
		u.showStart()
		return
	}
	u.showMain()
	u.main.tabs.SelectIndex(len(u.main.tabs.Items) - 1)
}

// changePassphraseDialog asks for the current passphrase and a new one.
type changePassphraseDialog struct {
	ui      *UI
	current *widget.Entry
	phrase  *passphraseFields
	change  *widget.Button
	busy    *widget.Activity
	problem *widget.Label
	dialog  dialog.Dialog
	working bool
}

// showChangePassphrase opens the Change passphrase dialog.
func (u *UI) showChangePassphrase() *changePassphraseDialog {
	d := &changePassphraseDialog{ui: u}
	d.current = widget.NewPasswordEntry()
	d.current.SetPlaceHolder(u.T("Current passphrase"))
	d.current.OnChanged = func(string) { u.touch() }
	d.change = u.button(u.T("Change passphrase"), theme.ConfirmIcon(), d.submit)
	d.change.Importance = widget.HighImportance
	d.phrase = u.newPassphraseFields(func(ok bool) {
		if ok && !d.working {
			d.change.Enable()
		} else {
			d.change.Disable()
		}
	}, d.submit)
	d.busy = widget.NewActivity()
	d.busy.Hide()
	d.problem = paragraph("")
	d.problem.Importance = widget.DangerImportance
	cancel := u.button(u.T("Cancel"), theme.CancelIcon(), func() { d.dialog.Hide() })
	content := container.NewVBox(
		paragraph(u.T("The new passphrase replaces the old one on this computer only. Write it on paper and destroy the paper with the old one.")),
		widget.NewLabel(u.T("Current passphrase")), d.current,
		d.phrase.content,
		d.problem,
		container.NewHBox(layout.NewSpacer(), d.busy, cancel, d.change),
	)
	d.dialog = dialog.NewCustomWithoutButtons(u.T("Change passphrase"), container.New(layout.NewGridWrapLayout(fyne.NewSize(480, 520)), content), u.win)
	d.dialog.Show()
	u.win.Canvas().Focus(d.current)
	return d
}

// submit checks the current passphrase and writes the key file under the
// new one, off the UI goroutine (key derivation takes a second or more).
func (d *changePassphraseDialog) submit() {
	u := d.ui
	if d.working || d.change.Disabled() {
		return
	}
	d.working = true
	d.change.Disable()
	d.problem.SetText("")
	spin(d.busy, true)
	current, next := d.current.Text, d.phrase.pass.Text
	u.background(func(v *storage.Vault) func() {
		ok, err := v.CheckPassphrase(current)
		if err == nil && ok {
			err = v.ChangePassphrase(next)
		}
		return func() {
			d.working = false
			spin(d.busy, false)
			d.phrase.check()
			switch {
			case err != nil:
				d.problem.SetText(u.errorText(err))
			case !ok:
				d.problem.SetText(u.T("The current passphrase is wrong. Nothing was changed."))
			default:
				d.current.SetText("")
				d.phrase.clear()
				d.dialog.Hide()
				info := dialog.NewInformation(u.T("Passphrase changed"), u.T("From now on, unlock Letapis with the new passphrase."), u.win)
				info.SetDismissText(u.T("OK"))
				info.Show()
			}
		}
	})
}

// wipeCountdown is the cancellable countdown before a panic wipe.
type wipeCountdown struct {
	ui      *UI
	left    *widget.Label
	cancel  *widget.Button
	dialog  dialog.Dialog
	stop    chan struct{}
	stopped bool
}

// confirmWipe asks whether to wipe the vault and, if so, starts the
// countdown.
func (u *UI) confirmWipe() {
	d := dialog.NewConfirm(u.T("Wipe this vault?"),
		u.T("Everything in this vault is destroyed on this computer, at once and for good. Records already synced stay with your team; anything not yet synced is lost. Nobody can undo this."),
		func(ok bool) {
			u.touch()
			if ok {
				u.startWipeCountdown()
			}
		}, u.win)
	d.SetConfirmText(u.T("Wipe"))
	d.SetDismissText(u.T("Cancel"))
	d.Show()
}

// startWipeCountdown shows the countdown; when it ends the vault is wiped,
// unless Cancel was tapped or the vault was locked meanwhile.
func (u *UI) startWipeCountdown() {
	c := &wipeCountdown{ui: u, stop: make(chan struct{})}
	c.left = widget.NewLabelWithStyle("", fyne.TextAlignCenter, fyne.TextStyle{Bold: true})
	c.cancel = u.button(u.T("Cancel the wipe"), theme.CancelIcon(), c.abort)
	c.cancel.Importance = widget.HighImportance
	c.dialog = dialog.NewCustomWithoutButtons(u.T("Wiping the vault"), container.NewVBox(c.left, c.cancel), u.win)
	deadline := time.Now().Add(u.cfg.WipeCountdown)
	c.show(u.cfg.WipeCountdown)
	c.dialog.Show()
	session := u.session
	go func() {
		t := time.NewTicker(min(time.Second, u.cfg.WipeCountdown))
		defer t.Stop()
		for {
			select {
			case <-c.stop:
				return
			case <-t.C:
				left := time.Until(deadline)
				u.later(func() {
					if c.stopped || u.session != session {
						return
					}
					if left > 0 {
						c.show(left)
						return
					}
					c.stopped = true
					c.dialog.Hide()
					u.wipe()
				})
				if left <= 0 {
					return
				}
			}
		}
	}()
}

// show displays the seconds left.
func (c *wipeCountdown) show(left time.Duration) {
	c.left.SetText(c.ui.Tf("The vault will be wiped in %d s.", int((left+time.Second-1)/time.Second)))
}

// abort cancels the countdown.
func (c *wipeCountdown) abort() {
	if c.stopped {
		return
	}
	c.stopped = true
	close(c.stop)
	c.dialog.Hide()
}

// wipe destroys the vault at once: the screens are dropped, the key slots
// are overwritten and the store removed (storage.Vault.Wipe), then the
// first-run screen is shown.
func (u *UI) wipe() {
	v := u.vault
	if v == nil {
		return
	}
	u.session++
	u.stopIdle()
	if u.main != nil {
		u.main.drop()
		u.main = nil
	}
	u.vault = nil
	u.show(container.NewCenter(widget.NewLabel(u.T("Wiping…"))))
	u.async(func() func() {
		err := v.Wipe()
		return func() {
			u.showStart()
			if err != nil {
				u.log.Error("wipe vault", "err", err)
				dialog.ShowError(fmt.Errorf("%s %w", u.T("The vault could not be wiped completely:"), err), u.win)
			}
		}
	})
}
