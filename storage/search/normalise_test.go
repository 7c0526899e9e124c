package search

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"unicode"
)

func TestNameKeys(t *testing.T) {
	for _, tt := range []struct {
		word string
		keys []string
	}{
		// Akanye, scripts and romanisations of one surname.
		{"Калеснікава", []string{"kalasnikava"}},
		{"Колесникова", []string{"kalasnikava"}},
		{"Kalesnikava", []string{"kalasnikava"}},
		{"KOLESNIKOVA", []string{"kalasnikava"}},
		// ў, -ая; soft ц read as ц and т; Latin ch read as ч and х.
		{"Ціханоўская", []string{"cihanavska", "tihanavska"}},
		{"Tsikhanouskaya", []string{"cihanavska", "tihanavska"}},
		{"Тихановская", []string{"tihanavska"}},
		{"Cichanoŭskaja", []string{"ciCanavska", "tiCanavska", "cihanavska", "tihanavska"}},
		{"Tichanowska", []string{"tiCanavska", "tihanavska"}},
		{"Царук", []string{"caruk"}}, // hard ц stays ц
		// Soft дз read as дз and д; яканне: е and я are one vowel.
		{"Дзяніс", []string{"dzanis", "danis"}},
		{"Dzianis", []string{"dzanis", "danis"}},
		{"Денис", []string{"danis"}},
		{"Сяргей", []string{"sarhai"}},
		{"Sergey", []string{"sarhai"}},
		// Soft signs and softness marks.
		{"Бяляцкі", []string{"balacki"}},
		{"Bialiatski", []string{"balacki"}},
		{"Беляцкий", []string{"balacki"}},
		{"Belyatskiy", []string{"balacki"}},
		{"Дар'я", []string{"dara"}},
		{"Дарья", []string{"dara"}},
		{"Darja", []string{"dara"}},
		// ё in every spelling.
		{"Кавалёў", []string{"kavalav"}},
		{"Kovalëv", []string{"kavalav"}},
		{"Kavaliou", []string{"kavalav"}},
		{"Kovalyov", []string{"kavalav"}},
		// щ, шч, shch, szcz.
		{"Шчарбакоў", []string{"SCarbakav"}},
		{"Щербаков", []string{"SCarbakav"}},
		{"Szczerbakow", []string{"SCarbakav"}},
		// Polish nasal before a labial; -ski endings.
		{"Dąbrowski", []string{"dambravski"}},
		{"Дамброўскі", []string{"dambravski"}},
		{"Ковалевский", []string{"kavalavski"}},
		{"Kovalevskis", []string{"kavalavski"}},
		// Iotation: ye, je, ie and е agree.
		{"Евгений", []string{"avhani"}},
		{"Yevgeniy", []string{"avhani"}},
		{"Andreyev", []string{"andrav"}},
		{"Андреев", []string{"andrav"}},
		// Lithuanian -čius, émigré -off.
		{"Jasiukevičius", []string{"iasukaviC"}},
		{"Smirnoff", []string{"smirnav"}},
		// Combining marks as macOS writes them (NFD).
		{"Cichanou\u0306skaja", []string{"ciCanavska", "tiCanavska", "cihanavska", "tihanavska"}},
		{"Z\u030Cuk", []string{"Zuk"}},
		// Unknown letters are kept, anything else dropped.
		{"O'Brien-2", []string{"abran"}},
		{"Ωmega", []string{"ωmaha"}},
		{"", nil},
		{"123 -", nil},
	} {
		got := nameKeys(tt.word)
		if !slices.Equal(got, tt.keys) {
			t.Errorf("nameKeys(%q) = %q, want %q", tt.word, got, tt.keys)
		}
	}
}

// TestSpellingsShareKey checks the transliteration tier: every spelling
// of a name word shares a key with the first.
func TestSpellingsShareKey(t *testing.T) {
	for _, group := range [][]string{
		{"Калеснікава", "Колесникова", "Kalesnikava", "Kolesnikova", "Kalesnikava"},
		{"Cichanoŭskaja", "Cichanouskaja", "Tikhanovskaia", "Tichanowska"},
		{"Бяляцкі", "Bialiatski", "Bialacki", "Białacki", "Беляцкий", "Belyatsky", "Belyatskiy", "Bielacki"},
		{"Сяргей", "Siarhei", "Siarhiej", "Siarhej", "Сергей", "Sergey", "Sergei", "Sergej", "Siergiej"},
		{"Ціханоўская", "Тихановская", "Tikhanovskaya", "Tsikhanouskaya", "Cichanouska", "Tichanowskaja"},
		{"Мядзведзева", "Медведева", "Miadzviedzieva", "Medvedeva", "Miedwiediewa"},
		{"Цярэшчанка", "Терещенко", "Tsiareshchanka", "Tereshchenko", "Tereszczenko"},
		{"Юрый", "Юрий", "Yury", "Yuri", "Yuriy", "Jurij", "Jury"},
		{"Казлоў", "Козлов", "Kazlou", "Kozlov", "Kazloŭ", "Kozlow"},
		{"Наталля", "Наталья", "Natallia", "Natalya", "Natalja"},
		{"Шчарбакоў", "Shcharbakou", "Ščarbakoŭ"},
		{"Жукоўскі", "Жуковский", "Zhukouski", "Žukoŭski", "Zhukovsky", "Żukowski"},
		{"Ярашэвіч", "Yarashevich", "Jaraševič", "Jaraszewicz"},
		{"Хмяльніцкі", "Khmialnitski", "Chmialnicki"},
		{"Джафараў", "Dzhafarau", "Džafaraŭ", "Dżafarau", "Dzhafarov"},
	} {
		first := nameKeys(group[0])
		for _, s := range group[1:] {
			if !sharesKey(first, nameKeys(s)) {
				t.Errorf("%q %q and %q %q share no key", group[0], first, s, nameKeys(s))
			}
		}
	}
}

// TestDifferentNamesDiffer checks that folding keeps apart what must stay
// apart: husband and wife, man and woman, and different names.
func TestDifferentNamesDiffer(t *testing.T) {
	for _, pair := range [][2]string{
		{"Tsikhanouski", "Tsikhanouskaya"},
		{"Kazlou", "Kazlova"},
		{"Ivanov", "Ivanova"},
		{"Кавалёў", "Казлоў"},
		{"Павел", "Паўла"},
		{"Ігар", "Ягор"},
	} {
		if sharesKey(nameKeys(pair[0]), nameKeys(pair[1])) {
			t.Errorf("%q and %q share a key: %q", pair[0], pair[1], nameKeys(pair[0]))
		}
	}
}

func TestEquivalentGivenNames(t *testing.T) {
	var file struct{ Groups [][]string }
	if err := json.Unmarshal(givenNamesJSON, &file); err != nil {
		t.Fatal(err)
	}
	if len(file.Groups) < 80 {
		t.Errorf("givennames.json has %d groups, want at least 80", len(file.Groups))
	}
	for _, pair := range [][2]string{
		{"Алесь", "Alexander"}, {"Aleś", "Аляксандр"}, {"Aliaksandr", "Александр"},
		{"Сяргей", "Sergey"}, {"Siarhei", "Serhiy"}, {"Ігар", "Igor"}, {"Вольга", "Olga"},
		{"Святлана", "Svetlana"}, {"Мікалай", "Mikołaj"}, {"Зміцер", "Dmitry"}, {"Dzmitry", "Dmytro"},
		{"Ганна", "Anna"}, {"Яўген", "Yevgeniy"}, {"Юрый", "Jerzy"}, {"Уладзімір", "Włodzimierz"},
	} {
		a := nameKeys(pair[0])
		found := false
		for _, k := range a {
			found = found || sharesKey(equivalentNames[k], nameKeys(pair[1]))
		}
		if !found {
			t.Errorf("%q and %q are not equivalent given names", pair[0], pair[1])
		}
	}
	if sharesKey(equivalentNames["iahar"], nameKeys("Ігар")) {
		t.Error("Ягор and Ігар are equivalent; they are different names")
	}
}

func TestInitials(t *testing.T) {
	for _, tt := range []struct {
		initial, name string
		match         bool
	}{
		{"A", "Aliaksandr", true}, {"А", "Aliaksandr", true}, {"Y", "Yury", true}, {"Yu", "Yury", true},
		{"Ю", "Yury", true}, {"Ya", "Yury", false}, {"Я", "Yauhen", true}, {"Zh", "Жанна", true},
		{"Ch", "Чэслаў", true}, {"S", "Шымон", false}, {"I", "Ігар", true}, {"V", "Igor", false},
	} {
		var q uint32
		for _, k := range nameKeys(tt.initial) {
			q |= queryInitialBit(k)
		}
		var bits uint32
		for _, k := range nameKeys(tt.name) {
			bits |= initialBits(k)
		}
		if got := bits&q != 0; got != tt.match {
			t.Errorf("initial %q matches %q: %v, want %v", tt.initial, tt.name, got, tt.match)
		}
	}
}

// FuzzNameKeys checks that the normaliser never panics, finds a key
// exactly when the word has a letter, and that folding a key changes
// nothing (the skeleton passes reach a fixed point).
func FuzzNameKeys(f *testing.F) {
	for _, s := range []string{"Калеснікава", "Tsikhanouskaya", "Cichanoŭskaja", "Dąbrowski", "ia", "aiaia", "o'ch", "Z\u030C", "\xff\xfe", "schtschch"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, word string) {
		keys := nameKeys(word)
		hasLetter := strings.IndexFunc(word, unicode.IsLetter) >= 0
		if len(keys) > 0 && !hasLetter {
			t.Fatalf("nameKeys(%q) = %q without a letter", word, keys)
		}
		if len(keys) > 1<<maxAmbiguous {
			t.Fatalf("nameKeys(%q) gives %d keys", word, len(keys))
		}
		for _, k := range keys {
			if k == "" {
				t.Fatalf("nameKeys(%q) has an empty key", word)
			}
			if again := skeleton([]byte(k)); !bytes.Equal(again, []byte(k)) {
				t.Fatalf("key %q of %q folds again to %q", k, word, again)
			}
		}
		if !slices.Equal(keys, nameKeys(word)) {
			t.Fatalf("nameKeys(%q) is not deterministic", word)
		}
	})
}
