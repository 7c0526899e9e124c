package search

import (
	"errors"
	"reflect"
	"slices"
	"testing"

	"github.com/letapis/letapis/storage/record"
	"github.com/letapis/letapis/storage/synth"
)

// words returns the words of e as strings.
func (e *entry) wordList() []string {
	var ws []string
	e.eachWord(func(w []byte) { ws = append(ws, string(w)) })
	return ws
}

func TestEntryRoundTrip(t *testing.T) {
	g := synth.New(11)
	id := g.ID()
	bodies := []record.Body{
		g.Person(), g.Case(id), g.Incident([]string{id}), g.Testimony([]string{id}), g.Note(id),
		&record.Attachment{Name: "скан пратакола.pdf"},
		&record.Term{Vocab: "incident-type", Code: "hunger", Labels: record.Labels{En: "Hunger", Be: "Голад", Ru: "Голод"}},
	}
	for _, b := range bodies {
		e := entryOf(b)
		got, err := decodeEntry(e.encode())
		if err != nil {
			t.Fatalf("%s: %v", b.Kind(), err)
		}
		if !reflect.DeepEqual(got, e) {
			t.Errorf("%s: decoded %+v, want %+v", b.Kind(), got, e)
		}
		if ws := got.wordList(); !slices.IsSorted(ws) || len(slices.Compact(slices.Clone(ws))) != len(ws) {
			t.Errorf("%s: words are not sorted and distinct: %q", b.Kind(), ws)
		}
	}
}

func TestEntryOf(t *testing.T) {
	in := &record.Incident{
		Type: "shizo", From: record.MustDate("2021-03"), To: record.MustDate("2021-04-02"),
		Place: "IK-15, Mahiliou", Victims: []string{"aaaaaaaaaaaaaaaaaaaaaaaaaa"},
		Perpetrators: []string{"Сотрудники ИК"}, Description: "ШІЗА за «парушэнне»",
	}
	e := entryOf(in)
	if e.lo != 20210301 || e.hi != 20210402 {
		t.Errorf("period = %d–%d, want 20210301–20210402", e.lo, e.hi)
	}
	if !slices.Equal(e.types, []string{"shizo"}) || !slices.Equal(e.places, []string{"ik-15, mahiliou"}) {
		t.Errorf("types %q places %q", e.types, e.places)
	}
	if want := []string{"15", "ik", "mahiliou", "ик", "парушэнне", "сотрудники", "шиза", "за"}; !sameSet(e.wordList(), want) {
		t.Errorf("words = %q, want %q", e.wordList(), want)
	}
}

func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

func TestSpan(t *testing.T) {
	for _, tt := range []struct {
		from, to string
		lo, hi   uint32
	}{
		{"2021", "", 20210101, 20211231},
		{"2021-03", "", 20210301, 20210331},
		{"2021-03-05", "", 20210305, 20210305},
		{"~2021-03", "2022", 20210301, 20221231},
		{"", "", 0, 0},
	} {
		lo, hi := span(record.MustDate(tt.from), record.MustDate(tt.to))
		if lo != tt.lo || hi != tt.hi {
			t.Errorf("span(%q, %q) = %d–%d, want %d–%d", tt.from, tt.to, lo, hi, tt.lo, tt.hi)
		}
	}
}

func TestDecodeEntryRejects(t *testing.T) {
	good := entryOf(synth.New(1).Testimony(nil)).encode()
	for name, b := range map[string][]byte{
		"empty":     nil,
		"truncated": good[:len(good)/2],
		"trailing":  append(slices.Clone(good), 0),
		"bad kind":  append([]byte{4, 'b', 'o', 'o', 'k'}, good[len("testimony")+1:]...),
		"too many":  {6, 'p', 'e', 'r', 's', 'o', 'n', 0, 0, 0, 0, 0, 0xff, 0xff, 0x03},
	} {
		if _, err := decodeEntry(b); !errors.Is(err, errEntry) {
			t.Errorf("%s: err = %v, want errEntry", name, err)
		}
	}
}

// FuzzDecodeEntry checks that decoding never panics and that what decodes
// encodes back to the same bytes.
func FuzzDecodeEntry(f *testing.F) {
	g := synth.New(2)
	f.Add(entryOf(g.Person()).encode())
	f.Add(entryOf(g.Note("")).encode())
	f.Add(entryOf(g.Incident([]string{g.ID()})).encode())
	f.Fuzz(func(t *testing.T, b []byte) {
		e, err := decodeEntry(b)
		if err != nil {
			return
		}
		e.wordList()
		if again := e.encode(); !slices.Equal(again, b) {
			t.Fatalf("decoded %x, encoded back %x", b, again)
		}
	})
}
