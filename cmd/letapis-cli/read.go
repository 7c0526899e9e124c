package main

import (
	"bufio"
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/letapis/letapis/storage"
	"github.com/letapis/letapis/storage/envelope"
	"github.com/letapis/letapis/storage/hlc"
	"github.com/letapis/letapis/storage/record"
)

func init() {
	register(
		&command{name: "list", summary: "list records, newest first", group: groupRead,
			about: `List the records in the vault, most recently changed first: id (shortened;
--json gives it in full), kind, when it was last changed, flags (sealed,
conflict) and title.`,
			run: cmdList},
		&command{name: "show", args: "ID", summary: "show a record", group: groupRead,
			about: `Show the record ID: its kind, times, revisions, seal and amendments, then
every field. Codes are followed by their labels and record ids by the
title of the record they point to. With --json, the record as stored, with
its body as an object.`,
			run: cmdShow},
		&command{name: "history", args: "ID", summary: "show a record's revisions", group: groupRead,
			about: `Show every revision of the record ID, oldest first: when, what operation,
the author device's fingerprint, the revision id and which fields changed.
Each revision is decrypted and its signature verified again. With --json,
the full revisions with their content.`,
			run: cmdHistory},
	)
}

// idWidth is how much of an id tables show.
const idWidth = 10

// timeLayout is how times are shown to people, in local time.
const timeLayout = "2006-01-02 15:04:05 MST"

func showTime(t hlc.Timestamp) string { return t.Time().Local().Format(timeLayout) }

func cmdList(a *app, c *command, args []string) error {
	fs := a.flagSet(c)
	kindName := fs.String("kind", "", "list only records of `KIND`: "+kindNames())
	limit := fs.Int("limit", 0, "list at most `N` records (0: all)")
	if _, err := a.parse(c, fs, args, 0, 0); err != nil {
		return err
	}
	var kind record.Kind
	if *kindName != "" {
		k, err := record.ParseKind(*kindName)
		if err != nil {
			return usageErr(c, err.Error())
		}
		kind = k
	}
	if *limit < 0 {
		return usageErr(c, "--limit must not be negative")
	}
	return a.withVault(func(v *storage.Vault) error {
		rows := []storage.Summary{}
		if err := v.List(kind, func(s storage.Summary) bool { rows = append(rows, s); return true }); err != nil {
			return err
		}
		slices.SortStableFunc(rows, func(x, y storage.Summary) int { return y.Updated.Compare(x.Updated) })
		if *limit > 0 && len(rows) > *limit {
			rows = rows[:*limit]
		}
		if a.json {
			return a.printJSON(rows)
		}
		if len(rows) == 0 {
			a.printf("no records")
			return nil
		}
		// Every column but the last has a bounded width, so rows are
		// written as they come instead of being measured first.
		w := bufio.NewWriter(a.stdout)
		kindWidth := 0
		for _, k := range record.Kinds {
			kindWidth = max(kindWidth, len(k))
		}
		timeWidth := len(showTime(rows[0].Updated))
		row := func(id, kind, updated, flags, title string) {
			fmt.Fprintf(w, "%-*s  %-*s  %-*s  %-*s  %s\n", idWidth, id, kindWidth, kind, timeWidth, updated, len("sealed,conflict"), flags, title)
		}
		row("ID", "KIND", "UPDATED", "FLAGS", "TITLE")
		for _, s := range rows {
			var flags []string
			if s.Sealed {
				flags = append(flags, "sealed")
			}
			if s.Conflict {
				flags = append(flags, "conflict")
			}
			row(s.ID[:min(idWidth, len(s.ID))], string(s.Kind), showTime(s.Updated), orDash(strings.Join(flags, ",")),
				shorten(cleanLine(s.Title), 70))
		}
		return w.Flush()
	})
}

func kindNames() string {
	names := make([]string, len(record.Kinds))
	for i, k := range record.Kinds {
		names[i] = string(k)
	}
	return strings.Join(names, ", ")
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// shownRecord is what show --json prints.
type shownRecord struct {
	*storage.Record
	Amendments []string `json:"amendments,omitempty"`
}

func cmdShow(a *app, c *command, args []string) error {
	return a.withRecord(c, args, func(v *storage.Vault, id string) error {
		r, err := v.Get(id)
		if err != nil {
			return err
		}
		var amendments []string
		if r.Kind == record.KindTestimony {
			if amendments, err = v.Amendments(id); err != nil {
				return err
			}
		}
		if a.json {
			return a.printJSON(shownRecord{Record: r, Amendments: amendments})
		}
		return a.showRecord(v, r, amendments)
	})
}

func (a *app) showRecord(v *storage.Vault, r *storage.Record, amendments []string) error {
	tw := tabwriter.NewWriter(a.stdout, 0, 0, 2, ' ', 0)
	row := func(k, val string) { fmt.Fprintf(tw, "%s:\t%s\n", k, val) }
	row(string(r.Kind), r.ID)
	if t := titleOf(r); t != "" {
		row("title", cleanLine(t))
	}
	row("created", showTime(r.Created))
	row("updated", showTime(r.Updated))
	row("revisions", strconv.Itoa(r.Revisions))
	if r.Kind == record.KindTestimony && !r.Deleted {
		if r.Sealed {
			row("sealed", "yes, SHA-256 "+r.SealHash)
		} else {
			row("sealed", "no (draft)")
		}
	}
	for i, am := range amendments {
		k := ""
		if i == 0 {
			k = "amended by"
		}
		fmt.Fprintf(tw, "%s\t%s\n", k+":", am+refNote(v, am))
	}
	switch {
	case r.Conflict:
		row("conflict", fmt.Sprintf("%d versions; see 'letapis-cli resolve %s'", len(r.Heads), r.ID))
	case len(r.Heads) > 1:
		row("merged", fmt.Sprintf("%d versions edited at the same time, merged field by field", len(r.Heads)))
	}
	if r.Deleted {
		row("deleted", "yes; the content was purged")
	}
	if r.Schema > record.SchemaVersion {
		row("schema", fmt.Sprintf("%d, from a newer Letapis: shown as stored, read-only", r.Schema))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if r.Deleted || len(r.Body) == 0 {
		return nil
	}
	fmt.Fprintln(a.stdout)
	lines, err := renderBody(r.Body, a.annotator(v, r))
	if err != nil {
		return fmt.Errorf("show %s: %w", r.ID, err)
	}
	for _, l := range lines {
		fmt.Fprintln(a.stdout, l)
	}
	return nil
}

// annotator explains the values of a record: the label of a code, the
// title of a referenced record.
func (a *app) annotator(v *storage.Vault, r *storage.Record) func(path, value string) string {
	vocabAt := map[string]string{}
	if b, err := r.Decode(); err == nil {
		for _, t := range b.Terms() {
			vocabAt[t.Field] = t.Vocab
		}
	}
	return func(path, value string) string {
		if vocab, ok := vocabAt[path]; ok {
			if t, ok, err := v.Term(vocab, value); err == nil && ok && t.Labels.En != "" && t.Labels.En != value {
				return " (" + cleanLine(t.Labels.En) + ")"
			}
			return ""
		}
		if path != "blob" && record.IsID(value) {
			return refNote(v, value)
		}
		return ""
	}
}

// refNote describes the record a reference points to.
func refNote(v *storage.Vault, id string) string {
	r, err := v.Get(id)
	if err != nil {
		return " (not in this vault)"
	}
	if r.Deleted {
		return " (deleted " + string(r.Kind) + ")"
	}
	if t := titleOf(r); t != "" {
		return " (" + string(r.Kind) + ": " + shorten(cleanLine(t), 60) + ")"
	}
	return " (" + string(r.Kind) + ")"
}

func cmdHistory(a *app, c *command, args []string) error {
	return a.withRecord(c, args, func(v *storage.Vault, id string) error {
		entries, err := v.History(id)
		if err != nil {
			return err
		}
		if a.json {
			return a.printJSON(entries)
		}
		rec, err := v.Get(id)
		if err != nil {
			return err
		}
		bodies := map[string]json.RawMessage{}
		tw := tabwriter.NewWriter(a.stdout, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "TIME\tOP\tAUTHOR\tREVISION\tCHANGES")
		for _, e := range entries {
			bodies[e.ID] = e.Body
			var parent json.RawMessage
			if len(e.Parents) > 0 {
				parent = bodies[e.Parents[0]]
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", showTime(e.Time), e.Op, authorFingerprint(e.Author), e.ID, changes(e, parent, rec.PendingDeletion))
		}
		return tw.Flush()
	})
}

// authorFingerprint shortens an author key given in hex to the
// fingerprint Letapis shows everywhere.
func authorFingerprint(keyHex string) string {
	k, err := hex.DecodeString(keyHex)
	if err != nil || len(k) != ed25519.PublicKeySize {
		return keyHex[:min(12, len(keyHex))]
	}
	return storage.Fingerprint(ed25519.PublicKey(k))
}

// changes names what a revision did: the top-level fields that differ from
// its parent's content; for a delete, its reason and whether the content
// is purged or still held (pending).
func changes(e storage.HistoryEntry, parent json.RawMessage, pending bool) string {
	switch {
	case e.Op == envelope.OpDelete:
		var ts storage.Tombstone
		_ = json.Unmarshal(e.Body, &ts) // a delete without a body has no reason
		what := "deleted"
		if ts.Reason != "" {
			what += " (reason: " + cleanLine(ts.Reason) + ")"
		}
		if pending {
			return what + ", pending: kept until the team's hold ends"
		}
		return what + ", content purged"
	case e.Op == envelope.OpSeal:
		return "sealed"
	case len(e.Parents) == 0:
		return "created"
	case parent == nil:
		return "-" // the parent was purged or is not stored here
	}
	var now, before map[string]json.RawMessage
	if json.Unmarshal(e.Body, &now) != nil || json.Unmarshal(parent, &before) != nil {
		return "-"
	}
	var changed []string
	for k := range maps.Keys(now) {
		if string(now[k]) != string(before[k]) {
			changed = append(changed, k)
		}
	}
	for k := range maps.Keys(before) {
		if _, ok := now[k]; !ok {
			changed = append(changed, k)
		}
	}
	if len(changed) == 0 {
		return "no change"
	}
	slices.Sort(changed)
	return "changed " + strings.Join(changed, ", ")
}
