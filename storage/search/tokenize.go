package search

import (
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// The full-text tokenizer splits text in Belarusian, Russian, Ukrainian,
// English and other Latin-script languages into words and folds each word
// so that case, accents and the letters that differ between Belarusian and
// Russian spelling habits do not matter: lower case; Latin diacritics
// stripped (Łacinka "Cichanoŭskaja" = "cichanouskaja"); ё → е, ў → у, й → и,
// і → и, ї → и, є → е, ґ → г; apostrophes and ъ dropped (сям'я = сямя,
// объём = об'ём). Digits are kept ("411" finds the article). Words are not
// stemmed: a query word matches every indexed word it is a prefix of.

// maxTokenRunes is where longer words are cut.
const maxTokenRunes = 32

// textFoldPairs lists runes and what the tokenizer folds them to (after
// lower-casing), as pairs of runes; an empty target drops the rune.
var textFoldPairs = []string{
	"ё", "е", "ў", "у", "й", "и", "і", "и", "ї", "и", "є", "е", "ґ", "г", "ъ", "",
	"á", "a", "à", "a", "â", "a", "ä", "a", "ã", "a", "å", "a", "ā", "a", "ą", "a",
	"ć", "c", "č", "c", "ç", "c", "ď", "d", "đ", "d",
	"é", "e", "è", "e", "ê", "e", "ë", "e", "ė", "e", "ē", "e", "ě", "e", "ę", "e",
	"ğ", "g", "ģ", "g", "í", "i", "ì", "i", "î", "i", "ï", "i", "į", "i", "ī", "i", "ĭ", "i",
	"ķ", "k", "ł", "l", "ľ", "l", "ĺ", "l", "ļ", "l", "ń", "n", "ň", "n", "ñ", "n", "ņ", "n",
	"ó", "o", "ò", "o", "ô", "o", "ö", "o", "õ", "o", "ő", "o", "ø", "o", "ř", "r", "ŕ", "r",
	"ś", "s", "š", "s", "ş", "s", "ș", "s", "ß", "s", "ť", "t", "ţ", "t", "ț", "t",
	"ú", "u", "ù", "u", "û", "u", "ü", "u", "ū", "u", "ų", "u", "ů", "u", "ű", "u", "ŭ", "u",
	"ý", "y", "ÿ", "y", "ź", "z", "ž", "z", "ż", "z",
}

// Values of textFold besides a folded rune.
const (
	foldBreak = 0  // not part of a word
	foldDrop  = -1 // inside a word, but not written into the token
)

// textFold maps every rune below its length to what a token keeps of it.
var textFold = buildTextFold()

func buildTextFold() []rune {
	t := make([]rune, 0x530)
	for r := range rune(len(t)) {
		switch {
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			t[r] = unicode.ToLower(r)
		case unicode.Is(unicode.Mn, r) || silent[r]:
			t[r] = foldDrop
		}
	}
	for i := 0; i+1 < len(textFoldPairs); i += 2 {
		from, _ := utf8.DecodeRuneInString(textFoldPairs[i])
		to, _ := utf8.DecodeRuneInString(textFoldPairs[i+1])
		if textFoldPairs[i+1] == "" {
			to = foldDrop
		}
		t[from] = to
		t[unicode.ToUpper(from)] = to
	}
	return t
}

// foldRune returns what a token keeps of r: a rune, foldDrop or foldBreak.
func foldRune(r rune) rune {
	if int(r) < len(textFold) {
		return textFold[r]
	}
	switch {
	case unicode.IsLetter(r) || unicode.IsDigit(r):
		return unicode.ToLower(r)
	case unicode.Is(unicode.Mn, r) || silent[r]:
		return foldDrop
	}
	return foldBreak
}

// tokenize calls fn with every word of text, folded, and the byte offsets
// of the word in text. The token is valid only during the call.
func tokenize(text string, fn func(token []byte, start, end int)) {
	var buf []byte
	start, runes := -1, 0
	flush := func(end int) {
		if len(buf) > 0 {
			fn(buf, start, end)
		}
		buf, start, runes = buf[:0], -1, 0
	}
	for i, r := range text {
		f := foldRune(r)
		switch {
		case f == foldBreak:
			flush(i)
			continue
		case start < 0:
			start = i
		}
		if f != foldDrop && runes < maxTokenRunes {
			buf = utf8.AppendRune(buf, f)
			runes++
		}
	}
	flush(len(text))
}

// foldText returns the folded words of text: the form a query is matched
// in.
func foldText(text string) []string {
	var words []string
	tokenize(text, func(t []byte, _, _ int) { words = append(words, string(t)) })
	return words
}

// Snippet returns about width runes of text around the first word whose
// folded form is one of terms (a Hit's Terms), cut at spaces, with "…"
// where text was cut; the start of text when no word matches. It lets a
// caller that holds a record's text show why the record was found: the
// index keeps no text.
func Snippet(text string, terms []string, width int) string {
	at := -1
	tokenize(text, func(t []byte, s, _ int) {
		if at < 0 && slices.Contains(terms, string(t)) {
			at = s
		}
	})
	at = max(at, 0)
	head, cutHead := lastRunes(text[:at], width/3)
	tail, cutTail := firstRunes(text[at:], width-utf8.RuneCountInString(head))
	s := strings.Join(strings.Fields(head+tail), " ")
	if cutHead {
		s = "…" + s
	}
	if cutTail {
		s += "…"
	}
	return s
}

// lastRunes returns the end of s of at most n runes, starting after a
// space, and whether s was cut.
func lastRunes(s string, n int) (string, bool) {
	if utf8.RuneCountInString(s) <= n {
		return s, false
	}
	i := len(s)
	for k := 0; k < n; k++ {
		_, size := utf8.DecodeLastRuneInString(s[:i])
		i -= size
	}
	if r, _ := utf8.DecodeLastRuneInString(s[:i]); !unicode.IsSpace(r) {
		if sp := strings.IndexFunc(s[i:], unicode.IsSpace); sp >= 0 {
			i += sp
		}
	}
	return s[i:], true
}

// firstRunes returns the start of s of at most n runes, ending before a
// space when s has one there, and whether s was cut.
func firstRunes(s string, n int) (string, bool) {
	if utf8.RuneCountInString(s) <= n {
		return s, false
	}
	i := 0
	for k := 0; k < n; k++ {
		_, size := utf8.DecodeRuneInString(s[i:])
		i += size
	}
	if r, _ := utf8.DecodeRuneInString(s[i:]); !unicode.IsSpace(r) {
		if sp := strings.LastIndexFunc(s[:i], unicode.IsSpace); sp > 0 {
			i = sp
		}
	}
	return s[:i], true
}
