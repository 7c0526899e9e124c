package app

import (
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"

	"github.com/letapis/letapis/storage"
	"github.com/letapis/letapis/storage/record"
)

// testimonyForm records a testimony as a draft; sealing is a separate,
// confirmed step (see confirmSeal).
type testimonyForm struct {
	ui          *UI
	interviewee *widget.Entry
	relation    *vocabSelect
	date        *widget.Entry
	place       *widget.Entry
	consent     *vocabChecks
	sensitivity *vocabSelect
	violations  *vocabChecks
	text        *widget.Entry
	frame       *recordForm
	content     fyne.CanvasObject
}

func newTestimonyForm(u *UI, saved func(*storage.Record), cancel func()) *testimonyForm {
	t := &testimonyForm{ui: u}
	t.interviewee = u.entry(u.T("Name or pseudonym"))
	t.relation = u.newVocabSelect(record.VocabRelation, "")
	t.date = u.entry(u.T("YYYY, YYYY-MM or YYYY-MM-DD"))
	t.place = u.entry("")
	t.consent = u.newVocabChecks(record.VocabConsentScope)
	t.sensitivity = u.newVocabSelect(record.VocabSensitivity, "normal")
	t.violations = u.newVocabChecks(record.VocabIncidentType)
	t.text = u.multiLine(u.T("The account, in the interviewee's words"), 12)
	items := []*widget.FormItem{
		widget.NewFormItem(u.T("Interviewee"), t.interviewee),
		widget.NewFormItem(u.T("Relation"), t.relation.Select),
		widget.NewFormItem(u.T("Date"), t.date),
		widget.NewFormItem(u.T("Place"), t.place),
		widget.NewFormItem(u.T("Consent"), t.consent.Group),
		widget.NewFormItem(u.T("Sensitivity"), t.sensitivity.Select),
		widget.NewFormItem(u.T("Text"), t.text),
		widget.NewFormItem(u.T("Violations"), t.violations.Group),
	}
	items[4].HintText = u.T("Tick only what the interviewee agreed to.")
	t.frame = u.newRecordForm("New testimony", "Save as draft", items, t.body, saved, cancel)
	t.content = t.frame.content
	return t
}

func (t *testimonyForm) body() (record.Body, error) {
	d, err := t.ui.parseDateField("Date", t.date.Text)
	if err != nil {
		return nil, err
	}
	return &record.Testimony{
		Interviewee: strings.TrimSpace(t.interviewee.Text),
		Relation:    t.relation.Code(),
		Date:        d,
		Place:       strings.TrimSpace(t.place.Text),
		Language:    "",
		Consent:     record.Consent{Scopes: t.consent.Codes()},
		Sensitivity: t.sensitivity.Code(),
		Violations:  t.violations.Codes(),
		Text:        t.text.Text,
	}, nil
}

// confirmSeal asks before sealing testimony id, seals it in the background
// and calls sealed; a failure is shown in problem.
func (u *UI) confirmSeal(id string, problem *widget.Label, sealed func()) {
	d := dialog.NewConfirm(u.T("Seal this testimony?"),
		u.T("Sealing cannot be undone. The testimony will never change again; corrections will be new testimonies that point to it."),
		func(ok bool) {
			u.touch()
			if !ok {
				return
			}
			u.background(func(v *storage.Vault) func() {
				_, err := v.Seal(id)
				return func() {
					if err != nil {
						problem.SetText(u.errorText(err))
						problem.Show()
						return
					}
					u.kickSync()
					sealed()
				}
			})
		}, u.win)
	d.SetConfirmText(u.T("Seal"))
	d.SetDismissText(u.T("Cancel"))
	d.Show()
}
