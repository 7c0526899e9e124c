package synth

import (
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/letapis/letapis/storage/record"
)

const manyBodies = 2000

// ids returns n record ids from g.
func ids(g *Generator, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = g.ID()
	}
	return out
}

func TestDeterministic(t *testing.T) {
	run := func(seed uint64) []any {
		g := New(seed)
		var out []any
		for range 200 {
			id := g.ID()
			out = append(out, g.Person(), g.Case(id), g.Incident([]string{id}), g.Testimony([]string{id}), g.Note(id))
		}
		return out
	}
	a, b := run(7), run(7)
	if !reflect.DeepEqual(a, b) {
		t.Fatal("two generators with seed 7 produced different records")
	}
	if reflect.DeepEqual(a, run(8)) {
		t.Fatal("seeds 7 and 8 produced the same records")
	}
}

// checkBody validates b and checks that every vocabulary code it uses is
// built in.
func checkBody(t *testing.T, i int, b record.Body) {
	t.Helper()
	if err := b.Validate(); err != nil {
		t.Fatalf("%s #%d: %v", b.Kind(), i, err)
	}
	for _, ref := range b.Terms() {
		if _, ok := record.BuiltinTerm(ref.Vocab, ref.Code); !ok {
			t.Fatalf("%s #%d: %s = %q is not in vocabulary %q", b.Kind(), i, ref.Field, ref.Code, ref.Vocab)
		}
	}
}

func TestBodiesValidate(t *testing.T) {
	g := New(1)
	for i := range manyBodies {
		id := g.ID()
		checkBody(t, i, g.Person())
		checkBody(t, i, g.Case(id))
		checkBody(t, i, g.Incident(ids(g, 1+i%3)))
		checkBody(t, i, g.Testimony(ids(g, i%3)))
		checkBody(t, i, g.Note(id))
		checkBody(t, i, g.Note(""))
	}
}

func TestCasesAreConsistent(t *testing.T) {
	g := New(2)
	kinds := map[string]bool{}
	released := 0
	for i := range manyBodies {
		c := g.Case(g.ID())
		if len(c.Facilities) < 1 || len(c.Facilities) > 4 {
			t.Fatalf("case #%d has %d spells", i, len(c.Facilities))
		}
		if c.Arrested.Year < 2020 || c.Arrested.Year > 2025 {
			t.Fatalf("case #%d arrested %s", i, c.Arrested)
		}
		if len(c.Charges) == 0 {
			t.Fatalf("case #%d has no charges", i)
		}
		for j, s := range c.Facilities {
			kinds[s.Kind] = true
			if j > 0 && s.From != c.Facilities[j-1].To {
				t.Fatalf("case #%d: spell %d starts %s, previous ended %s", i, j, s.From, c.Facilities[j-1].To)
			}
			if s.To.IsZero() && j != len(c.Facilities)-1 {
				t.Fatalf("case #%d: open spell %d is not the last", i, j)
			}
		}
		if !c.Verdict.IsZero() && (c.Verdict.Before(c.Arrested) || c.Sentence == "") {
			t.Fatalf("case #%d: verdict %s, arrest %s, sentence %q", i, c.Verdict, c.Arrested, c.Sentence)
		}
		if !c.Released.IsZero() {
			released++
			if last := c.Facilities[len(c.Facilities)-1]; last.To != c.Released {
				t.Fatalf("case #%d released %s but the last spell ends %s", i, c.Released, last.To)
			}
		}
	}
	for _, k := range []string{"ivs", "tsip", "sizo", "ik", "prison"} {
		if !kinds[k] {
			t.Errorf("no spell of kind %s", k)
		}
	}
	if released == 0 || released == manyBodies {
		t.Errorf("%d of %d cases released", released, manyBodies)
	}
}

func TestIncidentTypesCovered(t *testing.T) {
	var want []string
	for _, term := range record.BuiltinTerms(record.VocabIncidentType) {
		want = append(want, term.Code)
	}
	var have []string
	for _, k := range incidentKinds {
		have = append(have, k.code)
	}
	if !reflect.DeepEqual(have, want) {
		t.Fatalf("incidentKinds = %v, vocabulary has %v", have, want)
	}

	g := New(3)
	seen := map[string]int{}
	for round := range 10 {
		for range len(want) {
			in := g.Incident([]string{g.ID()})
			seen[in.Type]++
			if in.Type == "shizo" {
				days := int(toTime(in.To).Sub(toTime(in.From)).Hours() / 24)
				if in.From.Day != 0 && (days < 10 || days > 30) {
					t.Errorf("SHIZO from %s to %s", in.From, in.To)
				}
			}
		}
		for _, code := range want {
			if seen[code] != round+1 {
				t.Fatalf("after %d rounds incident type %q came up %d times", round+1, code, seen[code])
			}
		}
	}
}

func toTime(d record.Date) time.Time {
	return time.Date(d.Year, time.Month(d.Month), d.Day, 0, 0, 0, 0, time.UTC)
}

func TestTestimonySizes(t *testing.T) {
	g := New(4)
	small, large := 0, 0
	langs := map[string]int{}
	for i := range manyBodies {
		tm := g.Testimony(nil)
		n := len(tm.Text)
		if n < 1024 || n > 51200 {
			t.Fatalf("testimony #%d is %d bytes", i, n)
		}
		if !utf8.ValidString(tm.Text) {
			t.Fatalf("testimony #%d is not valid UTF-8", i)
		}
		if n < 4<<10 {
			small++
		}
		if n > 30<<10 {
			large++
		}
		langs[tm.Language]++
		if got := scriptOf(tm.Text); got != tm.Language {
			t.Fatalf("testimony #%d is in %q but its text looks %q", i, tm.Language, got)
		}
		if len(tm.Consent.Scopes) == 0 || len(tm.Violations) == 0 {
			t.Fatalf("testimony #%d: scopes %v, violations %v", i, tm.Consent.Scopes, tm.Violations)
		}
	}
	if small == 0 || large == 0 {
		t.Errorf("%d testimonies under 4 KB and %d over 30 KB; want both", small, large)
	}
	for _, l := range []string{"be", "ru", "en"} {
		if langs[l] == 0 {
			t.Errorf("no testimony in %s", l)
		}
	}
}

// scriptOf guesses the language of a generated text: Belarusian letters
// і and ў, Russian letters и and щ, or Latin only.
func scriptOf(s string) string {
	switch {
	case strings.ContainsAny(s, "іІўЎ"):
		return "be"
	case strings.ContainsAny(s, "иИщЩ"):
		return "ru"
	case !strings.ContainsFunc(s, func(r rune) bool { return unicode.Is(unicode.Cyrillic, r) }):
		return "en"
	}
	return "?"
}

func TestTestimonyTextBounds(t *testing.T) {
	g := New(5)
	for _, b := range [][2]int{{1, 1}, {1, 10}, {3, 3}, {100, 120}, {1000, 1000}, {1024, 51200}, {60000, 70000}, {0, -5}} {
		for range 200 {
			s := g.TestimonyText(b[0], b[1])
			lo, hi := max(b[0], 1), max(b[1], b[0], 1)
			if len(s) < lo || len(s) > hi || !utf8.ValidString(s) {
				t.Fatalf("TestimonyText(%d, %d) gave %d bytes (valid UTF-8: %v)", b[0], b[1], len(s), utf8.ValidString(s))
			}
		}
	}
}

func TestNames(t *testing.T) {
	g := New(6)
	for i := range manyBodies {
		p := g.Person()
		scripts := map[string]record.Name{}
		for _, n := range p.Names {
			if _, dup := scripts[n.Script]; dup {
				t.Fatalf("person #%d has two %s names", i, n.Script)
			}
			scripts[n.Script] = n
		}
		be, okBe := scripts["be-cyrl"]
		ru, okRu := scripts["ru-cyrl"]
		if !okBe || !okRu {
			t.Fatalf("person #%d lacks a Cyrillic spelling: %v", i, p.Names)
		}
		if len(p.Names) < 3 || len(p.Names) > 5 {
			t.Fatalf("person #%d has %d names", i, len(p.Names))
		}
		if s := p.Names[0].Script; s != "be-cyrl" && s != "ru-cyrl" {
			t.Fatalf("person #%d is displayed in %s", i, s)
		}
		if len(scripts) < 3 {
			t.Fatalf("person #%d has no Latin spelling: %v", i, p.Names)
		}
		for _, n := range p.Names[2:] {
			if strings.ContainsFunc(n.String(), func(r rune) bool { return unicode.Is(unicode.Cyrillic, r) }) {
				t.Fatalf("person #%d: %s spelling %q has Cyrillic letters", i, n.Script, n)
			}
		}
		table := maleNames
		if p.Gender == "female" {
			table = femaleNames
		}
		if !slices.Contains(table, pair{be.Given, ru.Given}) {
			t.Fatalf("person #%d: %s / %s is not a %s name", i, be.Given, ru.Given, p.Gender)
		}
		if (be.Patronymic == "") != (ru.Patronymic == "") {
			t.Fatalf("person #%d: patronymics %q and %q", i, be.Patronymic, ru.Patronymic)
		}
		if y := p.Birth.Year; y < 1940 || y > 2005 {
			t.Fatalf("person #%d born %s", i, p.Birth)
		}
	}
}

func TestTransliteration(t *testing.T) {
	tests := []struct {
		scheme *scheme
		in     string
		want   string
	}{
		{passport, "Бяляцкі", "Bialiatski"},
		{latinka, "Бяляцкі", "Bialacki"},
		{passport, "Калеснікава", "Kalesnikava"},
		{latinka, "Калеснікава", "Kalesnikava"},
		{bgn, "Колесникова", "Kolesnikova"},
		{passport, "Сяргей", "Siarhei"},
		{latinka, "Сяргей", "Siarhiej"},
		{passport, "Ціханоўская", "Tsikhanouskaya"},
		{latinka, "Ціханоўская", "Cichanoŭskaja"},
		{latinka, "Алесь", "Aleś"},
		{passport, "Аляксандр", "Aliaksandr"},
		{latinka, "Вольга", "Volha"},
		{latinka, "Наталля", "Natalla"},
		{latinka, "Ілля", "Illa"},
		{latinka, "Людміла", "Ludmiła"},
		{latinka, "Мікалай", "Mikałaj"},
		{latinka, "Васільевіч", "Vasiljevič"},
		{latinka, "Дар'я", "Darja"},
		{latinka, "Жукоўскі", "Žukoŭski"},
		{passport, "Яўген", "Yauhen"},
		{passport, "Юрый", "Yury"},
		{passport, "Марыя", "Maryia"},
		{passport, "Кавалёў", "Kavaliou"},
		{passport, "Зміцер Хоміч", "Zmitser Khomich"},
		{bgn, "Александр", "Aleksandr"},
		{bgn, "Сергей", "Sergey"},
		{bgn, "Беляцкий", "Belyatskiy"},
		{bgn, "Николаевич", "Nikolayevich"},
		{bgn, "Пётр", "Pëtr"},
		{bgn, "Щербаков", "Shcherbakov"},
	}
	for _, tc := range tests {
		if got := tc.scheme.apply(tc.in); got != tc.want {
			t.Errorf("%s → %q, want %q", tc.in, got, tc.want)
		}
	}
}

// TestTables checks the name tables for size, duplicates, letters of the
// wrong language, and romanisations that leave Cyrillic behind.
func TestTables(t *testing.T) {
	sizes := []struct {
		name  string
		table []pair
		min   int
	}{
		{"maleNames", maleNames, 30},
		{"femaleNames", femaleNames, 25},
		{"fathers", fathers, 25},
		{"surnames", surnames, 80},
	}
	cyrillic := func(r rune) bool { return unicode.Is(unicode.Cyrillic, r) }
	for _, s := range sizes {
		if len(s.table) < s.min {
			t.Errorf("%s has %d entries, want at least %d", s.name, len(s.table), s.min)
		}
		seen := map[string]bool{}
		for _, p := range s.table {
			if seen[p.be] {
				t.Errorf("%s: %s appears twice", s.name, p.be)
			}
			seen[p.be] = true
			if strings.ContainsAny(p.be, "иИщЩъЪ") {
				t.Errorf("%s: %q has Russian letters", s.name, p.be)
			}
			if strings.ContainsAny(p.ru, "іІўЎ'’") {
				t.Errorf("%s: %q has Belarusian letters", s.name, p.ru)
			}
			for _, sc := range []struct {
				s    *scheme
				text string
			}{{latinka, p.be}, {passport, p.be}, {bgn, p.ru}} {
				if out := sc.s.apply(sc.text); strings.ContainsFunc(out, cyrillic) {
					t.Errorf("%s: %q romanised to %q", s.name, sc.text, out)
				}
			}
		}
	}
	for _, s := range surnames {
		be, ru := feminine(s.be, feminineEndings.be), feminine(s.ru, feminineEndings.ru)
		if (be == s.be) != (ru == s.ru) {
			t.Errorf("feminine of %s/%s is %s/%s", s.be, s.ru, be, ru)
		}
	}
}

// TestPhrases checks that every phrase exists in all three languages and
// in the right alphabet, with matching placeholders.
func TestPhrases(t *testing.T) {
	for _, bank := range [][]phrase{testimonyPhrases, connectors, notePhrases} {
		for _, p := range bank {
			if p.be == "" || p.ru == "" || p.en == "" {
				t.Errorf("phrase %+v misses a language", p)
				continue
			}
			if strings.ContainsAny(p.be, "иИщЩъЪ") || strings.ContainsAny(p.ru, "іІўЎ'") {
				t.Errorf("phrase %+v mixes Belarusian and Russian letters", p)
			}
			if strings.ContainsFunc(p.en, func(r rune) bool { return unicode.Is(unicode.Cyrillic, r) }) {
				t.Errorf("English phrase %q has Cyrillic letters", p.en)
			}
			n := strings.Count(p.en, "{n}")
			if strings.Count(p.be, "{n}") != n || strings.Count(p.ru, "{n}") != n {
				t.Errorf("phrase %+v has different placeholders", p)
			}
		}
	}
}

func TestVocabularyTables(t *testing.T) {
	check := func(vocab string, codes ...string) {
		t.Helper()
		for _, c := range codes {
			if _, ok := record.BuiltinTerm(vocab, c); !ok {
				t.Errorf("%q is not in vocabulary %q", c, vocab)
			}
		}
	}
	codes := func(ws []weighted) []string {
		var out []string
		for _, w := range ws {
			out = append(out, w.code)
		}
		return out
	}
	check(record.VocabStatus, codes(statuses)...)
	check(record.VocabRelation, codes(relations)...)
	check(record.VocabSensitivity, codes(sensitivities)...)
	check(record.VocabConsentScope, consentScopes...)
	for _, m := range claimMakers {
		check(record.VocabClaim, m.code)
	}
	for _, k := range incidentKinds {
		check(record.VocabFacilityKind, k.facilities...)
	}
	check(record.VocabFacilityKind, "ivs", "tsip", "sizo", "ik", "prison")
	check(record.VocabScript, "be-cyrl", "ru-cyrl", "be-latn", "passport", "bgn")
	check(record.VocabHumanitarian, "serious-illness", "disability", "minor", "older-person", "parent", "single-parent")
}

func BenchmarkPerson(b *testing.B) {
	g := New(1)
	for b.Loop() {
		g.Person()
	}
}

func BenchmarkTestimony(b *testing.B) {
	g := New(1)
	about := []string{g.ID()}
	var bytes int64
	for b.Loop() {
		bytes += int64(len(g.Testimony(about).Text))
	}
	b.ReportMetric(float64(bytes)/float64(b.N), "textbytes/op")
}
