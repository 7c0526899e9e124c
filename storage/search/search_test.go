package search

import (
	"errors"
	"reflect"
	"slices"
	"testing"

	"github.com/letapis/letapis/storage/record"
)

// TestNameTiers checks the order of the tiers for one surname: the same
// spelling, another script or transliteration, a typo, then a longer name
// the query starts.
func TestNameTiers(t *testing.T) {
	ix, _ := buildIndex(t,
		Doc{"prefix", person("", "Ян||Bialiatskiman")},
		Doc{"typo", person("", "Ян||Bialitski")},
		Doc{"key", person("", "Ян||Бяляцкі")},
		Doc{"exact", person("", "Ян||Bialiatski")},
		Doc{"other", person("", "Ян||Kavaleuski")},
	)
	want := []string{"exact", "key", "typo", "prefix"}
	if got := found(t, ix, Query{Text: "Bialiatski"}); !slices.Equal(got, want) {
		t.Errorf("Bialiatski finds %q, want %q", got, want)
	}
}

func TestNameRanking(t *testing.T) {
	ix, _ := buildIndex(t,
		Doc{"ihar-b", person("", "Ігар|Віктаравіч|Бяляцкі", "Ihar||Bialiatski")},
		Doc{"viktar-k", person("", "Віктар||Кавалеўскі", "Viktar||Kavaleuski")},
		Doc{"viktar-b", person("", "Віктар|Іванавіч|Бяляцкі", "Viktar||Bialiatski")},
		Doc{"ales-b", person("", "Алесь|Віктаравіч|Бяляцкі", "Ales||Bialiatski")},
		Doc{"aliaksei-b", person("", "Аляксей||Бяляцкі")},
		Doc{"ales-k", person("", "Алесь||Кавалеўскі")},
	)
	for _, tt := range []struct {
		query string
		first []string // the hits that must come first, in order
	}{
		// Every word matched comes first; among partial matches the
		// surname weighs more than the given name.
		{"Viktar Bialiatski", []string{"viktar-b"}},
		{"Bialiatski Viktar", []string{"viktar-b"}},
		{"Viktar Zaitsau", []string{"viktar-b", "viktar-k"}}, // no Zaitsau: people named Viktar
		// An equivalent given name: Alexander = Алесь, not Аляксей.
		{"Alexander Bialiatski", []string{"ales-b"}},
		{"Aleksandr Kavalevsky", []string{"ales-k"}},
		// Initials, before or after the surname.
		{"A. Bialiatski", []string{"ales-b", "aliaksei-b"}},
		{"Bialiatski A.", []string{"ales-b", "aliaksei-b"}},
		{"V. Bialiatski", []string{"viktar-b"}},
		{"Бяляцкі І. В.", []string{"ihar-b"}}, // Ігар Віктаравіч, not Віктар Іванавіч
		{"Бяляцкі В. І.", []string{"viktar-b"}},
	} {
		got := found(t, ix, Query{Text: tt.query})
		if len(got) < len(tt.first) || !slices.Equal(got[:len(tt.first)], tt.first) {
			t.Errorf("%q finds %q, want it to start with %q", tt.query, got, tt.first)
		}
	}
	// Word order does not change scores.
	a, b := mustSearch(t, ix, Query{Text: "Ales Bialiatski"}), mustSearch(t, ix, Query{Text: "Bialiatski Ales"})
	if !reflect.DeepEqual(a, b) {
		t.Errorf("word order changes hits: %+v and %+v", a, b)
	}
}

// TestMatch checks that a hit shows the spelling the query matched.
func TestMatch(t *testing.T) {
	ix, _ := buildIndex(t, Doc{"p", person("", "Алесь|Віктаравіч|Бяляцкі", "Алесь|Викторович|Беляцкий", "Ales||Bialiatski")})
	for q, want := range map[string]string{
		"Бяляцкі":          "Алесь Віктаравіч Бяляцкі",
		"Беляцкий":         "Алесь Викторович Беляцкий",
		"Bialiatski":       "Ales Bialiatski",
		"Belyatsky":        "Алесь Віктаравіч Бяляцкі", // both Cyrillic spellings have its key: the first wins
		"Bialacki":         "Алесь Віктаравіч Бяляцкі",
		"А. В. Беляцкий":   "Алесь Викторович Беляцкий",
		"Ales Bialiatski":  "Ales Bialiatski",
		"Алесь Віктаравіч": "Алесь Віктаравіч Бяляцкі",
	} {
		if hits := mustSearch(t, ix, Query{Text: q}); len(hits) != 1 || hits[0].Match != want {
			t.Errorf("%q: hits %+v, want the match %q", q, hits, want)
		}
	}
}

func TestTextSearch(t *testing.T) {
	ix, _ := buildIndex(t,
		Doc{"t-be", &record.Testimony{Interviewee: "Сведка", Text: "Яго катавалі ў ШІЗА, адмаўлялі ў лекарствах. Её."}},
		Doc{"t-ru", &record.Testimony{Interviewee: "Свидетель", Text: "Его пытали в ШИЗО, было холодно."}},
		Doc{"t-en", &record.Testimony{Interviewee: "Witness", Text: "He was beaten in the punishment cell. Cichanoŭskaja was named."}},
		Doc{"n", &record.Note{Text: "Адвакат не змог сустрэцца з Kalesnikava."}},
		Doc{"p", person("", "Марыя||Калеснікава", "Maryia||Kalesnikava")},
	)
	for _, tt := range []struct {
		query string
		want  []string
	}{
		{"катав", []string{"t-be"}},         // prefix
		{"КАТАВАЛІ", []string{"t-be"}},      // case, і = и
		{"шіза", []string{"t-be"}},          // Belarusian word typed with і
		{"шизо", []string{"t-ru"}},          // no stemming across languages
		{"ее", []string{"t-be"}},            // ё = е
		{"cichanouskaja", []string{"t-en"}}, // accents
		{"CICHANOŬSKAJA", []string{"t-en"}}, // and case
		{"катав шіза", []string{"t-be"}},    // every word
		{"катав холодно", nil},              // not in one record
		{"punish cell", []string{"t-en"}},   // prefixes in any order
		{"Kalesnikava", []string{"p", "n"}}, // the person by name first, then the text
		{"Калеснікава", []string{"p"}},      // text words are not transliterated
		{"ка", nil}, // two letters match only a whole word
	} {
		if got := found(t, ix, Query{Text: tt.query}); !slices.Equal(got, tt.want) {
			t.Errorf("%q finds %q, want %q", tt.query, got, tt.want)
		}
	}
	hits := mustSearch(t, ix, Query{Text: "катав шіза"})
	if len(hits) != 1 || !slices.Equal(hits[0].Terms, []string{"катавали", "шиза"}) || hits[0].Score >= 1 {
		t.Errorf("hit %+v, want the terms катавали, шиза and a score below 1", hits)
	}
}

func TestFilters(t *testing.T) {
	ix, _ := buildIndex(t,
		Doc{"p-conv", &record.Person{Names: []record.Name{{Given: "Ян", Family: "Шышко"}}, Status: "convicted", Birth: record.MustDate("1980")}},
		Doc{"p-rel", &record.Person{Names: []record.Name{{Given: "Ян", Family: "Гнацюк"}}, Status: "released", Birth: record.MustDate("1995-06")}},
		Doc{"c", &record.Case{Person: "p", Arrested: record.MustDate("2021-03-05"), Facilities: []record.Spell{
			{Facility: "SIZO-1, Minsk"}, {Facility: "IK-15, Mahiliou"}}}},
		Doc{"i", &record.Incident{Type: "shizo", From: record.MustDate("2022-01"), To: record.MustDate("2022-02"),
			Place: "IK-15, Mahiliou", Description: "ШІЗА"}},
		Doc{"t", &record.Testimony{Violations: []string{"torture", "shizo"}, Date: record.MustDate("2023-05-02"), Text: "ШІЗА і катаванні"}},
		Doc{"n", &record.Note{Date: record.MustDate("2024"), Text: "Ліст адвакату"}},
		Doc{"a", &record.Attachment{Name: "скан.pdf"}},
	)
	d := record.MustDate
	for _, tt := range []struct {
		name string
		q    Query
		want []string // in order
	}{
		{"kind", Query{Kind: record.KindPerson}, []string{"p-rel", "p-conv"}},
		{"status", Query{Status: "convicted"}, []string{"p-conv"}},
		{"incident type", Query{IncidentType: "shizo"}, []string{"t", "i"}},
		{"facility, any case", Query{Facility: "ik-15"}, []string{"i", "c"}},
		{"facility and kind", Query{Facility: "Minsk", Kind: record.KindCase}, []string{"c"}},
		{"year", Query{From: d("2022"), To: d("2022")}, []string{"i"}},
		{"open end", Query{From: d("2021-03")}, []string{"n", "t", "i", "c"}},
		{"up to", Query{To: d("1990")}, []string{"p-conv"}},
		{"day in month", Query{From: d("2021-03-05"), To: d("2021-03-05")}, []string{"c"}},
		{"text and filter", Query{Text: "шіза", IncidentType: "torture"}, []string{"t"}},
		{"text and kind", Query{Text: "шіза", Kind: record.KindIncident}, []string{"i"}},
		{"name and status", Query{Text: "Ян", Status: "released"}, []string{"p-rel"}},
		{"limit", Query{IncidentType: "shizo", Limit: 1}, []string{"t"}},
	} {
		if got := found(t, ix, tt.q); !slices.Equal(got, tt.want) {
			t.Errorf("%s: %+v finds %q, want %q", tt.name, tt.q, got, tt.want)
		}
	}
}

func TestQueryErrors(t *testing.T) {
	ix, _ := buildIndex(t)
	for _, tt := range []struct {
		q    Query
		want error
	}{
		{Query{}, ErrEmptyQuery},
		{Query{Text: " .,- "}, ErrEmptyQuery},
		{Query{Text: "x", Limit: -1}, errQuery},
		{Query{Text: "x", Kind: "book"}, errQuery},
		{Query{Text: "x", From: record.MustDate("2022"), To: record.MustDate("2021")}, errQuery},
	} {
		if _, err := ix.Search(tt.q); !errors.Is(err, tt.want) {
			t.Errorf("%+v: %v, want %v", tt.q, err, tt.want)
		}
	}
}

func TestLimit(t *testing.T) {
	var docs []Doc
	for i := range MaxLimit + 5 {
		docs = append(docs, Doc{ID: string(rune('a'+i%26)) + string(rune(0x400+i)), Body: &record.Note{Text: "суд"}})
	}
	ix, _ := buildIndex(t, docs...)
	for limit, want := range map[int]int{0: DefaultLimit, 3: 3, MaxLimit + 5: MaxLimit} {
		if got := len(mustSearch(t, ix, Query{Text: "суд", Limit: limit})); got != want {
			t.Errorf("Limit %d: %d hits, want %d", limit, got, want)
		}
	}
}
