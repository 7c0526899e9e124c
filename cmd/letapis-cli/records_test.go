package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/letapis/letapis/storage"
	"github.com/letapis/letapis/storage/record"
)

// body returns the current body of record id.
func body[T any](h *harness, id string) *T {
	h.t.Helper()
	var r struct {
		storage.Record
		Amendments []string `json:"amendments"`
	}
	h.okJSON(&r, "", "show", id)
	var b T
	if err := json.Unmarshal(r.Body, &b); err != nil {
		h.t.Fatalf("body of %s: %v", id, err)
	}
	return &b
}

func TestPersonAddAndEdit(t *testing.T) {
	h := newVaultHarness(t)
	id := h.ok("", "person", "add",
		"--given", "Алесь", "--patronymic", "Віктаравіч", "--family", "Бяляцкі", "--script", "be-cyrl",
		"--also", "Ales||Bialiatski|passport", "--also", " Алесь | Викторович | Беляцкий | ru-cyrl ",
		"--birth", "1962-09-25", "--gender", "male", "--status", "convicted", "--region", "Minsk",
		"--claim", "political-prisoner|Viasna|2021-07-15|https://spring96.org",
		"--humanitarian", "older-person", "--link", "https://example.org/1",
		"--last-family-contact", "~2023-02")
	if !record.IsID(id) {
		t.Fatalf("person add printed %q, want an id", id)
	}
	want := &record.Person{
		Names: []record.Name{
			{Given: "Алесь", Patronymic: "Віктаравіч", Family: "Бяляцкі", Script: "be-cyrl"},
			{Given: "Ales", Family: "Bialiatski", Script: "passport"},
			{Given: "Алесь", Patronymic: "Викторович", Family: "Беляцкий", Script: "ru-cyrl"},
		},
		Birth:             record.MustDate("1962-09-25"),
		Gender:            "male",
		Status:            "convicted",
		Region:            "Minsk",
		Claims:            []record.Claim{{Type: "political-prisoner", By: "Viasna", On: record.MustDate("2021-07-15"), Source: "https://spring96.org"}},
		Humanitarian:      []string{"older-person"},
		Links:             []string{"https://example.org/1"},
		LastFamilyContact: record.MustDate("~2023-02"),
	}
	if got := body[record.Person](h, id); !reflect.DeepEqual(got, want) {
		t.Fatalf("person add saved\n%+v\nwant\n%+v", got, want)
	}

	// Edit changes only the fields given; an id prefix is enough; a
	// repeatable flag replaces its list; "" clears.
	if got := h.ok("", "person", "edit", id[:6], "--status", "released", "--family", "Бяляцкі-Тэст", "--link", "", "--humanitarian", "disability", "--humanitarian", "minor"); got != id {
		t.Fatalf("person edit printed %q, want %q", got, id)
	}
	want.Status = "released"
	want.Names[0].Family = "Бяляцкі-Тэст"
	want.Links = nil
	want.Humanitarian = []string{"disability", "minor"}
	if got := body[record.Person](h, id); !reflect.DeepEqual(got, want) {
		t.Fatalf("person edit saved\n%+v\nwant\n%+v", got, want)
	}
	h.ok("", "person", "edit", id, "--also", "Ales|Viktaravich|Bialiatski")
	want.Names = append(want.Names[:1], record.Name{Given: "Ales", Patronymic: "Viktaravich", Family: "Bialiatski"})
	if got := body[record.Person](h, id); !reflect.DeepEqual(got.Names, want.Names) {
		t.Fatalf("--also replaced names with %+v", got.Names)
	}

	// An edit that changes nothing writes no revision.
	var hist []storage.HistoryEntry
	h.okJSON(&hist, "", "history", id)
	r := h.run("", "person", "edit", id, "--status", "released")
	if r.code != 0 || !strings.Contains(r.stderr, "nothing changed") {
		t.Fatalf("no-op edit: %v", r)
	}
	var hist2 []storage.HistoryEntry
	h.okJSON(&hist2, "", "history", id)
	if len(hist2) != len(hist) {
		t.Errorf("no-op edit added a revision: %d -> %d", len(hist), len(hist2))
	}

	var printed map[string]string
	h.okJSON(&printed, "", "person", "add", "--family", "Kalesnikava")
	if !record.IsID(printed["id"]) || len(printed) != 1 {
		t.Errorf("person add --json printed %v", printed)
	}
}

func TestValidationErrorsNameTheField(t *testing.T) {
	h := newVaultHarness(t)
	p := h.ok("", "person", "add", "--family", "Лосік")
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"person", "add", "--birth", "1990"}, "person: names needs at least one name (set the name with --given and --family)"},
		{[]string{"person", "add", "--family", "X", "--gender", "m"}, `person: gender "m" is not a code of vocabulary "gender" (set with --gender; one of: female, male, other)`},
		{[]string{"person", "add", "--family", "X", "--claim", "political-prisoner| "}, "person: claims[0].by is empty: a claim needs the source that makes it (set with --claim)"},
		{[]string{"person", "add", "--family", "X", "--claim", "martyr|Viasna"}, `person: claims[0].type "martyr" is not a code of vocabulary "claim" (set with --claim; one of: political-prisoner`},
		{[]string{"testimony", "add", "--interviewee", "A", "--text", "t"}, "testimony: consent.scopes is empty: record what the interviewee agreed to (set with --consent)"},
		{[]string{"testimony", "add", "--interviewee", "A", "--consent", "legal"}, "testimony: text is empty (set with --text or --text-file)"},
		{[]string{"testimony", "add", "--interviewee", "A", "--consent", "everyone", "--text", "t"}, `testimony: consent.scopes[0] "everyone" is not a code of vocabulary "consent-scope" (set with --consent; one of: team,`},
		{[]string{"incident", "add", "--type", "torture"}, "incident: victims needs at least one record id (set with --victim)"},
		{[]string{"incident", "add", "--type", "torture", "--victim", p, "--from", "2022-05", "--to", "2022-01"}, "incident: period.to 2022-01 is before the start 2022-05 (set with --to)"},
		{[]string{"case", "add", "--arrested", "2021"}, "case: person is empty (set with --person)"},
		{[]string{"case", "add", "--person", p, "--facility", "SIZO-1|jail"}, `case: facilities[0].kind "jail" is not a code of vocabulary "facility-kind" (set with --facility; one of: ivs,`},
		{[]string{"note", "add", "--text", "  "}, "note: text is empty (set with --text or --text-file)"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			if msg := h.with(t).fail(exitError, "", tt.args...); !strings.HasPrefix(msg, tt.want) {
				t.Errorf("got  %q\nwant %q", msg, tt.want)
			}
		})
	}
}

func TestReferences(t *testing.T) {
	h := newVaultHarness(t)
	p := h.ok("", "person", "add", "--family", "Статкевіч")
	n := h.ok("", "note", "add", "--about", p, "--text", "hearing postponed")
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"case", "add", "--person", n}, n + " is a note, not a person"},
		{[]string{"case", "add", "--person", "zzzz"}, `--person: no record has an id starting with "zzzz"`},
		{[]string{"case", "add", "--person", "zzzzzzzzzzzzzzzzzzzzzzzzzz"}, "--person: no record has the id zzzzzzzzzzzzzzzzzzzzzzzzzz"},
		{[]string{"incident", "add", "--type", "torture", "--victim", p, "--source", p}, p + " is a person, not a testimony or attachment"},
		{[]string{"show", "qqqq"}, `no record has an id starting with "qqqq"`},
		{[]string{"person", "edit", n, "--family", "X"}, n + " is a note, not a person"},
	}
	for _, tt := range tests {
		if msg := h.fail(exitError, "", tt.args...); !strings.Contains(msg, tt.want) {
			t.Errorf("%v: %q, want %q", tt.args, msg, tt.want)
		}
	}

	// A prefix is resolved to the full id before it is stored.
	c := h.ok("", "case", "add", "--person", strings.ToUpper(p[:5]), "--arrested", "2020-05-31", "--charge", "Criminal Code 342",
		"--charge", "Criminal Code 293", "--facility", "SIZO-1 Minsk|sizo|2020-05-31|2021-12-14", "--facility", "IK-13 Hlybokaje|ik|2021-12-14|",
		"--verdict", "2021-12-14", "--sentence", "14 years", "--court", "Homiel Regional Court")
	got := body[record.Case](h, c)
	if got.Person != p || len(got.Charges) != 2 || len(got.Facilities) != 2 ||
		got.Facilities[0] != (record.Spell{Facility: "SIZO-1 Minsk", Kind: "sizo", From: record.MustDate("2020-05-31"), To: record.MustDate("2021-12-14")}) ||
		got.Facilities[1].To != (record.Date{}) {
		t.Errorf("case add saved %+v", got)
	}

	// Two records whose ids share a prefix make that prefix ambiguous.
	ids := map[string]string{}
	for {
		id := h.ok("", "note", "add", "--text", "x")
		if other, ok := ids[id[:1]]; ok {
			msg := h.fail(exitError, "", "show", id[:1])
			if !strings.Contains(msg, "is the start of more than one record id; type more of it") {
				t.Errorf("ambiguous prefix of %s and %s: %q", id, other, msg)
			}
			break
		}
		ids[id[:1]] = id
	}

	// A deleted record cannot be referred to.
	h.ok("", "--yes", "delete", p)
	if msg := h.fail(exitError, "", "note", "add", "--about", p, "--text", "x"); msg != "--about: person "+p+" was deleted" {
		t.Errorf("reference to a deleted record: %q", msg)
	}
}

func TestIncidentAndNote(t *testing.T) {
	h := newVaultHarness(t)
	p := h.ok("", "person", "add", "--family", "Калеснікава")
	tm := h.ok("", "testimony", "add", "--interviewee", "Sister", "--consent", "team", "--text", "She was held in SHIZO.")
	descFile := filepath.Join(t.TempDir(), "desc.txt")
	if err := os.WriteFile(descFile, []byte("Ten days in a punishment cell.\nNo letters."), 0o600); err != nil {
		t.Fatal(err)
	}
	in := h.ok("", "incident", "add", "--type", "shizo", "--from", "2023-01-10", "--to", "2023-01-20", "--place", "IK-4 Homiel",
		"--victim", p, "--victim", p[:8], "--perpetrator", "colony administration", "--source", tm, "--description-file", descFile)
	got := body[record.Incident](h, in)
	want := &record.Incident{Type: "shizo", From: record.MustDate("2023-01-10"), To: record.MustDate("2023-01-20"), Place: "IK-4 Homiel",
		Victims: []string{p}, Perpetrators: []string{"colony administration"}, Sources: []string{tm},
		Description: "Ten days in a punishment cell.\nNo letters."}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("incident add saved\n%+v\nwant\n%+v", got, want)
	}
	h.ok("", "incident", "edit", in, "--description", "")
	if got := body[record.Incident](h, in); got.Description != "" || got.Type != "shizo" {
		t.Errorf("incident edit --description '': %+v", got)
	}

	n := h.ok("Letter from the colony.\nAll is well.\n", "note", "add", "--about", in, "--date", "~2023-03", "--text-file", "-")
	if got := body[record.Note](h, n); *got != (record.Note{About: in, Date: record.MustDate("~2023-03"), Text: "Letter from the colony.\nAll is well.\n"}) {
		t.Errorf("note add saved %+v", got)
	}
	h.ok("", "note", "edit", n, "--text", "Letter received.")
	if got := body[record.Note](h, n); got.Text != "Letter received." || got.About != in {
		t.Errorf("note edit saved %+v", got)
	}
	if msg := h.fail(exitError, "", "note", "add", "--text-file", filepath.Join(t.TempDir(), "missing")); !strings.Contains(msg, "--text-file: open ") {
		t.Errorf("missing text file: %q", msg)
	}
}

func TestTestimonyLifecycle(t *testing.T) {
	h := newVaultHarness(t)
	p := h.ok("", "person", "add", "--given", "Марыя", "--family", "Калеснікава")
	text := "Яна тры тыдні была ў ШІЗА.\nЛістоў не было.\n"
	tm := h.ok(text, "testimony", "add", "--interviewee", "Witness B", "--relation", "cellmate", "--interviewer", "T. K.",
		"--date", "2024-03", "--place", "Vilnius", "--language", "be", "--consent", "legal", "--consent", "un-osce",
		"--embargo", "2026", "--sensitivity", "high", "--about", p, "--violation", "shizo", "--violation", "incommunicado",
		"--fears", "reprisals against family", "--text-file", "-")
	want := &record.Testimony{Interviewee: "Witness B", Relation: "cellmate", Interviewer: "T. K.", Date: record.MustDate("2024-03"),
		Place: "Vilnius", Language: "be", Consent: record.Consent{Scopes: []string{"legal", "un-osce"}, Embargo: record.MustDate("2026"), Fears: "reprisals against family"},
		Sensitivity: "high", About: []string{p}, Violations: []string{"shizo", "incommunicado"}, Text: text}
	if got := body[record.Testimony](h, tm); !reflect.DeepEqual(got, want) {
		t.Fatalf("testimony add saved\n%+v\nwant\n%+v", got, want)
	}

	h.ok("", "testimony", "edit", tm, "--place", "")
	want.Place = ""
	if got := body[record.Testimony](h, tm); !reflect.DeepEqual(got, want) {
		t.Fatalf("testimony edit saved %+v", got)
	}

	// Sealing asks first, and refuses without a terminal unless --yes.
	if msg := h.fail(exitError, "", "testimony", "seal", tm); msg != "refusing to seal testimony "+tm+" without confirmation: pass --yes" {
		t.Errorf("seal without confirmation: %q", msg)
	}
	h.interactive = true
	h.term = &fakeTerminal{answers: []string{"n"}}
	if msg := h.fail(exitError, "", "testimony", "seal", tm); msg != "cancelled; nothing was changed" {
		t.Errorf("seal answered no: %q", msg)
	}
	if want := "Sealing cannot be undone; corrections will be amendments. Seal? [y/N]"; len(h.term.asked) != 1 || h.term.asked[0] != want {
		t.Errorf("seal asked %q, want %q", h.term.asked, want)
	}
	h.term = &fakeTerminal{answers: []string{"y"}}
	r := h.run("", "testimony", "seal", tm[:7])
	if r.code != 0 || strings.TrimSpace(r.stdout) != tm || !strings.Contains(r.stderr, "SHA-256 of the sealed content: ") {
		t.Fatalf("seal: %v", r)
	}
	h.interactive, h.term = false, nil

	var rec shownRecord
	h.okJSON(&rec, "", "show", tm)
	if !rec.Sealed || len(rec.SealHash) != 64 || !strings.Contains(r.stderr, rec.SealHash) {
		t.Errorf("sealed record: sealed=%v hash %q", rec.Sealed, rec.SealHash)
	}
	if msg := h.fail(exitError, "", "testimony", "edit", tm, "--text", "changed"); msg != "testimony "+tm+" is sealed and cannot be changed; correct it with 'letapis-cli testimony amend "+tm+"'" {
		t.Errorf("edit of a sealed testimony: %q", msg)
	}
	if msg := h.fail(exitError, "", "--yes", "testimony", "seal", tm); msg != "testimony "+tm+" is already sealed" {
		t.Errorf("second seal: %q", msg)
	}

	// An amendment starts from the sealed testimony's fields.
	am := h.ok("Карэкцыя: чатыры тыдні.", "testimony", "amend", tm, "--text-file", "-", "--date", "2024-04")
	if am == tm || !record.IsID(am) {
		t.Fatalf("amend printed %q", am)
	}
	got := body[record.Testimony](h, am)
	wantAm := *want
	wantAm.Text, wantAm.Date, wantAm.Amends = "Карэкцыя: чатыры тыдні.", record.MustDate("2024-04"), tm
	if !reflect.DeepEqual(got, &wantAm) {
		t.Errorf("amendment saved\n%+v\nwant\n%+v", got, &wantAm)
	}
	h.okJSON(&rec, "", "show", tm)
	if !reflect.DeepEqual(rec.Amendments, []string{am}) {
		t.Errorf("amendments of the sealed testimony: %v", rec.Amendments)
	}
	if msg := h.fail(exitError, "", "testimony", "amend", am, "--text", "x"); !strings.Contains(msg, "is a draft: edit it with") {
		t.Errorf("amend of a draft: %q", msg)
	}

	// A sealed testimony can still be deleted (withdrawn consent).
	if got := h.ok("", "delete", tm, "--yes"); got != tm {
		t.Errorf("delete printed %q", got)
	}
}

func TestFromJSON(t *testing.T) {
	h := newVaultHarness(t)
	p := h.ok(`{"names":[{"given":"Ігар","family":"Лосік","script":"be-cyrl"}],"birth":"1992","status":"convicted"}`,
		"person", "add", "--from-json", "-", "--region", "Baranavichy")
	got := body[record.Person](h, p)
	want := &record.Person{Names: []record.Name{{Given: "Ігар", Family: "Лосік", Script: "be-cyrl"}}, Birth: record.MustDate("1992"), Status: "convicted", Region: "Baranavichy"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("--from-json saved %+v", got)
	}

	// show --json output round-trips through --from-json.
	shown := h.ok("", "--json", "show", p)
	h.ok(strings.Replace(shown, "Baranavichy", "Minsk", 1), "person", "edit", p, "--from-json", "-")
	if got := body[record.Person](h, p); got.Region != "Minsk" || got.Names[0].Family != "Лосік" {
		t.Errorf("edit --from-json with show --json output: %+v", got)
	}

	for _, tt := range []struct{ in, want string }{
		{`{"names":[{"family":"X"}],"nickname":"y"}`, `--from-json: not a person record: json: unknown field "nickname"`},
		{`{"names":`, "--from-json: not a person record: unexpected EOF"},
		{`{"kind":"note","body":{"text":"x"}}`, "--from-json: the JSON is a note record, not a person"},
		{`{"names":[{"family":"X"}],"birth":"1990-14"}`, "--from-json: not a person record: month 14 is outside 1–12"},
	} {
		if msg := h.fail(exitError, tt.in, "person", "add", "--from-json", "-"); msg != tt.want {
			t.Errorf("--from-json %s: %q, want %q", tt.in, msg, tt.want)
		}
	}
	if msg := h.fail(exitError, `{"text":"x"}`, "note", "add", "--from-json", "-", "--text-file", "-"); !strings.Contains(msg, "cannot both read standard input") {
		t.Errorf("two readers of stdin: %q", msg)
	}
}

func TestDelete(t *testing.T) {
	h := newVaultHarness(t)
	p := h.ok("", "person", "add", "--given", "Максім", "--family", "Знак")
	if msg := h.fail(exitError, "", "delete", p); msg != "refusing to delete person "+p+" without confirmation: pass --yes" {
		t.Errorf("delete without confirmation: %q", msg)
	}
	h.interactive = true
	h.term = &fakeTerminal{answers: []string{""}}
	if msg := h.fail(exitError, "", "delete", p); msg != "cancelled; nothing was changed" {
		t.Errorf("delete answered with enter: %q", msg)
	}
	if want := `Delete person ` + p + ` "Максім Знак"? Its content will be purged and cannot be recovered. [y/N]`; h.term.asked[0] != want {
		t.Errorf("delete asked %q\nwant %q", h.term.asked[0], want)
	}
	h.term = &fakeTerminal{answers: []string{"yes"}}
	if got := h.ok("", "delete", p[:5]); got != p {
		t.Errorf("delete printed %q", got)
	}
	h.interactive, h.term = false, nil

	var rec storage.Record
	h.okJSON(&rec, "", "show", p)
	if !rec.Deleted || rec.Body != nil {
		t.Errorf("deleted record: %+v", rec)
	}
	if r := h.run("", "delete", p); r.code != 0 || strings.TrimSpace(r.stdout) != p || !strings.Contains(r.stderr, "already deleted; purging the vault again") {
		t.Errorf("second delete: %v", r)
	}
	if msg := h.fail(exitError, "", "person", "edit", p, "--family", "X"); msg != "person "+p+" was deleted" {
		t.Errorf("edit of a deleted record: %q", msg)
	}
}
