package app

import (
	"slices"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"github.com/letapis/letapis/storage/record"
)

// button makes a button whose tap counts as activity.
func (u *UI) button(label string, icon fyne.Resource, tapped func()) *widget.Button {
	return widget.NewButtonWithIcon(label, icon, func() {
		u.touch()
		tapped()
	})
}

// entry makes a one-line field whose typing counts as activity.
func (u *UI) entry(placeholder string) *widget.Entry {
	e := widget.NewEntry()
	e.SetPlaceHolder(placeholder)
	e.OnChanged = func(string) { u.touch() }
	return e
}

// multiLine makes a multi-line field whose typing counts as activity.
func (u *UI) multiLine(placeholder string, rows int) *widget.Entry {
	e := widget.NewMultiLineEntry()
	e.SetPlaceHolder(placeholder)
	e.Wrapping = fyne.TextWrapWord
	e.SetMinRowsVisible(rows)
	e.OnChanged = func(string) { u.touch() }
	return e
}

// vocabSelect is a drop-down of a vocabulary's terms, labelled in the UI
// language, that reports the chosen code. Put its Select in layouts: Fyne
// finds a widget's canvas by the widget itself, so the Select must not be
// embedded in another type.
type vocabSelect struct {
	Select *widget.Select
	codes  []string
}

// newVocabSelect builds a vocabSelect over the built-in terms of vocab,
// with def chosen ("" for none). A code that is not built in (a team's own
// term) is offered as it is, so that editing a record keeps it.
func (u *UI) newVocabSelect(vocab, def string) *vocabSelect {
	labels, codes := vocabOptions(u.Lang(), vocab, []string{def})
	// The first option clears the choice.
	vs := &vocabSelect{codes: append([]string{""}, codes...)}
	vs.Select = widget.NewSelect(append([]string{u.T("(not set)")}, labels...), func(string) { u.touch() })
	vs.Select.PlaceHolder = u.T("(not set)")
	if i := slices.Index(vs.codes, def); i > 0 {
		vs.Select.SetSelectedIndex(i)
	}
	return vs
}

// Code returns the chosen code, or "".
func (vs *vocabSelect) Code() string {
	if i := vs.Select.SelectedIndex(); i >= 0 {
		return vs.codes[i]
	}
	return ""
}

// vocabChecks is a group of check boxes over a vocabulary's terms. Put its
// Group in layouts (see vocabSelect).
type vocabChecks struct {
	Group *widget.CheckGroup
	codes map[string]string // label -> code
	order []string          // codes in vocabulary order
}

// newVocabChecks builds a vocabChecks over the built-in terms of vocab,
// with the codes on ticked (codes that are not built in are offered too).
func (u *UI) newVocabChecks(vocab string, on []string) *vocabChecks {
	labels, codes := vocabOptions(u.Lang(), vocab, on)
	vc := &vocabChecks{codes: map[string]string{}, order: codes}
	for i, l := range labels {
		vc.codes[l] = codes[i]
	}
	vc.Group = widget.NewCheckGroup(labels, func([]string) { u.touch() })
	var ticked []string
	for _, c := range on {
		if i := slices.Index(codes, c); i >= 0 {
			ticked = append(ticked, labels[i])
		}
	}
	vc.Group.Selected = ticked
	return vc
}

// vocabOptions returns the labels (in language lang) and codes of the
// built-in terms of vocab, followed by those of extra that are not built in
// (labelled by their code).
func vocabOptions(lang, vocab string, extra []string) (labels, codes []string) {
	for _, t := range record.BuiltinTerms(vocab) {
		labels = append(labels, t.Labels.In(lang))
		codes = append(codes, t.Code)
	}
	for _, c := range extra {
		if c != "" && !slices.Contains(codes, c) {
			labels = append(labels, c)
			codes = append(codes, c)
		}
	}
	return labels, codes
}

// Codes returns the checked codes in vocabulary order.
func (vc *vocabChecks) Codes() []string {
	on := map[string]bool{}
	for _, l := range vc.Group.Selected {
		on[vc.codes[l]] = true
	}
	var out []string
	for _, c := range vc.order {
		if on[c] {
			out = append(out, c)
		}
	}
	return out
}

// spin shows and starts an activity indicator, or stops and hides it.
func spin(a *widget.Activity, on bool) {
	if on {
		a.Show()
		a.Start()
		return
	}
	a.Stop()
	a.Hide()
}

// card makes a card whose subtitle (if any) wraps: Fyne draws a card's
// subtitle on one line, and a long one (or its translation) would widen the
// window past the screen.
func card(title, subtitle string, content fyne.CanvasObject) *widget.Card {
	if subtitle != "" {
		text := widget.NewLabel(subtitle)
		text.Wrapping = fyne.TextWrapWord
		text.Importance = widget.LowImportance
		content = container.NewVBox(text, content)
	}
	return widget.NewCard(title, "", content)
}

// heading makes a bold label. It does not wrap, so it keeps its width in
// centred and horizontal boxes.
func heading(text string) *widget.Label {
	return widget.NewLabelWithStyle(text, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
}

// paragraph makes a wrapping label.
func paragraph(text string) *widget.Label {
	l := widget.NewLabel(text)
	l.Wrapping = fyne.TextWrapWord
	return l
}

// languageSelect is the interface language drop-down; choosing a language
// rebuilds the UI in it.
func (u *UI) languageSelect() *widget.Select {
	names := make([]string, len(Languages))
	for i, l := range Languages {
		names[i] = l.Name
	}
	sel := widget.NewSelect(names, nil)
	for i, l := range Languages {
		if l.Code == u.Lang() {
			sel.SetSelectedIndex(i)
		}
	}
	sel.OnChanged = func(string) {
		u.touch()
		if i := sel.SelectedIndex(); i >= 0 && Languages[i].Code != u.Lang() {
			code := Languages[i].Code
			// Let the drop-down finish its own callback before the UI is rebuilt.
			u.later(func() { u.SetLanguage(code) })
		}
	}
	return sel
}
