package search

import (
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestTokenize(t *testing.T) {
	for _, tt := range []struct {
		text  string
		words []string
	}{
		{"Катаванні ў ШІЗА-1", []string{"катаванни", "у", "шиза", "1"}},
		{"Её объём, сям'я і сям’я", []string{"ее", "обем", "сямя", "и", "сямя"}},
		{"Cichanoŭskaja, Łukašenka; Żółć", []string{"cichanouskaja", "lukasenka", "zolc"}},
		{"don't Art. 342", []string{"dont", "art", "342"}},
		{"ІВС Мінск — Минск", []string{"ивс", "минск", "минск"}},
		{"e\u0301te\u0301", []string{"ete"}}, // NFD accents
		{strings.Repeat("я", 40), []string{strings.Repeat("я", maxTokenRunes)}},
		{"  \n\t", nil},
	} {
		if got := foldText(tt.text); !slices.Equal(got, tt.words) {
			t.Errorf("foldText(%q) = %q, want %q", tt.text, got, tt.words)
		}
	}
}

func TestSnippet(t *testing.T) {
	text := "Мяне затрымалі каля дома раніцай. Праз тыдзень мяне перавялі ў ШІЗА на дзесяць сутак, там былі катаванні і холад. Потым суд."
	for _, tt := range []struct {
		terms []string
		width int
		want  string
	}{
		{[]string{"катаванни"}, 40, "…там былі катаванні і холад. Потым суд."},
		{[]string{"катаванни"}, 30, "…там былі катаванні і холад.…"},
		{[]string{"мяне"}, 20, "Мяне затрымалі каля…"},
		{[]string{"нешта"}, 14, "Мяне затрымалі…"},
		{[]string{"суд"}, 1000, text},
	} {
		if got := Snippet(text, tt.terms, tt.width); got != tt.want {
			t.Errorf("Snippet(%q, %d) = %q, want %q", tt.terms, tt.width, got, tt.want)
		}
	}
}

// FuzzTokenize checks that tokenizing never panics, that offsets lie on
// rune boundaries in order, and that folding is idempotent.
func FuzzTokenize(f *testing.F) {
	for _, s := range []string{"Катаванні ў ШІЗА", "сям'я", "e\u0301", "\xff\xfe", "ŁÓDŹ ß"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		var words []string
		last := 0
		tokenize(text, func(w []byte, start, end int) {
			if start < last || end < start || end > len(text) || !utf8.RuneStart(text[start]) {
				t.Fatalf("token %q at %d–%d after %d in %q", w, start, end, last, text)
			}
			last = end
			words = append(words, string(w))
		})
		if again := foldText(strings.Join(words, " ")); !slices.Equal(again, words) {
			t.Fatalf("folding %q again gives %q", words, again)
		}
		_ = Snippet(text, words, 30)
	})
}
