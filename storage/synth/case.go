package synth

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/letapis/letapis/storage/record"
)

// Case returns a detention of the person with record id personID: an
// arrest between August 2020 and 2025, charges, once tried an invented
// court, judge, verdict and sentence, and 1 to 4 facility spells, each
// starting when the previous one ended. Most cases are criminal; some are
// administrative arrests of a few weeks. The person is sometimes released;
// otherwise the last spell is open.
func (g *Generator) Case(personID string) *record.Case {
	home := pick(g, places)
	arrest := g.dayIn(electionDay, horizon.AddDate(0, -1, 0))
	c := &record.Case{
		Person:        personID,
		Arrested:      g.partial(arrest, 0, 0.1),
		ArrestPlace:   home.city,
		DetainingBody: pick(g, detainingBodies),
	}
	tl := timeline{g: g, city: home.city, t: arrest}
	if g.chance(0.15) {
		days := g.intIn(10, 30)
		c.Charges = []string{pick(g, administrativeCharges)}
		c.Court, c.Judge = g.court(home.city), g.official()
		c.Verdict = dayOf(arrest.AddDate(0, 0, 1))
		c.Sentence = fmt.Sprintf("%d days of administrative arrest", days)
		tl.stay("ivs", g.intIn(1, 3))
		tl.stay(pick(g, []string{"ivs", "tsip"}), days)
		c.Facilities, c.Released = tl.end(true)
		return c
	}

	c.Charges = g.charges()
	if g.chance(0.6) {
		c.Prosecutor = g.official()
	}
	if g.chance(0.7) {
		tl.stay("ivs", g.intIn(2, 10))
	}
	if g.chance(0.2) { // still awaiting trial
		tl.stay("sizo", 0)
		c.Facilities, _ = tl.end(false)
		return c
	}
	sizo := tl.t
	sizoDays := g.intIn(60, 420)
	if verdict := sizo.AddDate(0, 0, sizoDays-g.intIn(10, 40)); !verdict.After(horizon) {
		months := pick(g, []int{12, 18, 24, 30, 36, 36, 42, 48, 60, 72, 84, 96, 120, 144, 180})
		c.Court, c.Judge = g.court(home.city), g.official()
		c.Verdict = dayOf(verdict)
		c.Sentence = sentence(months)
		c.Regime = g.pickWeighted(regimes)
	}
	tl.stay("sizo", sizoDays)
	tl.stay("ik", g.intIn(180, 1500))
	if g.chance(0.2) {
		tl.stay("prison", g.intIn(180, 900))
	}
	c.Facilities, c.Released = tl.end(g.chance(0.3))
	return c
}

// sentence formats a prison term given in months: "3 years", "2 years 6
// months".
func sentence(months int) string {
	plural := func(n int, unit string) string {
		if n == 1 {
			return "1 " + unit
		}
		return fmt.Sprintf("%d %ss", n, unit)
	}
	s := plural(months/12, "year")
	if months%12 != 0 {
		s += " " + plural(months%12, "month")
	}
	return s
}

// timeline lays out consecutive facility spells from an arrest. A spell
// that would end after the horizon, or that has no planned length, stays
// open and ends the timeline.
type timeline struct {
	g      *Generator
	city   string
	t      time.Time // end of the last closed spell
	spells []record.Spell
	open   bool
}

// stay adds a spell of the given length in days (0: open-ended).
func (tl *timeline) stay(kind string, days int) {
	if tl.open {
		return
	}
	s := record.Spell{Facility: tl.g.facility(kind, tl.city), Kind: kind, From: dayOf(tl.t)}
	end := tl.t.AddDate(0, 0, days)
	if days == 0 || end.After(horizon) {
		tl.open = true
	} else {
		s.To, tl.t = dayOf(end), end
	}
	tl.spells = append(tl.spells, s)
}

// end returns the spells and, if release and the last spell is closed, the
// release date. Without release the last spell is left open: the person
// is still held there.
func (tl *timeline) end(release bool) ([]record.Spell, record.Date) {
	if tl.open || len(tl.spells) == 0 {
		return tl.spells, record.Date{}
	}
	if !release {
		tl.spells[len(tl.spells)-1].To = record.Date{}
		return tl.spells, record.Date{}
	}
	return tl.spells, dayOf(tl.t)
}

// facility names a place of detention of a kind (vocabulary
// "facility-kind"). Pre-trial places are in the city of arrest; colonies
// and prisons anywhere.
func (g *Generator) facility(kind, city string) string {
	switch kind {
	case "ivs":
		return "IVS " + city
	case "tsip":
		return "TsIP " + city
	case "sizo":
		return fmt.Sprintf("SIZO-%d, %s", g.intIn(1, 8), city)
	case "ik":
		return fmt.Sprintf("IK-%d, %s", g.intIn(1, 22), pick(g, places).city)
	case "prison":
		return fmt.Sprintf("Prison No. %d, %s", g.intIn(1, 8), pick(g, places).city)
	}
	return "Unknown place, " + city
}

// charges returns 1 to 3 distinct criminal code articles.
func (g *Generator) charges() []string {
	n := g.intIn(1, 3)
	out := make([]string, 0, n)
	for _, i := range g.r.Perm(len(criminalCharges))[:n] {
		out = append(out, criminalCharges[i])
	}
	return out
}

// court returns an invented court name.
func (g *Generator) court(city string) string {
	return fmt.Sprintf("%s District Court of %s%s", pick(g, courtDistricts), city, synthetic)
}

// official returns an invented official's name as Belarusian court papers
// write it, in Russian with initials: "Ковалёва Н. В. (synthetic)".
func (g *Generator) official() string {
	_, ru := g.name(g.chance(0.5)).cyrillic(true)
	initial := func(s string) string { return string([]rune(s)[:1]) + "." }
	return ru.Family + " " + initial(ru.Given) + " " + initial(ru.Patronymic) + synthetic
}

// Incident returns a violation against the given victims (record ids; at
// least one is needed for the incident to validate). Over any
// len(vocabulary "incident-type") consecutive calls every incident type
// comes up once, in random order. SHIZO stints last 10 to 30 days.
func (g *Generator) Incident(victimIDs []string) *record.Incident {
	k := incidentKinds[g.nextIncidentKind()]
	start := g.dayIn(electionDay, horizon.AddDate(0, 0, -k.maxDays))
	in := &record.Incident{
		Type:    k.code,
		Victims: slices.Clone(victimIDs),
	}
	switch {
	case len(k.facilities) > 0:
		in.Place = g.facility(pick(g, k.facilities), pick(g, places).city)
	case k.code == "unfair-trial":
		in.Place = g.court(pick(g, places).city)
	default:
		in.Place = pick(g, places).String()
	}

	in.From = dayOf(start)
	if k.maxDays > 0 {
		in.To = dayOf(start.AddDate(0, 0, g.intIn(k.minDays, k.maxDays)))
		if g.chance(0.25) { // known only to the month
			in.From.Day, in.To.Day = 0, 0
		}
	}

	switch {
	case k.code == "unfair-trial":
		in.Perpetrators = []string{"Judge " + g.official()}
	case len(k.by) > 0 && g.chance(0.8):
		for _, i := range g.r.Perm(len(k.by))[:g.intIn(1, min(2, len(k.by)))] {
			in.Perpetrators = append(in.Perpetrators, k.by[i])
		}
	}

	sentences := []string{fmt.Sprintf(pick(g, k.what), in.Place)}
	for _, i := range g.r.Perm(len(incidentNotes))[:g.intIn(0, 2)] {
		sentences = append(sentences, incidentNotes[i])
	}
	in.Description = strings.Join(sentences, " ")
	return in
}

// nextIncidentKind draws from a shuffled bag of all incident kinds,
// refilled when empty.
func (g *Generator) nextIncidentKind() int {
	if len(g.incidentBag) == 0 {
		g.incidentBag = g.r.Perm(len(incidentKinds))
	}
	k := g.incidentBag[0]
	g.incidentBag = g.incidentBag[1:]
	return k
}
