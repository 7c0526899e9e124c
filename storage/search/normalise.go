package search

import (
	"bytes"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// The name normaliser folds one word of a name, in any script or spelling,
// to keys: Калеснікава, Колесникова, Kalesnikava and Kolesnikova all
// become "kalasnikava"; Ціханоўская, Tsikhanouskaya, Tikhanovskaya and
// Tichanowska all have the key "tihanavska". It works in three steps,
// driven by the tables in letters.go:
//
//  1. phonemes: each letter or letter sequence becomes its phoneme bytes
//     (ш, sh, sz, š → S). A few are ambiguous: the Latin "ch" (ч or х),
//     the z of дз (Russian spellings have д) and a soft ц (Russian т).
//  2. nameKeys expands a word into one key per reading of its ambiguous
//     phonemes (at most maxAmbiguous of them branch).
//  3. skeleton: akanye (o → a), ў → v (and a u after a vowel, which is how
//     the passport writes ў: Kazlou = Kazloŭ), doubled letters collapsed,
//     an i that only marks softness or iotation dropped (Бяляцкі, Bialiatski
//     → balacki; Дарья, Дар'я, Darja → dara; Yevgeny, Евгений → avhani),
//     e folded into a (яканне: Сяргей, Сергей → sarhai), and the endings
//     table applied. The passes repeat until none changes anything, so a
//     key is its own skeleton.
//
// What folding cannot make equal is left to the edit distance (fuzzy.go).

// maxAmbiguous is how many ambiguous phonemes of one word are read both
// ways; any further ones take their first reading.
const maxAmbiguous = 3

// Lookup tables built from letters.go: the phonemes of the runes below
// len(runeTable), and the sequences by their first rune.
var (
	runeTable       = buildRuneTable()
	sequencesByRune = buildSequences()
)

func buildRuneTable() []string {
	t := make([]string, 0x500) // Latin, Latin Extended and Cyrillic
	for _, m := range []map[rune]string{latinLetters, cyrillicLetters} {
		for r, s := range m {
			if s == "" {
				s = "\x00" // a letter that is written but not pronounced
			}
			t[r] = s
		}
	}
	return t
}

// compiledSequence is a sequence with its letters as runes.
type compiledSequence struct {
	from, next []rune
	to         string
}

func buildSequences() map[rune][]compiledSequence {
	m := make(map[rune][]compiledSequence)
	for _, s := range sequences {
		c := compiledSequence{from: []rune(s.from), next: []rune(s.next), to: s.to}
		m[c.from[0]] = append(m[c.from[0]], c)
	}
	return m
}

// nameKeys returns the keys of one word of a name, without duplicates: one
// key per reading of its ambiguous phonemes. It returns nil when the word
// has no letters.
func nameKeys(word string) []string {
	ph := phonemes(word)
	if len(ph) == 0 {
		return nil
	}
	variants := [][]byte{make([]byte, 0, len(ph))}
	branched := 0
	for _, c := range ph {
		r, ambiguous := readings[c]
		switch {
		case !ambiguous:
			for i := range variants {
				variants[i] = append(variants[i], c)
			}
		case branched < maxAmbiguous:
			branched++
			for i := range variants {
				alt := append(bytes.Clone(variants[i]), r[1]...)
				variants[i] = append(variants[i], r[0]...)
				variants = append(variants, alt)
			}
		default:
			for i := range variants {
				variants[i] = append(variants[i], r[0]...)
			}
		}
	}
	keys := make([]string, 0, len(variants))
	for _, v := range variants {
		if k := string(skeleton(v)); k != "" && !slices.Contains(keys, k) {
			keys = append(keys, k)
		}
	}
	return keys
}

// phonemes returns the phoneme bytes of word (see letters.go). Letters that
// no table knows are kept as they are; anything that is not a letter is
// dropped.
func phonemes(word string) []byte {
	runes := letters(word)
	out := make([]byte, 0, len(word)+4)
	for i := 0; i < len(runes); {
		r := runes[i]
		if n, to := matchSequence(runes, i); n > 0 {
			out = append(out, to...)
			i += n
			continue
		}
		i++
		switch {
		case int(r) < len(runeTable) && runeTable[r] != "":
			if s := runeTable[r]; s != "\x00" {
				out = append(out, s...)
			}
		case silent[r] || !unicode.IsLetter(r):
		default:
			out = utf8.AppendRune(out, r)
		}
	}
	return out
}

// letters returns word in lower case as runes, with combining marks
// composed onto their letter where composed knows the pair and dropped
// otherwise.
func letters(word string) []rune {
	runes := make([]rune, 0, len(word))
	for _, r := range strings.ToLower(word) {
		if !unicode.Is(unicode.Mn, r) {
			runes = append(runes, r)
			continue
		}
		if n := len(runes); n > 0 {
			if c, ok := composed[[2]rune{runes[n-1], r}]; ok {
				runes[n-1] = c
			}
		}
	}
	return runes
}

// matchSequence returns the length in runes and the phonemes of the first
// sequence that starts at runes[i], or 0.
func matchSequence(runes []rune, i int) (int, string) {
	for _, s := range sequencesByRune[runes[i]] {
		end := i + len(s.from)
		if end > len(runes) || !equalRunes(runes[i:end], s.from) ||
			len(s.next) > 0 && (end == len(runes) || !slices.Contains(s.next, runes[end])) {
			continue
		}
		return len(s.from), s.to
	}
	return 0, ""
}

func equalRunes(a, b []rune) bool {
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// skeletonPasses fold phoneme bytes in place, in order, each reporting
// whether it changed anything.
var skeletonPasses = []func([]byte) ([]byte, bool){foldLetters, collapse, dropSoftI, foldE, foldEnding}

// skeleton folds phoneme bytes in place into a key, repeating the passes
// until none changes anything.
func skeleton(b []byte) []byte {
	for {
		changed := false
		for _, pass := range skeletonPasses {
			var c bool
			b, c = pass(b)
			changed = changed || c
		}
		if !changed {
			return b
		}
	}
}

func isVowel(c byte) bool { return c == 'a' || c == 'e' || c == 'i' || c == 'o' || c == 'u' }

// foldLetters applies akanye (o → a) and ў → v, including a u after a
// vowel.
func foldLetters(b []byte) ([]byte, bool) {
	changed := false
	for i, c := range b {
		switch {
		case c == 'o':
			b[i] = 'a'
		case c == 'w', c == 'u' && i > 0 && (b[i-1] == 'a' || b[i-1] == 'e'):
			b[i] = 'v'
		default:
			continue
		}
		changed = true
	}
	return b, changed
}

// foldE makes e one vowel with a and o, once dropSoftI has used it: the
// vowels of unstressed syllables are where Belarusian and Russian
// spellings of a name differ most (яканне: Сяргей, Сергей; Бяляцкі,
// Беляцкий).
func foldE(b []byte) ([]byte, bool) {
	changed := false
	for i, c := range b {
		if c == 'e' {
			b[i], changed = 'a', true
		}
	}
	return b, changed
}

// collapse removes an ASCII byte that repeats the one before it.
func collapse(b []byte) ([]byte, bool) {
	out := b[:0]
	for i, c := range b {
		if i > 0 && c < utf8.RuneSelf && c == b[i-1] {
			continue
		}
		out = append(out, c)
	}
	return out, len(out) != len(b)
}

// dropSoftI removes an i that only marks a soft consonant or iotation: one
// between a consonant and a, e or u, and any i before e (ye, je, ie = е).
func dropSoftI(b []byte) ([]byte, bool) {
	out := b[:0]
	for i, c := range b {
		if c == 'i' && i+1 < len(b) {
			next := b[i+1]
			afterConsonant := len(out) > 0 && !isVowel(out[len(out)-1])
			if next == 'e' || afterConsonant && (next == 'a' || next == 'u') {
				continue
			}
		}
		out = append(out, c)
	}
	return out, len(out) != len(b)
}

// foldEnding applies the first matching rule of endings.
func foldEnding(b []byte) ([]byte, bool) {
	for _, e := range endings {
		if len(b) > len(e.from)+minStem && string(b[len(b)-len(e.from):]) == e.from {
			return append(b[:len(b)-len(e.from)], e.to...), true
		}
	}
	return b, false
}

// Initial classes: a bit per first letter of a key (a–z, C, S, Z), and two
// more for keys that start with ia (я) or iu (ю), so that "Yu." finds Yury
// but not Yan, while "Y." finds both.
const (
	bitIa = 29
	bitIu = 30
)

// initialBits returns the initial classes a name word with key k answers
// to; for a query initial, use queryInitialBit.
func initialBits(k string) uint32 {
	bits := letterBit(k[0])
	if k[0] == 'i' && len(k) > 1 {
		switch k[1] {
		case 'a':
			bits |= 1 << bitIa
		case 'u':
			bits |= 1 << bitIu
		}
	}
	return bits
}

// queryInitialBit returns the one class an initial typed as k asks for.
func queryInitialBit(k string) uint32 {
	if bits := initialBits(k); bits&(1<<bitIa|1<<bitIu) != 0 {
		return bits &^ letterBit('i')
	}
	return letterBit(k[0])
}

func letterBit(c byte) uint32 {
	switch {
	case c >= 'a' && c <= 'z':
		return 1 << (c - 'a')
	case c == 'C':
		return 1 << 26
	case c == 'S':
		return 1 << 27
	case c == 'Z':
		return 1 << 28
	}
	return 0
}
