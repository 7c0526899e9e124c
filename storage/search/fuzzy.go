package search

import "slices"

// Typo tolerance: a key matches another when their edit distance is at
// most maxEdits of the query key's length. The distance is the optimal
// string alignment distance (Levenshtein with transpositions of adjacent
// letters) counted in half edits: substituting a letter for a similar one
// (letters.go) costs one half, any other edit two. Candidates come from a
// trigram index: a key within k whole edits of the query shares all but
// at most 4k of the query's distinct trigrams (one edit destroys at most
// three, a transposition four), and its letters differ from the query's by
// at most 2k in count (one edit changes at most two counts by one), so
// only keys that pass both cheap tests are compared letter by letter.

// maxEdits returns how many edits a key of n bytes tolerates: none for
// three letters or fewer, where a typo makes another name, one up to seven,
// two beyond.
func maxEdits(n int) int {
	switch {
	case n <= 3:
		return 0
	case n <= 7:
		return 1
	}
	return 2
}

// pad marks the start and end of a key, twice, so that its first and last
// letters make trigrams of their own.
const pad = '\x00'

// trigrams calls fn with each distinct trigram of the padded key, once, and
// returns how many there are.
func trigrams(key string, fn func(uint32)) int {
	seen := make([]uint32, 0, len(key)+2)
	var g uint32 // the last three bytes, padding included
	for i := 0; i < len(key)+2; i++ {
		c := byte(pad)
		if i < len(key) {
			c = key[i]
		}
		g = g<<8&0xffffff | uint32(c)
		if !slices.Contains(seen, g) {
			seen = append(seen, g)
			fn(g)
		}
	}
	return len(seen)
}

// letterCounts counts the bytes of a key.
type letterCounts [256]int16

func countLetters(key string) *letterCounts {
	var c letterCounts
	for i := 0; i < len(key); i++ {
		c[key[i]]++
	}
	return &c
}

// bagDistance returns how many letters of key and of query find no equal
// letter in the other: at most twice their edit distance. c holds the
// counts of query; it is changed and restored.
func bagDistance(c *letterCounts, query, key string) int {
	for i := 0; i < len(key); i++ {
		c[key[i]]--
	}
	d := 0
	for _, s := range [2]string{query, key} {
		for i := 0; i < len(s); i++ {
			n := c[s[i]]
			d += int(max(n, -n))
			c[s[i]] = 0
		}
	}
	for i := 0; i < len(query); i++ {
		c[query[i]]++
	}
	return d
}

// halfCost is the cost in half edits of substituting b for a.
var halfCost = func() *[128][128]uint8 {
	var t [128][128]uint8
	for a := range t {
		for b := range t[a] {
			if a != b {
				t[a][b] = 2
			}
		}
	}
	for _, p := range similar {
		t[p[0]][p[1]], t[p[1]][p[0]] = 1, 1
	}
	return &t
}()

func substitution(a, b byte) int {
	if a < 128 && b < 128 {
		return int(halfCost[a][b])
	}
	if a == b {
		return 0
	}
	return 2
}

// editDistance returns the distance between a and b in half edits (see
// above), or max+1 as soon as it is sure to exceed max.
func editDistance(a, b string, max int) int {
	if d := 2 * (len(a) - len(b)); d > max || -d > max {
		return max + 1
	}
	if len(b) > len(a) {
		a, b = b, a
	}
	var buf [3][64]int
	var rows [3][]int
	if len(b)+1 <= len(buf[0]) {
		rows = [3][]int{buf[0][:len(b)+1], buf[1][:len(b)+1], buf[2][:len(b)+1]}
	} else {
		rows = [3][]int{make([]int, len(b)+1), make([]int, len(b)+1), make([]int, len(b)+1)}
	}
	prev2, prev, cur := rows[0], rows[1], rows[2]
	for j := range prev {
		prev[j] = 2 * j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = 2 * i
		best := cur[0]
		for j := 1; j <= len(b); j++ {
			d := min(prev[j]+2, cur[j-1]+2, prev[j-1]+substitution(a[i-1], b[j-1]))
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				d = min(d, prev2[j-2]+2)
			}
			cur[j] = d
			best = min(best, d)
		}
		if best > max {
			return max + 1
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return min(prev[len(b)], max+1)
}
