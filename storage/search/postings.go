package search

import (
	"encoding/binary"
	"iter"
)

// postings is an append-only list of ascending uint32 values (document
// numbers, or document numbers with a field in the low bits), stored as
// varint deltas: most entries take one or two bytes.
type postings struct {
	data []byte
	last uint32
	n    int32
}

// add appends v, which must not be less than the last value added.
func (p *postings) add(v uint32) {
	p.data = binary.AppendUvarint(p.data, uint64(v-p.last))
	p.last = v
	p.n++
}

// all yields the values in ascending order.
func (p *postings) all() iter.Seq[uint32] {
	return func(yield func(uint32) bool) {
		var v uint32
		for b := p.data; len(b) > 0; {
			d, n := binary.Uvarint(b)
			b = b[n:]
			v += uint32(d)
			if !yield(v) {
				return
			}
		}
	}
}

// remap rewrites the list through f, dropping the values for which f
// reports false. f must preserve order.
func (p *postings) remap(f func(uint32) (uint32, bool)) {
	var out postings
	for v := range p.all() {
		if w, ok := f(v); ok {
			out.add(w)
		}
	}
	*p = out
}
