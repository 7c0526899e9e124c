package main

import (
	"strings"
	"testing"
)

func TestSearchFindsSpellingsAndText(t *testing.T) {
	h := newVaultHarness(t)
	p := h.ok("", "person", "add", "--given", "Алесь", "--family", "Бяляцкі", "--script", "be-cyrl")
	h.ok("", "person", "add", "--given", "Ігар", "--family", "Лосік")
	n := h.ok("Яго катавалі ў ШІЗА.\n", "note", "add", "--about", p, "--text-file", "-")

	for _, q := range []string{"Bialiatski", "Беляцкий", "A. Bialiatski", "Ales Bialacki"} {
		var hits []struct {
			ID, Kind, Match string
			Score           float64
		}
		h.okJSON(&hits, "", "search", q)
		if len(hits) == 0 || hits[0].ID != p || hits[0].Kind != "person" || hits[0].Match == "" || hits[0].Score <= 0 {
			t.Errorf("search %q: %+v, want the person first", q, hits)
		}
	}
	if out := h.ok("", "search", "катав"); !strings.Contains(out, n[:idWidth]) || !strings.Contains(out, "катавалі") {
		t.Errorf("text search output:\n%s", out)
	}
	if r := h.run("", "search", "--kind", "note", "Bialiatski"); r.code != 0 || r.stdout != "" || !strings.Contains(r.stderr, "nothing found") {
		t.Errorf("--kind note for a name: %v", r)
	}
	if msg := h.fail(2, "", "search", "--kind", "spaceship", "x"); !strings.Contains(msg, "unknown record kind") {
		t.Errorf("bad kind: %q", msg)
	}
}
