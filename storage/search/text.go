package search

import (
	"math"
	"slices"
	"unicode/utf8"
)

// textIndex is an inverted index of the folded words of records' text
// fields: each word has the postings of the documents it occurs in.
type textIndex struct {
	words lexicon
	post  []postings // by word id
}

// minPrefixRunes is the shortest query word that also matches the words
// it is a prefix of; shorter ones match only themselves.
const minPrefixRunes = 3

// Weights of a query word's match: the word itself, or a longer word it
// starts.
const (
	weightWord   = 1.0
	weightPrefix = 0.8
)

// add indexes the words of e as document n's.
func (t *textIndex) add(n uint32, e *entry) {
	e.eachWord(func(w []byte) {
		id, ok := t.words.lookup(string(w))
		if !ok {
			id, _ = t.words.intern(string(w))
			t.post = append(t.post, postings{})
		}
		t.post[id].add(n)
	})
}

func (t *textIndex) remap(f func(uint32) (uint32, bool)) {
	for i := range t.post {
		t.post[i].remap(f)
	}
}

// expansion is the indexed words one query word matches: the word itself
// first, if indexed, then the words it is a prefix of.
type expansion struct {
	query    int // position of the query word
	ids      []uint32
	exact    bool // ids[0] is the word itself
	postings int  // total length of the postings, to order the work
}

func (t *textIndex) expand(i int, word string) expansion {
	x := expansion{query: i}
	if id, ok := t.words.lookup(word); ok {
		x.ids, x.exact = append(x.ids, id), true
	}
	if utf8.RuneCountInString(word) >= minPrefixRunes {
		for _, id := range t.words.withPrefix(word) {
			if t.words.texts[id] != word {
				x.ids = append(x.ids, id)
			}
		}
	}
	for _, id := range x.ids {
		x.postings += int(t.post[id].n)
	}
	return x
}

// textCand is a document that matched the first n query words processed,
// with the word ids that matched (id + 1, by query position).
type textCand struct {
	doc   uint32
	n     int
	score float64
	words [maxQueryWords]uint32
}

// searchText returns the documents whose text contains every query word
// (or a word it starts), scored in (0, 1) by the inverse document
// frequency of what matched, unordered.
func (ix *Index) searchText(query []string, accept func(*doc) bool) []ranked {
	t := &ix.text
	query = query[:min(len(query), maxQueryWords)]
	if len(query) == 0 {
		return nil
	}
	xs := make([]expansion, len(query))
	maxScore := 0.0
	total := float64(max(len(ix.byID), 1))
	idf := func(id uint32) float64 { return math.Log(1 + total/float64(max(t.post[id].n, 1))) }
	for i, w := range query {
		xs[i] = t.expand(i, w)
		if len(xs[i].ids) == 0 {
			return nil
		}
		best := 0.0
		for _, id := range xs[i].ids {
			best = max(best, idf(id))
		}
		maxScore += best
	}
	// The rarest word picks the candidates; the others only confirm them.
	slices.SortFunc(xs, func(a, b expansion) int { return a.postings - b.postings })
	slot := ix.getSlots()
	defer putSlots(slot)
	var cands []textCand
	defer func() {
		for _, c := range cands {
			slot[c.doc] = 0
		}
	}()
	for step, x := range xs {
		for j, id := range x.ids {
			weight := weightPrefix
			if j == 0 && x.exact {
				weight = weightWord
			}
			s := weight * idf(id)
			for d := range t.post[id].all() {
				k := slot[d]
				if step == 0 && k == 0 {
					cands = append(cands, textCand{doc: d})
					k = int32(len(cands))
					slot[d] = k
				}
				if k == 0 || cands[k-1].n != step {
					continue
				}
				c := &cands[k-1]
				c.n++
				c.score += s
				c.words[x.query] = id + 1
			}
		}
	}
	out := make([]ranked, 0, len(cands))
	for i := range cands {
		c := &cands[i]
		if d := &ix.docs[c.doc]; c.n == len(xs) && d.live && accept(d) {
			out = append(out, ranked{doc: c.doc, score: 0.99 * c.score / maxScore, words: &c.words})
		}
	}
	return out
}

// matchedWords returns the indexed words a text hit matched, without
// duplicates.
func (t *textIndex) matchedWords(ids *[maxQueryWords]uint32) []string {
	var words []string
	for _, id := range ids {
		if id == 0 {
			continue
		}
		if w := t.words.texts[id-1]; !slices.Contains(words, w) {
			words = append(words, w)
		}
	}
	return words
}
