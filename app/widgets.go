package app

import (
	"fyne.io/fyne/v2"
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
// with def chosen ("" for none).
func (u *UI) newVocabSelect(vocab, def string) *vocabSelect {
	terms := record.BuiltinTerms(vocab)
	vs := &vocabSelect{}
	labels := make([]string, len(terms))
	for i, t := range terms {
		labels[i] = t.Labels.In(u.Lang())
		vs.codes = append(vs.codes, t.Code)
	}
	vs.Select = widget.NewSelect(labels, func(string) { u.touch() })
	vs.Select.PlaceHolder = u.T("(not set)")
	for i, c := range vs.codes {
		if c == def {
			vs.Select.SetSelectedIndex(i)
		}
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

// newVocabChecks builds a vocabChecks over the built-in terms of vocab.
func (u *UI) newVocabChecks(vocab string) *vocabChecks {
	terms := record.BuiltinTerms(vocab)
	vc := &vocabChecks{codes: map[string]string{}}
	labels := make([]string, len(terms))
	for i, t := range terms {
		labels[i] = t.Labels.In(u.Lang())
		vc.codes[labels[i]] = t.Code
		vc.order = append(vc.order, t.Code)
	}
	vc.Group = widget.NewCheckGroup(labels, func([]string) { u.touch() })
	return vc
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
