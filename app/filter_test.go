package app

import (
	"testing"

	"github.com/letapis/letapis/storage/record"
)

// titles returns the titles of the rows a list shows, in order.
func titles(l *recordList) []string {
	out := make([]string, len(l.shown))
	for i, r := range l.shown {
		out[i] = l.all[r].Title
	}
	return out
}

func TestListFilterAndSortPeople(t *testing.T) {
	u, _ := unlockedUI(t)
	for _, p := range []struct{ given, family, status, birth string }{
		{"Ales", "Bialiatski", "convicted", "1962-09-25"},
		{"Maryja", "Kalesnikava", "convicted", "1982"},
		{"Ihar", "Losik", "released", "1992-07"},
		{"Palina", "Sharenda", "", ""},
	} {
		addBody(t, u, &record.Person{Names: []record.Name{{Given: p.given, Family: p.family}}, Status: p.status, Birth: record.MustDate(p.birth)})
	}
	l := u.main.lists[record.KindPerson]
	if got := titles(l); len(got) != 4 || got[0] != "Ales Bialiatski" || got[3] != "Palina Sharenda" {
		t.Fatalf("default order = %q, want by name", got)
	}
	l.filters.status.Select.SetSelectedIndex(1 + indexOfCode(record.VocabStatus, "convicted"))
	u.wait()
	if got := titles(l); len(got) != 2 || l.count.Text != "Shown: 2 of 4" {
		t.Fatalf("status convicted: %q (%s)", got, l.count.Text)
	}
	l.filters.status.Select.SetSelectedIndex(0)
	l.filters.from.SetText("1980")
	u.wait()
	if got := titles(l); len(got) != 2 || got[0] != "Ihar Losik" || got[1] != "Maryja Kalesnikava" {
		t.Errorf("born from 1980: %q", got)
	}
	l.filters.to.SetText("1990-13")
	u.wait()
	if l.filters.problem.Hidden || l.filters.problem.Text == "" {
		t.Error("a malformed date in the filter bar is not reported")
	}
	l.filters.from.SetText("")
	l.filters.to.SetText("")
	l.filters.order.SetSelected("Date, newest first")
	u.wait()
	if got := titles(l); len(got) != 4 || got[0] != "Ihar Losik" || got[2] != "Ales Bialiatski" {
		t.Errorf("newest first: %q", got)
	}
	if !l.filters.problem.Hidden {
		t.Errorf("the problem stays after the dates were fixed: %q", l.filters.problem.Text)
	}
	// A search by name keeps the best match first under "Best match".
	l.filters.order.SetSelected("Best match")
	l.filter.SetText("Kalesnikava")
	u.wait()
	if got := titles(l); len(got) == 0 || got[0] != "Maryja Kalesnikava" {
		t.Errorf("search: %q", got)
	}
}

func TestListFilterIncidentsByTypeAndPlace(t *testing.T) {
	u, _ := unlockedUI(t)
	pid := addBody(t, u, &record.Person{Names: []record.Name{{Given: "Ales", Family: "Bialiatski"}}})
	addBody(t, u, &record.Incident{Type: "shizo", From: record.MustDate("2023-01-10"), To: record.MustDate("2023-01-20"), Place: "IK-9 Horki", Victims: []string{pid}})
	addBody(t, u, &record.Incident{Type: "incommunicado", From: record.MustDate("2023-02"), Place: "IK-9 Horki", Victims: []string{pid}})
	addBody(t, u, &record.Incident{Type: "shizo", From: record.MustDate("2024-05"), Place: "SIZO-1 Minsk", Victims: []string{pid}})
	u.main.selectKind(record.KindIncident)
	l := u.main.lists[record.KindIncident]
	l.filters.incident.Select.SetSelectedIndex(1 + indexOfCode(record.VocabIncidentType, "shizo"))
	u.wait()
	if len(l.shown) != 2 {
		t.Fatalf("SHIZO incidents shown = %d, want 2", len(l.shown))
	}
	l.filters.facility.SetText("horki")
	u.wait()
	if len(l.shown) != 1 || l.all[l.shown[0]].Date.String() != "2023-01-10" {
		t.Errorf("SHIZO in Horki: %q", titles(l))
	}
}

// indexOfCode is the position of code among the built-in terms of vocab.
func indexOfCode(vocab, code string) int {
	for i, t := range record.BuiltinTerms(vocab) {
		if t.Code == code {
			return i
		}
	}
	panic("no code " + code + " in " + vocab)
}
