package storage

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/dgraph-io/badger/v4"
	"golang.org/x/text/collate"
	"golang.org/x/text/language"

	"github.com/letapis/letapis/storage/record"
	"github.com/letapis/letapis/storage/search"
	"github.com/letapis/letapis/storage/synth"
)

// listAll returns every summary List gives for kind k.
func listAll(t *testing.T, v *Vault, k record.Kind) []Summary {
	t.Helper()
	var out []Summary
	if err := v.List(k, func(s Summary) bool { out = append(out, s); return true }); err != nil {
		t.Fatalf("List(%q): %v", k, err)
	}
	return out
}

// visible returns s without what only SortByTitle sees.
func visible(s Summary) Summary {
	s.sortKey = ""
	return s
}

// liveRecord is a live record and its decoded body.
type liveRecord struct {
	*Record
	body record.Body
}

// openLive opens every live record in ids.
func openLive(t *testing.T, v *Vault, ids []string) []liveRecord {
	t.Helper()
	var out []liveRecord
	for _, id := range ids {
		r, err := v.Get(id)
		if err != nil {
			t.Fatal(err)
		}
		if r.Deleted {
			continue
		}
		b, err := r.Decode()
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, liveRecord{r, b})
	}
	return out
}

// summariesFromRecords makes the summaries of every live record by opening
// each one: what List must agree with.
func summariesFromRecords(t *testing.T, v *Vault, ids []string) map[string]Summary {
	t.Helper()
	want := map[string]Summary{}
	for _, r := range openLive(t, v, ids) {
		s := Summary{ID: r.ID, Kind: r.Kind, Title: record.Title(r.body), Date: record.PrimaryDate(r.body),
			Updated: r.Updated, Sealed: r.Sealed, Conflict: r.Conflict}
		if p, ok := r.body.(*record.Person); ok {
			s.Status = p.Status
		}
		want[r.ID] = s
	}
	return want
}

// checkLinked compares Linked(target) for every target with the links
// found by opening every record in ids.
func checkLinked(t *testing.T, v *Vault, ids []string) {
	t.Helper()
	want := map[string][]string{}
	for _, r := range openLive(t, v, ids) {
		for _, target := range record.Refs(r.body) {
			want[target] = append(want[target], r.ID)
		}
	}
	summaries := summariesFromRecords(t, v, ids)
	for _, target := range ids {
		got, err := v.Linked(target)
		if err != nil {
			t.Fatalf("Linked(%s): %v", target, err)
		}
		w := want[target]
		slices.Sort(w)
		var gotIDs []string
		for _, s := range got {
			gotIDs = append(gotIDs, s.ID)
			if visible(s) != summaries[s.ID] {
				t.Errorf("Linked(%s) gave summary %+v, want %+v", target, s, summaries[s.ID])
			}
		}
		if !slices.Equal(gotIDs, w) {
			t.Errorf("Linked(%s) = %v, want %v", target, gotIDs, w)
		}
	}
}

func TestSummaryHasDateAndStatus(t *testing.T) {
	v := newVault(t)
	p := mustAdd(t, v, &record.Person{Names: []record.Name{{Given: "Ігар", Family: "Лосік"}},
		Birth: record.MustDate("1992-05-14"), Status: "convicted"})
	c := mustAdd(t, v, &record.Case{Person: p.ID, Arrested: record.MustDate("~2020-06")})
	in := mustAdd(t, v, &record.Incident{Type: "shizo", From: record.MustDate("2023-02"), To: record.MustDate("2023-03"), Victims: []string{p.ID}})
	ts := mustAdd(t, v, &record.Testimony{Interviewee: "Witness A", Date: record.MustDate("2024"), Consent: record.Consent{Scopes: []string{"team"}}, Text: "…"})
	n := mustAdd(t, v, &record.Note{Text: "undated"})
	want := map[string]string{p.ID: "1992-05-14", c.ID: "~2020-06", in.ID: "2023-02", ts.ID: "2024", n.ID: ""}
	all := listAll(t, v, "")
	if len(all) != len(want) {
		t.Fatalf("List gave %d summaries, want %d", len(all), len(want))
	}
	for _, s := range all {
		if s.Date.String() != want[s.ID] {
			t.Errorf("%s %s: date %q, want %q", s.Kind, s.ID, s.Date, want[s.ID])
		}
		if (s.Status == "convicted") != (s.ID == p.ID) {
			t.Errorf("%s %s: status %q", s.Kind, s.ID, s.Status)
		}
	}
	ids := []string{p.ID, c.ID, in.ID, ts.ID, n.ID}
	got := map[string]Summary{}
	for _, s := range all {
		got[s.ID] = s
	}
	for id, s := range summariesFromRecords(t, v, ids) {
		if visible(got[id]) != s {
			t.Errorf("List gave %+v, want %+v", got[id], s)
		}
	}

	js, err := json.Marshal(got[p.ID])
	if err != nil {
		t.Fatal(err)
	}
	for _, field := range []string{`"date":"1992-05-14"`, `"status":"convicted"`, `"title":"Ігар Лосік"`} {
		if !strings.Contains(string(js), field) {
			t.Errorf("summary JSON %s lacks %s", js, field)
		}
	}
	if js, _ := json.Marshal(got[n.ID]); strings.Contains(string(js), `"date"`) || strings.Contains(string(js), `"status"`) {
		t.Errorf("summary JSON of an undated note %s has a date or status", js)
	}
}

func TestLinkedFollowsEditsAndDeletes(t *testing.T) {
	v := newVault(t)
	name := func(s string) []record.Name { return []record.Name{{Family: s}} }
	p := mustAdd(t, v, &record.Person{Names: name("Бабарыка")})
	q := mustAdd(t, v, &record.Person{Names: name("Калеснікава")})
	ts := mustAdd(t, v, &record.Testimony{Interviewee: "Witness", Person: q.ID, About: []string{p.ID, q.ID},
		Consent: record.Consent{Scopes: []string{"team"}}, Text: "…"})
	c := mustAdd(t, v, &record.Case{Person: p.ID})
	in := mustAdd(t, v, &record.Incident{Type: "shizo", Victims: []string{p.ID}, Sources: []string{ts.ID}})
	n := mustAdd(t, v, &record.Note{About: p.ID, Text: "letter sent"})
	a, err := v.ImportAttachment(strings.NewReader("scan"), "scan.txt", "text/plain", []string{p.ID})
	if err != nil {
		t.Fatal(err)
	}
	ids := []string{p.ID, q.ID, ts.ID, c.ID, in.ID, n.ID, a.ID}
	checkLinked(t, v, ids)
	if got, _ := v.Linked(p.ID); len(got) != 5 {
		t.Fatalf("Linked(person) = %+v, want the testimony, case, incident, note and attachment", got)
	}

	// An edit that moves a link moves it in the index; a retitled record
	// shows its new title.
	if _, err := v.Update(in.ID, &record.Incident{Type: "shizo", Victims: []string{q.ID}}); err != nil {
		t.Fatal(err)
	}
	if _, err := v.Update(n.ID, &record.Note{About: p.ID, Text: "reply received"}); err != nil {
		t.Fatal(err)
	}
	checkLinked(t, v, ids)
	if got, _ := v.Linked(ts.ID); len(got) != 0 {
		t.Errorf("the incident no longer cites the testimony, yet Linked(testimony) = %+v", got)
	}

	// A sealed testimony's amendment links back to it.
	if _, err := v.Seal(ts.ID); err != nil {
		t.Fatal(err)
	}
	am, err := v.Amend(ts.ID, &record.Testimony{Interviewee: "Witness", Consent: record.Consent{Scopes: []string{"team"}}, Text: "correction"})
	if err != nil {
		t.Fatal(err)
	}
	ids = append(ids, am.ID)
	checkLinked(t, v, ids)

	if err := v.Delete(c.ID); err != nil {
		t.Fatal(err)
	}
	if err := v.Delete(ts.ID); err != nil {
		t.Fatal(err)
	}
	checkLinked(t, v, ids)

	// The index is in the store: it is the same after locking.
	v = reopen(t, v)
	checkLinked(t, v, ids)
}

func TestLinkedAfterSyncAndMerge(t *testing.T) {
	log, vs := newTeam(t, 2)
	a, b := vs[0], vs[1]
	p := mustAdd(t, a, &record.Person{Names: []record.Name{{Family: "Бяляцкі"}}})
	q := mustAdd(t, a, &record.Person{Names: []record.Name{{Family: "Лосік"}}})
	log.exchange(t, a, b)
	in := mustAdd(t, b, &record.Incident{Type: "shizo", Victims: []string{p.ID}})
	n := mustAdd(t, b, &record.Note{About: p.ID, Text: "from B"})
	log.exchange(t, a, b)
	ids := []string{p.ID, q.ID, in.ID, n.ID}
	for _, v := range vs {
		checkLinked(t, v, ids)
	}

	// Concurrent edits of the incident: A adds a victim, B adds a
	// perpetrator. The merge keeps A's victims on both devices.
	if _, err := a.Update(in.ID, &record.Incident{Type: "shizo", Victims: []string{p.ID, q.ID}}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Update(in.ID, &record.Incident{Type: "shizo", Victims: []string{p.ID}, Perpetrators: []string{"unit 1"}}); err != nil {
		t.Fatal(err)
	}
	log.exchange(t, a, b)
	for _, v := range vs {
		checkLinked(t, v, ids)
		if got, _ := v.Linked(q.ID); len(got) != 1 || got[0].ID != in.ID {
			t.Errorf("after the merge, Linked(second victim) = %+v, want the incident", got)
		}
	}
	// Concurrent edits that disagree: the later change wins everywhere,
	// and the losing side's links go.
	if _, err := a.Update(in.ID, &record.Incident{Type: "shizo", Victims: []string{q.ID}}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Update(in.ID, &record.Incident{Type: "shizo", Victims: []string{p.ID}}); err != nil {
		t.Fatal(err)
	}
	log.exchange(t, a, b)
	for _, v := range vs {
		checkLinked(t, v, ids)
	}

	if err := b.Delete(n.ID); err != nil {
		t.Fatal(err)
	}
	log.exchange(t, a, b)
	for _, v := range vs {
		checkLinked(t, v, ids)
		for _, s := range mustLinked(t, v, p.ID) {
			if s.ID == n.ID {
				t.Errorf("a note deleted on the other device is still linked")
			}
		}
	}
}

func mustLinked(t *testing.T, v *Vault, id string) []Summary {
	t.Helper()
	got, err := v.Linked(id)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// addSynthetic imports n synthetic people, each with a case and a note.
func addSynthetic(t *testing.T, v *Vault, n int) []string {
	t.Helper()
	syn := synth.New(7)
	people, err := v.Import(func() []record.Body {
		var bs []record.Body
		for range n {
			bs = append(bs, syn.Person())
		}
		return bs
	}())
	if err != nil {
		t.Fatal(err)
	}
	var bs []record.Body
	var ids []string
	for _, p := range people {
		ids = append(ids, p.ID)
		bs = append(bs, syn.Case(p.ID), syn.Note(p.ID))
	}
	recs, err := v.Import(bs)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range recs {
		ids = append(ids, r.ID)
	}
	return ids
}

// oldSummary is how vaults before summaries had dates stored them.
type oldSummary struct {
	ID    string      `json:"id"`
	Kind  record.Kind `json:"kind"`
	Title string      `json:"title"`
}

func TestListsRebuiltForOlderVaults(t *testing.T) {
	v := newVault(t)
	ids := addSynthetic(t, v, 50)
	before := listAll(t, v, "")

	// Make the store look like one written before this format: JSON
	// summaries, no links, no version.
	err := v.db.Update(func(txn *badger.Txn) error {
		for _, p := range []string{pfxLinks, pfxBack} {
			it := txn.NewIterator(badger.IteratorOptions{Prefix: []byte(p)})
			var keys [][]byte
			for it.Rewind(); it.Valid(); it.Next() {
				keys = append(keys, it.Item().KeyCopy(nil))
			}
			it.Close()
			for _, k := range keys {
				if err := txn.Delete(k); err != nil {
					return err
				}
			}
		}
		for _, s := range before {
			if err := setJSON(txn, summaryKey(s.Kind, s.ID), oldSummary{s.ID, s.Kind, s.Title}); err != nil {
				return err
			}
		}
		return txn.Delete([]byte(keyLists))
	})
	if err != nil {
		t.Fatal(err)
	}
	v = reopen(t, v)
	if after := listAll(t, v, ""); !slices.Equal(after, before) {
		t.Errorf("after the rebuild List gives %d summaries, different from the %d before", len(after), len(before))
	}
	checkLinked(t, v, ids)
}

func TestDamagedSummaryIsRebuilt(t *testing.T) {
	v := newVault(t)
	ids := addSynthetic(t, v, 20)
	before := listAll(t, v, record.KindPerson)
	err := v.db.Update(func(txn *badger.Txn) error {
		return txn.Set(summaryKey(record.KindPerson, before[3].ID), []byte{summaryFormat, 0, 0xff})
	})
	if err != nil {
		t.Fatal(err)
	}
	err = v.List(record.KindPerson, func(Summary) bool { return true })
	if !errors.Is(err, ErrDamaged) {
		t.Fatalf("List over a damaged entry: %v, want ErrDamaged", err)
	}
	if after := listAll(t, v, record.KindPerson); !slices.Equal(after, before) {
		t.Errorf("after the repair List gives %d summaries, different from the %d before", len(after), len(before))
	}
	checkLinked(t, v, ids)
}

func TestSummaryEncodingRejectsTruncation(t *testing.T) {
	s := Summary{Title: "Ганна Сідарэнка", Status: "released", Date: record.MustDate("~1990-02"), Sealed: true}
	s.Updated.Wall, s.Updated.Logical = 1_700_000_000_000, 3
	b := appendSummary(nil, &s)
	var got Summary
	if err := decodeSummary(b, record.KindPerson, "id", map[string]string{}, &got); err != nil {
		t.Fatal(err)
	}
	s.ID, s.Kind = "id", record.KindPerson
	if got != s {
		t.Errorf("decoded %+v, want %+v", got, s)
	}
	for i := range len(b) {
		if err := decodeSummary(b[:i], record.KindPerson, "id", map[string]string{}, &got); err == nil {
			t.Errorf("a summary cut to %d of %d bytes decoded", i, len(b))
		}
	}
}

func TestLockWhileSearchIndexLoads(t *testing.T) {
	v := newVault(t)
	addSynthetic(t, v, 200)
	p := listAll(t, v, record.KindPerson)[0]
	// Force a rebuild at the next unlock, and lock again at once.
	if err := v.db.Update(func(txn *badger.Txn) error { return txn.Delete([]byte("idx/meta")) }); err != nil {
		t.Fatal(err)
	}
	v = reopen(t, v)
	if err := v.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := v.Search(search.Query{Text: p.Title}); !errors.Is(err, ErrLocked) {
		t.Errorf("search after locking: %v, want ErrLocked", err)
	}
	// Whether or not the rebuild finished, the next unlock searches.
	v = unlock(t, v.Dir())
	hits, err := v.Search(search.Query{Text: p.Title})
	if err != nil || len(hits) == 0 || hits[0].ID != p.ID {
		t.Fatalf("search for %q after an interrupted load: %+v, %v", p.Title, hits, err)
	}
}

func TestSortByTitle(t *testing.T) {
	v := newVault(t)
	for _, n := range []string{"Ўладзімір Яўген", "Іван Бабарыка", "ivan Babaryka", "Ігар Лосік", "Igar Losik",
		"Алесь Бяляцкі", "Ales Bialiatski", "Łukasz Źrebak", "Zoja Łapko", "Яна Сідарэнка", "анна Іванова"} {
		given, family, _ := strings.Cut(n, " ")
		mustAdd(t, v, &record.Person{Names: []record.Name{{Given: given, Family: family}}})
	}
	people := listAll(t, v, record.KindPerson)
	notes := listAll(t, v, "")[:0]
	for _, text := range []string{"Ўдзел", "удзел", "Zeta", "alpha"} {
		notes = append(notes, Summary{ID: NewID(), Kind: record.KindNote, Title: text})
	}
	col := collate.New(language.Und, collate.IgnoreCase)
	for _, all := range [][]Summary{people, notes} {
		SortByTitle(all)
		if len(all) < 4 {
			t.Fatalf("only %d summaries to sort", len(all))
		}
		for i := 1; i < len(all); i++ {
			a, b := all[i-1], all[i]
			if c := col.CompareString(a.Title, b.Title); c > 0 || c == 0 && a.ID > b.ID {
				t.Errorf("%q sorts before %q", a.Title, b.Title)
			}
		}
	}
}
