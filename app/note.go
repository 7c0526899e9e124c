package app

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/widget"

	"github.com/letapis/letapis/storage"
	"github.com/letapis/letapis/storage/record"
)

// noteForm adds a dated case note.
type noteForm struct {
	ui      *UI
	date    *widget.Entry
	text    *widget.Entry
	frame   *recordForm
	content fyne.CanvasObject
}

func newNoteForm(u *UI, saved func(*storage.Record), cancel func()) *noteForm {
	n := &noteForm{ui: u}
	n.date = u.entry(u.T("YYYY, YYYY-MM or YYYY-MM-DD"))
	n.text = u.multiLine(u.T("A hearing, a letter sent, a follow-up due…"), 10)
	items := []*widget.FormItem{
		widget.NewFormItem(u.T("Date"), n.date),
		widget.NewFormItem(u.T("Text"), n.text),
	}
	n.frame = u.newRecordForm("New note", "Save", items, n.body, saved, cancel)
	n.content = n.frame.content
	return n
}

func (n *noteForm) body() (record.Body, error) {
	d, err := n.ui.parseDateField("Date", n.date.Text)
	if err != nil {
		return nil, err
	}
	return &record.Note{Date: d, Text: n.text.Text}, nil
}
