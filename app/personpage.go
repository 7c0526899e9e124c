package app

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/letapis/letapis/storage"
	"github.com/letapis/letapis/storage/record"
)

// personLinks is what a person page shows beside the person's own fields:
// the records that refer to the person, read when the page opens.
type personLinks struct {
	cases     []caseRecord
	incidents []incidentRecord
	// linked are the summaries of every record that refers to the person,
	// by kind, oldest first.
	linked map[record.Kind][]storage.Summary
	// today is the day open periods count up to.
	today time.Time
}

// loadPersonLinks reads the records that refer to the person d shows, and
// decodes its cases and incidents for the timeline. It runs off the UI
// goroutine.
func loadPersonLinks(v *storage.Vault, d *detail, lang string) (*personLinks, error) {
	sums, err := v.Linked(d.rec.ID)
	if err != nil {
		return nil, fmt.Errorf("read the records linked to the person: %w", err)
	}
	links := &personLinks{linked: map[record.Kind][]storage.Summary{}, today: time.Now()}
	for _, s := range sums {
		if s.Kind != record.KindCase && s.Kind != record.KindIncident {
			links.linked[s.Kind] = append(links.linked[s.Kind], s)
			continue
		}
		rec, err := v.Get(s.ID)
		if errors.Is(err, storage.ErrNotFound) || errors.Is(err, storage.ErrDeleted) {
			continue // deleted since Linked read the index
		}
		if err != nil {
			return nil, fmt.Errorf("read a record linked to the person: %w", err)
		}
		body, err := rec.Decode()
		if err != nil {
			return nil, fmt.Errorf("read a record linked to the person: %w", err)
		}
		links.linked[s.Kind] = append(links.linked[s.Kind], s)
		d.addLabels(v, body, lang)
		switch b := body.(type) {
		case *record.Case:
			links.cases = append(links.cases, caseRecord{ID: s.ID, Case: b})
		case *record.Incident:
			links.incidents = append(links.incidents, incidentRecord{ID: s.ID, Incident: b})
		}
	}
	for _, list := range links.linked {
		slices.SortStableFunc(list, func(a, b storage.Summary) int { return compareDates(a.Date, b.Date) })
	}
	return links, nil
}

// linkedKinds are the kinds listed at the end of a person page, in order.
// Attachments follow in their own section (attachments.go), as on every
// record.
var linkedKinds = []record.Kind{record.KindCase, record.KindIncident, record.KindTestimony, record.KindNote}

// personPage fills the detail view of a person: every spelling of the name
// with its script, status and claims with their source, the other facts,
// and returns the sections that follow them: actions, the timeline built
// from the person's cases and incidents, and lists of the linked records.
func (dv *detailView) personPage(p *record.Person) []fyne.CanvasObject {
	u, d := dv.ui, dv.d
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
	for _, c := range p.Claims {
		parts := []string{d.label(record.VocabClaim, c.Type), c.By, c.On.String()}
		if c.Source != "" {
			parts = append(parts, u.Tf("published: %s", c.Source))
		}
		dv.row("Claim", strings.Join(nonEmpty(parts...), " · "))
	}
	dv.row("Born", p.Birth.String())
	dv.row("Gender", d.label(record.VocabGender, p.Gender))
	dv.row("Region", p.Region)
	dv.row("Occupation", p.Occupation)
	dv.row("Humanitarian", d.labelList(record.VocabHumanitarian, p.Humanitarian))
	dv.row("Health", p.Health)
	dv.row("Last contact with a lawyer", p.LastLawyerContact.String())
	dv.row("Last contact with family", p.LastFamilyContact.String())
	dv.row("Links", strings.Join(p.Links, "\n"))

	id := d.rec.ID
	addCase := u.button(u.T("Add case"), theme.ContentAddIcon(), func() { u.addForPerson(record.KindCase, id) })
	addIncident := u.button(u.T("Add incident"), theme.ContentAddIcon(), func() { u.addForPerson(record.KindIncident, id) })
	out := []fyne.CanvasObject{widget.NewSeparator(), container.NewHBox(addCase, addIncident)}
	links := d.links
	if links == nil {
		links = &personLinks{}
	}
	out = append(out, heading(u.T("Timeline")), dv.timeline(buildTimeline(links.cases, links.incidents, links.today)))
	for _, k := range linkedKinds {
		sums := links.linked[k]
		if len(sums) == 0 {
			continue
		}
		out = append(out, heading(u.T(kindTitle(k))))
		for _, s := range sums {
			out = append(out, u.linkButton(s))
		}
	}
	return out
}

// timeline lays out the entries as rows of a date (or period) and what
// happened.
func (dv *detailView) timeline(entries []timelineEntry) fyne.CanvasObject {
	u := dv.ui
	if len(entries) == 0 {
		l := paragraph(u.T("No cases or incidents recorded yet."))
		l.Importance = widget.LowImportance
		return l
	}
	grid := container.New(layout.NewFormLayout())
	for _, e := range entries {
		when := widget.NewLabelWithStyle(u.entryWhen(e), fyne.TextAlignTrailing, fyne.TextStyle{Monospace: true})
		what := paragraph(u.entryWhat(dv.d, e))
		if e.Ongoing {
			what.Importance = widget.WarningImportance
		}
		grid.Add(when)
		grid.Add(what)
	}
	return grid
}

// entryWhen is the date column of a timeline row: the date, or the period
// ("from → to", or "from →" while it lasts).
func (u *UI) entryWhen(e timelineEntry) string {
	if e.Start.IsZero() {
		return u.T("date unknown")
	}
	if !e.Period {
		return e.Start.String()
	}
	return strings.TrimSpace(e.Start.String() + " → " + e.End.String())
}

// entryWhat is the text of a timeline row: what happened, where, details,
// and the length of a period.
func (u *UI) entryWhat(d *detail, e timelineEntry) string {
	var what string
	switch e.Kind {
	case entryArrest:
		what = u.T("Arrest")
	case entryCustody, entryTransfer:
		key := "Taken to %s"
		if e.Kind == entryTransfer {
			key = "Transferred to %s"
		}
		what, e.Place = u.Tf(key, e.Place), ""
		if e.Code != "" {
			e.Details = []string{d.label(record.VocabFacilityKind, e.Code)}
		}
	case entryVerdict:
		what = u.T("Verdict")
	case entryRelease:
		what = u.T("Release")
	case entryIncident:
		what = d.label(record.VocabIncidentType, e.Code)
	}
	parts := append([]string{what, e.Place}, e.Details...)
	switch {
	case e.Ongoing && e.Known:
		parts = append(parts, u.Tf("ongoing: %s so far", u.dayText(e.Days)))
	case e.Ongoing:
		parts = append(parts, u.T("ongoing"))
	case e.Known:
		parts = append(parts, u.dayText(e.Days))
	}
	return strings.Join(nonEmpty(parts...), " · ")
}

// dayText words a length in days: "10 days", "30–60 days", "~30 days".
func (u *UI) dayText(n dayCount) string {
	var s string
	switch {
	case n.Min != n.Max:
		s = u.Tf("%d–%d days", n.Min, n.Max)
	case n.Min == 1:
		s = u.T("1 day")
	default:
		s = u.Tf("%d days", n.Min)
	}
	if n.Approx {
		s = "~" + s
	}
	return s
}

// linkButton is a row of a list of linked records; tapping it opens the
// record in its tab.
func (u *UI) linkButton(s storage.Summary) *widget.Button {
	title := s.Title
	if title == "" {
		title = u.T("(untitled)")
	}
	b := u.button(title, kindIcon(s.Kind), func() { u.openRecord(s.Kind, s.ID) })
	b.Alignment = widget.ButtonAlignLeading
	b.Importance = widget.LowImportance
	return b
}

// openRecord shows record id in the tab of its kind, or in the People tab
// for kinds without a tab of their own.
func (u *UI) openRecord(k record.Kind, id string) {
	if u.main == nil {
		return
	}
	l, ok := u.main.lists[k]
	if !ok {
		l = u.main.lists[record.KindPerson]
	} else {
		u.main.selectKind(k)
	}
	l.open(id)
}

// addForPerson shows the add form of kind k (a case or an incident) in its
// tab, with the person chosen.
func (u *UI) addForPerson(k record.Kind, personID string) {
	if u.main == nil {
		return
	}
	var base record.Body = &record.Case{Person: personID}
	if k == record.KindIncident {
		base = &record.Incident{Victims: []string{personID}}
	}
	u.main.selectKind(k)
	u.main.lists[k].showForm(formMode{base: base})
}
