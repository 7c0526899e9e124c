package app

import (
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/widget"

	"github.com/letapis/letapis/storage"
	"github.com/letapis/letapis/storage/record"
)

// personForm adds or edits a person: every spelling of the name, status,
// claims with their source, and the rest of what the team knows.
type personForm struct {
	ui           *UI
	base         record.Person
	names        *repeater[record.Name, *nameRow]
	status       *vocabSelect
	gender       *vocabSelect
	birth        *widget.Entry
	region       *widget.Entry
	occupation   *widget.Entry
	claims       *repeater[record.Claim, *claimRow]
	humanitarian *vocabChecks
	health       *widget.Entry
	lawyer       *widget.Entry
	family       *widget.Entry
	links        *widget.Entry
	frame        *recordForm
	content      fyne.CanvasObject
}

// nameRow is one spelling of a name.
type nameRow struct {
	given, patronymic, family *widget.Entry
	script                    *vocabSelect
}

// claimRow is one claim about a person.
type claimRow struct {
	kind       *vocabSelect
	by, source *widget.Entry
	on         *widget.Entry
}

func newPersonForm(u *UI, mode formMode, saved func(*storage.Record), cancel func()) *personForm {
	p := &personForm{ui: u}
	if b, ok := mode.base.(*record.Person); ok {
		p.base = *b
	}
	names := p.base.Names
	if len(names) == 0 {
		names = []record.Name{{}}
	}
	p.names = newRepeater(u, "Add a spelling", names, func(n record.Name) (*nameRow, fyne.CanvasObject) {
		r := &nameRow{given: u.textEntry(n.Given), patronymic: u.textEntry(n.Patronymic), family: u.textEntry(n.Family), script: u.newVocabSelect(record.VocabScript, n.Script)}
		r.given.SetPlaceHolder(u.T("Given name"))
		r.patronymic.SetPlaceHolder(u.T("Patronymic"))
		r.family.SetPlaceHolder(u.T("Family name"))
		return r, container.New(layout.NewGridLayout(2), r.given, r.patronymic, r.family, r.script.Select)
	})
	p.status = u.newVocabSelect(record.VocabStatus, p.base.Status)
	p.gender = u.newVocabSelect(record.VocabGender, p.base.Gender)
	p.birth = u.dateEntry(p.base.Birth)
	p.region = u.textEntry(p.base.Region)
	p.occupation = u.textEntry(p.base.Occupation)
	p.claims = newRepeater(u, "Add a claim", p.base.Claims, func(c record.Claim) (*claimRow, fyne.CanvasObject) {
		r := &claimRow{kind: u.newVocabSelect(record.VocabClaim, c.Type), by: u.textEntry(c.By), on: u.dateEntry(c.On), source: u.textEntry(c.Source)}
		r.by.SetPlaceHolder(u.T("Who makes the claim"))
		r.source.SetPlaceHolder(u.T("Where it was published"))
		return r, container.New(layout.NewGridLayout(2), r.kind.Select, r.by, r.on, r.source)
	})
	p.humanitarian = u.newVocabChecks(record.VocabHumanitarian, p.base.Humanitarian)
	p.health = u.multiLine("", 3)
	p.health.SetText(p.base.Health)
	p.lawyer = u.dateEntry(p.base.LastLawyerContact)
	p.family = u.dateEntry(p.base.LastFamilyContact)
	p.links = u.linesEntry(u.T("One per line: a URL or an id in another database"), p.base.Links)
	items := []*widget.FormItem{
		widget.NewFormItem(u.T("Names"), p.names.Content),
		widget.NewFormItem(u.T("Status"), p.status.Select),
		widget.NewFormItem(u.T("Birth date"), p.birth),
		widget.NewFormItem(u.T("Gender"), p.gender.Select),
		widget.NewFormItem(u.T("Region"), p.region),
		widget.NewFormItem(u.T("Occupation"), p.occupation),
		widget.NewFormItem(u.T("Claims"), p.claims.Content),
		widget.NewFormItem(u.T("Humanitarian"), p.humanitarian.Group),
		widget.NewFormItem(u.T("Health"), p.health),
		widget.NewFormItem(u.T("Last contact with a lawyer"), p.lawyer),
		widget.NewFormItem(u.T("Last contact with family"), p.family),
		widget.NewFormItem(u.T("Links"), p.links),
	}
	items[0].HintText = u.T("The first spelling is the one lists show. Add every spelling you know: Belarusian, Russian, Łacinka, passport.")
	items[2].HintText = u.T("Partial dates are fine: 1962 or 1962-09. Put ~ in front for an estimate.")
	p.frame = u.newRecordForm(formSpec{
		title: mode.title("New person", "Edit person"), saveLabel: "Save", items: items,
		build: p.body, commit: mode.commit(), saved: saved, cancel: cancel,
	})
	p.content = p.frame.content
	return p
}

// body builds the person from the fields, over what the record had.
func (p *personForm) body() (record.Body, error) {
	u := p.ui
	b := p.base
	b.Names = nil
	for _, r := range p.names.Rows() {
		n := record.Name{
			Given:      strings.TrimSpace(r.given.Text),
			Patronymic: strings.TrimSpace(r.patronymic.Text),
			Family:     strings.TrimSpace(r.family.Text),
			Script:     r.script.Code(),
		}
		if n != (record.Name{Script: n.Script}) {
			b.Names = append(b.Names, n)
		}
	}
	var err error
	if b.Birth, err = u.parseDateField("Birth date", p.birth.Text); err != nil {
		return nil, err
	}
	b.Claims = nil
	for _, r := range p.claims.Rows() {
		on, err := u.parseDateField("Claim date", r.on.Text)
		if err != nil {
			return nil, err
		}
		c := record.Claim{Type: r.kind.Code(), By: strings.TrimSpace(r.by.Text), On: on, Source: strings.TrimSpace(r.source.Text)}
		if c != (record.Claim{}) {
			b.Claims = append(b.Claims, c)
		}
	}
	if b.LastLawyerContact, err = u.parseDateField("Last contact with a lawyer", p.lawyer.Text); err != nil {
		return nil, err
	}
	if b.LastFamilyContact, err = u.parseDateField("Last contact with family", p.family.Text); err != nil {
		return nil, err
	}
	b.Status = p.status.Code()
	b.Gender = p.gender.Code()
	b.Region = strings.TrimSpace(p.region.Text)
	b.Occupation = strings.TrimSpace(p.occupation.Text)
	b.Humanitarian = p.humanitarian.Codes()
	b.Health = strings.TrimSpace(p.health.Text)
	b.Links = lines(p.links)
	return &b, nil
}

// framedBy implements framed.
func (p *personForm) framedBy() *recordForm { return p.frame }
