package app

import (
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/widget"

	"github.com/letapis/letapis/storage"
	"github.com/letapis/letapis/storage/record"
)

// personForm adds a person: one spelling of the name, status, birth date.
type personForm struct {
	ui         *UI
	given      *widget.Entry
	patronymic *widget.Entry
	family     *widget.Entry
	script     *vocabSelect
	status     *vocabSelect
	gender     *vocabSelect
	birth      *widget.Entry
	occupation *widget.Entry
	frame      *recordForm
	content    fyne.CanvasObject
}

func newPersonForm(u *UI, saved func(*storage.Record), cancel func()) *personForm {
	p := &personForm{ui: u}
	p.given = u.entry("")
	p.patronymic = u.entry("")
	p.family = u.entry("")
	p.script = u.newVocabSelect(record.VocabScript, "")
	p.status = u.newVocabSelect(record.VocabStatus, "")
	p.gender = u.newVocabSelect(record.VocabGender, "")
	p.birth = u.entry(u.T("YYYY, YYYY-MM or YYYY-MM-DD"))
	p.occupation = u.entry("")
	items := []*widget.FormItem{
		widget.NewFormItem(u.T("Given name"), p.given),
		widget.NewFormItem(u.T("Patronymic"), p.patronymic),
		widget.NewFormItem(u.T("Family name"), p.family),
		widget.NewFormItem(u.T("Script"), p.script.Select),
		widget.NewFormItem(u.T("Status"), p.status.Select),
		widget.NewFormItem(u.T("Birth date"), p.birth),
		widget.NewFormItem(u.T("Gender"), p.gender.Select),
		widget.NewFormItem(u.T("Occupation"), p.occupation),
	}
	items[5].HintText = u.T("Partial dates are fine: 1962 or 1962-09. Put ~ in front for an estimate.")
	p.frame = u.newRecordForm("New person", "Save", items, p.body, saved, cancel)
	p.content = p.frame.content
	return p
}

// body builds the person from the fields.
func (p *personForm) body() (record.Body, error) {
	birth, err := p.ui.parseDateField("Birth date", p.birth.Text)
	if err != nil {
		return nil, err
	}
	return &record.Person{
		Names: []record.Name{{
			Given:      strings.TrimSpace(p.given.Text),
			Patronymic: strings.TrimSpace(p.patronymic.Text),
			Family:     strings.TrimSpace(p.family.Text),
			Script:     p.script.Code(),
		}},
		Birth:      birth,
		Status:     p.status.Code(),
		Gender:     p.gender.Code(),
		Occupation: strings.TrimSpace(p.occupation.Text),
	}, nil
}
