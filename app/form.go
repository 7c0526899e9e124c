package app

import (
	"errors"
	"fmt"
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

	// Cases and incidents.
	"person":              "Person",
	"arrested":            "Arrest date",
	"verdict":             "Verdict date",
	"released":            "Release date",
	"facilities.facility": "Facility",
	"facilities.from":     "From",
	"facilities.to":       "To",
	"type":                "Type",
	"period.from":         "From",
	"period.to":           "To",
	"victims":             "Victims",
}

// problems are the record.FieldError problems the forms can cause, with a
// wording for people.
var problems = map[string]string{
	"is empty":                                        "is required.",
	"has neither a given nor a family name":           "needs a given or a family name.",
	"needs at least one name":                         "is required.",
	"is empty: record what the interviewee agreed to": "needs at least one box ticked: record what the interviewee agreed to.",
	"needs at least one record id":                    "needs at least one: type a name and pick the record.",
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

// commitFunc stores a form's body in the vault: as a new record, as a new
// revision of an existing one, or as an amendment of a sealed testimony.
type commitFunc func(v *storage.Vault, b record.Body) (*storage.Record, error)

// formMode says what a form is for. The zero value adds a new record. With
// id set, the form edits record id, prefilled from base; fields the form does
// not show are kept as base has them. With amend also set, id is a sealed
// testimony and Save adds a new testimony that corrects it (Vault.Amend).
type formMode struct {
	id    string
	base  record.Body
	amend bool
}

// editing reports whether the form changes or amends an existing record.
func (m formMode) editing() bool { return m.id != "" }

// commit returns how Save stores the body.
func (m formMode) commit() commitFunc {
	switch {
	case m.amend:
		id := m.id
		return func(v *storage.Vault, b record.Body) (*storage.Record, error) {
			t, ok := b.(*record.Testimony)
			if !ok {
				return nil, fmt.Errorf("amend %s: only a testimony can be amended", id)
			}
			return v.Amend(id, t)
		}
	case m.id != "":
		id := m.id
		return func(v *storage.Vault, b record.Body) (*storage.Record, error) { return v.Update(id, b) }
	}
	return func(v *storage.Vault, b record.Body) (*storage.Record, error) { return v.Add(b) }
}

// title picks the form's heading (English key) for its mode.
func (m formMode) title(add, edit string) string {
	if m.editing() {
		return edit
	}
	return add
}

// formSpec is what newRecordForm frames.
type formSpec struct {
	// title and saveLabel are English keys.
	title, saveLabel string
	items            []*widget.FormItem
	// build runs on the UI goroutine and returns the body to save, or an
	// error (already worded for people) to show.
	build func() (record.Body, error)
	// commit stores the body; it runs in the background.
	commit commitFunc
	// saved receives the stored record; cancel leaves the form.
	saved  func(*storage.Record)
	cancel func()
}

// recordForm is the frame shared by the record forms: a title, the fields,
// an error line and Save / Cancel. The body is built and validated on the UI
// goroutine; the vault call runs in the background.
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

// newRecordForm frames the fields of spec.
func (u *UI) newRecordForm(spec formSpec) *recordForm {
	f := &recordForm{ui: u}
	for _, it := range spec.items {
		wrapHint(it)
	}
	f.form = widget.NewForm(spec.items...)
	f.problem = paragraph("")
	f.problem.Importance = widget.DangerImportance
	f.busy = widget.NewActivity()
	f.busy.Hide()
	f.save = u.button(u.T(spec.saveLabel), theme.DocumentSaveIcon(), func() {
		if f.saving {
			return
		}
		body, err := spec.build()
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
		spin(f.busy, true)
		u.background(func(v *storage.Vault) func() {
			r, err := spec.commit(v, body)
			return func() {
				f.saving = false
				spin(f.busy, false)
				f.save.Enable()
				if err != nil {
					f.problem.SetText(u.saveError(err))
					return
				}
				u.kickSync()
				spec.saved(r)
			}
		})
	})
	f.save.Importance = widget.HighImportance
	f.cancel = u.button(u.T("Cancel"), theme.CancelIcon(), spec.cancel)
	box := container.NewVBox(
		heading(u.T(spec.title)),
		f.form,
		f.problem,
		container.NewHBox(layout.NewSpacer(), f.busy, f.cancel, f.save),
	)
	f.content = container.NewVScroll(container.NewPadded(box))
	return f
}

// wrapHint moves a form item's hint into a small wrapping label under its
// widget: Fyne draws HintText on one line, and a long hint (or its
// translation) would widen the window past the screen.
func wrapHint(it *widget.FormItem) {
	if it.HintText == "" {
		return
	}
	hint := widget.NewLabel(it.HintText)
	hint.Wrapping = fyne.TextWrapWord
	hint.SizeName = theme.SizeNameCaptionText
	hint.Importance = widget.LowImportance
	it.Widget = container.NewVBox(it.Widget, hint)
	it.HintText = ""
}

// formBuilder builds the form of one kind of record in mode and returns it
// with its content.
type formBuilder func(u *UI, mode formMode, saved func(*storage.Record), cancel func()) (any, fyne.CanvasObject)

// formFor returns the builder of the form of kind k, nil if the app has no
// form for k.
func formFor(k record.Kind) formBuilder {
	switch k {
	case record.KindPerson:
		return adapt(newPersonForm)
	case record.KindTestimony:
		return adapt(newTestimonyForm)
	case record.KindNote:
		return adapt(newNoteForm)
	case record.KindCase:
		return adapt(newCaseForm)
	case record.KindIncident:
		return adapt(newIncidentForm)
	}
	return nil
}

// framed is a record form: it has its frame.
type framed interface{ framedBy() *recordForm }

// adapt makes a formBuilder of a form's constructor.
func adapt[F framed](newForm func(*UI, formMode, func(*storage.Record), func()) F) formBuilder {
	return func(u *UI, mode formMode, saved func(*storage.Record), cancel func()) (any, fyne.CanvasObject) {
		f := newForm(u, mode, saved, cancel)
		return f, f.framedBy().content
	}
}

// newForm builds the form for records of kind k in mode; nil if the app has
// no form for k.
func (u *UI) newForm(k record.Kind, mode formMode, saved func(*storage.Record), cancel func()) (any, fyne.CanvasObject) {
	if b := formFor(k); b != nil {
		return b(u, mode, saved, cancel)
	}
	return nil, nil
}
