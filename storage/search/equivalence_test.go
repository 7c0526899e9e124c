package search

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/letapis/letapis/storage/record"
	"github.com/letapis/letapis/storage/synth"
)

// corpusPeople is how many synthetic people the planted ones hide among.
const corpusPeople = 100_000

// corpus holds two indexes of the same corpusPeople synthetic people,
// built once per test binary: one with the people of spellingGroups and
// all their stored spellings, one with only their first (Belarusian
// Cyrillic) spelling.
var corpus struct {
	once        sync.Once
	full, first *Index
	kv          *memKV // the store of full
	planted     []string
	err         error
}

// plantedCorpus returns the shared corpus indexes and the planted ids
// (spellingGroups[i]'s person is planted[i]).
func plantedCorpus(t testing.TB) (full, first *Index, planted []string) {
	t.Helper()
	corpus.once.Do(func() {
		g := synth.New(20260601)
		people := make([]Doc, 0, corpusPeople)
		for range corpusPeople {
			people = append(people, Doc{ID: g.ID(), Body: g.Person()})
		}
		full, first := slices.Clone(people), people
		for _, grp := range spellingGroups {
			id := g.ID()
			corpus.planted = append(corpus.planted, id)
			full = append(full, Doc{ID: id, Body: plantedPerson(grp.stored)})
			first = append(first, Doc{ID: id, Body: plantedPerson(grp.stored[:1])})
		}
		corpus.kv = newMemKV()
		if corpus.full, corpus.err = Rebuild(corpus.kv.update, slicesSeq(full)); corpus.err != nil {
			return
		}
		corpus.first, corpus.err = Rebuild(newMemKV().update, slicesSeq(first))
	})
	if corpus.err != nil {
		t.Fatal(corpus.err)
	}
	return corpus.full, corpus.first, corpus.planted
}

// plantedPerson returns a person with the spellings "Given|Patronymic|Family".
func plantedPerson(spellings []string) *record.Person {
	p := &record.Person{Status: "convicted", Gender: "other"}
	for _, s := range spellings {
		f := strings.Split(s, "|")
		p.Names = append(p.Names, record.Name{Given: f[0], Patronymic: f[1], Family: f[2]})
	}
	return p
}

// slicesSeq yields docs with no error.
func slicesSeq(docs []Doc) func(func(Doc, error) bool) {
	return func(yield func(Doc, error) bool) {
		for _, d := range docs {
			if !yield(d, nil) {
				return
			}
		}
	}
}

// TestSpellingEquivalence plants people written one way among 100,000
// synthetic people and searches for them written every other way: each
// query must find its person among the top 3 (recall), and no other person
// may score as high as the planted one (precision). When the vault holds
// only one spelling of a person, recall is measured and must stay high.
func TestSpellingEquivalence(t *testing.T) {
	if len(spellingGroups) < 60 {
		t.Fatalf("only %d spelling groups; the issue asks for at least 60", len(spellingGroups))
	}
	full, first, planted := plantedCorpus(t)
	t.Run("all spellings stored", func(t *testing.T) {
		r := measureRecall(t, full, planted)
		for _, m := range r.misses {
			t.Error(m)
		}
		for _, m := range r.imprecise {
			t.Error(m)
		}
		t.Logf("%d groups, %d queries among %d people: %s", len(spellingGroups), r.queries, corpusPeople, r)
	})
	t.Run("one spelling stored", func(t *testing.T) {
		r := measureRecall(t, first, planted)
		if recall := float64(r.top3) / float64(r.queries); recall < 0.97 {
			t.Errorf("recall %.1f%% is below 97%%; misses:\n%s", 100*recall, strings.Join(r.misses, "\n"))
		}
		t.Logf("only the Belarusian Cyrillic spelling stored: %s; misses: %d", r, len(r.misses))
	})
}

// recall counts how the queries of spellingGroups fare in an index.
type recall struct {
	queries, top3, first int
	misses, imprecise    []string // queries whose person is not in the top 3, or is tied or beaten
}

func (r recall) String() string {
	return fmt.Sprintf("recall in top 3 %.1f%%, first %.1f%%", 100*float64(r.top3)/float64(r.queries), 100*float64(r.first)/float64(r.queries))
}

func measureRecall(t *testing.T, ix *Index, planted []string) recall {
	var r recall
	for i, grp := range spellingGroups {
		for _, q := range grp.queries {
			r.queries++
			hits := mustSearch(t, ix, Query{Text: q, Limit: 10})
			rank := slices.IndexFunc(hits, func(h Hit) bool { return h.ID == planted[i] })
			if rank < 0 || rank >= 3 {
				r.misses = append(r.misses, fmt.Sprintf("%q (group %q): planted person at rank %d; top hits: %s", q, grp.stored[0], rank+1, describe(hits)))
				continue
			}
			r.top3++
			if rank == 0 {
				r.first++
			}
			for _, h := range hits {
				if h.ID != planted[i] && h.Score >= hits[rank].Score {
					r.imprecise = append(r.imprecise, fmt.Sprintf("%q (group %q): %q scores %.3f, not below the planted person's %.3f", q, grp.stored[0], h.Match, h.Score, hits[rank].Score))
				}
			}
		}
	}
	return r
}

func describe(hits []Hit) string {
	var b strings.Builder
	for i, h := range hits[:min(len(hits), 4)] {
		fmt.Fprintf(&b, "%d. %s (%.3f) ", i+1, h.Match, h.Score)
	}
	return b.String()
}
