package main

import (
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/letapis/letapis/storage"
	"github.com/letapis/letapis/storage/record"
)

// listed returns "kind title" of every record, sorted, and counts by kind.
func listed(h *harness) ([]string, map[record.Kind]int) {
	var rows []storage.Summary
	h.okJSON(&rows, "", "list")
	var out []string
	n := map[record.Kind]int{}
	for _, r := range rows {
		out = append(out, string(r.Kind)+" "+r.Title)
		n[r.Kind]++
	}
	slices.Sort(out)
	return out, n
}

func TestGenerate(t *testing.T) {
	one := newVaultHarness(t)
	var counts genCounts
	one.okJSON(&counts, "", "generate", "--people", "30", "--seed", "42")
	if counts.People != 30 || counts.Testimonies != 6 || counts.Cases == 0 || counts.Cases == 30 || counts.Notes == 0 ||
		counts.Records != counts.People+counts.Cases+counts.Incidents+counts.Notes+counts.Testimonies || counts.PerSecond <= 0 {
		t.Fatalf("generate --json: %+v", counts)
	}
	titles, n := listed(one)
	if n[record.KindPerson] != 30 || n[record.KindCase] != counts.Cases || n[record.KindIncident] != counts.Incidents ||
		n[record.KindNote] != counts.Notes || n[record.KindTestimony] != 6 {
		t.Errorf("vault holds %v, generate reported %+v", n, counts)
	}

	// The same seed gives the same records, in bulk too; the rate goes to
	// standard error.
	two := newVaultHarness(t)
	r := two.run("", "generate", "--people", "30", "--seed", "42", "--batch")
	if r.code != 0 || r.stdout != "" || !strings.Contains(r.stderr, "generated 30 people, ") || !strings.Contains(r.stderr, " records/s)") {
		t.Fatalf("generate --batch: %v", r)
	}
	titles2, _ := listed(two)
	if !reflect.DeepEqual(titles, titles2) {
		t.Errorf("same seed, different records:\n%v\n%v", titles, titles2)
	}

	// Generated records refer to each other.
	var rows []storage.Summary
	two.okJSON(&rows, "", "list", "--kind", "case", "--limit", "1")
	c := body[record.Case](two, rows[0].ID)
	if out := two.ok("", "show", c.Person); !strings.HasPrefix(out, "person:") {
		t.Errorf("case of a generated person that is not there: %s", out)
	}

	// A vault with records asks before mixing synthetic ones in.
	if msg := one.fail(exitError, "", "generate", "--people", "1"); msg != "refusing to add synthetic records to a vault that already holds records without confirmation: pass --yes" {
		t.Errorf("generate into a vault with records: %q", msg)
	}
	one.okJSON(&counts, "", "generate", "--people", "1", "--testimonies", "2", "--yes", "--seed", "1")
	if counts.People != 1 || counts.Testimonies != 2 {
		t.Errorf("generate --people 1 --testimonies 2: %+v", counts)
	}
}
