package app

import (
	"unicode/utf8"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/letapis/letapis/storage"
)

// firstRunScreen creates a vault: the passphrase twice, its strength, and
// the reason the Create button is not available yet.
type firstRunScreen struct {
	ui       *UI
	pass     *widget.Entry
	confirm  *widget.Entry
	meter    *widget.ProgressBar
	grade    *widget.Label
	advice   *widget.Label
	why      *widget.Label
	create   *widget.Button
	busy     *widget.Activity
	problem  *widget.Label
	content  fyne.CanvasObject
	creating bool
}

func newFirstRunScreen(u *UI) *firstRunScreen {
	s := &firstRunScreen{ui: u}
	s.pass = widget.NewPasswordEntry()
	s.pass.SetPlaceHolder(u.T("Passphrase"))
	s.confirm = widget.NewPasswordEntry()
	s.confirm.SetPlaceHolder(u.T("Passphrase again"))
	s.pass.OnChanged = func(string) { s.changed() }
	s.confirm.OnChanged = func(string) { s.changed() }
	s.confirm.OnSubmitted = func(string) { s.submit() }
	s.meter = widget.NewProgressBar()
	s.meter.TextFormatter = func() string { return "" }
	s.grade = widget.NewLabel("")
	s.advice = paragraph("")
	s.why = paragraph("")
	s.why.Importance = widget.WarningImportance
	s.problem = paragraph("")
	s.problem.Importance = widget.DangerImportance
	s.busy = widget.NewActivity()
	s.busy.Hide()
	s.create = u.button(u.T("Create vault"), theme.ConfirmIcon(), s.submit)
	s.create.Importance = widget.HighImportance

	form := container.NewVBox(
		heading(u.T("Welcome to Letapis")),
		paragraph(u.T("Everything you record is kept encrypted in a vault on this computer. Choose a passphrase to protect it: several random words are easier to remember and harder to guess than a short password.")),
		paragraph(u.Tf("Vault folder: %s", u.cfg.VaultDir)),
		widget.NewLabel(u.T("Passphrase")), s.pass,
		widget.NewLabel(u.T("Type it again")), s.confirm,
		container.NewBorder(nil, nil, widget.NewLabel(u.T("Strength:")), s.grade, s.meter),
		s.advice,
		s.why,
		container.NewHBox(s.create, s.busy),
		s.problem,
		widget.NewSeparator(),
		container.NewHBox(widget.NewLabel(u.T("Language")), u.languageSelect()),
	)
	s.content = container.NewCenter(container.New(layout.NewGridWrapLayout(fyne.NewSize(560, 640)), container.NewVScroll(form)))
	s.changed()
	return s
}

// changed re-grades the passphrase and decides whether Create is allowed.
func (s *firstRunScreen) changed() {
	u := s.ui
	u.touch()
	p := s.pass.Text
	grade, bits, warnings := rateStrength(p)
	s.meter.SetValue(min(bits/90, 1))
	if p == "" {
		s.meter.Hide()
	} else {
		s.meter.Show()
	}
	switch {
	case p == "":
		s.grade.SetText("")
	case grade == strengthStrong:
		s.grade.SetText(u.T("strong"))
	case grade == strengthFair:
		s.grade.SetText(u.T("fair"))
	default:
		s.grade.SetText(u.T("weak"))
	}
	text := ""
	for _, w := range warnings {
		text += "• " + u.T(w) + "\n"
	}
	if p != "" {
		text += u.T("This is an estimate. Best: five or more random words that you do not use anywhere else.")
	}
	s.advice.SetText(text)

	why := ""
	switch {
	case utf8.RuneCountInString(p) < minPassphrase:
		why = u.Tf("Create is available once the passphrase has at least %d characters.", minPassphrase)
	case s.confirm.Text != p:
		why = u.T("Create is available once both passphrases match.")
	}
	s.why.SetText(why)
	if why == "" && !s.creating {
		s.create.Enable()
	} else {
		s.create.Disable()
	}
}

// submit creates the vault; key derivation runs off the UI goroutine.
func (s *firstRunScreen) submit() {
	u := s.ui
	if s.creating || s.create.Disabled() {
		return
	}
	s.creating = true
	s.create.Disable()
	s.pass.Disable()
	s.confirm.Disable()
	s.problem.SetText("")
	s.busy.Show()
	s.busy.Start()
	pass, dir, opts := s.pass.Text, u.cfg.VaultDir, u.options()
	u.async(func() func() {
		v, err := storage.Create(dir, pass, opts)
		return func() {
			s.busy.Stop()
			s.busy.Hide()
			s.creating = false
			s.pass.Enable()
			s.confirm.Enable()
			if err != nil {
				s.problem.SetText(u.errorText(err))
				s.changed()
				return
			}
			s.pass.SetText("")
			s.confirm.SetText("")
			u.vault = v
			u.unlocked()
			kit := newRecoveryScreen(u)
			u.show(kit.content)
			u.win.Canvas().Focus(kit.understand)
		}
	})
}

// recoveryScreen is the recovery kit: what to do with the passphrase.
type recoveryScreen struct {
	ui         *UI
	understand *widget.Button
	content    fyne.CanvasObject
}

func newRecoveryScreen(u *UI) *recoveryScreen {
	s := &recoveryScreen{ui: u}
	s.understand = u.button(u.T("I understand"), theme.ConfirmIcon(), u.showMain)
	s.understand.Importance = widget.HighImportance
	box := container.NewVBox(
		heading(u.T("Your recovery kit")),
		paragraph(u.T("1. Write the passphrase on paper now. Keep the paper somewhere safe and apart from this laptop: not in its bag, not on a sticker, not in a file or photo on this computer or your phone.")),
		paragraph(u.T("2. Nobody can reset the passphrase: not your coordinator, not the Letapis developers. If it is lost, the records in this vault are lost with it, except what was already synced to your team.")),
		paragraph(u.T("3. Wiping the vault destroys everything in it at once and for good. Use it only when you must.")),
		paragraph(u.T("4. Lock Letapis (Ctrl+L) whenever you step away. It also locks itself after a few minutes without use.")),
		container.NewHBox(layout.NewSpacer(), s.understand),
	)
	s.content = container.NewCenter(container.New(layout.NewGridWrapLayout(fyne.NewSize(560, 460)), box))
	return s
}
