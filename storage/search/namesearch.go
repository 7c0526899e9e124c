package search

import "slices"

// Searching by name: each full word of a query is planned into the name
// postings it matches and how well (plan), the rarest word finds the
// candidates and the others score them (searchNames), initials add to the
// scores, and each field of a name takes the best query word (assign).

// fieldWeight makes the surname count most: "Bialiatski Viktar" finds
// every Bialiatski before any other Viktar.
var fieldWeight = [numFields]float64{1, 0.55, 0.35}

// Tiers say how well a query word matches a word of a name, in
// hundredths. A hit's score adds tier × field weight over the query words,
// each field taken by at most one query word (see nameScore).
const (
	tierExact   = 100 // the same spelling, ignoring case
	tierKey     = 90  // the same key: another transliteration or language
	tierGiven   = 80  // an equivalent given name: Алесь for Aliaksandr
	tierFuzzy   = 80  // a key some edits away, less tierPerHalfEdit for each half edit
	tierPrefix  = 50  // the key starts with the last query word's key
	tierInitial = 50  // an initial of a given name or patronymic

	// tierPerHalfEdit makes a typo of one whole edit 70, of two 60.
	tierPerHalfEdit = 5
)

const (
	// maxQueryWords bounds the words of a query that count.
	maxQueryWords = 6
	// minPrefix is the shortest key the last query word is completed
	// from, and maxPrefixKeys how many completions are tried.
	minPrefix     = 3
	maxPrefixKeys = 256
)

// queryWord is a word of a name query with its keys; initial is the
// initial class it asks for when it is an initial, else 0.
type queryWord struct {
	text    string
	keys    []string
	initial uint32
}

// parseNameQuery returns the words of a name query that have letters, at
// most maxQueryWords. A word of one letter, or of two followed by a full
// stop ("Yu."), is an initial.
func parseNameQuery(text string) []queryWord {
	var words []queryWord
	for _, w := range splitName(text) {
		keys := nameKeys(w.text)
		if len(keys) == 0 {
			continue
		}
		q := queryWord{text: w.text, keys: keys}
		if n := len([]rune(w.text)); n == 1 || n == 2 && w.dotted {
			for _, k := range keys {
				q.initial |= queryInitialBit(k)
			}
			if q.initial == 0 {
				continue
			}
		}
		if words = append(words, q); len(words) == maxQueryWords {
			break
		}
	}
	return words
}

// source is a list of name postings a query word matches, and how well;
// given marks an equivalent name, which counts only as a given name.
type source struct {
	post  *postings
	tier  uint8
	given bool
}

// plan returns the postings that query word w matches and their total
// length. Tiers overlap (a surface also has the word's key): hits keep the
// best.
func (ni *nameIndex) plan(w queryWord, last bool) ([]source, int) {
	var srcs []source
	addKey := func(kid uint32, tier uint8, given bool) {
		for _, sid := range ni.keySurf[kid] {
			srcs = append(srcs, source{post: &ni.surf[sid].post, tier: tier, given: given})
		}
	}
	if sid, ok := ni.surfaces[w.text]; ok {
		srcs = append(srcs, source{post: &ni.surf[sid].post, tier: tierExact})
	}
	for _, k := range w.keys {
		if kid, ok := ni.keys.lookup(k); ok {
			addKey(kid, tierKey, false)
		}
		for _, e := range equivalentNames[k] {
			if kid, ok := ni.keys.lookup(e); ok && e != k && ni.keyField[kid]&(1<<fieldGiven) != 0 {
				addKey(kid, tierGiven, true)
			}
		}
		ni.fuzzy(k, func(kid uint32, halfEdits int) {
			addKey(kid, uint8(tierFuzzy-tierPerHalfEdit*halfEdits), false)
		})
		if last && len(k) >= minPrefix {
			completions := ni.keys.withPrefix(k)
			for _, kid := range completions[:min(len(completions), maxPrefixKeys)] {
				addKey(kid, tierPrefix, false)
			}
		}
	}
	cost := 0
	for _, s := range srcs {
		cost += int(s.post.n)
	}
	return srcs, cost
}

// nameCand is a person some query word matched: the best tier of each
// query word in each field.
type nameCand struct {
	doc   uint32
	tiers [maxQueryWords][numFields]uint8
}

// searchNames returns the people whose names match the query words, with
// their scores, unordered. Full words find candidates and initials add to
// their scores. People matched by every full word are all that is
// returned, if there are any; otherwise those matched by some.
func (ix *Index) searchNames(words []queryWord, accept func(*doc) bool) []ranked {
	type plan struct {
		word int
		srcs []source
		cost int
	}
	var plans []plan
	last := -1
	for i, w := range words {
		if w.initial == 0 {
			last = i
		}
	}
	for i, w := range words {
		if w.initial == 0 {
			srcs, cost := ix.names.plan(w, i == last)
			plans = append(plans, plan{word: i, srcs: srcs, cost: cost})
		}
	}
	if len(plans) == 0 {
		return nil
	}
	initialFields := initialsFields(words)
	// The rarest word finds the candidates and the others score them. If
	// no candidate matched every word, every word finds candidates.
	slices.SortFunc(plans, func(a, b plan) int { return a.cost - b.cost })
	slot := ix.getSlots()
	defer putSlots(slot)
	var cands []nameCand
	collect := func(allFind bool) {
		for _, c := range cands {
			slot[c.doc] = 0
		}
		cands = cands[:0]
		for step, p := range plans {
			find := allFind || step == 0
			for _, src := range p.srcs {
				for v := range src.post.all() {
					d, f := v>>2, v&3
					if src.given && f != fieldGiven {
						continue
					}
					s := slot[d]
					if s == 0 {
						if !find {
							continue
						}
						cands = append(cands, nameCand{doc: d})
						s = int32(len(cands))
						slot[d] = s
					}
					if t := &cands[s-1].tiers[p.word][f]; src.tier > *t {
						*t = src.tier
					}
				}
			}
		}
	}
	covered := func(c *nameCand) bool {
		for _, p := range plans {
			if c.tiers[p.word] == [numFields]uint8{} {
				return false
			}
		}
		return true
	}
	collect(false)
	if len(plans) > 1 && !slices.ContainsFunc(cands, func(c nameCand) bool { return covered(&c) }) {
		collect(true)
	}
	defer func() {
		for _, c := range cands {
			slot[c.doc] = 0
		}
	}()
	out := make([]ranked, 0, len(cands))
	for i := range cands {
		c := &cands[i]
		d := &ix.docs[c.doc]
		if !d.live || !accept(d) {
			continue
		}
		for w, q := range words {
			if q.initial == 0 {
				continue
			}
			f := initialFields[w]
			if f&(1<<fieldGiven) != 0 && d.initials[0]&q.initial != 0 {
				c.tiers[w][fieldGiven] = tierInitial
			}
			if f&(1<<fieldPatronymic) != 0 && d.initials[1]&q.initial != 0 {
				c.tiers[w][fieldPatronymic] = tierInitial
			}
		}
		out = append(out, ranked{doc: c.doc, score: nameScore(&c.tiers, words)})
	}
	return out
}

// initialsFields returns, by query word, the fields an initial may stand
// for: either of given name and patronymic when the query has one initial;
// with two or more, the first is the given name's and the second the
// patronymic's, as in "Бяляцкі А. В.".
func initialsFields(words []queryWord) [maxQueryWords]uint8 {
	var fields [maxQueryWords]uint8
	var initials []int
	for w, q := range words {
		if q.initial != 0 {
			initials = append(initials, w)
		}
	}
	for i, w := range initials {
		switch {
		case len(initials) == 1:
			fields[w] = 1<<fieldGiven | 1<<fieldPatronymic
		case i == 0:
			fields[w] = 1 << fieldGiven
		case i == 1:
			fields[w] = 1 << fieldPatronymic
		}
	}
	return fields
}

// nameScore is a candidate's score: 1 plus the assigned tiers when every
// full word of the query matched the name, so that it ranks above any text
// match; otherwise a fraction below 0.5, under most full text matches.
func nameScore(tiers *[maxQueryWords][numFields]uint8, words []queryWord) float64 {
	total := assign(tiers, len(words))
	for w, q := range words {
		if q.initial == 0 && tiers[w] == [numFields]uint8{} {
			return 0.5 * total / (fieldWeight[fieldFamily] + fieldWeight[fieldGiven] + fieldWeight[fieldPatronymic])
		}
	}
	return 1 + total
}

// assign gives each field to at most one query word, greedily taking the
// best remaining word–field pair, and returns the total weighted score.
func assign(tiers *[maxQueryWords][numFields]uint8, n int) float64 {
	var usedWord, usedField uint8
	total := 0.0
	for range numFields {
		best, bw, bf := 0.0, -1, -1
		for w := range n {
			if usedWord&(1<<w) != 0 {
				continue
			}
			for f := range numFields {
				if s := float64(tiers[w][f]) / 100 * fieldWeight[f]; usedField&(1<<f) == 0 && s > best {
					best, bw, bf = s, w, f
				}
			}
		}
		if bw < 0 {
			break
		}
		total += best
		usedWord |= 1 << bw
		usedField |= 1 << bf
	}
	return total
}

// bestSpelling returns the spelling of a person's name that the query
// words match best: most words in the same spelling, then in the same key;
// the display name when none matches.
func bestSpelling(packed string, words []queryWord) string {
	names := unpackNames(packed)
	if len(names) == 0 {
		return ""
	}
	best, bestScore := 0, 0
	for i, n := range names {
		score := 0
		for _, w := range splitName(n.String()) {
			keys := nameKeys(w.text)
			for _, q := range words {
				switch {
				case q.text == w.text:
					score += 3
				case q.initial == 0 && sharesKey(q.keys, keys):
					score += 2
				}
			}
		}
		if score > bestScore {
			best, bestScore = i, score
		}
	}
	return names[best].String()
}

func sharesKey(a, b []string) bool {
	for _, k := range a {
		if slices.Contains(b, k) {
			return true
		}
	}
	return false
}
