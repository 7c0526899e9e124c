// Package synth generates synthetic records for tests, demos and
// benchmarks. Letapis must never be tested or shown with real people's
// data, so this package makes up people, cases, incidents, testimonies and
// notes that look like the real thing: Belarusian and Russian names in
// Cyrillic with consistent Łacinka, passport and BGN/PCGN spellings,
// partial dates, the built-in vocabulary codes, and testimony texts of 1 to
// 50 KB in Belarusian, Russian or English.
//
// Names are random combinations of common given names, patronymics and
// surnames; invented institutions (NGOs, courts, judges) are marked
// "(synthetic)". Every body passes its Validate method.
//
// Output is deterministic: a Generator made with a given seed produces the
// same sequence of records, call for call, on every run.
package synth

import (
	"math"
	"math/rand/v2"
	"time"

	"github.com/letapis/letapis/storage/record"
)

// seedMix is xored into the seed to give the PCG its second word.
const seedMix = 0x9e3779b97f4a7c15

// Dates the generator stays within: the 2020 election and the last day it
// treats as known.
var (
	electionDay = time.Date(2020, time.August, 9, 0, 0, 0, 0, time.UTC)
	horizon     = time.Date(2025, time.December, 31, 0, 0, 0, 0, time.UTC)
)

// Generator produces deterministic synthetic records for a seed. Not safe
// for concurrent use.
type Generator struct {
	r *rand.Rand
	// incidentBag holds the incident kinds left in the current round, so
	// that every incident type comes up once per len(incidentKinds) calls.
	incidentBag []int
}

// New returns a generator whose output depends only on seed.
func New(seed uint64) *Generator {
	return &Generator{r: rand.New(rand.NewPCG(seed, seed^seedMix))}
}

// idAlphabet is the alphabet of record ids (see record.IsID).
const idAlphabet = "abcdefghijklmnopqrstuvwxyz234567"

// ID returns a random string of the form of a record id, for tests and
// demos that need references without a vault. It is not a vault id and
// carries no guarantee of uniqueness beyond its 130 random bits.
func (g *Generator) ID() string {
	b := make([]byte, 26)
	for i := range b {
		b[i] = idAlphabet[g.r.IntN(len(idAlphabet))]
	}
	return string(b)
}

// intIn returns a uniform integer in [lo, hi].
func (g *Generator) intIn(lo, hi int) int { return lo + g.r.IntN(hi-lo+1) }

// chance reports true with probability p.
func (g *Generator) chance(p float64) bool { return g.r.Float64() < p }

// pick returns a uniform element of xs.
func pick[T any](g *Generator, xs []T) T { return xs[g.r.IntN(len(xs))] }

// pickWeighted returns a code chosen with probability proportional to its
// weight.
func (g *Generator) pickWeighted(ws []weighted) string {
	total := 0
	for _, w := range ws {
		total += w.weight
	}
	n := g.r.IntN(total)
	for _, w := range ws {
		if n < w.weight {
			return w.code
		}
		n -= w.weight
	}
	panic("unreachable")
}

// logUniform returns an integer in [lo, hi] whose logarithm is uniform.
func (g *Generator) logUniform(lo, hi int) int {
	a, b := math.Log(float64(lo)), math.Log(float64(hi))
	n := int(math.Exp(a + g.r.Float64()*(b-a)))
	return min(max(n, lo), hi)
}

// dayIn returns a uniform day in [from, to].
func (g *Generator) dayIn(from, to time.Time) time.Time {
	days := int(to.Sub(from).Hours() / 24)
	if days <= 0 {
		return from
	}
	return from.AddDate(0, 0, g.r.IntN(days+1))
}

// dayOf returns t as a Date known to the day.
func dayOf(t time.Time) record.Date {
	return record.Date{Year: t.Year(), Month: int(t.Month()), Day: t.Day()}
}

// partial returns t as a Date known to the year with probability pYear, to
// the month with probability pMonth, and to the day otherwise.
func (g *Generator) partial(t time.Time, pYear, pMonth float64) record.Date {
	d := dayOf(t)
	switch u := g.r.Float64(); {
	case u < pYear:
		d.Month, d.Day = 0, 0
	case u < pYear+pMonth:
		d.Day = 0
	}
	return d
}
