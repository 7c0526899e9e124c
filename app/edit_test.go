package app

import (
	"strings"
	"testing"

	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/letapis/letapis/storage/record"
)

// addBody saves b straight into the unlocked vault and reloads the lists.
func addBody(t *testing.T, u *UI, b record.Body) string {
	t.Helper()
	r, err := u.vault.Add(b)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range u.main.lists {
		l.load()
	}
	u.wait()
	return r.ID
}

// openRecord shows record id of kind k in its tab.
func openRecord(u *UI, k record.Kind, id string) *recordList {
	u.main.selectKind(k)
	l := u.main.lists[k]
	l.open(id)
	u.wait()
	return l
}

func TestEditPersonAddsSpellingAndClaim(t *testing.T) {
	u, _ := unlockedUI(t)
	id := addBody(t, u, &record.Person{
		Names:      []record.Name{{Given: "Алесь", Family: "Бяляцкі", Script: "be-cyrl"}},
		Status:     "convicted",
		Region:     "Homieĺ",
		Occupation: "historian",
	})
	l := openRecord(u, record.KindPerson, id)
	test.Tap(button(t, u, "Edit"))
	f := shownForm[*personForm](t, l)
	if got := f.names.Rows()[0].family.Text; got != "Бяляцкі" {
		t.Fatalf("the form is not prefilled: family = %q", got)
	}
	test.Tap(button(t, u, "Add a spelling"))
	second := f.names.Rows()[1]
	test.Type(second.given, "Ales")
	test.Type(second.family, "Bialiatski")
	test.Tap(button(t, u, "Add a claim"))
	claim := f.claims.Rows()[0]
	claim.kind.Select.SetSelectedIndex(1)
	test.Type(claim.by, "Viasna")
	test.Type(claim.on, "2021-07")
	save(t, u, f.frame)
	r, p := stored[*record.Person](t, u, id)
	if len(p.Names) != 2 || p.Names[1].Family != "Bialiatski" || p.Names[0].Script != "be-cyrl" {
		t.Errorf("names = %+v", p.Names)
	}
	if len(p.Claims) != 1 || p.Claims[0].By != "Viasna" || p.Claims[0].On.String() != "2021-07" || p.Claims[0].Type == "" {
		t.Errorf("claims = %+v", p.Claims)
	}
	if p.Status != "convicted" || p.Region != "Homieĺ" || p.Occupation != "historian" {
		t.Errorf("fields the edit did not touch changed: %+v", p)
	}
	if r.Revisions != 2 {
		t.Errorf("revisions = %d, want 2", r.Revisions)
	}
	// The saved record is shown again, with the new spelling.
	if !hasText(u, "Ales Bialiatski") {
		t.Error("the detail view does not show the new spelling")
	}
}

func TestEditPersonRemoveSpellingAndCancel(t *testing.T) {
	u, _ := unlockedUI(t)
	id := addBody(t, u, &record.Person{Names: []record.Name{{Given: "Марфа", Family: "Рабкова"}, {Given: "Marfa", Family: "Rabkova"}}})
	l := openRecord(u, record.KindPerson, id)
	test.Tap(button(t, u, "Edit"))
	f := shownForm[*personForm](t, l)
	f.names.remove(f.names.objects[1])
	test.Tap(f.frame.cancel)
	u.wait()
	r, _ := u.vault.Get(id)
	if r.Revisions != 1 {
		t.Fatalf("Cancel saved a revision")
	}
	if !hasText(u, "Marfa Rabkova") {
		t.Error("after Cancel the record is not shown again")
	}
	test.Tap(button(t, u, "Edit"))
	f = shownForm[*personForm](t, l)
	f.names.remove(f.names.objects[1])
	save(t, u, f.frame)
	if _, p := stored[*record.Person](t, u, id); len(p.Names) != 1 || p.Names[0].Family != "Рабкова" {
		t.Errorf("names after removing a spelling = %+v", p.Names)
	}
}

func TestEditDraftTestimonyConsent(t *testing.T) {
	u, _ := unlockedUI(t)
	id := addBody(t, u, &record.Testimony{Interviewee: "Witness K", Consent: record.Consent{Scopes: []string{"legal"}}, Text: "They kept us standing all night."})
	l := openRecord(u, record.KindTestimony, id)
	test.Tap(button(t, u, "Edit"))
	f := shownForm[*testimonyForm](t, l)
	test.Type(f.embargo, "2030-13")
	test.Tap(f.frame.save)
	u.wait()
	if !strings.HasPrefix(f.frame.problem.Text, "Embargo until:") {
		t.Errorf("bad embargo date: %q", f.frame.problem.Text)
	}
	f.embargo.SetText("2030-01")
	test.Type(f.fears, "Relatives still in Minsk")
	save(t, u, f.frame)
	_, tm := stored[*record.Testimony](t, u, id)
	if tm.Consent.Embargo.String() != "2030-01" || tm.Consent.Fears != "Relatives still in Minsk" || tm.Text != "They kept us standing all night." || len(tm.Consent.Scopes) != 1 {
		t.Errorf("testimony after edit = %+v", tm)
	}
}

func TestAmendSealedTestimony(t *testing.T) {
	u, _ := unlockedUI(t)
	id := addBody(t, u, &record.Testimony{Interviewee: "Witness M", Consent: record.Consent{Scopes: []string{"legal"}}, Text: "Held 12 days in the punishment cell."})
	if _, err := u.vault.Seal(id); err != nil {
		t.Fatal(err)
	}
	l := openRecord(u, record.KindTestimony, id)
	for _, o := range objects(u) {
		if b, ok := o.(*widget.Button); ok && b.Text == "Edit" {
			t.Fatal("a sealed testimony offers Edit")
		}
	}
	test.Tap(button(t, u, "Amend…"))
	f := shownForm[*testimonyForm](t, l)
	if f.text.Text != "Held 12 days in the punishment cell." {
		t.Fatalf("the amendment does not start from the sealed text: %q", f.text.Text)
	}
	f.text.SetText("Held 14 days in the punishment cell.")
	save(t, u, f.frame)
	if orig, ob := stored[*record.Testimony](t, u, id); !orig.Sealed || ob.Text != "Held 12 days in the punishment cell." {
		t.Fatalf("the sealed testimony changed: %+v", orig)
	}
	amends, err := u.vault.Amendments(id)
	if err != nil || len(amends) != 1 {
		t.Fatalf("amendments = %v, %v", amends, err)
	}
	if a, at := stored[*record.Testimony](t, u, amends[0]); at.Amends != id || at.Text != "Held 14 days in the punishment cell." || a.Sealed {
		t.Errorf("amendment = %+v", at)
	}
	if len(l.all) != 2 {
		t.Errorf("testimonies listed = %d, want 2", len(l.all))
	}
}

func TestNoteAboutPersonPicker(t *testing.T) {
	u, _ := unlockedUI(t)
	pid := addBody(t, u, &record.Person{Names: []record.Name{{Given: "Алесь", Family: "Бяляцкі"}}})
	u.main.selectKind(record.KindNote)
	l := u.main.lists[record.KindNote]
	test.Tap(l.add)
	f := shownForm[*noteForm](t, l)
	test.Type(f.about.query, "Bialiatski")
	u.wait()
	if len(f.about.found.Objects) != 1 {
		t.Fatalf("the picker offers %d records for Bialiatski", len(f.about.found.Objects))
	}
	offer := f.about.found.Objects[0].(*widget.Button)
	if !strings.HasPrefix(offer.Text, "Алесь Бяляцкі") {
		t.Errorf("offer = %q", offer.Text)
	}
	test.Tap(offer)
	if f.about.ID() != pid || f.about.query.Text != "" {
		t.Fatalf("picked %q, query %q", f.about.ID(), f.about.query.Text)
	}
	test.Type(f.text, "Letter sent to the colony")
	save(t, u, f.frame)
	if len(l.all) != 1 {
		t.Fatalf("notes = %+v", l.all)
	}
	r, n := stored[*record.Note](t, u, l.all[0].ID)
	if n.About != pid {
		t.Errorf("note about = %q, want %q", n.About, pid)
	}
	// Editing the note shows the person by name, not by id.
	l.open(r.ID)
	u.wait()
	test.Tap(button(t, u, "Edit"))
	u.wait()
	f = shownForm[*noteForm](t, l)
	if len(f.about.chosen) != 1 || f.about.chosen[0].title != "Алесь Бяляцкі" {
		t.Errorf("chosen = %+v", f.about.chosen)
	}
}
