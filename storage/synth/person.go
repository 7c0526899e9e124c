package synth

import (
	"fmt"
	"slices"
	"time"

	"github.com/letapis/letapis/storage/record"
)

// fullName is one made-up person's name in both Cyrillic forms.
type fullName struct {
	given, patronymic, family pair
}

// name combines a random given name, patronymic and surname of the gender.
func (g *Generator) name(female bool) fullName {
	given, suffix := pick(g, maleNames), masculinePatronymic
	if female {
		given, suffix = pick(g, femaleNames), femininePatronymic
	}
	father := pick(g, fathers)
	family := pick(g, surnames)
	if female {
		family = pair{feminine(family.be, feminineEndings.be), feminine(family.ru, feminineEndings.ru)}
	}
	return fullName{
		given:      given,
		patronymic: pair{father.be + suffix.be, father.ru + suffix.ru},
		family:     family,
	}
}

// cyrillic returns the Belarusian and Russian spellings.
func (n fullName) cyrillic(withPatronymic bool) (be, ru record.Name) {
	be = record.Name{Given: n.given.be, Family: n.family.be, Script: "be-cyrl"}
	ru = record.Name{Given: n.given.ru, Family: n.family.ru, Script: "ru-cyrl"}
	if withPatronymic {
		be.Patronymic, ru.Patronymic = n.patronymic.be, n.patronymic.ru
	}
	return be, ru
}

// spellings returns 3 to 5 spellings of n: both Cyrillic forms, either of
// them first, then at least one of the Łacinka, passport and BGN/PCGN
// romanisations. Passport spellings carry no patronymic, as in passports.
func (g *Generator) spellings(n fullName, withPatronymic bool) []record.Name {
	be, ru := n.cyrillic(withPatronymic)
	names := []record.Name{be, ru}
	if g.chance(0.3) {
		names[0], names[1] = ru, be
	}
	latin := []record.Name{
		romanise(latinka, be, "be-latn", true),
		romanise(passport, be, "passport", false),
		romanise(bgn, ru, "bgn", true),
	}
	chosen := 0
	for _, l := range latin {
		if g.chance(0.55) {
			names = append(names, l)
			chosen++
		}
	}
	if chosen == 0 {
		names = append(names, pick(g, latin))
	}
	return names
}

// Person returns a made-up person with a Belarusian, a Russian and at
// least one Latin spelling of the name, a partial birth date between 1940
// and 2005, and sometimes claims, humanitarian flags, health notes and
// dates of last contact.
func (g *Generator) Person() *record.Person {
	female := g.chance(0.35)
	born := g.dayIn(time.Date(1940, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2005, 12, 31, 0, 0, 0, 0, time.UTC))
	p := &record.Person{
		Names:      g.spellings(g.name(female), g.chance(0.85)),
		Birth:      g.partial(born, 0.3, 0.3),
		Gender:     "male",
		Region:     pick(g, places).String(),
		Occupation: g.occupation(born.Year()),
		Status:     g.pickWeighted(statuses),
	}
	if female {
		p.Gender = "female"
	}
	p.Claims = g.claims()
	p.Humanitarian = g.humanitarian(born.Year())
	if slices.Contains(p.Humanitarian, "serious-illness") || g.chance(0.1) {
		p.Health = pick(g, healthNotes)
	}
	if g.chance(0.4) {
		p.LastLawyerContact = g.partial(g.dayIn(electionDay, horizon), 0, 0.4)
	}
	if g.chance(0.5) {
		p.LastFamilyContact = g.partial(g.dayIn(electionDay, horizon), 0.1, 0.4)
	}
	if g.chance(0.15) {
		p.Links = []string{fmt.Sprintf("https://example.org/synthetic/prisoners/%d", g.intIn(1000, 99999))}
	}
	return p
}

// occupation returns an occupation plausible for the birth year.
func (g *Generator) occupation(born int) string {
	switch {
	case born >= 1998 && g.chance(0.5):
		return "student"
	case born <= 1958 && g.chance(0.4):
		return "pensioner"
	}
	return pick(g, occupations)
}

// claims returns 0 to 2 claims: recognition as a political prisoner,
// sometimes followed by a claim of another type.
func (g *Generator) claims() []record.Claim {
	kinds := []int{0}
	switch u := g.r.Float64(); {
	case u < 0.2:
		return nil
	case u >= 0.75:
		kinds = append(kinds, 1+g.r.IntN(len(claimMakers)-1))
	}
	claims := make([]record.Claim, 0, len(kinds))
	for _, k := range kinds {
		m := claimMakers[k]
		c := record.Claim{
			Type: m.code,
			By:   pick(g, m.by),
			On:   g.partial(g.dayIn(electionDay.AddDate(0, 1, 0), horizon), 0, 0.3),
		}
		if g.chance(0.3) {
			c.Source = fmt.Sprintf("https://example.org/synthetic/claims/%d", g.intIn(100, 9999))
		}
		claims = append(claims, c)
	}
	return claims
}

// humanitarian returns codes of vocabulary "humanitarian" in vocabulary
// order, consistent with the birth year.
func (g *Generator) humanitarian(born int) []string {
	var flags []string
	add := func(ok bool, code string) {
		if ok {
			flags = append(flags, code)
		}
	}
	add(g.chance(0.12), "serious-illness")
	add(g.chance(0.05), "disability")
	add(born >= 2004 && g.chance(0.6), "minor")
	add(born <= 1960 && g.chance(0.7), "older-person")
	young := born >= 1966 && born <= 2000
	switch u := g.r.Float64(); {
	case young && u < 0.05:
		flags = append(flags, "single-parent")
	case young && u < 0.25:
		flags = append(flags, "parent")
	}
	return flags
}
