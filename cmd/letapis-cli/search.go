package main

import (
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/letapis/letapis/storage"
	"github.com/letapis/letapis/storage/record"
	"github.com/letapis/letapis/storage/search"
)

func init() {
	register(&command{name: "search", args: "[QUERY]", summary: "find people by any spelling, and records by their text", group: groupRead,
		about: `Find records, best first. A QUERY that is a name finds a person by any of
its spellings: Belarusian or Russian Cyrillic, Łacinka, passport or BGN
romanisations, Polish or German forms, with typos, initials ("A. Bialiatski")
and in any word order. Other words find testimonies, notes and other texts
that contain all of them, each also as the start of a longer word ("катав"
finds "катаванні"). Filters narrow the search, and without a QUERY list
what matches them. With --json, an array of hits: id, kind, match (the
spelling or a snippet of text) and score.`,
		run: cmdSearch})
}

func cmdSearch(a *app, c *command, args []string) error {
	fs := a.flagSet(c)
	kindName := fs.String("kind", "", "only records of `KIND`: "+kindNames())
	limit := fs.Int("limit", 20, "at most `N` hits")
	status := fs.String("status", "", "only people with this status `CODE`: "+codeList(record.VocabStatus))
	incident := fs.String("incident-type", "", "only incidents and testimonies of this type `CODE`")
	facility := fs.String("facility", "", "only cases and incidents at a place whose name contains `TEXT`")
	var from, to dateFlag
	fs.Var(&from, "from", "only records whose date is on or after `DATE`")
	fs.Var(&to, "to", "only records whose date is on or before `DATE`")
	rest, err := a.parse(c, fs, args, 0, -1)
	if err != nil {
		return err
	}
	q := search.Query{Text: strings.Join(rest, " "), Limit: *limit, Status: *status,
		IncidentType: *incident, Facility: *facility, From: from.d, To: to.d}
	if *kindName != "" {
		if q.Kind, err = record.ParseKind(*kindName); err != nil {
			return usageErr(c, err.Error())
		}
	}
	if *limit < 1 {
		return usageErr(c, "--limit must be at least 1")
	}
	return a.withVault(func(v *storage.Vault) error {
		hits, err := v.Search(q)
		if err != nil {
			return err
		}
		if a.json {
			for i := range hits {
				hits[i].Terms = nil
			}
			return a.printJSON(hits)
		}
		if len(hits) == 0 {
			a.printf("nothing found")
			return nil
		}
		w := tabwriter.NewWriter(a.stdout, 0, 0, 2, ' ', 0)
		fmt.Fprintln(w, "ID\tKIND\tSCORE\tMATCH")
		for _, h := range hits {
			fmt.Fprintf(w, "%s\t%s\t%.2f\t%s\n", h.ID[:min(idWidth, len(h.ID))], h.Kind, h.Score, shorten(cleanLine(h.Match), 90))
		}
		return w.Flush()
	})
}
