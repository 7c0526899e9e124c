package app

import (
	"runtime/debug"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/letapis/letapis/assets"
	"github.com/letapis/letapis/storage"
)

// unlockScreen asks for the passphrase and opens the vault.
type unlockScreen struct {
	ui      *UI
	pass    *widget.Entry
	unlock  *widget.Button
	busy    *widget.Activity
	problem *widget.Label
	content fyne.CanvasObject
	opening bool
}

func newUnlockScreen(u *UI) *unlockScreen {
	s := &unlockScreen{ui: u}
	s.pass = widget.NewPasswordEntry()
	s.pass.SetPlaceHolder(u.T("Passphrase"))
	s.pass.OnChanged = func(string) { s.problem.SetText("") }
	s.pass.OnSubmitted = func(string) { s.submit() }
	s.unlock = u.button(u.T("Unlock"), theme.LoginIcon(), s.submit)
	s.unlock.Importance = widget.HighImportance
	s.busy = widget.NewActivity()
	s.busy.Hide()
	s.problem = paragraph("")
	s.problem.Importance = widget.DangerImportance
	icon := canvas.NewImageFromResource(assets.Icon)
	icon.FillMode = canvas.ImageFillContain
	icon.SetMinSize(fyne.NewSize(96, 96))
	box := container.NewVBox(
		container.NewCenter(icon),
		container.NewCenter(heading(u.T("Letapis is locked"))),
		paragraph(u.T("Enter your passphrase to unlock the vault.")),
		s.pass,
		container.NewHBox(layout.NewSpacer(), s.busy, s.unlock),
		s.problem,
		widget.NewSeparator(),
		container.NewHBox(widget.NewLabel(u.T("Language")), u.languageSelect()),
	)
	s.content = container.NewCenter(container.New(layout.NewGridWrapLayout(fyne.NewSize(460, 420)), box))
	return s
}

// submit opens the vault off the UI goroutine: key derivation takes about a
// second on purpose.
func (s *unlockScreen) submit() {
	u := s.ui
	if s.opening {
		return
	}
	if s.pass.Text == "" {
		s.problem.SetText(u.T("Enter the passphrase first."))
		return
	}
	s.opening = true
	s.unlock.Disable()
	s.pass.Disable()
	s.problem.SetText("")
	spin(s.busy, true)
	pass, dir, opts := s.pass.Text, u.cfg.VaultDir, u.options()
	u.async(func() func() {
		start := time.Now()
		v, err := storage.Open(dir, pass, opts)
		took := time.Since(start)
		if err == nil {
			// The key derivation's 256 MiB are garbage now: give them
			// back to the system rather than keep them as idle heap for
			// as long as the vault stays open.
			debug.FreeOSMemory()
			if f := u.cfg.opened; f != nil {
				f()
			}
		}
		return func() {
			s.opening = false
			spin(s.busy, false)
			s.unlock.Enable()
			s.pass.Enable()
			if err != nil {
				u.log.Info("unlock failed", "err", err)
				s.pass.SetText("")
				s.problem.SetText(u.errorText(err))
				u.win.Canvas().Focus(s.pass)
				return
			}
			s.pass.SetText("")
			u.log.Info("vault unlocked", "took", took.Round(time.Millisecond))
			u.vault = v
			u.unlocked()
			u.showMain()
		}
	})
}
