package synth

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/letapis/letapis/storage/record"
)

// One engine romanises Cyrillic for every scheme: a scheme is an ordered
// list of rules, and at each position the first rule whose letters and
// context match is applied. Letters no rule knows are copied unchanged.

// rule rewrites the lower-case Cyrillic letters from to Latin to. If prev
// is set, the letter before must be one of its runes; if next is set, the
// letter after must be one of its runes. A rule applies to an upper-case
// letter too, with the first letter of to capitalised.
type rule struct {
	from, to   string
	prev, next string
}

// scheme is a compiled rule table.
type scheme struct {
	byFirst map[rune][]rule // rules by the first rune of from, in table order
}

func newScheme(rules ...[]rule) *scheme {
	s := &scheme{byFirst: make(map[rune][]rule)}
	for _, list := range rules {
		for _, r := range list {
			first, _ := utf8.DecodeRuneInString(r.from)
			s.byFirst[first] = append(s.byFirst[first], r)
		}
	}
	return s
}

// apply romanises text.
func (s *scheme) apply(text string) string {
	src := []rune(text)
	low := []rune(strings.ToLower(text))
	if len(low) != len(src) { // cannot happen for Cyrillic; be safe
		low = src
	}
	var b strings.Builder
	b.Grow(len(text) + len(text)/2)
	for i := 0; i < len(src); {
		n := s.match(low, i)
		if n == nil {
			b.WriteRune(src[i])
			i++
			continue
		}
		if unicode.IsUpper(src[i]) {
			b.WriteString(upperFirst(n.to))
		} else {
			b.WriteString(n.to)
		}
		i += utf8.RuneCountInString(n.from)
	}
	return b.String()
}

// match returns the first rule that applies at position i of low.
func (s *scheme) match(low []rune, i int) *rule {
	rules := s.byFirst[low[i]]
	for k := range rules {
		r := &rules[k]
		end := i
		ok := true
		for _, c := range r.from {
			if end >= len(low) || low[end] != c {
				ok = false
				break
			}
			end++
		}
		if !ok ||
			r.prev != "" && (i == 0 || !strings.ContainsRune(r.prev, low[i-1])) ||
			r.next != "" && (end >= len(low) || !strings.ContainsRune(r.next, low[end])) {
			continue
		}
		return r
	}
	return nil
}

func upperFirst(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	if n == 0 {
		return s
	}
	return string(unicode.ToUpper(r)) + s[n:]
}

// letters builds context-free rules from alternating Cyrillic and Latin
// strings: letters("а", "a", "б", "b").
func letters(pairs ...string) []rule {
	rules := make([]rule, 0, len(pairs)/2)
	for i := 0; i+1 < len(pairs); i += 2 {
		rules = append(rules, rule{from: pairs[i], to: pairs[i+1]})
	}
	return rules
}

// byPrev builds the rules for a letter whose romanisation depends on the
// letter before it: alternating sets of preceding letters and outputs,
// then the output for any other context (start of word, after a vowel or
// apostrophe). byPrev("я", "л", "a", consonants, "ia", "ja").
func byPrev(letter string, cases ...string) []rule {
	var rules []rule
	for i := 0; i+1 < len(cases); i += 2 {
		rules = append(rules, rule{from: letter, prev: cases[i], to: cases[i+1]})
	}
	return append(rules, rule{from: letter, to: cases[len(cases)-1]})
}

// Consonants after which an iotated vowel (я, е, ё, ю) only softens the
// consonant instead of adding a [j]. ў and й are not among them.
const (
	beConsonants = "бвгґджзклмнпрстфхцчш"
	ruConsonants = "бвгджзклмнпрстфхцчшщ"
)

// beShared are the Belarusian letters that Łacinka and the passport
// system romanise alike.
var beShared = letters(
	"а", "a", "б", "b", "в", "v", "г", "h", "ґ", "g", "д", "d", "з", "z",
	"і", "i", "к", "k", "м", "m", "н", "n", "о", "o", "п", "p", "р", "r",
	"с", "s", "т", "t", "у", "u", "ф", "f", "ы", "y", "э", "e",
	"ь", "", "'", "", "’", "",
)

// latinka is Belarusian Łacinka (classical): ł for hard л and l for soft,
// acute accents for soft ś ź ń ć, háčeks for š ž č, ŭ for ў, and iotated
// vowels written ja/ia (a after l). Assimilative softness (śnieh) is not
// marked.
var latinka = newScheme(
	[]rule{
		{from: "ль", to: "l"},
		{from: "лл", next: "яеёюі", to: "ll"}, // Ілля → Illa
		{from: "л", next: "яеёюі", to: "l"},
		{from: "л", to: "ł"},
		{from: "сь", to: "ś"}, {from: "зь", to: "ź"}, {from: "нь", to: "ń"}, {from: "ць", to: "ć"},
	},
	byPrev("я", "л", "a", beConsonants, "ia", "ja"),
	byPrev("е", "л", "e", beConsonants, "ie", "je"),
	byPrev("ё", "л", "o", beConsonants, "io", "jo"),
	byPrev("ю", "л", "u", beConsonants, "iu", "ju"),
	letters("ж", "ž", "й", "j", "ў", "ŭ", "х", "ch", "ц", "c", "ч", "č", "ш", "š"),
	beShared,
)

// passport is the Belarusian national romanisation as printed in passports
// (Aliaksandr, Siarhei, Tsikhanouskaya): no diacritics, ў as u, soft sign
// dropped, iotated vowels as ia/ya.
var passport = newScheme(
	byPrev("я", beConsonants+"іы", "ia", "ya"),
	byPrev("е", beConsonants, "e", "ye"),
	byPrev("ё", beConsonants, "io", "yo"),
	byPrev("ю", beConsonants+"іы", "iu", "yu"),
	byPrev("й", "іы", "", "i"), // Юрый → Yury
	letters("ж", "zh", "л", "l", "ў", "u", "х", "kh", "ц", "ts", "ч", "ch", "ш", "sh"),
	beShared,
)

// bgn is the BGN/PCGN romanisation of Russian (Aleksandr, Sergey,
// Belyatskiy), with ë for ё and primes for the soft and hard signs.
var bgn = newScheme(
	byPrev("е", ruConsonants, "e", "ye"),
	byPrev("ё", ruConsonants, "ë", "yë"),
	letters(
		"а", "a", "б", "b", "в", "v", "г", "g", "д", "d", "ж", "zh", "з", "z",
		"и", "i", "й", "y", "к", "k", "л", "l", "м", "m", "н", "n", "о", "o",
		"п", "p", "р", "r", "с", "s", "т", "t", "у", "u", "ф", "f", "х", "kh",
		"ц", "ts", "ч", "ch", "ш", "sh", "щ", "shch", "ъ", "ʺ", "ы", "y",
		"ь", "ʹ", "э", "e", "ю", "yu", "я", "ya",
	),
)

// romanise returns n in scheme s with the given script code; the
// patronymic is dropped unless withPatronymic.
func romanise(s *scheme, n record.Name, script string, withPatronymic bool) record.Name {
	out := record.Name{Given: s.apply(n.Given), Family: s.apply(n.Family), Script: script}
	if withPatronymic {
		out.Patronymic = s.apply(n.Patronymic)
	}
	return out
}
