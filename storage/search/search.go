package search

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/letapis/letapis/storage/record"
)

// Limits on the number of hits a search returns.
const (
	DefaultLimit = 20
	MaxLimit     = 1000
)

// Query is what to look for. Text is matched against people's names in any
// spelling and against the words of records' text; the other fields filter.
// A filter that does not apply to a kind of record excludes that kind (a
// Status leaves only people).
type Query struct {
	// Text is a name ("Kalesnikava", "A. Bialiatski", "Бяляцкі Алесь") or
	// words that must all occur in a record's text, each also as the
	// start of a longer word ("катав" finds "катаванні"). It may be empty
	// when a filter is set: the matching records are then listed, latest
	// primary date first.
	Text string
	// Kind limits the search to one kind of record; "" searches all.
	Kind record.Kind
	// Limit is the most hits to return: DefaultLimit if 0, at most MaxLimit.
	Limit int
	// Status keeps people with this status code (vocabulary "status").
	Status string
	// IncidentType keeps incidents of this type and testimonies that name
	// it among their violations (vocabulary "incident-type").
	IncidentType string
	// Facility keeps cases with a spell in, and incidents at, a place whose
	// name contains it, ignoring case ("IK-15", "SIZO-1, Minsk").
	Facility string
	// From and To keep records whose primary date overlaps the period: a
	// person's birth, a case's arrest, an incident's period, a testimony's
	// or a note's date. Either may be zero for an open end. Partial dates
	// cover their whole year or month.
	From, To record.Date
}

// Hit is a record found by Search.
type Hit struct {
	ID   string      `json:"id"`
	Kind record.Kind `json:"kind"`
	// Match is, for a person, the spelling of the name that matched best;
	// for a text match, the matched words.
	Match string `json:"match,omitempty"`
	// Score orders hits, higher first: 1 and above for a person whose
	// name matched every word of the query, below 1 for a partial name
	// match or a text match, 0 for a listing by filters alone.
	Score float64 `json:"score"`
	// Terms are the indexed words a text match found, for Snippet.
	Terms []string `json:"terms,omitempty"`
}

// ranked is a candidate document with its score; words are the matched
// word ids of a text match.
type ranked struct {
	doc   uint32
	score float64
	words *[maxQueryWords]uint32
}

// Search finds records: people whose names match the query text (exact
// spelling first, then transliterations and equivalent given names, then
// typos and initials; the surname weighs most), and records whose text
// contains every query word. Hits are ordered by score, then by latest
// primary date, then by id.
func (ix *Index) Search(q Query) ([]Hit, error) {
	f, limit, err := q.compile()
	if err != nil {
		return nil, fmt.Errorf("search: %w", err)
	}
	var names []queryWord
	if q.Kind == "" || q.Kind == record.KindPerson {
		names = parseNameQuery(q.Text)
	}
	words := foldText(q.Text)
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	var found []ranked
	switch {
	case len(names) == 0 && len(words) == 0:
		if f == (filter{}) {
			return nil, fmt.Errorf("search: %w", ErrEmptyQuery)
		}
		for n := range ix.docs {
			if d := &ix.docs[n]; d.live && f.accept(d) {
				found = append(found, ranked{doc: uint32(n)})
			}
		}
	default:
		found = ix.searchNames(names, f.accept)
		if q.Kind != record.KindPerson {
			found = append(found, ix.searchText(words, f.accept)...)
		}
	}
	found = best(found, limit, func(a, b ranked) int {
		da, db := &ix.docs[a.doc], &ix.docs[b.doc]
		return cmp.Or(cmp.Compare(b.score, a.score), cmp.Compare(db.hi, da.hi), strings.Compare(da.id, db.id))
	})
	hits := make([]Hit, len(found))
	for i, r := range found {
		d := &ix.docs[r.doc]
		h := Hit{ID: d.id, Kind: d.kind, Score: r.score}
		switch {
		case r.words != nil:
			h.Terms = ix.text.matchedWords(r.words)
			h.Match = strings.Join(h.Terms, " ")
		case d.names != "":
			h.Match = bestSpelling(d.names, names)
		}
		hits[i] = h
	}
	return hits, nil
}

// best returns the first n of found in the order of cmp, sorted. It
// reorders found. A heap of the n best so far keeps the work near linear
// when found is long.
func best(found []ranked, n int, cmp func(a, b ranked) int) []ranked {
	if len(found) <= n {
		slices.SortFunc(found, cmp)
		return found
	}
	// h is a heap whose root is the worst of the n best so far.
	h := found[:n]
	for i := n/2 - 1; i >= 0; i-- {
		siftDown(h, i, cmp)
	}
	for _, r := range found[n:] {
		if cmp(r, h[0]) < 0 {
			h[0] = r
			siftDown(h, 0, cmp)
		}
	}
	slices.SortFunc(h, cmp)
	return h
}

// siftDown restores the heap property below i: no element orders after
// its parent.
func siftDown(h []ranked, i int, cmp func(a, b ranked) int) {
	for {
		worst := i
		for _, c := range []int{2*i + 1, 2*i + 2} {
			if c < len(h) && cmp(h[c], h[worst]) > 0 {
				worst = c
			}
		}
		if worst == i {
			return
		}
		h[i], h[worst] = h[worst], h[i]
		i = worst
	}
}

// filter is a Query's filters in the form documents are compared in.
type filter struct {
	kind                 record.Kind
	status, incidentType string
	facility             string // lower case
	dated                bool
	from, to             uint32 // YYYYMMDD, when dated
}

// errQuery reports a malformed query.
var errQuery = errors.New("invalid query")

// compile checks q and returns its filter and hit limit.
func (q Query) compile() (filter, int, error) {
	f := filter{
		kind:         q.Kind,
		status:       q.Status,
		incidentType: q.IncidentType,
		facility:     strings.ToLower(strings.TrimSpace(q.Facility)),
	}
	if q.Kind != "" {
		if _, err := record.ParseKind(string(q.Kind)); err != nil {
			return f, 0, fmt.Errorf("%w: %w", errQuery, err)
		}
	}
	limit := q.Limit
	switch {
	case limit < 0:
		return f, 0, fmt.Errorf("%w: negative limit %d", errQuery, limit)
	case limit == 0:
		limit = DefaultLimit
	}
	if !q.From.IsZero() && !q.To.IsZero() && q.To.Before(q.From) {
		return f, 0, fmt.Errorf("%w: the period ends (%s) before it starts (%s)", errQuery, q.To, q.From)
	}
	if !q.From.IsZero() || !q.To.IsZero() {
		f.dated, f.from, f.to = true, 0, ^uint32(0)
		if !q.From.IsZero() {
			f.from = q.From.First()
		}
		if !q.To.IsZero() {
			f.to = q.To.Last()
		}
	}
	return f, min(limit, MaxLimit), nil
}

// accept reports whether a document passes every filter.
func (f *filter) accept(d *doc) bool {
	switch {
	case f.kind != "" && d.kind != f.kind,
		f.status != "" && d.status != f.status,
		f.incidentType != "" && !slices.Contains(d.types, f.incidentType),
		f.facility != "" && !slices.ContainsFunc(d.places, func(p string) bool { return strings.Contains(p, f.facility) }),
		f.dated && (d.lo == 0 || d.hi < f.from || d.lo > f.to):
		return false
	}
	return true
}
