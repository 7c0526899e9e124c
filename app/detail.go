package app

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/letapis/letapis/storage"
	"github.com/letapis/letapis/storage/record"
)

// detail is a record read for display: its state, its decoded body and the
// labels of the vocabulary codes it uses in the UI language.
type detail struct {
	rec    *storage.Record
	body   record.Body
	labels map[string]string // "vocab/code" -> label
}

// loadDetail reads record id. It runs off the UI goroutine.
func loadDetail(v *storage.Vault, id, lang string) (*detail, error) {
	rec, err := v.Get(id)
	if err != nil {
		return nil, err
	}
	body, err := rec.Decode()
	if err != nil {
		return nil, err
	}
	d := &detail{rec: rec, body: body, labels: map[string]string{}}
	for _, ref := range body.Terms() {
		if t, ok, err := v.Term(ref.Vocab, ref.Code); err == nil && ok {
			d.labels[ref.Vocab+"/"+ref.Code] = t.Labels.In(lang)
		}
	}
	return d, nil
}

// label returns the label of a vocabulary code, or the code itself.
func (d *detail) label(vocab, code string) string {
	if l, ok := d.labels[vocab+"/"+code]; ok {
		return l
	}
	return code
}

func (d *detail) labelList(vocab string, codes []string) string {
	out := make([]string, len(codes))
	for i, c := range codes {
		out[i] = d.label(vocab, c)
	}
	return strings.Join(out, ", ")
}

// detailView shows one record read-only, with the actions its state allows
// (Seal for a draft testimony).
type detailView struct {
	ui      *UI
	d       *detail
	rows    *fyne.Container
	seal    *widget.Button
	problem *widget.Label
	attach  *attachmentSection // nil for kinds without attachments
	content fyne.CanvasObject
}

// newDetailView renders d; changed is called after an action changed the
// record.
func newDetailView(u *UI, d *detail, changed func()) *detailView {
	dv := &detailView{ui: u, d: d}
	dv.rows = container.New(layout.NewFormLayout())
	dv.problem = paragraph("")
	dv.problem.Importance = widget.DangerImportance
	dv.problem.Hide()
	title := record.Title(d.body)
	head := heading(title)
	head.Wrapping = fyne.TextWrapWord
	top := []fyne.CanvasObject{head}
	var status []string
	if d.rec.Sealed {
		status = append(status, u.T("Sealed: this testimony can no longer change."))
	} else if d.rec.Kind == record.KindTestimony {
		status = append(status, u.T("Draft: not sealed yet."))
	}
	if d.rec.Conflict {
		status = append(status, u.T("Conflict: edits made on different devices disagree."))
	}
	for _, s := range status {
		l := paragraph(s)
		l.Importance = widget.WarningImportance
		top = append(top, l)
	}
	switch b := d.body.(type) {
	case *record.Person:
		dv.person(b)
	case *record.Testimony:
		dv.testimony(b)
		if !d.rec.Sealed {
			dv.seal = u.button(u.T("Seal…"), theme.ConfirmIcon(), func() {
				u.confirmSeal(d.rec.ID, dv.problem, changed)
			})
			top = append(top, container.NewHBox(dv.seal))
		}
	case *record.Note:
		dv.row("Date", b.Date.String())
		dv.row("Text", b.Text)
	default:
		dv.generic()
	}
	dv.row("Created", d.rec.Created.Time().Local().Format("2006-01-02 15:04"))
	dv.row("Updated", d.rec.Updated.Time().Local().Format("2006-01-02 15:04"))
	dv.row("Revisions", fmt.Sprint(d.rec.Revisions))
	if d.rec.Sealed {
		dv.row("Seal hash (SHA-256)", d.rec.SealHash)
	}
	top = append(top, dv.problem, widget.NewSeparator(), dv.rows)
	if dv.attach = u.newAttachmentSection(d, changed); dv.attach != nil {
		top = append(top, dv.attach.content)
	}
	dv.content = container.NewVScroll(container.NewPadded(container.NewVBox(top...)))
	return dv
}

// row adds a field; empty values are left out.
func (dv *detailView) row(key, value string) {
	if strings.TrimSpace(value) == "" {
		return
	}
	k := widget.NewLabelWithStyle(dv.ui.T(key), fyne.TextAlignTrailing, fyne.TextStyle{Bold: true})
	v := widget.NewLabel(value)
	v.Wrapping = fyne.TextWrapWord
	v.Selectable = true
	dv.rows.Add(k)
	dv.rows.Add(v)
}

func (dv *detailView) person(p *record.Person) {
	d := dv.d
	for i, n := range p.Names {
		key := "Name"
		if i > 0 {
			key = "Also known as"
		}
		s := n.String()
		if n.Script != "" {
			s += " (" + d.label(record.VocabScript, n.Script) + ")"
		}
		dv.row(key, s)
	}
	dv.row("Status", d.label(record.VocabStatus, p.Status))
	dv.row("Born", p.Birth.String())
	dv.row("Gender", d.label(record.VocabGender, p.Gender))
	dv.row("Region", p.Region)
	dv.row("Occupation", p.Occupation)
	dv.row("Humanitarian", d.labelList(record.VocabHumanitarian, p.Humanitarian))
	dv.row("Health", p.Health)
	dv.row("Last contact with a lawyer", p.LastLawyerContact.String())
	dv.row("Last contact with family", p.LastFamilyContact.String())
	for _, c := range p.Claims {
		dv.row("Claim", strings.TrimSpace(fmt.Sprintf("%s — %s %s", d.label(record.VocabClaim, c.Type), c.By, c.On)))
	}
	dv.row("Links", strings.Join(p.Links, "\n"))
}

func (dv *detailView) testimony(t *record.Testimony) {
	d := dv.d
	dv.row("Interviewee", t.Interviewee)
	dv.row("Relation", d.label(record.VocabRelation, t.Relation))
	dv.row("Interviewer", t.Interviewer)
	dv.row("Date", t.Date.String())
	dv.row("Place", t.Place)
	dv.row("Language", t.Language)
	dv.row("Consent", d.labelList(record.VocabConsentScope, t.Consent.Scopes))
	dv.row("Embargo until", t.Consent.Embargo.String())
	dv.row("Consent withdrawn", t.Consent.Withdrawn.String())
	dv.row("Fears raised", t.Consent.Fears)
	dv.row("Sensitivity", d.label(record.VocabSensitivity, t.Sensitivity))
	dv.row("Violations", d.labelList(record.VocabIncidentType, t.Violations))
	dv.row("Amends", t.Amends)
	dv.row("Text", t.Text)
}

// generic shows the top-level fields of kinds without their own view yet.
func (dv *detailView) generic() {
	raw := map[string]json.RawMessage{}
	if json.Unmarshal(dv.d.rec.Body, &raw) != nil {
		return
	}
	keys := make([]string, 0, len(raw))
	for k := range raw {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		var s string
		if json.Unmarshal(raw[k], &s) != nil {
			s = string(raw[k])
		}
		dv.row(k, s)
	}
}
