package search

import (
	"slices"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/letapis/letapis/storage/record"
)

// Fields of a name. A name posting is a document number shifted left by
// two with the field in the low bits.
const (
	fieldFamily = iota
	fieldGiven
	fieldPatronymic
	numFields
)

// nameIndex finds people by the words of their names. Each distinct
// spelling of a word (a surface, in lower case) has the postings of the
// people and fields it occurs in, and its keys; each key lists its
// surfaces, and a trigram index over keys finds the keys a typo is close
// to.
type nameIndex struct {
	surfaces map[string]uint32
	surf     []surface
	keys     lexicon
	keySurf  [][]uint32          // surfaces by key id
	keyField []uint8             // by key id: a bit per field its surfaces occur in
	grams    map[uint32][]uint32 // key ids by trigram
}

// trigramCounts recycles fuzzy's counters, one per key.
var trigramCounts sync.Pool

type surface struct {
	post postings
	keys []uint32
}

func newNameIndex() nameIndex {
	return nameIndex{surfaces: make(map[string]uint32), keys: newLexicon(), grams: make(map[uint32][]uint32)}
}

// add indexes the names of document n and returns the initial classes of
// its given names and of its patronymics.
func (ni *nameIndex) add(n uint32, names []record.Name) [2]uint32 {
	var initials [2]uint32
	var occurs []uint32 // surface<<2 | field
	for _, nm := range names {
		for f, part := range [numFields]string{nm.Family, nm.Given, nm.Patronymic} {
			eachNameWord(part, func(w []byte, _ bool) {
				sid := ni.surface(w)
				occurs = append(occurs, sid<<2|uint32(f))
				if f != fieldFamily {
					for _, kid := range ni.surf[sid].keys {
						initials[f-1] |= initialBits(ni.keys.texts[kid])
					}
				}
			})
		}
	}
	slices.Sort(occurs)
	for _, o := range slices.Compact(occurs) {
		s := &ni.surf[o>>2]
		s.post.add(n<<2 | o&3)
		for _, kid := range s.keys {
			ni.keyField[kid] |= 1 << (o & 3)
		}
	}
	return initials
}

// surface returns the id of a lower-case spelling, adding it and its keys
// if it is new.
func (ni *nameIndex) surface(word []byte) uint32 {
	if sid, ok := ni.surfaces[string(word)]; ok {
		return sid
	}
	text := string(word)
	sid := uint32(len(ni.surf))
	ni.surfaces[text] = sid
	s := surface{}
	for _, k := range nameKeys(text) {
		kid, added := ni.keys.intern(k)
		if added {
			ni.keySurf = append(ni.keySurf, nil)
			ni.keyField = append(ni.keyField, 0)
			trigrams(k, func(g uint32) { ni.grams[g] = append(ni.grams[g], kid) })
		}
		ni.keySurf[kid] = append(ni.keySurf[kid], sid)
		s.keys = append(s.keys, kid)
	}
	ni.surf = append(ni.surf, s)
	return sid
}

func (ni *nameIndex) remap(f func(uint32) (uint32, bool)) {
	for i := range ni.surf {
		ni.surf[i].post.remap(func(v uint32) (uint32, bool) {
			n, ok := f(v >> 2)
			return n<<2 | v&3, ok
		})
	}
}

// fuzzy calls fn with every key other than key itself within maxEdits of
// it, and the distance in half edits. Typos are looked for in surnames and
// given names only: a patronymic one or two letters from the query is
// usually another father's name, not a typo.
func (ni *nameIndex) fuzzy(key string, fn func(kid uint32, halfEdits int)) {
	k := maxEdits(len(key))
	if k == 0 {
		return
	}
	const fields = 1<<fieldFamily | 1<<fieldGiven
	letters := countLetters(key)
	check := func(kid uint32) {
		t := ni.keys.texts[kid]
		if t == key || ni.keyField[kid]&fields == 0 || bagDistance(letters, key, t) > 2*k {
			return
		}
		if d := editDistance(key, t, 2*k); d <= 2*k {
			fn(kid, d)
		}
	}
	// shared counts the query's trigrams in each key; touched lists the
	// keys counted, to check them and to clear the counters after.
	p, _ := trigramCounts.Get().(*[]uint8)
	if p == nil || len(*p) < len(ni.keys.texts) {
		p = new(make([]uint8, len(ni.keys.texts)))
	}
	defer trigramCounts.Put(p)
	shared := *p
	var touched []uint32
	distinct := trigrams(key, func(g uint32) {
		for _, kid := range ni.grams[g] {
			if shared[kid] == 0 {
				touched = append(touched, kid)
			}
			shared[kid]++
		}
	})
	need := distinct - 4*k
	for _, kid := range touched {
		if int(shared[kid]) >= need && need >= 1 {
			check(kid)
		}
		shared[kid] = 0
	}
	if need < 1 { // too short for the filter: compare with every key
		for kid := range ni.keys.texts {
			check(uint32(kid))
		}
	}
}

// nameWord is a word of a name or query: lower case, apostrophes unified,
// and whether a full stop followed it (an initial: "A.", "Yu.").
type nameWord struct {
	text   string
	dotted bool
}

// splitName splits text into words at anything but letters, combining
// marks and apostrophes (so hyphenated surnames give two words).
func splitName(text string) []nameWord {
	var words []nameWord
	eachNameWord(text, func(w []byte, dotted bool) { words = append(words, nameWord{text: string(w), dotted: dotted}) })
	return words
}

// eachNameWord calls fn with each word of text as splitName splits it, in
// a buffer valid only during the call.
func eachNameWord(text string, fn func(word []byte, dotted bool)) {
	var buf [64]byte
	w := buf[:0]
	for _, r := range text {
		if l := nameRune(r); l != 0 {
			w = utf8.AppendRune(w, l)
			continue
		}
		if len(w) > 0 {
			fn(w, r == '.')
			w = w[:0]
		}
	}
	if len(w) > 0 {
		fn(w, false)
	}
}

// nameRuneTable holds nameRune for the runes below its length.
var nameRuneTable = func() []rune {
	t := make([]rune, 0x530)
	for r := range rune(len(t)) {
		t[r] = nameRuneOf(r)
	}
	return t
}()

// nameRune returns r in lower case if it belongs in a word of a name, an
// apostrophe for any apostrophe, and 0 for anything else.
func nameRune(r rune) rune {
	if int(r) < len(nameRuneTable) {
		return nameRuneTable[r]
	}
	return nameRuneOf(r)
}

func nameRuneOf(r rune) rune {
	switch {
	case silent[r]:
		return '\''
	case unicode.IsLetter(r) || unicode.Is(unicode.Mn, r):
		return unicode.ToLower(r)
	}
	return 0
}

// Packed names: the spellings of a person, each as given, patronymic and
// family separated by unitSep, spellings separated by recordSep.
const (
	unitSep   = "\x1f"
	recordSep = "\x1e"
)

func packNames(names []record.Name) string {
	parts := make([]string, len(names))
	for i, n := range names {
		parts[i] = n.Given + unitSep + n.Patronymic + unitSep + n.Family
	}
	return strings.Join(parts, recordSep)
}

func unpackNames(s string) []record.Name {
	var names []record.Name
	for _, p := range strings.Split(s, recordSep) {
		f := strings.SplitN(p, unitSep, 3)
		if len(f) == 3 {
			names = append(names, record.Name{Given: f[0], Patronymic: f[1], Family: f[2]})
		}
	}
	return names
}
