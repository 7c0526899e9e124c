package search

import (
	"slices"
	"sort"
	"strings"
)

// lexicon numbers distinct strings (name keys, text words) in the order
// they are first seen and keeps them sorted for prefix ranges. Strings are
// never removed: one that no live document uses any more costs a few bytes
// until the next unlock.
type lexicon struct {
	ids   map[string]uint32
	texts []string
	// sorted holds ids in the order of their texts. The ids added since the
	// last settle are missing from it.
	sorted []uint32
}

func newLexicon() lexicon { return lexicon{ids: make(map[string]uint32)} }

// intern returns the id of s, adding it if it is new.
func (l *lexicon) intern(s string) (id uint32, added bool) {
	if id, ok := l.ids[s]; ok {
		return id, false
	}
	id = uint32(len(l.texts))
	l.ids[s] = id
	l.texts = append(l.texts, s)
	return id, true
}

func (l *lexicon) lookup(s string) (uint32, bool) {
	id, ok := l.ids[s]
	return id, ok
}

// settle brings sorted up to date: a few new strings are inserted in
// place, many are sorted in.
func (l *lexicon) settle() {
	first := uint32(len(l.sorted))
	added := len(l.texts) - len(l.sorted)
	if added == 0 {
		return
	}
	if added > 64 {
		for id := first; id < uint32(len(l.texts)); id++ {
			l.sorted = append(l.sorted, id)
		}
		slices.SortFunc(l.sorted, func(a, b uint32) int { return strings.Compare(l.texts[a], l.texts[b]) })
		return
	}
	for id := first; id < first+uint32(added); id++ {
		i := sort.Search(int(id), func(i int) bool { return l.texts[l.sorted[i]] >= l.texts[id] })
		l.sorted = slices.Insert(l.sorted, i, id)
	}
}

// withPrefix returns the ids of the strings that start with p, in order.
// The caller must not modify the slice.
func (l *lexicon) withPrefix(p string) []uint32 {
	lo := sort.Search(len(l.sorted), func(i int) bool { return l.texts[l.sorted[i]] >= p })
	hi := lo + sort.Search(len(l.sorted)-lo, func(i int) bool { return !strings.HasPrefix(l.texts[l.sorted[lo+i]], p) })
	return l.sorted[lo:hi]
}
