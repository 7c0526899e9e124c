package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/letapis/letapis/storage"
	"github.com/letapis/letapis/storage/record"
)

func init() {
	register(
		&command{name: "conflicts", summary: "list records changed on two devices at once", group: groupTeam,
			about: `List the records in conflict: edited on two devices before either had
synced, with the same field changed differently. Until the conflict is
resolved, such a record shows the later change of each field; the other
versions are kept. For each: id, kind, number of versions and title.
Resolve them with 'letapis-cli resolve'.`,
			run: cmdConflicts},
		&command{name: "resolve", args: "ID", summary: "end a conflict by choosing or writing the content", group: groupTeam,
			about: `End the conflict of the record ID. Without flags, shows its competing
versions: each one's revision id, author device and time, and the fields
in which they differ. Then either keep one version whole with --pick
REVISION (any unique start of its revision id), or give the content with
--from-json FILE (- for standard input; the output of 'show --json' also
works). The result is saved as a new revision that follows every version,
and reaches the team with the next sync. Prints the id.

A sealed testimony keeps its sealed content whatever is chosen: resolving
only confirms it, and the other versions remain in its history.`,
			run: cmdResolve},
		&command{name: "quarantine", summary: "list envelopes from the relay that failed verification or were held", group: groupTeam,
			about: `List the envelopes received from the relay that were set aside instead
of being applied. Quarantined: they failed verification (damaged or
truncated data, signatures that do not verify, a removed device writing
after its removal, a sequence number used twice, an envelope addressed to
another team or to another key than the one that opened it, the old
envelope format from a device that writes the new one, a body that is not
a valid record, an unknown kind). Several of them may mean that someone
tries to forge or replay records. Held: written by a newer version of
Letapis in a form this one cannot read; they are kept intact and applied
once this device is updated. For each: the envelope id (shortened), its
state, when it arrived and why. Nothing of their content is shown or
used. Also says how many envelopes were dropped because the device
already kept as many as it may (10,000 or 256 MiB pending, and as many
set aside); the relay still has those.`,
			run: cmdQuarantine},
	)
}

// conflictView is what conflicts --json prints for each record.
type conflictView struct {
	ID    string      `json:"id"`
	Kind  record.Kind `json:"kind"`
	Title string      `json:"title"`
	Heads []string    `json:"heads"`
}

func cmdConflicts(a *app, c *command, args []string) error {
	fs := a.flagSet(c)
	if _, err := a.parse(c, fs, args, 0, 0); err != nil {
		return err
	}
	return a.withVault(func(v *storage.Vault) error {
		var ids []string
		if err := v.List("", func(s storage.Summary) bool {
			if s.Conflict {
				ids = append(ids, s.ID)
			}
			return true
		}); err != nil {
			return err
		}
		rows := []conflictView{}
		for _, id := range ids {
			r, err := v.Get(id)
			if err != nil {
				return err
			}
			rows = append(rows, conflictView{ID: r.ID, Kind: r.Kind, Title: titleOf(r), Heads: r.Heads})
		}
		if a.json {
			return a.printJSON(rows)
		}
		if len(rows) == 0 {
			a.printf("no records in conflict")
			return nil
		}
		tw := tabwriter.NewWriter(a.stdout, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tKIND\tVERSIONS\tTITLE")
		for _, r := range rows {
			fmt.Fprintf(tw, "%s\t%s\t%d\t%s\n", r.ID[:min(idWidth, len(r.ID))], r.Kind, len(r.Heads), shorten(cleanLine(r.Title), 70))
		}
		if err := tw.Flush(); err != nil {
			return err
		}
		a.printf("see the versions of one with 'letapis-cli resolve ID'")
		return nil
	})
}

func cmdResolve(a *app, c *command, args []string) error {
	fs := a.flagSet(c)
	pick := fs.String("pick", "", "keep the version whose revision id starts with `REVISION`")
	fromJSON := fs.String("from-json", "", "save the record from JSON in `FILE` (- for standard input)")
	a.flagOrder = []string{"pick", "from-json"}
	pos, err := a.parse(c, fs, args, 1, 1)
	if err != nil {
		return err
	}
	if *pick != "" && *fromJSON != "" {
		return usageErr(c, "give only one of --pick and --from-json")
	}
	return a.withVault(func(v *storage.Vault) error {
		ctx := &applyCtx{a: a, v: v}
		id, err := ctx.resolve(pos[0])
		if err != nil {
			return err
		}
		r, err := v.Get(id)
		if err != nil {
			return err
		}
		if len(r.Heads) < 2 {
			return fmt.Errorf("%s %s is not in conflict", r.Kind, id)
		}
		history, err := v.History(id)
		if err != nil {
			return err
		}
		heads := make([]storage.HistoryEntry, 0, len(r.Heads))
		for _, e := range history {
			if slices.Contains(r.Heads, e.ID) {
				heads = append(heads, e)
			}
		}
		var body record.Body
		switch {
		case *pick != "":
			prefix := strings.ToLower(strings.TrimSpace(*pick))
			var found []storage.HistoryEntry
			for _, h := range heads {
				if prefix != "" && strings.HasPrefix(h.ID, prefix) {
					found = append(found, h)
				}
			}
			switch len(found) {
			case 0:
				return fmt.Errorf("no version of %s has a revision id starting with %q; its versions are %s (see 'letapis-cli resolve %s')", id, *pick, strings.Join(r.Heads, ", "), id)
			case 1:
			default:
				return fmt.Errorf("%q is the start of more than one version's revision id; type more of it", *pick)
			}
			if body, err = record.Decode(r.Kind, found[0].Body); err != nil {
				return fmt.Errorf("version %s cannot be kept as it is: %w; give the content with --from-json", found[0].ID, err)
			}
		case *fromJSON != "":
			data, err := readJSONData(ctx, *fromJSON, r.Kind)
			if err != nil {
				return err
			}
			if body, err = record.Decode(r.Kind, data); err != nil {
				return fmt.Errorf("--from-json: %w", err)
			}
		default:
			return a.showVersions(r, heads)
		}
		if _, err := v.ResolveConflict(id, body); err != nil {
			return err
		}
		if !a.json {
			if r.Sealed {
				a.printf("testimony %s is sealed: its sealed content stays, whatever was chosen; the other versions remain in its history", id)
			} else {
				a.printf("resolved the conflict of %s %s; the team gets the result with the next sync", r.Kind, id)
			}
		}
		return a.printID(id)
	})
}

// showVersions prints the competing versions of a record in conflict and
// the fields in which they differ.
func (a *app) showVersions(r *storage.Record, heads []storage.HistoryEntry) error {
	bodies := make([]map[string]json.RawMessage, len(heads))
	keys := map[string]bool{}
	for i, h := range heads {
		if err := json.Unmarshal(h.Body, &bodies[i]); err != nil {
			return fmt.Errorf("version %s: %w", h.ID, err)
		}
		for k := range bodies[i] {
			keys[k] = true
		}
	}
	var differ []string
	for _, k := range slices.Sorted(maps.Keys(keys)) {
		for _, b := range bodies[1:] {
			if string(b[k]) != string(bodies[0][k]) {
				differ = append(differ, k)
				break
			}
		}
	}
	if a.json {
		type version struct {
			storage.HistoryEntry
			Differ []string `json:"differ"`
		}
		out := make([]version, len(heads))
		for i, h := range heads {
			out[i] = version{HistoryEntry: h, Differ: differ}
		}
		return a.printJSON(out)
	}
	w := bufio.NewWriter(a.stdout)
	title := titleOf(r)
	if title != "" {
		title = " " + fmt.Sprintf("%q", shorten(cleanLine(title), 60))
	}
	fmt.Fprintf(w, "%s %s%s has %d versions", r.Kind, r.ID, title, len(heads))
	if r.Sealed {
		fmt.Fprintf(w, "; it is sealed, so its sealed content stays")
	}
	fmt.Fprintln(w)
	for _, h := range heads {
		fmt.Fprintf(w, "\nrevision %s, %s by %s:\n", h.ID, showTime(h.Time), authorFingerprint(h.Author))
		var fields map[string]json.RawMessage
		_ = json.Unmarshal(h.Body, &fields)
		if len(differ) == 0 {
			fmt.Fprintln(w, "  (the same content)")
		}
		for _, k := range differ {
			val := "(not set)"
			if raw, ok := fields[k]; ok {
				val = shorten(cleanLine(string(raw)), 100)
			}
			fmt.Fprintf(w, "  %s: %s\n", k, val)
		}
	}
	if err := w.Flush(); err != nil {
		return err
	}
	a.printf("keep one version with 'letapis-cli resolve %s --pick REVISION', or give the content with --from-json FILE", r.ID)
	return nil
}

func cmdQuarantine(a *app, c *command, args []string) error {
	fs := a.flagSet(c)
	if _, err := a.parse(c, fs, args, 0, 0); err != nil {
		return err
	}
	return a.withVault(func(v *storage.Vault) error {
		qs, err := setAsideViews(v)
		if err != nil {
			return err
		}
		counts, err := v.SetAside()
		if err != nil {
			return err
		}
		if counts.Dropped > 0 {
			a.warnf("%d envelopes were dropped, the last at %s: this device already kept as many envelopes it cannot apply as it may; the relay still has them",
				counts.Dropped, counts.LastDropped.Local().Format(timeLayout))
		}
		if a.json {
			return a.printJSON(qs)
		}
		if len(qs) == 0 {
			a.printf("no envelope was set aside")
			return nil
		}
		tw := tabwriter.NewWriter(a.stdout, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "ENVELOPE\tSTATE\tRECEIVED\tREASON")
		for _, q := range qs {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", q.ID[:min(12, len(q.ID))], q.State, q.Received.Local().Format(timeLayout), shorten(cleanLine(q.Reason), 200))
		}
		return tw.Flush()
	})
}

// setAsideView is what quarantine prints of an envelope set aside.
type setAsideView struct {
	storage.Quarantine
	// State is "quarantined" or "held".
	State string `json:"state"`
}

// setAsideViews lists the quarantined and held envelopes, oldest first.
func setAsideViews(v *storage.Vault) ([]setAsideView, error) {
	qs, err := v.SetAsideEnvelopes()
	if err != nil {
		return nil, err
	}
	out := make([]setAsideView, len(qs))
	for i, q := range qs {
		out[i] = setAsideView{q, "quarantined"}
		if q.Held {
			out[i].State = "held"
		}
	}
	return out, nil
}
