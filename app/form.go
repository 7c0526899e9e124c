package app

import (
	"errors"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/letapis/letapis/storage"
	"github.com/letapis/letapis/storage/record"
)

// fieldLabels names record fields (as record.FieldError gives them) the way
// the forms label them. Keys are the field paths without indexes.
var fieldLabels = map[string]string{
	"names":             "Name",
	"names.family":      "Family name",
	"names.given":       "Given name",
	"birth":             "Birth date",
	"interviewee":       "Interviewee",
	"date":              "Date",
	"consent.scopes":    "Consent",
	"consent.embargo":   "Embargo until",
	"consent.withdrawn": "Consent withdrawn",
	"text":              "Text",
}

// problems are the record.FieldError problems the forms can cause, with a
// wording for people.
var problems = map[string]string{
	"is empty":                                        "is required.",
	"has neither a given nor a family name":           "needs a given or a family name.",
	"needs at least one name":                         "is required.",
	"is empty: record what the interviewee agreed to": "needs at least one box ticked: record what the interviewee agreed to.",
}

// saveError words a failed save, naming the field at fault for a
// record.FieldError.
func (u *UI) saveError(err error) string {
	var fe *record.FieldError
	if !errors.As(err, &fe) {
		return u.errorText(err)
	}
	path := fe.Field
	for strings.Contains(path, "[") {
		i, j := strings.Index(path, "["), strings.Index(path, "]")
		if j < i {
			break
		}
		path = path[:i] + path[j+1:]
	}
	name := fe.Field
	if l, ok := fieldLabels[path]; ok {
		name = u.T(l)
	}
	problem := fe.Problem
	if p, ok := problems[fe.Problem]; ok {
		problem = u.T(p)
	}
	return name + ": " + problem
}

// parseDateField parses a partial date typed into the field called label.
func (u *UI) parseDateField(label, text string) (record.Date, error) {
	d, err := record.ParseDate(strings.TrimSpace(text))
	if err != nil {
		return d, errors.New(u.T(label) + ": " + u.T("use YYYY, YYYY-MM or YYYY-MM-DD, with ~ in front for an estimate."))
	}
	return d, nil
}

// recordForm is the frame shared by the add forms: a title, the fields, an
// error line and Save / Cancel. The save function runs on the UI goroutine
// to build the body; the vault call runs in the background.
type recordForm struct {
	ui      *UI
	form    *widget.Form
	problem *widget.Label
	save    *widget.Button
	cancel  *widget.Button
	busy    *widget.Activity
	content fyne.CanvasObject
	saving  bool
}

// newRecordForm frames items; build returns the body to add or an error
// to show; saved receives the new record.
func (u *UI) newRecordForm(title, saveLabel string, items []*widget.FormItem, build func() (record.Body, error), saved func(*storage.Record), cancel func()) *recordForm {
	f := &recordForm{ui: u}
	f.form = widget.NewForm(items...)
	f.problem = paragraph("")
	f.problem.Importance = widget.DangerImportance
	f.busy = widget.NewActivity()
	f.busy.Hide()
	f.save = u.button(u.T(saveLabel), theme.DocumentSaveIcon(), func() {
		if f.saving {
			return
		}
		body, err := build()
		if err != nil {
			f.problem.SetText(err.Error())
			return
		}
		if err := body.Validate(); err != nil {
			f.problem.SetText(u.saveError(err))
			return
		}
		f.saving = true
		f.save.Disable()
		f.problem.SetText("")
		f.busy.Show()
		f.busy.Start()
		u.background(func(v *storage.Vault) func() {
			r, err := v.Add(body)
			return func() {
				f.saving = false
				f.busy.Stop()
				f.busy.Hide()
				f.save.Enable()
				if err != nil {
					f.problem.SetText(u.saveError(err))
					return
				}
				u.kickSync()
				saved(r)
			}
		})
	})
	f.save.Importance = widget.HighImportance
	f.cancel = u.button(u.T("Cancel"), theme.CancelIcon(), cancel)
	box := container.NewVBox(
		heading(u.T(title)),
		f.form,
		f.problem,
		container.NewHBox(layout.NewSpacer(), f.busy, f.cancel, f.save),
	)
	f.content = container.NewVScroll(container.NewPadded(box))
	return f
}
