package main

import (
	"regexp"
	"strings"
	"testing"

	"github.com/letapis/letapis/storage"
	"github.com/letapis/letapis/storage/record"
)

func TestList(t *testing.T) {
	h := newVaultHarness(t)
	if r := h.run("", "list"); r.code != 0 || r.stdout != "" || r.stderr != "letapis-cli: no records\n" {
		t.Fatalf("list of an empty vault: %v", r)
	}
	var rows []storage.Summary
	h.okJSON(&rows, "", "list")
	if rows == nil || len(rows) != 0 {
		t.Fatalf("list --json of an empty vault: %#v", rows)
	}

	p := h.ok("", "person", "add", "--given", "Алесь", "--family", "Бяляцкі")
	tm := h.ok("", "testimony", "add", "--interviewee", "Witness A", "--date", "2024-03", "--consent", "team", "--text", "x")
	h.ok("", "--yes", "testimony", "seal", tm)
	n := h.ok("", "note", "add", "--text", "Line one\tof the note\nline two")

	out := h.ok("", "list")
	lines := strings.Split(out, "\n")
	if len(lines) != 4 {
		t.Fatalf("list:\n%s", out)
	}
	if !regexp.MustCompile(`^ID +KIND +UPDATED +FLAGS +TITLE$`).MatchString(lines[0]) {
		t.Errorf("header %q", lines[0])
	}
	// Newest first, ids shortened, flags and titles shown.
	for i, want := range []struct{ id, kind, flags, title string }{
		{n, "note", "-", "Line one of the note"},
		{tm, "testimony", "sealed", "Witness A · 2024-03"},
		{p, "person", "-", "Алесь Бяляцкі"},
	} {
		f := strings.Fields(lines[i+1])
		if f[0] != want.id[:idWidth] || f[1] != want.kind || f[5] != want.flags || strings.Join(f[6:], " ") != want.title {
			t.Errorf("row %d: %q, want %+v", i+1, lines[i+1], want)
		}
	}

	h.okJSON(&rows, "", "list", "--kind", "testimony")
	if len(rows) != 1 || rows[0].ID != tm || !rows[0].Sealed || rows[0].Kind != record.KindTestimony {
		t.Errorf("list --kind testimony --json: %+v", rows)
	}
	h.okJSON(&rows, "", "list", "--limit", "2")
	if len(rows) != 2 || rows[0].ID != n || rows[1].ID != tm {
		t.Errorf("list --limit 2: %+v", rows)
	}
	if out := h.ok("", "list", "--kind", "case"); out != "" {
		t.Errorf("list --kind case: %q", out)
	}

	h.ok("", "delete", "--yes", n)
	h.okJSON(&rows, "", "list")
	if len(rows) != 2 {
		t.Errorf("deleted record still listed: %+v", rows)
	}
}

func TestShow(t *testing.T) {
	h := newVaultHarness(t)
	p := h.ok("", "person", "add", "--given", "Алесь", "--family", "Бяляцкі", "--script", "be-cyrl",
		"--also", "Ales||Bialiatski|passport", "--status", "convicted", "--claim", "political-prisoner|Viasna|2021-07-15")
	tm := h.ok("", "testimony", "add", "--interviewee", "Witness A", "--about", p, "--consent", "legal",
		"--text", "First line.\nSecond \x1b[31mline.")

	out := h.ok("", "show", p[:4])
	for _, want := range []string{
		"person:     " + p,
		"title:      Алесь Бяляцкі",
		"revisions:  1",
		"names:\n  - given: Алесь\n    family: Бяляцкі\n    script: be-cyrl (Belarusian (Cyrillic))\n  - given: Ales\n    family: Bialiatski\n    script: passport (Passport romanisation)\n",
		"status: convicted (Convicted)\n",
		"claims:\n  - type: political-prisoner (Recognised as a political prisoner)\n    by: Viasna\n    on: 2021-07-15",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("show person lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "sealed:") {
		t.Errorf("show person mentions a seal:\n%s", out)
	}

	out = h.ok("", "show", tm)
	for _, want := range []string{
		"sealed:     no (draft)",
		"about:\n  - " + p + " (person: Алесь Бяляцкі)\n",
		"consent:\n  scopes:\n    - legal (Legal proceedings)\n",
		"text: |\n  First line.\n  Second \uFFFD[31mline.",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("show testimony lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "\x1b") {
		t.Errorf("show passed an escape character to the terminal")
	}

	var rec shownRecord
	h.okJSON(&rec, "", "show", tm)
	if rec.ID != tm || rec.Kind != record.KindTestimony || rec.Revisions != 1 || rec.Sealed {
		t.Errorf("show --json: %+v", rec.Record)
	}
	// The body is an object, not a string.
	if raw := h.ok("", "--json", "show", tm); !strings.Contains(raw, `"body": {`) {
		t.Errorf("show --json body is not an object:\n%s", raw)
	}

	h.ok("", "--yes", "testimony", "seal", tm)
	am := h.ok("", "testimony", "amend", tm, "--text", "Correction.")
	out = h.ok("", "show", tm)
	if !strings.Contains(out, "sealed:      yes, SHA-256 ") || !strings.Contains(out, "amended by:  "+am+" (testimony: Witness A)") {
		t.Errorf("show sealed testimony:\n%s", out)
	}
	if out := h.ok("", "show", am); !strings.Contains(out, "amends: "+tm+" (testimony: Witness A)") {
		t.Errorf("show amendment:\n%s", out)
	}

	h.ok("", "--yes", "delete", p)
	out = h.ok("", "show", p)
	if !strings.Contains(out, "deleted:    yes; the content was purged") || strings.Contains(out, "Бяляцкі") {
		t.Errorf("show deleted person:\n%s", out)
	}
	if out := h.ok("", "show", tm); !strings.Contains(out, p+" (deleted person)") {
		t.Errorf("reference to a deleted person:\n%s", out)
	}
}

func TestHistory(t *testing.T) {
	h := newVaultHarness(t)
	tm := h.ok("", "testimony", "add", "--interviewee", "A", "--consent", "team", "--text", "x")
	h.ok("", "testimony", "edit", tm, "--text", "y", "--language", "ru")
	h.ok("", "--yes", "testimony", "seal", tm)

	var entries []storage.HistoryEntry
	h.okJSON(&entries, "", "history", tm)
	if len(entries) != 3 || string(entries[1].Body) == "" || entries[0].Op != "put" || entries[2].Op != "seal" {
		t.Fatalf("history --json: %+v", entries)
	}

	out := h.ok("", "history", tm)
	lines := strings.Split(out, "\n")
	if len(lines) != 4 || !regexp.MustCompile(`^TIME +OP +AUTHOR +REVISION +CHANGES$`).MatchString(lines[0]) {
		t.Fatalf("history:\n%s", out)
	}
	fp := authorFingerprint(entries[0].Author)
	if len(fp) != 12 {
		t.Fatalf("fingerprint %q", fp)
	}
	row := regexp.MustCompile(`^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \S+ +(\S+) +(\S+) +(\S+) +(.+)$`)
	for i, want := range []struct{ op, changes string }{
		{"put", "created"},
		{"put", "changed language, text"},
		{"seal", "sealed"},
	} {
		m := row.FindStringSubmatch(lines[i+1])
		if m == nil || m[1] != want.op || m[2] != fp || m[3] != entries[i].ID || m[4] != want.changes {
			t.Errorf("row %d: %q, want op %s author %s revision %s changes %q", i+1, lines[i+1], want.op, fp, entries[i].ID, want.changes)
		}
	}

	h.ok("", "--yes", "delete", tm)
	out = h.ok("", "history", tm)
	if lines := strings.Split(out, "\n"); len(lines) != 2 || !strings.Contains(lines[1], "delete") || !strings.HasSuffix(lines[1], "deleted, content purged") {
		t.Errorf("history after delete:\n%s", out)
	}
}
