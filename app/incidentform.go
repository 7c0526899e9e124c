package app

import (
	"errors"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/widget"

	"github.com/letapis/letapis/storage"
	"github.com/letapis/letapis/storage/record"
)

// incidentForm adds or edits an incident: what was done (a type of the
// incident-type vocabulary), when, where, to whom and by whom. Its sources
// are kept as the record has them.
type incidentForm struct {
	ui           *UI
	base         record.Incident
	typ          *vocabSelect
	from, to     *widget.Entry
	place        *widget.Entry
	victims      *recordPicker
	perpetrators *widget.Entry
	description  *widget.Entry
	frame        *recordForm
	content      fyne.CanvasObject
}

func newIncidentForm(u *UI, mode formMode, saved func(*storage.Record), cancel func()) *incidentForm {
	f := &incidentForm{ui: u}
	if b, ok := mode.base.(*record.Incident); ok {
		f.base = *b
	}
	in := f.base
	f.typ = u.newVocabSelect(record.VocabIncidentType, in.Type)
	f.from = u.dateEntry(in.From)
	f.to = u.dateEntry(in.To)
	f.place = u.textEntry(in.Place)
	f.place.SetPlaceHolder(u.T("e.g. IK-15 Mogilev"))
	f.victims = u.newRecordPicker(record.KindPerson, true, in.Victims)
	f.perpetrators = u.linesEntry(u.T("One per line: names, units or bodies"), in.Perpetrators)
	f.description = u.multiLine(u.T("What happened"), 6)
	f.description.SetText(in.Description)
	items := []*widget.FormItem{
		widget.NewFormItem(u.T("Type"), f.typ.Select),
		widget.NewFormItem(u.T("From"), f.from),
		widget.NewFormItem(u.T("To"), f.to),
		widget.NewFormItem(u.T("Place"), f.place),
		widget.NewFormItem(u.T("Victims"), f.victims.Content),
		widget.NewFormItem(u.T("Perpetrators"), f.perpetrators),
		widget.NewFormItem(u.T("Description"), f.description),
	}
	items[2].HintText = u.T("Leave empty while it goes on, e.g. a person still held incommunicado.")
	f.frame = u.newRecordForm(formSpec{
		title: mode.title("New incident", "Edit incident"), saveLabel: "Save", items: items,
		build: f.body, commit: mode.commit(), saved: saved, cancel: cancel,
	})
	f.content = f.frame.content
	return f
}

// body builds the incident from the fields, over what the record had.
func (f *incidentForm) body() (record.Body, error) {
	u := f.ui
	in := f.base
	var err error
	if in.From, err = u.parseDateField("From", f.from.Text); err != nil {
		return nil, err
	}
	if in.To, err = u.parseDateField("To", f.to.Text); err != nil {
		return nil, err
	}
	if !in.From.IsZero() && !in.To.IsZero() && in.To.Before(in.From) {
		return nil, errors.New(u.T("To") + ": " + u.T("is before the start."))
	}
	in.Type = f.typ.Code()
	in.Place = strings.TrimSpace(f.place.Text)
	in.Victims = f.victims.IDs()
	in.Perpetrators = lines(f.perpetrators)
	in.Description = strings.TrimSpace(f.description.Text)
	return &in, nil
}

// framedBy implements framed.
func (f *incidentForm) framedBy() *recordForm { return f.frame }
