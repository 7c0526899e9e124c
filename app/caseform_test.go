package app

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/letapis/letapis/storage"
	"github.com/letapis/letapis/storage/record"
)

// selectCode picks the term with code in a vocabulary drop-down.
func selectCode(t *testing.T, vs *vocabSelect, code string) {
	t.Helper()
	for i, c := range vs.codes {
		if c == code {
			vs.Select.SetSelectedIndex(i)
			return
		}
	}
	t.Fatalf("no term %q", code)
}

// visibleLabels returns the texts of the visible labels, in the order of
// the window's object tree.
func visibleLabels(u *UI) []string {
	var out []string
	for _, o := range objects(u) {
		if l, ok := o.(*widget.Label); ok && l.Visible() && l.Text != "" {
			out = append(out, l.Text)
		}
	}
	return out
}

// countKind returns the summaries of kind k the vault holds.
func countKind(t *testing.T, u *UI, k record.Kind) []storage.Summary {
	t.Helper()
	var all []storage.Summary
	if err := u.vault.List(k, func(s storage.Summary) bool { all = append(all, s); return true }); err != nil {
		t.Fatal(err)
	}
	return all
}

// TestPersonTimelineThroughForms adds a person, a case with two places of
// detention, a 10-day punishment cell term and an open incommunicado period
// through the forms, and checks the person page's timeline; bad dates name
// their field and save nothing.
func TestPersonTimelineThroughForms(t *testing.T) {
	u, _ := unlockedUI(t)
	addPerson(t, u, "Тэст", "Прыдуманы", "")
	pid := countKind(t, u, record.KindPerson)[0].ID
	openRecord(u, record.KindPerson, pid)

	// A case, from the person page.
	test.Tap(button(t, u, "Add case"))
	cases := u.main.lists[record.KindCase]
	cf := shownForm[*caseForm](t, cases)
	if cf.person.ID() != pid {
		t.Fatalf("case form person %q, want %q", cf.person.ID(), pid)
	}
	test.Type(cf.arrested, "2021-06-03")
	test.Type(cf.charges, "Criminal Code 342\nCriminal Code 361-1")
	test.Type(cf.verdict, "2021-12")
	test.Type(cf.sentence, "4 years")
	for range 3 {
		test.Tap(button(t, u, "Add place of detention"))
	}
	cf.spells.remove(cf.spells.objects[2]) // what the third row's Remove does
	r := cf.spells.Rows()
	if len(r) != 2 {
		t.Fatalf("%d rows after adding three and removing one", len(r))
	}
	test.Type(r[0].facility, "SIZO-1 (synthetic)")
	selectCode(t, r[0].kind, "sizo")
	test.Type(r[0].from, "2021-06-03")
	test.Type(r[0].to, "2022-02-10")
	test.Type(r[1].facility, "IK-99 (synthetic)")
	selectCode(t, r[1].kind, "ik")
	test.Type(r[1].from, "2022-02-10")
	test.Type(r[1].to, "2022-2-1")
	test.Tap(cf.frame.save)
	u.wait()
	if !strings.HasPrefix(cf.frame.problem.Text, "Place of detention 2, To: ") {
		t.Errorf("bad date error %q does not name the row and field", cf.frame.problem.Text)
	}
	if n := len(countKind(t, u, record.KindCase)); n != 0 {
		t.Fatalf("%d cases saved with a bad date", n)
	}
	r[1].to.SetText("")
	save(t, u, cf.frame)
	all := countKind(t, u, record.KindCase)
	if len(all) != 1 {
		t.Fatalf("%d cases saved", len(all))
	}
	if _, c := stored[*record.Case](t, u, all[0].ID); len(c.Facilities) != 2 || len(c.Charges) != 2 || c.Person != pid {
		t.Errorf("case saved as %+v", c)
	}

	// A punishment cell term of 10 days and an open incommunicado period.
	since := time.Now().AddDate(0, 0, -40)
	for _, in := range []struct{ code, from, to string }{
		{"shizo", "2023-03-01", "2023-03-11"},
		{"incommunicado", since.Format("2006-01-02"), ""},
	} {
		openRecord(u, record.KindPerson, pid)
		test.Tap(button(t, u, "Add incident"))
		f := shownForm[*incidentForm](t, u.main.lists[record.KindIncident])
		if got := f.victims.IDs(); len(got) != 1 || got[0] != pid {
			t.Fatalf("incident victims %q, want the person", got)
		}
		selectCode(t, f.typ, in.code)
		test.Type(f.from, in.from)
		test.Type(f.to, in.to)
		test.Type(f.place, "IK-99 (synthetic)")
		save(t, u, f.frame)
	}
	if n := len(countKind(t, u, record.KindIncident)); n != 2 {
		t.Fatalf("%d incidents saved, want 2", n)
	}

	// A bad date names its field and saves nothing.
	openRecord(u, record.KindPerson, pid)
	test.Tap(button(t, u, "Add incident"))
	f := shownForm[*incidentForm](t, u.main.lists[record.KindIncident])
	selectCode(t, f.typ, "torture")
	test.Type(f.from, "2023-13-45")
	test.Tap(f.frame.save)
	u.wait()
	if !strings.HasPrefix(f.frame.problem.Text, "From: ") {
		t.Errorf("bad date error %q does not name the field From", f.frame.problem.Text)
	}
	if n := len(countKind(t, u, record.KindIncident)); n != 2 {
		t.Errorf("%d incidents after a bad date, want 2", n)
	}

	// The timeline, in order, with lengths and the running count.
	openRecord(u, record.KindPerson, pid)
	want := []string{
		"Arrest · Criminal Code 342 · Criminal Code 361-1",
		"Taken to SIZO-1 (synthetic) · Pre-trial detention centre (SIZO) · 252 days",
		"Verdict · 4 years",
		"Transferred to IK-99 (synthetic) · Penal colony (IK) · ongoing: ",
		"Punishment cell (SHIZO) · IK-99 (synthetic) · 10 days",
		fmt.Sprintf("Incommunicado (no letters, visits or lawyer) · IK-99 (synthetic) · ongoing: %d days so far", 40),
	}
	got := visibleLabels(u)
	at := 0
	for _, w := range want {
		for at < len(got) && !strings.HasPrefix(got[at], w) {
			at++
		}
		if at == len(got) {
			t.Fatalf("the timeline lacks %q after the rows before it; labels: %q", w, got)
		}
	}
	// A date known to the month shows as the month.
	if !hasText(u, "2021-12") {
		t.Error("the verdict month is not shown")
	}
}

// TestEditCaseKeepsSpells opens a case's Edit form and checks that it shows
// the places of detention and keeps them when saved.
func TestEditCaseKeepsSpells(t *testing.T) {
	u, _ := unlockedUI(t)
	pid := addBody(t, u, &record.Person{Names: []record.Name{{Given: "Тэст", Family: "Прыдуманы"}}})
	d := record.MustDate
	id := addBody(t, u, &record.Case{Person: pid, Arrested: d("2022-03"), Facilities: []record.Spell{
		{Facility: "IVS (synthetic)", Kind: "ivs", From: d("2022-03")},
		{Facility: "SIZO (synthetic)", Kind: "sizo", From: d("2022-04")},
	}})
	l := openRecord(u, record.KindCase, id)
	test.Tap(button(t, u, "Edit"))
	f := shownForm[*caseForm](t, l)
	if n := len(f.spells.Rows()); n != 2 || f.person.ID() != pid {
		t.Fatalf("edit form shows %d places, person %q", n, f.person.ID())
	}
	test.Type(f.sentence, "3 years")
	save(t, u, f.frame)
	if _, c := stored[*record.Case](t, u, id); len(c.Facilities) != 2 || c.Sentence != "3 years" || c.Arrested != d("2022-03") {
		t.Errorf("edited case = %+v", c)
	}
}

// TestIncidentNeedsVictim saves an incident without a victim from the
// Incidents tab: the error names the field and nothing is saved.
func TestIncidentNeedsVictim(t *testing.T) {
	u, _ := unlockedUI(t)
	u.main.selectKind(record.KindIncident)
	l := u.main.lists[record.KindIncident]
	test.Tap(l.add)
	f := shownForm[*incidentForm](t, l)
	selectCode(t, f.typ, "shizo")
	test.Type(f.from, "2023-03")
	test.Tap(f.frame.save)
	u.wait()
	if want := "Victims: needs at least one: type a name and pick the record."; f.frame.problem.Text != want {
		t.Errorf("problem = %q, want %q", f.frame.problem.Text, want)
	}
	if n := len(countKind(t, u, record.KindIncident)); n != 0 {
		t.Errorf("%d incidents saved without a victim", n)
	}
}
