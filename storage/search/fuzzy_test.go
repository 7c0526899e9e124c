package search

import (
	"math/rand/v2"
	"testing"
)

// refDistance is the textbook optimal string alignment distance, with
// editDistance's costs in half edits, unbounded.
func refDistance(a, b string) int {
	d := make([][]int, len(a)+1)
	for i := range d {
		d[i] = make([]int, len(b)+1)
		d[i][0] = 2 * i
	}
	for j := range d[0] {
		d[0][j] = 2 * j
	}
	for i := 1; i <= len(a); i++ {
		for j := 1; j <= len(b); j++ {
			d[i][j] = min(d[i-1][j]+2, d[i][j-1]+2, d[i-1][j-1]+substitution(a[i-1], b[j-1]))
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+2)
			}
		}
	}
	return d[len(a)][len(b)]
}

func TestEditDistance(t *testing.T) {
	for _, tt := range []struct {
		a, b string
		max  int
		want int // half edits
	}{
		{"balacki", "balacki", 4, 0},
		{"balacki", "balicki", 4, 2},                               // substitution
		{"balacki", "balcaki", 4, 2},                               // transposition
		{"balacki", "ballacki", 4, 2},                              // insertion
		{"balacki", "blacki", 4, 2},                                // deletion
		{"stazkaviC", "stackaviC", 4, 1},                           // German z for ц: similar letters
		{"stazkaviC", "stankaviC", 4, 2},                           // z for n is not
		{"kazlav", "pavlav", 4, 4},                                 // two substitutions
		{"kazlav", "pavlav", 2, 3},                                 // over the bound: max+1
		{"a", "abcdef", 4, 5},                                      // length difference alone exceeds it
		{"", "ab", 4, 4},                                           // empty
		{string(make([]byte, 70)), string(make([]byte, 69)), 4, 2}, // longer than the stack rows
	} {
		if got := editDistance(tt.a, tt.b, tt.max); got != tt.want {
			t.Errorf("editDistance(%q, %q, %d) = %d, want %d", tt.a, tt.b, tt.max, got, tt.want)
		}
	}
	r := rand.New(rand.NewPCG(3, 4))
	word := func() string {
		b := make([]byte, r.IntN(9))
		for i := range b {
			b[i] = "abcvzt"[r.IntN(6)]
		}
		return string(b)
	}
	for range 20000 {
		a, b := word(), word()
		want := refDistance(a, b)
		for max := range 6 {
			if got := editDistance(a, b, max); got != min(want, max+1) {
				t.Fatalf("editDistance(%q, %q, %d) = %d, want %d", a, b, max, got, min(want, max+1))
			}
		}
	}
}

// TestTrigramFilter checks that the candidate filters of nameIndex.fuzzy
// never drop a key within reach: one within k edits shares all but at most
// 4k of the query's distinct trigrams, and their bag distance is at most
// 2k.
func TestTrigramFilter(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for range 20000 {
		q := make([]byte, 1+r.IntN(12))
		for i := range q {
			q[i] = "abkvCi"[r.IntN(6)]
		}
		c := []byte(string(q))
		edits := 1 + r.IntN(2) // at least the distance between q and c
		for range edits {
			i := r.IntN(len(c) + 1)
			switch op := r.IntN(4); {
			case op == 0:
				c = append(c[:i], append([]byte{"abkvCi"[r.IntN(6)]}, c[i:]...)...)
			case op == 1 && i < len(c):
				c = append(c[:i], c[i+1:]...)
			case op == 2 && i < len(c):
				c[i] = "abkvCi"[r.IntN(6)]
			case op == 3 && i+1 < len(c):
				c[i], c[i+1] = c[i+1], c[i]
			}
		}
		inC := map[uint32]bool{}
		trigrams(string(c), func(g uint32) { inC[g] = true })
		shared := 0
		distinct := trigrams(string(q), func(g uint32) {
			if inC[g] {
				shared++
			}
		})
		if shared < distinct-4*edits {
			t.Fatalf("%q and %q are %d edits apart but share %d of %d trigrams", q, c, edits, shared, distinct)
		}
		if d := bagDistance(countLetters(string(q)), string(q), string(c)); d > 2*edits {
			t.Fatalf("%q and %q are %d edits apart but their bag distance is %d", q, c, edits, d)
		}
	}
}

func TestMaxEdits(t *testing.T) {
	for n, want := range map[int]int{1: 0, 3: 0, 4: 1, 7: 1, 8: 2, 20: 2} {
		if got := maxEdits(n); got != want {
			t.Errorf("maxEdits(%d) = %d, want %d", n, got, want)
		}
	}
}
