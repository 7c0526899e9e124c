package synth

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/letapis/letapis/storage/record"
)

// Bounds of a testimony text in bytes.
const (
	minTestimonyBytes = 1 << 10
	maxTestimonyBytes = 50 << 10
)

// languages of testimonies and notes, weighted.
var languages = []weighted{{"ru", 45}, {"be", 35}, {"en", 20}}

// Testimony returns an account about the people with the given record ids
// (possibly none): a made-up interviewee, relation, interviewer, date and
// place, language (be, ru or en), consent with at least one scope and
// sometimes an embargo, sensitivity, 1 to 4 violation codes, and a text in
// the testimony's language of 1 to 50 KB, log-uniformly distributed.
func (g *Generator) Testimony(aboutIDs []string) *record.Testimony {
	lang := g.pickWeighted(languages)
	taken := g.dayIn(electionDay.AddDate(0, 3, 0), horizon)
	t := &record.Testimony{
		Interviewee: g.interviewee(lang),
		Relation:    g.pickWeighted(relations),
		Interviewer: g.interviewer(),
		Date:        g.partial(taken, 0, 0.15),
		Place:       pick(g, exilePlaces),
		Language:    lang,
		Consent:     g.consent(taken),
		Sensitivity: g.pickWeighted(sensitivities),
		About:       slices.Clone(aboutIDs),
		Violations:  g.violations(),
	}
	size := g.logUniform(minTestimonyBytes, maxTestimonyBytes)
	t.Text = g.text(lang, size, minTestimonyBytes, maxTestimonyBytes)
	return t
}

// TestimonyText returns testimony-like text in Belarusian, Russian or
// English whose length in bytes is uniform in [minBytes, maxBytes], for
// benchmarks. minBytes is raised to 1 and maxBytes to minBytes if needed.
// The text is valid UTF-8.
func (g *Generator) TestimonyText(minBytes, maxBytes int) string {
	minBytes = max(minBytes, 1)
	maxBytes = max(maxBytes, minBytes)
	lang := g.pickWeighted(languages)
	return g.text(lang, g.intIn(minBytes, maxBytes), minBytes, maxBytes)
}

// Note returns a dated case note of 1 to 5 sentences about the record with
// id aboutID (which may be empty).
func (g *Generator) Note(aboutID string) *record.Note {
	lang := g.pickWeighted(languages)
	n := g.intIn(1, 5)
	sentences := make([]string, 0, n)
	for _, i := range g.r.Perm(len(notePhrases))[:n] {
		sentences = append(sentences, notePhrases[i].in(lang))
	}
	return &record.Note{
		About: aboutID,
		Date:  g.partial(g.dayIn(electionDay, horizon), 0, 0.2),
		Text:  strings.Join(sentences, " "),
	}
}

// interviewee returns a made-up name written as the language would, or now
// and then a pseudonym.
func (g *Generator) interviewee(lang string) string {
	if g.chance(0.1) {
		return fmt.Sprintf("Witness %c-%d", 'A'+rune(g.r.IntN(26)), g.intIn(1, 99))
	}
	be, ru := g.name(g.chance(0.5)).cyrillic(g.chance(0.5))
	switch lang {
	case "be":
		return be.String()
	case "ru":
		return ru.String()
	}
	return romanise(passport, be, "passport", false).String()
}

// interviewer returns a team member's pseudonym or made-up name.
func (g *Generator) interviewer() string {
	if g.chance(0.5) {
		return fmt.Sprintf("Fieldworker %02d", g.intIn(1, 40))
	}
	be, _ := g.name(g.chance(0.5)).cyrillic(false)
	return romanise(passport, be, "passport", false).String()
}

// consent returns consent given on the day of the interview: always for
// the team, often for more, sometimes with an embargo, rarely withdrawn.
func (g *Generator) consent(taken time.Time) record.Consent {
	c := record.Consent{Scopes: []string{consentScopes[0]}}
	for _, s := range consentScopes[1:] {
		if g.chance(0.45) {
			c.Scopes = append(c.Scopes, s)
		}
	}
	if g.chance(0.15) {
		c.Embargo = g.partial(g.dayIn(taken.AddDate(1, 0, 0), taken.AddDate(6, 0, 0)), 0.5, 0)
	}
	if g.chance(0.03) {
		c.Withdrawn = dayOf(g.dayIn(taken.AddDate(0, 0, 7), taken.AddDate(2, 0, 0)))
	}
	if g.chance(0.8) {
		c.Explained = pick(g, consentExplained)
	}
	if g.chance(0.4) {
		c.Fears = pick(g, consentFears)
	}
	return c
}

// violations returns 1 to 4 distinct incident-type codes in vocabulary
// order.
func (g *Generator) violations() []string {
	idx := g.r.Perm(len(incidentKinds))[:g.intIn(1, 4)]
	slices.Sort(idx)
	codes := make([]string, len(idx))
	for i, k := range idx {
		codes[i] = incidentKinds[k].code
	}
	return codes
}

// text builds paragraphs of testimony sentences in lang until the text
// reaches target bytes, then trims it into [lo, hi]; lo <= target <= hi.
func (g *Generator) text(lang string, target, lo, hi int) string {
	var b strings.Builder
	b.Grow(target + 512)
	prev := 0  // length before the last sentence and its separator
	last := -1 // index of the last phrase, not to be repeated at once
	left := g.intIn(3, 7)
	for b.Len() < target {
		prev = b.Len()
		switch {
		case b.Len() == 0:
		case left == 0:
			b.WriteString("\n\n")
			left = g.intIn(3, 7)
		default:
			b.WriteByte(' ')
		}
		b.WriteString(g.sentence(lang, &last))
		left--
	}
	s := b.String()
	switch {
	case len(s) <= hi:
		return s
	case prev >= lo: // drop the last sentence
		return s[:prev]
	}
	// Cut inside the last sentence at a rune boundary, and pad with dots
	// if that fell short of lo (by at most three bytes).
	cut := hi
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	s = s[:cut]
	if len(s) < lo {
		s += strings.Repeat(".", lo-len(s))
	}
	return s
}

// sentence returns one testimony sentence in lang, sometimes opened by a
// connector ("After that, …"). It does not repeat the phrase at *last, and
// stores the one it used there.
func (g *Generator) sentence(lang string, last *int) string {
	i := g.r.IntN(len(testimonyPhrases))
	if i == *last {
		i = (i + 1) % len(testimonyPhrases)
	}
	*last = i
	s := strings.ReplaceAll(testimonyPhrases[i].in(lang), "{n}", strconv.Itoa(g.intIn(1, 22)))
	if g.chance(0.25) {
		s = pick(g, connectors).in(lang) + " " + lowerFirst(s)
	}
	return s
}

// lowerFirst lower-cases the first letter of a sentence, except the
// English pronoun "I".
func lowerFirst(s string) string {
	if strings.HasPrefix(s, "I ") {
		return s
	}
	r, n := utf8.DecodeRuneInString(s)
	return string(unicode.ToLower(r)) + s[n:]
}
