package app

import (
	"errors"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/widget"

	"github.com/letapis/letapis/storage"
	"github.com/letapis/letapis/storage/record"
)

// caseForm adds or edits a case: the person, the arrest, the prosecution,
// the places of detention and the release.
type caseForm struct {
	ui            *UI
	base          record.Case
	person        *recordPicker
	arrested      *widget.Entry
	arrestPlace   *widget.Entry
	detainingBody *widget.Entry
	charges       *widget.Entry
	court         *widget.Entry
	judge         *widget.Entry
	prosecutor    *widget.Entry
	verdict       *widget.Entry
	sentence      *widget.Entry
	regime        *widget.Entry
	spells        *repeater[record.Spell, *spellRow]
	released      *widget.Entry
	frame         *recordForm
	content       fyne.CanvasObject
}

// spellRow is one place of detention: a row of the case form.
type spellRow struct {
	facility *widget.Entry
	kind     *vocabSelect
	from, to *widget.Entry
}

func newCaseForm(u *UI, mode formMode, saved func(*storage.Record), cancel func()) *caseForm {
	f := &caseForm{ui: u}
	if b, ok := mode.base.(*record.Case); ok {
		f.base = *b
	}
	c := f.base
	f.person = u.newRecordPicker(record.KindPerson, false, nonEmpty(c.Person))
	f.arrested = u.dateEntry(c.Arrested)
	f.arrestPlace = u.textEntry(c.ArrestPlace)
	f.detainingBody = u.textEntry(c.DetainingBody)
	f.detainingBody.SetPlaceHolder(u.T("e.g. GUBOPiK, district police"))
	f.charges = u.linesEntry(u.T("One article per line, e.g. Criminal Code 342"), c.Charges)
	f.court = u.textEntry(c.Court)
	f.judge = u.textEntry(c.Judge)
	f.prosecutor = u.textEntry(c.Prosecutor)
	f.verdict = u.dateEntry(c.Verdict)
	f.sentence = u.textEntry(c.Sentence)
	f.sentence.SetPlaceHolder(u.T("e.g. 5 years"))
	f.regime = u.textEntry(c.Regime)
	f.regime.SetPlaceHolder(u.T("e.g. general regime"))
	f.spells = newRepeater(u, "Add place of detention", c.Facilities, func(s record.Spell) (*spellRow, fyne.CanvasObject) {
		r := &spellRow{facility: u.textEntry(s.Facility), kind: u.newVocabSelect(record.VocabFacilityKind, s.Kind),
			from: u.dateEntry(s.From), to: u.dateEntry(s.To)}
		r.facility.SetPlaceHolder(u.T("Facility, e.g. SIZO-1 Minsk"))
		return r, container.New(layout.NewGridLayout(4), r.facility, r.kind.Select, r.from, r.to)
	})
	f.released = u.dateEntry(c.Released)
	items := []*widget.FormItem{
		widget.NewFormItem(u.T("Person"), f.person.Content),
		widget.NewFormItem(u.T("Arrest date"), f.arrested),
		widget.NewFormItem(u.T("Place of arrest"), f.arrestPlace),
		widget.NewFormItem(u.T("Detaining body"), f.detainingBody),
		widget.NewFormItem(u.T("Charges"), f.charges),
		widget.NewFormItem(u.T("Court"), f.court),
		widget.NewFormItem(u.T("Judge"), f.judge),
		widget.NewFormItem(u.T("Prosecutor"), f.prosecutor),
		widget.NewFormItem(u.T("Verdict date"), f.verdict),
		widget.NewFormItem(u.T("Sentence"), f.sentence),
		widget.NewFormItem(u.T("Regime"), f.regime),
		widget.NewFormItem(u.T("Places of detention"), f.spells.Content),
		widget.NewFormItem(u.T("Release date"), f.released),
	}
	items[11].HintText = u.T("Each place with its dates (facility, kind, from, to); a transfer is a new row.")
	f.frame = u.newRecordForm(formSpec{
		title: mode.title("New case", "Edit case"), saveLabel: "Save", items: items,
		build: f.body, commit: mode.commit(), saved: saved, cancel: cancel,
	})
	f.content = f.frame.content
	return f
}

// body builds the case from the fields, over what the record had.
func (f *caseForm) body() (record.Body, error) {
	u := f.ui
	c := f.base
	c.Person = f.person.ID()
	var err error
	if c.Arrested, err = u.parseDateField("Arrest date", f.arrested.Text); err != nil {
		return nil, err
	}
	if c.Verdict, err = u.parseDateField("Verdict date", f.verdict.Text); err != nil {
		return nil, err
	}
	if c.Released, err = u.parseDateField("Release date", f.released.Text); err != nil {
		return nil, err
	}
	c.Facilities = nil
	for i, r := range f.spells.Rows() {
		s, err := r.spell(u, i)
		if err != nil {
			return nil, err
		}
		if s != (record.Spell{}) {
			c.Facilities = append(c.Facilities, s)
		}
	}
	if !c.Arrested.IsZero() && !c.Released.IsZero() && c.Released.Before(c.Arrested) {
		return nil, errors.New(u.T("Release date") + ": " + u.T("is before the arrest."))
	}
	c.ArrestPlace = strings.TrimSpace(f.arrestPlace.Text)
	c.DetainingBody = strings.TrimSpace(f.detainingBody.Text)
	c.Charges = lines(f.charges)
	c.Court = strings.TrimSpace(f.court.Text)
	c.Judge = strings.TrimSpace(f.judge.Text)
	c.Prosecutor = strings.TrimSpace(f.prosecutor.Text)
	c.Sentence = strings.TrimSpace(f.sentence.Text)
	c.Regime = strings.TrimSpace(f.regime.Text)
	return &c, nil
}

// spell reads row i (from 0); an error names the row and the field.
func (r *spellRow) spell(u *UI, i int) (record.Spell, error) {
	s := record.Spell{Facility: strings.TrimSpace(r.facility.Text), Kind: r.kind.Code()}
	place := u.Tf("Place of detention %d", i+1) + ", "
	var err error
	if s.From, err = u.parseDateField("From", r.from.Text); err != nil {
		return s, errors.New(place + err.Error())
	}
	if s.To, err = u.parseDateField("To", r.to.Text); err != nil {
		return s, errors.New(place + err.Error())
	}
	switch {
	case s == (record.Spell{}):
		return s, nil
	case s.Facility == "":
		return s, errors.New(place + u.T("Facility") + ": " + u.T("is required."))
	case !s.From.IsZero() && !s.To.IsZero() && s.To.Before(s.From):
		return s, errors.New(place + u.T("To") + ": " + u.T("is before the start."))
	}
	return s, nil
}

// framedBy implements framed.
func (c *caseForm) framedBy() *recordForm { return c.frame }
