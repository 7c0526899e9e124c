package search

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"

	"github.com/letapis/letapis/storage/record"
)

// entry is what the index keeps about one record: the stored value under
// idx/d/<record id>, from which the in-memory structures are built at Open.
// It holds the name spellings of a person, the distinct folded words of a
// record's text, and the values the filters compare, never the text
// itself.
type entry struct {
	kind   record.Kind
	lo, hi uint32   // the primary date as an interval of YYYYMMDD; 0 when unknown
	status string   // person status code
	types  []string // incident-type codes: an incident's type, a testimony's violations
	places []string // places of detention, lower case
	names  []record.Name
	// words holds the distinct folded words of the text fields, sorted and
	// front-coded: each as the number of bytes it shares with the word
	// before and the rest, length-prefixed. See eachWord.
	words  []byte
	nwords int
}

// entryOf extracts what the index needs from a record body. The primary
// date is a person's birth, a case's arrest, an incident's period, a
// testimony's or note's date.
func entryOf(b record.Body) *entry {
	e := &entry{kind: b.Kind()}
	var texts []string
	switch b := b.(type) {
	case *record.Person:
		e.status = b.Status
		e.lo, e.hi = span(b.Birth, record.Date{})
		for _, n := range b.Names {
			e.names = append(e.names, record.Name{Given: n.Given, Patronymic: n.Patronymic, Family: n.Family})
		}
	case *record.Case:
		e.lo, e.hi = span(b.Arrested, record.Date{})
		for _, s := range b.Facilities {
			e.places = append(e.places, strings.ToLower(s.Facility))
			texts = append(texts, s.Facility)
		}
		texts = append(texts, b.ArrestPlace, b.DetainingBody, b.Court, b.Judge, b.Prosecutor, b.Sentence)
		texts = append(texts, b.Charges...)
	case *record.Incident:
		e.lo, e.hi = span(b.From, b.To)
		e.types = []string{b.Type}
		if b.Place != "" {
			e.places = []string{strings.ToLower(b.Place)}
		}
		texts = append(texts, b.Description, b.Place)
		texts = append(texts, b.Perpetrators...)
	case *record.Testimony:
		e.lo, e.hi = span(b.Date, record.Date{})
		e.types = slices.Clone(b.Violations)
		texts = append(texts, b.Interviewee, b.Place, b.Text)
	case *record.Note:
		e.lo, e.hi = span(b.Date, record.Date{})
		texts = append(texts, b.Text)
	case *record.Attachment:
		texts = append(texts, b.Name)
	case *record.Term:
		texts = append(texts, b.Code, b.Labels.En, b.Labels.Be, b.Labels.Ru)
	}
	e.words, e.nwords = frontCode(distinctWords(texts))
	return e
}

// wordSets recycles the sets distinctWords collects words in.
var wordSets = sync.Pool{New: func() any { return make(map[string]struct{}) }}

// distinctWords returns the distinct folded words of texts, sorted.
func distinctWords(texts []string) []string {
	seen := wordSets.Get().(map[string]struct{})
	defer func() {
		clear(seen)
		wordSets.Put(seen)
	}()
	for _, t := range texts {
		tokenize(t, func(w []byte, _, _ int) {
			if _, ok := seen[string(w)]; !ok {
				seen[string(w)] = struct{}{}
			}
		})
	}
	words := make([]string, 0, len(seen))
	for w := range seen {
		words = append(words, w)
	}
	slices.Sort(words)
	return words
}

// frontCode encodes sorted words as entry.words does.
func frontCode(words []string) ([]byte, int) {
	w := encoder{b: make([]byte, 0, 8*len(words))}
	prev := ""
	for _, t := range words {
		shared := commonPrefix(prev, t)
		w.uint(uint64(shared))
		w.str(t[shared:])
		prev = t
	}
	return w.b, len(words)
}

// eachWord calls fn with each word of e in order. The slice is valid only
// during the call. The words must be well formed (checkWords).
func (e *entry) eachWord(fn func([]byte)) {
	var word []byte
	r := decoder{b: e.words}
	for range e.nwords {
		shared := int(r.uint())
		n := int(r.uint())
		word = append(word[:shared], r.b[:n]...)
		r.b = r.b[n:]
		fn(word)
	}
}

// checkWords reports whether e.words holds e.nwords well-formed words and
// nothing else.
func (e *entry) checkWords() error {
	r := decoder{b: e.words}
	prev := 0
	for range e.nwords {
		shared := int(r.uint())
		n := r.uint()
		if r.err == nil && (shared > prev || n > uint64(len(r.b))) {
			r.fail("word out of bounds")
		}
		if r.err != nil {
			return r.err
		}
		r.b = r.b[n:]
		prev = shared + int(n)
	}
	if len(r.b) > 0 {
		r.fail("trailing bytes")
	}
	return r.err
}

// span returns the interval a date (or a period from–to) covers, as
// YYYYMMDD numbers: "2021" covers 20210101–20211231, "2021-03" covers
// 20210301–20210331 (every month is taken to have 31 days, which orders
// correctly). It returns 0, 0 for an unknown date.
func span(from, to record.Date) (lo, hi uint32) {
	if from.IsZero() {
		return 0, 0
	}
	if to.IsZero() {
		to = from
	}
	return from.First(), to.Last()
}

// encode returns the stored form of e: uvarint numbers and
// length-prefixed strings in field order, then the number of words and the
// words as they are held in e.words.
func (e *entry) encode() []byte {
	w := encoder{b: make([]byte, 0, 64+len(e.words))}
	w.str(string(e.kind))
	w.uint(uint64(e.lo))
	w.uint(uint64(e.hi))
	w.str(e.status)
	w.strs(e.types)
	w.strs(e.places)
	w.uint(uint64(len(e.names)))
	for _, n := range e.names {
		w.str(n.Given)
		w.str(n.Patronymic)
		w.str(n.Family)
	}
	w.uint(uint64(e.nwords))
	w.b = append(w.b, e.words...)
	return w.b
}

func commonPrefix(a, b string) int {
	n := 0
	for n < len(a) && n < len(b) && a[n] == b[n] {
		n++
	}
	return n
}

// errEntry reports a stored entry that does not decode.
var errEntry = errors.New("malformed index entry")

// decodeEntry parses what encode wrote. The entry's words share memory
// with b.
func decodeEntry(b []byte) (*entry, error) {
	r := decoder{b: b}
	e := &entry{kind: record.Kind(r.str())}
	e.lo = r.uint32()
	e.hi = r.uint32()
	e.status = r.str()
	e.types = r.strs()
	e.places = r.strs()
	if n := r.count(3); n > 0 {
		e.names = make([]record.Name, n)
		for i := range e.names {
			e.names[i] = record.Name{Given: r.str(), Patronymic: r.str(), Family: r.str()}
		}
	}
	e.nwords = r.count(2)
	e.words, r.b = r.b, nil
	if r.err == nil {
		r.err = e.checkWords()
	}
	if r.err == nil {
		if _, err := record.ParseKind(string(e.kind)); err != nil {
			r.fail(err.Error())
		}
	}
	return e, r.err
}

type encoder struct{ b []byte }

func (w *encoder) uint(v uint64) { w.b = binary.AppendUvarint(w.b, v) }

func (w *encoder) str(s string) {
	w.uint(uint64(len(s)))
	w.b = append(w.b, s...)
}

func (w *encoder) strs(ss []string) {
	w.uint(uint64(len(ss)))
	for _, s := range ss {
		w.str(s)
	}
}

// decoder reads what encoder wrote. After the first error every read
// returns a zero value and err keeps the error.
type decoder struct {
	b   []byte
	err error
}

func (r *decoder) fail(why string) {
	if r.err == nil {
		r.err = fmt.Errorf("%w: %s", errEntry, why)
	}
	r.b = nil
}

// uint reads a uvarint in its shortest form; the encoding is canonical.
func (r *decoder) uint() uint64 {
	v, n := binary.Uvarint(r.b)
	var shortest [binary.MaxVarintLen64]byte
	if n <= 0 || binary.PutUvarint(shortest[:], v) != n {
		r.fail("bad number")
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *decoder) uint32() uint32 {
	v := r.uint()
	if v > math.MaxUint32 {
		r.fail("number out of range")
		return 0
	}
	return uint32(v)
}

// count reads a number of items that take at least minBytes each, and
// fails if the rest of the entry cannot hold them.
func (r *decoder) count(minBytes int) int {
	n := r.uint()
	if n > uint64(len(r.b)/minBytes) {
		r.fail("count exceeds the entry")
		return 0
	}
	return int(n)
}

func (r *decoder) str() string {
	n := r.uint()
	if n > uint64(len(r.b)) {
		r.fail("string exceeds the entry")
		return ""
	}
	s := string(r.b[:n])
	r.b = r.b[n:]
	return s
}

func (r *decoder) strs() []string {
	n := r.count(1)
	if n == 0 {
		return nil
	}
	ss := make([]string, n)
	for i := range ss {
		ss[i] = r.str()
	}
	return ss
}
