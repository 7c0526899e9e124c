package app

import (
	"unicode/utf8"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"
)

// passphraseFields choose a new passphrase: typed twice, with its strength
// and advice shown as it is typed, and the reason it cannot be used yet.
// The first-run screen and Change passphrase share them.
type passphraseFields struct {
	ui      *UI
	pass    *widget.Entry
	confirm *widget.Entry
	meter   *widget.ProgressBar
	grade   *widget.Label
	advice  *widget.Label
	why     *widget.Label
	// changed is called after every keystroke with whether the
	// passphrase can be used.
	changed func(ok bool)
	// content is the fields, labelled, with the meter and advice.
	content fyne.CanvasObject
}

func (u *UI) newPassphraseFields(changed func(ok bool), submit func()) *passphraseFields {
	f := &passphraseFields{ui: u, changed: changed}
	f.pass = widget.NewPasswordEntry()
	f.pass.SetPlaceHolder(u.T("Passphrase"))
	f.confirm = widget.NewPasswordEntry()
	f.confirm.SetPlaceHolder(u.T("Passphrase again"))
	f.pass.OnChanged = func(string) { f.check() }
	f.confirm.OnChanged = func(string) { f.check() }
	f.confirm.OnSubmitted = func(string) { submit() }
	f.meter = widget.NewProgressBar()
	f.meter.TextFormatter = func() string { return "" }
	f.grade = widget.NewLabel("")
	f.advice = paragraph("")
	f.why = paragraph("")
	f.why.Importance = widget.WarningImportance
	f.content = container.NewVBox(
		widget.NewLabel(u.T("Passphrase")), f.pass,
		widget.NewLabel(u.T("Type it again")), f.confirm,
		container.NewBorder(nil, nil, widget.NewLabel(u.T("Strength:")), f.grade, f.meter),
		f.advice,
		f.why,
	)
	f.check()
	return f
}

// check re-grades the passphrase, says why it cannot be used yet, and
// reports whether it can.
func (f *passphraseFields) check() bool {
	u := f.ui
	u.touch()
	p := f.pass.Text
	grade, bits, warnings := rateStrength(p)
	f.meter.SetValue(min(bits/90, 1))
	if p == "" {
		f.meter.Hide()
	} else {
		f.meter.Show()
	}
	switch {
	case p == "":
		f.grade.SetText("")
	case grade == strengthStrong:
		f.grade.SetText(u.T("strong"))
	case grade == strengthFair:
		f.grade.SetText(u.T("fair"))
	default:
		f.grade.SetText(u.T("weak"))
	}
	text := ""
	for _, w := range warnings {
		text += "• " + u.T(w) + "\n"
	}
	if p != "" {
		text += u.T("This is an estimate. Best: five or more random words that you do not use anywhere else.")
	}
	f.advice.SetText(text)

	why := ""
	switch {
	case utf8.RuneCountInString(p) < minPassphrase:
		why = u.Tf("The passphrase needs at least %d characters.", minPassphrase)
	case f.confirm.Text != p:
		why = u.T("The two passphrases do not match yet.")
	}
	f.why.SetText(why)
	if f.changed != nil {
		f.changed(why == "")
	}
	return why == ""
}

// enable turns both entries on or off.
func (f *passphraseFields) enable(on bool) {
	for _, e := range []*widget.Entry{f.pass, f.confirm} {
		if on {
			e.Enable()
		} else {
			e.Disable()
		}
	}
}

// clear empties both entries.
func (f *passphraseFields) clear() {
	f.pass.SetText("")
	f.confirm.SetText("")
}
