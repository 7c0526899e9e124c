package app

import (
	"slices"
	"strings"
	"testing"

	"github.com/letapis/letapis/storage"
)

func TestRateStrength(t *testing.T) {
	cases := []struct {
		pass string
		want strength
	}{
		{"", strengthWeak},
		{"short", strengthWeak},
		{"password1234", strengthWeak},
		{"aaaaaaaaaaaaaaaa", strengthWeak},
		{"abcdefghijklmn", strengthWeak},
		{"абвгдежзийклмн", strengthWeak},
		{"horse battery staple", strengthWeak},
		{"correct horse battery staple", strengthFair},
		{"зубр ліпа вецер рака мост", strengthFair},
		{"correct horse battery staple violin", strengthFair},
		{"correct horse battery staple violin lamp", strengthStrong},
		{"x7#Qm2!vR9@kLp4&", strengthStrong},
	}
	for _, c := range cases {
		got, bits, warnings := rateStrength(c.pass)
		if got != c.want {
			t.Errorf("rateStrength(%q) = %d (%.0f bits, %q), want %d", c.pass, got, bits, warnings, c.want)
		}
	}
	if _, _, w := rateStrength("password1234"); len(w) == 0 {
		t.Error("password1234: no warning")
	}
}

func TestSortByName(t *testing.T) {
	all := []storage.Summary{{ID: "1", Title: "Ігар Лосік"}, {ID: "2", Title: "Марфа Рабкова"}, {ID: "3", Title: "Maria Kalesnikava"}, {ID: "4", Title: "алесь Бяляцкі"}}
	sortByName(all)
	var got []string
	for _, s := range all {
		got = append(got, s.ID)
	}
	if want := "3 4 1 2"; strings.Join(got, " ") != want {
		t.Errorf("order = %v, want %s", got, want)
	}
}

func BenchmarkSortByName100k(b *testing.B) {
	all := make([]storage.Summary, 100_000)
	for i := range all {
		all[i] = storage.Summary{ID: strings.Repeat("a", 20) + string(rune('a'+i%26)) + string(rune(0x430+i%32)) + string(rune('a'+i/26%26)) + string(rune('a'+i/676%26)) + string(rune('a'+i/17576%26)) + string(rune('a'+i/456976%26)), Title: "Ігар Лосік " + string(rune(0x430+i%32)) + string(rune(0x430+i/32%32))}
	}
	for b.Loop() {
		sortByName(slices.Clone(all))
	}
}
