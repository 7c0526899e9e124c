package proof

import (
	"bytes"
	"encoding/binary"
)

// needleKey is the length of the prefix by which needleSet finds a
// candidate: a needle at least this long is looked up once per window of
// the data, not searched for on its own.
const needleKey = 8 // the bytes of a uint64

// needleSet finds which of many strings occur in a piece of data in one
// pass over it, so that a scan for the text of every record saved (a
// kill -9 run saves over 100,000) costs about one read of the data, not
// one per record.
type needleSet struct {
	short   []string            // shorter than needleKey: searched one by one
	byStart map[uint64][]string // the others, by their first needleKey bytes
}

func newNeedles(list []string) *needleSet {
	n := &needleSet{byStart: map[uint64][]string{}}
	seen := map[string]bool{}
	for _, s := range list {
		if seen[s] {
			continue
		}
		seen[s] = true
		if len(s) < needleKey {
			n.short = append(n.short, s)
			continue
		}
		start := binary.LittleEndian.Uint64([]byte(s[:needleKey]))
		n.byStart[start] = append(n.byStart[start], s)
	}
	return n
}

// in returns the distinct needles that occur in data, each once.
func (n *needleSet) in(data []byte) []string {
	var found []string
	seen := map[string]bool{}
	for _, s := range n.short {
		if bytes.Contains(data, []byte(s)) {
			found, seen[s] = append(found, s), true
		}
	}
	if len(n.byStart) == 0 {
		return found
	}
	for i := 0; i+needleKey <= len(data); i++ {
		for _, s := range n.byStart[binary.LittleEndian.Uint64(data[i:])] {
			if !seen[s] && bytes.HasPrefix(data[i:], []byte(s)) {
				found, seen[s] = append(found, s), true
			}
		}
	}
	return found
}
