package app

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/widget"

	"github.com/letapis/letapis/storage"
	"github.com/letapis/letapis/storage/record"
)

// noteForm adds or edits a dated note about a record.
type noteForm struct {
	ui      *UI
	base    record.Note
	about   *recordPicker
	date    *widget.Entry
	text    *widget.Entry
	frame   *recordForm
	content fyne.CanvasObject
}

func newNoteForm(u *UI, mode formMode, saved func(*storage.Record), cancel func()) *noteForm {
	n := &noteForm{ui: u}
	if b, ok := mode.base.(*record.Note); ok {
		n.base = *b
	}
	n.about = u.newRecordPicker("", false, []string{n.base.About})
	n.date = u.dateEntry(n.base.Date)
	n.text = u.multiLine(u.T("A hearing, a letter sent, a follow-up due…"), 10)
	n.text.SetText(n.base.Text)
	items := []*widget.FormItem{
		widget.NewFormItem(u.T("About"), n.about.Content),
		widget.NewFormItem(u.T("Date"), n.date),
		widget.NewFormItem(u.T("Text"), n.text),
	}
	n.frame = u.newRecordForm(formSpec{
		title: mode.title("New note", "Edit note"), saveLabel: "Save", items: items,
		build: n.body, commit: mode.commit(), saved: saved, cancel: cancel,
	})
	n.content = n.frame.content
	return n
}

func (n *noteForm) body() (record.Body, error) {
	b := n.base
	var err error
	if b.Date, err = n.ui.parseDateField("Date", n.date.Text); err != nil {
		return nil, err
	}
	b.About = n.about.ID()
	b.Text = n.text.Text
	return &b, nil
}

// framedBy implements framed.
func (n *noteForm) framedBy() *recordForm { return n.frame }
