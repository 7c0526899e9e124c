package app

import (
	"cmp"
	"slices"
	"time"

	"github.com/letapis/letapis/storage/record"
)

// entryKind is what a timeline entry records. The order of the constants is
// the order of entries that share a date.
type entryKind int

const (
	entryArrest   entryKind = iota // taken into custody
	entryCustody                   // first place of detention of a case
	entryTransfer                  // a later place of detention
	entryVerdict                   // court verdict and sentence
	entryIncident                  // a violation, e.g. a punishment cell
	entryRelease                   // released
)

// ongoingTypes are the incident types that last until someone ends them: an
// incident of these types without an end date is still going on. Other
// types without an end date are single events.
var ongoingTypes = map[string]bool{
	"shizo":           true,
	"pkt":             true,
	"solitary":        true,
	"incommunicado":   true,
	"medical-denial":  true,
	"counsel-denial":  true,
	"forced-labour":   true,
	"family-pressure": true,
	"marking":         true,
}

// dayCount is the length of a period in days. When an end is known only to
// the month or year, the length is known only within bounds: Min and Max
// differ. Approx is set when either end is an estimate.
type dayCount struct {
	Min, Max int
	Approx   bool
}

// timelineEntry is one row of a person's timeline.
type timelineEntry struct {
	Kind entryKind
	// Start is when it happened or began; zero when unknown.
	Start record.Date
	// End is when a period ended; zero for single events and open periods.
	End record.Date
	// Code is the incident type or the facility kind.
	Code string
	// Place is the facility, the place of arrest or of the incident, or
	// the court.
	Place string
	// Details are further facts worth a glance: charges, sentence, regime,
	// perpetrators.
	Details []string
	// Record is the id of the case or incident the entry comes from.
	Record string
	// Period is set for entries that last: detention spells and incidents
	// with an end or of an ongoingTypes type.
	Period bool
	// Ongoing is set for a period with no end: its Days count up to today.
	Ongoing bool
	// Days is the length of a period; Known is false when its start is
	// unknown.
	Days  dayCount
	Known bool
}

// caseRecord and incidentRecord are a person's cases and incidents with
// their record ids.
type caseRecord struct {
	ID   string
	Case *record.Case
}

type incidentRecord struct {
	ID       string
	Incident *record.Incident
}

// buildTimeline turns a person's cases and incidents into dated entries,
// sorted by the start of their date (a partial date sorts at its first day;
// entries without a date come last; on the same first day, a date known to
// the year comes before one known to the month or day). Open periods count
// up to today.
func buildTimeline(cases []caseRecord, incidents []incidentRecord, today time.Time) []timelineEntry {
	var out []timelineEntry
	for _, c := range cases {
		out = append(out, caseEntries(c.ID, c.Case, today)...)
	}
	for _, in := range incidents {
		i := in.Incident
		e := timelineEntry{
			Kind:    entryIncident,
			Start:   i.From,
			End:     i.To,
			Code:    i.Type,
			Place:   i.Place,
			Details: i.Perpetrators,
			Record:  in.ID,
			Period:  !i.To.IsZero() || ongoingTypes[i.Type],
		}
		e.Ongoing = e.Period && i.To.IsZero()
		measure(&e, today)
		out = append(out, e)
	}
	slices.SortStableFunc(out, func(a, b timelineEntry) int {
		return cmp.Or(compareDates(a.Start, b.Start), cmp.Compare(a.Kind, b.Kind),
			cmp.Compare(precision(a.Start), precision(b.Start)), cmp.Compare(a.Record, b.Record))
	})
	return out
}

// caseEntries are the arrest, the places of detention, the verdict and the
// release of one case. A spell without an end ends where the next begins,
// or at the release; the last one of a person not released is ongoing.
func caseEntries(id string, c *record.Case, today time.Time) []timelineEntry {
	var out []timelineEntry
	if !c.Arrested.IsZero() {
		out = append(out, timelineEntry{Kind: entryArrest, Start: c.Arrested, Place: c.ArrestPlace,
			Details: append(nonEmpty(c.DetainingBody), c.Charges...), Record: id})
	}
	spells := slices.Clone(c.Facilities)
	slices.SortStableFunc(spells, func(a, b record.Spell) int {
		return compareDates(a.From, b.From)
	})
	for i, s := range spells {
		e := timelineEntry{Kind: entryTransfer, Start: s.From, End: s.To, Code: s.Kind,
			Place: s.Facility, Record: id, Period: true}
		if i == 0 {
			e.Kind = entryCustody
		}
		if e.End.IsZero() {
			switch {
			case i+1 < len(spells):
				e.End = spells[i+1].From
			case !c.Released.IsZero():
				e.End = c.Released
			default:
				e.Ongoing = true
			}
		}
		measure(&e, today)
		out = append(out, e)
	}
	if !c.Verdict.IsZero() || c.Sentence != "" {
		out = append(out, timelineEntry{Kind: entryVerdict, Start: c.Verdict, Place: c.Court,
			Details: nonEmpty(c.Sentence, c.Regime, c.Judge), Record: id})
	}
	if !c.Released.IsZero() {
		out = append(out, timelineEntry{Kind: entryRelease, Start: c.Released, Record: id})
	}
	return out
}

// measure sets the length of a period entry: from its start to its end, or
// to today when it is ongoing.
func measure(e *timelineEntry, today time.Time) {
	if !e.Period || e.Start.IsZero() || (e.End.IsZero() && !e.Ongoing) {
		return
	}
	endFirst, endLast := firstDay(e.End), lastDay(e.End)
	if e.Ongoing {
		endFirst = time.Date(today.Year(), today.Month(), today.Day(), 0, 0, 0, 0, time.UTC)
		endLast = endFirst
	}
	e.Days = dayCount{
		Min:    max(0, daysBetween(lastDay(e.Start), endFirst)),
		Max:    max(0, daysBetween(firstDay(e.Start), endLast)),
		Approx: e.Start.Approx || e.End.Approx,
	}
	e.Known = true
}

// firstDay is the first day a partial date can mean (midnight UTC).
func firstDay(d record.Date) time.Time {
	return time.Date(d.Year, time.Month(max(d.Month, 1)), max(d.Day, 1), 0, 0, 0, 0, time.UTC)
}

// compareDates orders partial dates by their first day; unknown dates come
// last.
func compareDates(a, b record.Date) int {
	switch {
	case a.IsZero() && b.IsZero():
		return 0
	case a.IsZero():
		return 1
	case b.IsZero():
		return -1
	}
	return firstDay(a).Compare(firstDay(b))
}

// precision orders dates known to the year before those known to the
// month, before those known to the day.
func precision(d record.Date) int {
	switch {
	case d.Month == 0:
		return 0
	case d.Day == 0:
		return 1
	}
	return 2
}

// lastDay is the last day a partial date can mean.
func lastDay(d record.Date) time.Time {
	switch {
	case d.Month == 0:
		return time.Date(d.Year, time.December, 31, 0, 0, 0, 0, time.UTC)
	case d.Day == 0:
		return time.Date(d.Year, time.Month(d.Month)+1, 0, 0, 0, 0, 0, time.UTC)
	}
	return firstDay(d)
}

// daysBetween counts the days from a to b: a period from 1 to 11 March
// lasts 10 days, as a 10-day punishment cell term does.
func daysBetween(a, b time.Time) int {
	return int(b.Sub(a).Hours()) / 24
}

// nonEmpty returns the strings that are not empty.
func nonEmpty(s ...string) []string {
	var out []string
	for _, v := range s {
		if v != "" {
			out = append(out, v)
		}
	}
	return out
}
