package app

import (
	"slices"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"

	"github.com/letapis/letapis/storage"
	"github.com/letapis/letapis/storage/record"
)

// testimonyForm records a testimony as a draft, edits a draft, or writes
// an amendment of a sealed one. Sealing is a separate, confirmed step (see
// confirmSeal).
type testimonyForm struct {
	ui          *UI
	base        record.Testimony
	interviewee *widget.Entry
	person      *recordPicker
	relation    *vocabSelect
	interviewer *widget.Entry
	date        *widget.Entry
	place       *widget.Entry
	language    *widget.Entry
	consent     *vocabChecks
	embargo     *widget.Entry
	withdrawn   *widget.Entry
	explained   *widget.Entry
	fears       *widget.Entry
	sensitivity *vocabSelect
	audience    *audienceSelect
	about       *recordPicker
	violations  *vocabChecks
	text        *widget.Entry
	frame       *recordForm
	content     fyne.CanvasObject
}

func newTestimonyForm(u *UI, mode formMode, saved func(*storage.Record), cancel func()) *testimonyForm {
	t := &testimonyForm{ui: u}
	if b, ok := mode.base.(*record.Testimony); ok {
		t.base = *b
	}
	b := &t.base
	t.interviewee = u.textEntry(b.Interviewee)
	t.interviewee.SetPlaceHolder(u.T("Name or pseudonym"))
	t.person = u.newRecordPicker(record.KindPerson, false, []string{b.Person})
	t.relation = u.newVocabSelect(record.VocabRelation, b.Relation)
	t.interviewer = u.textEntry(b.Interviewer)
	t.date = u.dateEntry(b.Date)
	t.place = u.textEntry(b.Place)
	t.language = u.textEntry(b.Language)
	t.language.SetPlaceHolder(u.T("be, ru, en…"))
	t.consent = u.newVocabChecks(record.VocabConsentScope, b.Consent.Scopes)
	t.embargo = u.dateEntry(b.Consent.Embargo)
	t.withdrawn = u.dateEntry(b.Consent.Withdrawn)
	t.explained = u.textEntry(b.Consent.Explained)
	t.explained.SetPlaceHolder(u.T("How the uses were explained, and by whom"))
	t.fears = u.multiLine(u.T("Risks the interviewee raised"), 2)
	t.fears.SetText(b.Consent.Fears)
	def := b.Sensitivity
	if !mode.editing() {
		def = "normal"
	}
	t.sensitivity = u.newVocabSelect(record.VocabSensitivity, def)
	t.audience = u.newAudienceSelect(b.Audience)
	t.about = u.newRecordPicker(record.KindPerson, true, b.About)
	t.violations = u.newVocabChecks(record.VocabIncidentType, b.Violations)
	t.text = u.multiLine(u.T("The account, in the interviewee's words"), 12)
	t.text.SetText(b.Text)
	items := []*widget.FormItem{
		widget.NewFormItem(u.T("Interviewee"), t.interviewee),
		widget.NewFormItem(u.T("Interviewee's record"), t.person.Content),
		widget.NewFormItem(u.T("Relation"), t.relation.Select),
		widget.NewFormItem(u.T("Interviewer"), t.interviewer),
		widget.NewFormItem(u.T("Date"), t.date),
		widget.NewFormItem(u.T("Place"), t.place),
		widget.NewFormItem(u.T("Language"), t.language),
		widget.NewFormItem(u.T("Consent"), t.consent.Group),
		widget.NewFormItem(u.T("Embargo until"), t.embargo),
		widget.NewFormItem(u.T("Consent withdrawn"), t.withdrawn),
		widget.NewFormItem(u.T("Consent explained"), t.explained),
		widget.NewFormItem(u.T("Fears raised"), t.fears),
		widget.NewFormItem(u.T("Sensitivity"), t.sensitivity.Select),
		widget.NewFormItem(u.T("Who can read it"), t.audience.Select),
		widget.NewFormItem(u.T("About"), t.about.Content),
		widget.NewFormItem(u.T("Text"), t.text),
		widget.NewFormItem(u.T("Violations"), t.violations.Group),
	}
	items[7].HintText = u.T("Tick only what the interviewee agreed to.")
	items[8].HintText = u.T("No use outside the team before this date.")
	items[9].HintText = u.T("If the interviewee withdrew consent, the date they did.")
	items[13].HintText = u.T("A restricted group sees it only on its members' devices.")
	title, save := mode.title("New testimony", "Edit testimony"), key("Save as draft")
	if mode.amend {
		title, save = key("Amend sealed testimony"), key("Save amendment as draft")
	}
	t.frame = u.newRecordForm(formSpec{
		title: title, saveLabel: save, items: items,
		build: t.body, commit: mode.commit(), saved: saved, cancel: cancel,
	})
	t.content = t.frame.content
	return t
}

func (t *testimonyForm) body() (record.Body, error) {
	u := t.ui
	b := t.base
	var err error
	if b.Date, err = u.parseDateField("Date", t.date.Text); err != nil {
		return nil, err
	}
	if b.Consent.Embargo, err = u.parseDateField("Embargo until", t.embargo.Text); err != nil {
		return nil, err
	}
	if b.Consent.Withdrawn, err = u.parseDateField("Consent withdrawn", t.withdrawn.Text); err != nil {
		return nil, err
	}
	b.Interviewee = strings.TrimSpace(t.interviewee.Text)
	b.Person = t.person.ID()
	b.Relation = t.relation.Code()
	b.Interviewer = strings.TrimSpace(t.interviewer.Text)
	b.Place = strings.TrimSpace(t.place.Text)
	b.Language = strings.TrimSpace(t.language.Text)
	b.Consent.Scopes = t.consent.Codes()
	b.Consent.Explained = strings.TrimSpace(t.explained.Text)
	b.Consent.Fears = strings.TrimSpace(t.fears.Text)
	b.Sensitivity = t.sensitivity.Code()
	b.Audience = t.audience.ID()
	b.About = t.about.IDs()
	b.Violations = t.violations.Codes()
	b.Text = t.text.Text
	return &b, nil
}

// audienceSelect chooses who can read a testimony: the whole team, or one
// of the restricted audiences this device belongs to. Put its Select in
// layouts (see vocabSelect).
type audienceSelect struct {
	Select *widget.Select
	ids    []string // "" is the whole team
}

// newAudienceSelect offers the whole team and, once read from the vault,
// the restricted audiences; current is chosen.
func (u *UI) newAudienceSelect(current string) *audienceSelect {
	a := &audienceSelect{ids: []string{""}}
	a.Select = widget.NewSelect([]string{u.T("The whole team")}, func(string) { u.touch() })
	a.Select.SetSelectedIndex(0)
	u.background(func(v *storage.Vault) func() {
		auds, err := v.Audiences()
		return func() {
			if err != nil {
				u.log.Warn("read audiences", "err", err)
				return
			}
			options := []string{u.T("The whole team")}
			ids := []string{""}
			for _, r := range auds {
				options = append(options, r.Name)
				ids = append(ids, r.ID)
			}
			if current != "" && !slices.Contains(ids, current) {
				// Not readable here, but kept as it is.
				options = append(options, u.T("A restricted group"))
				ids = append(ids, current)
			}
			a.ids = ids
			a.Select.SetOptions(options)
			a.Select.SetSelectedIndex(max(slices.Index(ids, current), 0))
		}
	})
	return a
}

// ID returns the chosen audience id, "" for the whole team.
func (a *audienceSelect) ID() string {
	if i := a.Select.SelectedIndex(); i > 0 && i < len(a.ids) {
		return a.ids[i]
	}
	return ""
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

// framedBy implements framed.
func (t *testimonyForm) framedBy() *recordForm { return t.frame }
