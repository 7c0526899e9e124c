package search

// Tables of the name normaliser (normalise.go). They map what a letter
// sounds like in the scripts and spellings that Belarusian names are
// written in to one phoneme alphabet of single bytes:
//
//	a b c d e f h i k l m n o p r s t u v w z   as in Łacinka (c = ц)
//	C = ч, S = ш, Z = ж                          the háček letters
//	w = ў (a u that follows a vowel; becomes v)
//	o, e                                         folded into a by the skeleton
//
// г, ґ, х, g, h and kh are one sound class (h): Belarusian г is [ɣ],
// Russian г is [g], and newspapers write х as h, kh or ch. Iotated vowels
// come out as i + vowel (я = ia), soft signs and apostrophes as nothing;
// the skeleton then drops an i that only marks softness. Sounds with two
// readings get an ambiguous phoneme, below.

// Ambiguous phonemes stand for sounds with two readings until nameKeys
// expands a word into one key per reading.
const (
	// ambiguousCh is the Latin "ch": ч in English, х in Polish, Łacinka,
	// Czech and German.
	ambiguousCh = '\x01'
	// optionalZ follows the d of дз: Belarusian дзеканне writes дз where
	// Russian has a soft д (Дзяніс, Денис; Мядзведзева, Медведева).
	optionalZ = '\x02'
	// softC is a soft ц: Belarusian цеканне writes ц where Russian has a
	// soft т (Ціханоўская, Тихановская).
	softC = '\x03'
)

// readings lists the two readings of each ambiguous phoneme.
var readings = map[byte][2]string{
	ambiguousCh: {"C", "h"},
	optionalZ:   {"z", ""},
	softC:       {"c", "t"},
}

// softening are the letters after which ц is soft.
const (
	cyrillicSoftening = "еёіюяь"
	latinSoftening    = "iíj"
)

// cyrillicLetters maps lower-case Belarusian, Russian and Ukrainian letters.
var cyrillicLetters = map[rune]string{
	'а': "a", 'б': "b", 'в': "v", 'г': "h", 'ґ': "h", 'д': "d", 'е': "e",
	'ё': "io", 'є': "ie", 'ж': "Z", 'з': "z", 'и': "i", 'і': "i", 'ї': "ii",
	'й': "i", 'к': "k", 'л': "l", 'м': "m", 'н': "n", 'о': "o", 'п': "p",
	'р': "r", 'с': "s", 'т': "t", 'у': "u", 'ў': "w", 'ф': "f", 'х': "h",
	'ц': "c", 'ч': "C", 'ш': "S", 'щ': "SC", 'ъ': "", 'ы': "i", 'ь': "",
	'э': "e", 'ю': "iu", 'я': "ia",
}

// latinLetters maps lower-case Latin letters, with the diacritics of
// Łacinka, Polish, Lithuanian, Czech, German and BGN/PCGN (ë = ё).
var latinLetters = map[rune]string{
	'a': "a", 'b': "b", 'c': "c", 'd': "d", 'e': "e", 'f': "f", 'g': "h",
	'h': "h", 'i': "i", 'j': "i", 'k': "k", 'l': "l", 'm': "m", 'n': "n",
	'o': "o", 'p': "p", 'q': "k", 'r': "r", 's': "s", 't': "t", 'u': "u",
	'v': "v", 'w': "v", 'x': "ks", 'y': "i", 'z': "z",

	'á': "a", 'à': "a", 'â': "a", 'ä': "a", 'ã': "a", 'å': "a", 'ā': "a",
	'ą': "on", 'č': "C", 'ç': "c", 'ď': "d", 'đ': "d",
	'é': "e", 'è': "e", 'ê': "e", 'ė': "e", 'ē': "e", 'ě': "e", 'ę': "en",
	'ë': "io", 'ğ': "h", 'ģ': "h", 'í': "i", 'ì': "i", 'î': "i", 'ï': "i",
	'į': "i", 'ī': "i", 'ĭ': "i", 'ķ': "k", 'ł': "l", 'ľ': "l", 'ĺ': "l",
	'ļ': "l", 'ń': "n", 'ň': "n", 'ñ': "n", 'ņ': "n", 'ó': "u", 'ò': "o",
	'ô': "o", 'ö': "o", 'õ': "o", 'ő': "o", 'ř': "r", 'ŕ': "r", 'ś': "s",
	'š': "S", 'ş': "S", 'ș': "S", 'ß': "s", 'ť': "t", 'ţ': "c", 'ț': "c",
	'ú': "u", 'ù': "u", 'û': "u", 'ü': "u", 'ū': "u", 'ų': "u", 'ů': "u",
	'ű': "u", 'ŭ': "w", 'ǔ': "w", 'ý': "i", 'ÿ': "i", 'ź': "z", 'ž': "Z",
	'ż': "Z", 'ŝ': "SC", // ISO 9: ǔ = ў, ŝ = щ
}

// silent are letters and marks written for softness, hardness or
// separation: apostrophes, BGN primes, accents typed on their own.
var silent = map[rune]bool{
	'\'': true, '’': true, 'ʼ': true, 'ʹ': true, 'ʺ': true, '`': true, '´': true,
}

// composed rebuilds the letters whose diacritic arrives as a separate
// combining mark (text in Unicode NFD, as macOS writes it) where the
// diacritic changes the sound. Other combining marks are dropped.
var composed = map[[2]rune]rune{
	{'c', '\u030C'}: 'č', {'s', '\u030C'}: 'š', {'z', '\u030C'}: 'ž', {'z', '\u0307'}: 'ż',
	{'e', '\u0308'}: 'ë', {'u', '\u0306'}: 'ŭ', {'е', '\u0308'}: 'ё', {'у', '\u0306'}: 'ў',
}

// sequence rewrites several letters at once; when next is set, only
// before one of its letters.
type sequence struct{ from, next, to string }

// sequences are tried before single letters, in order, so longer
// sequences come first where they share a beginning.
var sequences = []sequence{
	// дз, and soft ц, in Cyrillic, Łacinka, Polish and the passport.
	{"дз", "", "d" + string(optionalZ)}, {"ц", cyrillicSoftening, string(softC)},
	{"dź", "", "d" + string(optionalZ)}, {"dzh", "", "dZ"}, {"dz", "", "d" + string(optionalZ)},
	{"ć", "", string(softC)}, {"ts", latinSoftening, string(softC)}, {"c", latinSoftening, string(softC)},
	// Latin letters for one sound.
	{"schtsch", "", "SC"}, {"shch", "", "SC"}, {"szcz", "", "SC"}, {"tsch", "", "C"},
	{"sch", "", "S"}, {"sh", "", "S"}, {"sz", "", "S"}, {"zh", "", "Z"},
	{"tch", "", "C"}, {"ts", "", "c"}, {"tz", "", "c"}, {"cz", "", "C"},
	{"ch", "", string(ambiguousCh)}, {"kh", "", "h"}, {"gh", "", "h"}, {"ph", "", "f"},
	// Polish nasal vowels before labials: Dąbrowski = Дамброўскі.
	{"ą", "bp", "am"}, {"ę", "bp", "em"},
}

// similar are pairs of key letters that spellings of one name confuse:
// German z for ц and s for з, sh for ш where щ was meant, voiced and
// voiceless pairs, ц for т and ч for ц. Substituting one for the other
// costs half an edit (see editDistance).
var similar = []string{"cz", "ct", "cC", "cs", "zs", "ZS", "Zz", "Ss", "CS", "dt", "bp", "vf", "kh"}

// ending rewrites the end of a skeleton when the word is longer than the
// ending by more than minStem bytes.
type ending struct{ from, to string }

const minStem = 2

// endings unify the endings that spellings of one surname disagree on
// after the letters are folded: -ая/-aja/-aya/-aia = -a (Polish -ska), the
// Lithuanian -kis of -ski and -čius (Cus, its softness dropped) of -іч,
// and the -off of émigré spellings.
var endings = []ending{{"aia", "a"}, {"kis", "ki"}, {"Cus", "C"}, {"af", "av"}}
