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

// detail is a record read for display: its state, its decoded body, the
// labels of the vocabulary codes it uses in the UI language, and the titles
// of the records it refers to.
type detail struct {
	rec    *storage.Record
	body   record.Body
	labels map[string]string // "vocab/code" -> label
	titles map[string]string // record id -> title
	links  *personLinks      // for a person: the records that refer to it
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
	d := &detail{rec: rec, body: body, labels: map[string]string{}, titles: map[string]string{}}
	d.addLabels(v, body, lang)
	for _, id := range record.Refs(body) {
		if t := recordTitle(v, id); t != "" {
			d.titles[id] = t
		}
	}
	if _, ok := body.(*record.Person); ok {
		if d.links, err = loadPersonLinks(v, d, lang); err != nil {
			return nil, err
		}
	}
	return d, nil
}

// addLabels looks up the labels of the vocabulary codes body uses.
func (d *detail) addLabels(v *storage.Vault, body record.Body, lang string) {
	for _, ref := range body.Terms() {
		if t, ok, err := v.Term(ref.Vocab, ref.Code); err == nil && ok {
			d.labels[ref.Vocab+"/"+ref.Code] = t.Labels.In(lang)
		}
	}
}

// title returns the title of record id, or its short id if it could not be
// read (deleted, or not synced to this device).
func (d *detail) title(id string) string {
	if t, ok := d.titles[id]; ok {
		return t
	}
	return shortID(id)
}

// titleList is title for several records, one per line.
func (d *detail) titleList(ids []string) string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = d.title(id)
	}
	return strings.Join(out, "\n")
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
	ui    *UI
	d     *detail
	rows  *fyne.Container
	seal  *widget.Button
	edit  *widget.Button
	amend *widget.Button
	del   *widget.Button
	// deleting is the open delete dialog, for tests.
	deleting *deleteForm
	problem  *widget.Label
	attach   *attachmentSection // nil for kinds without attachments
	// frame shows page (the record) or, in its place, its history or
	// conflict view.
	frame   *fyne.Container
	page    fyne.CanvasObject
	content fyne.CanvasObject
}

// newDetailView renders d; changed is called after an action changed the
// record, and edit opens the record's form in a mode (edit, or amend a
// sealed testimony).
func newDetailView(u *UI, d *detail, changed func(), edit func(formMode)) *detailView {
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
	top = append(top, container.NewHBox(dv.actions(edit, changed)...))
	var sections []fyne.CanvasObject
	switch b := d.body.(type) {
	case *record.Person:
		sections = dv.personPage(b)
	case *record.Testimony:
		dv.testimony(b)
	case *record.Note:
		dv.row("About", d.titleList([]string{b.About}))
		dv.row("Date", b.Date.String())
		dv.row("Text", b.Text)
	case *record.Case:
		dv.caseRows(b)
	case *record.Incident:
		dv.incident(b)
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
	top = append(top, sections...)
	if dv.attach = u.newAttachmentSection(d, changed); dv.attach != nil {
		top = append(top, dv.attach.content)
	}
	dv.page = container.NewVScroll(container.NewPadded(container.NewVBox(top...)))
	dv.frame = container.NewStack(dv.page)
	dv.content = dv.frame
	return dv
}

// actions are the buttons of the record: Edit (or Amend for a sealed
// testimony), Seal for a draft testimony, History, Delete, and Resolve
// conflict. A record in conflict is resolved, not edited.
func (dv *detailView) actions(edit func(formMode), changed func()) []fyne.CanvasObject {
	u, rec := dv.ui, dv.d.rec
	var out []fyne.CanvasObject
	hasForm := formFor(rec.Kind) != nil
	switch {
	case edit == nil || rec.Conflict || rec.Deleted:
	case rec.Sealed:
		dv.amend = u.button(u.T("Amend…"), theme.DocumentCreateIcon(), func() {
			edit(formMode{id: rec.ID, base: dv.d.body, amend: true})
		})
		out = append(out, dv.amend)
	case hasForm:
		dv.edit = u.button(u.T("Edit"), theme.DocumentCreateIcon(), func() {
			edit(formMode{id: rec.ID, base: dv.d.body})
		})
		out = append(out, dv.edit)
	}
	if rec.Kind == record.KindTestimony && !rec.Sealed && !rec.Conflict {
		dv.seal = u.button(u.T("Seal…"), theme.ConfirmIcon(), func() {
			u.confirmSeal(rec.ID, dv.problem, changed)
		})
		out = append(out, dv.seal)
	}
	out = append(out, u.button(u.T("History…"), theme.HistoryIcon(), dv.showHistory))
	if edit != nil && !rec.Deleted {
		dv.del = u.button(u.T("Delete…"), theme.DeleteIcon(), func() {
			dv.deleting = u.confirmDelete(rec, dv.problem, changed)
		})
		out = append(out, dv.del)
	}
	if rec.Conflict {
		out = append(out, u.button(u.T("Resolve conflict…"), theme.WarningIcon(), func() { dv.showConflict(changed) }))
	}
	return out
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
	if t.Person != "" {
		dv.row("Interviewee's record", d.title(t.Person))
	}
	dv.row("About", d.titleList(t.About))
	if t.Amends != "" {
		dv.row("Amends", d.title(t.Amends))
	}
	dv.row("Text", t.Text)
}

func (dv *detailView) caseRows(c *record.Case) {
	d := dv.d
	dv.row("Person", d.titleList([]string{c.Person}))
	dv.row("Arrested", c.Arrested.String())
	dv.row("Arrest place", c.ArrestPlace)
	dv.row("Detaining body", c.DetainingBody)
	dv.row("Charges", strings.Join(c.Charges, "\n"))
	dv.row("Court", c.Court)
	dv.row("Judge", c.Judge)
	dv.row("Prosecutor", c.Prosecutor)
	dv.row("Verdict", c.Verdict.String())
	dv.row("Sentence", c.Sentence)
	dv.row("Regime", c.Regime)
	for _, sp := range c.Facilities {
		place := sp.Facility
		if sp.Kind != "" {
			place += " (" + d.label(record.VocabFacilityKind, sp.Kind) + ")"
		}
		dv.row("Held in", strings.TrimSpace(place+"  "+period(sp.From, sp.To)))
	}
	dv.row("Released", c.Released.String())
}

func (dv *detailView) incident(in *record.Incident) {
	d := dv.d
	dv.row("Type", d.label(record.VocabIncidentType, in.Type))
	dv.row("When", period(in.From, in.To))
	dv.row("Place", in.Place)
	dv.row("Victims", d.titleList(in.Victims))
	dv.row("Perpetrators", strings.Join(in.Perpetrators, "\n"))
	dv.row("Sources", d.titleList(in.Sources))
	dv.row("Description", in.Description)
}

// period words a span of partial dates: "2021-03 – 2021-05", "2021-03 –"
// for one still going on.
func period(from, to record.Date) string {
	switch {
	case from.IsZero() && to.IsZero():
		return ""
	case to.IsZero():
		return from.String() + " –"
	}
	return from.String() + " – " + to.String()
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
