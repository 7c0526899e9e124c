package main

import (
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/letapis/letapis/storage"
)

// Deleting, pending deletions, restoring and the team's deletion hold.

func init() {
	register(
		&command{name: "delete", args: "ID", summary: "delete a record (in a team: held for the team's hold first)", group: groupRecords,
			about: `Delete the record ID. Asks for confirmation unless --yes is given. Prints
the id.

In a vault on its own, the record's content and all its earlier revisions
are purged from the vault files at once, so that they cannot be recovered
even with the passphrase; only a tombstone remains, so that sync never
brings the record back. Deleting an attachment also destroys its file.

In a team, a member may delete only records it wrote that are not sealed;
deleting a sealed testimony, or an attachment of one, needs an admin and
--reason. Every device checks this and sets aside a delete that breaks it.
The record is then pending deletion on every device for the team's hold
(see 'team hold'), during which an admin can bring it back with 'restore';
then every device purges it. A record that never left this device is
purged at once.

Deleting a record that is already deleted purges the vault again, which
completes a delete whose purge was interrupted.`,
			run: cmdDelete},
		&command{name: "deletions", summary: "list records pending deletion: what, who, why, when purged", group: groupRecords,
			about: `List the records deleted in the team and kept until the team's hold
ends: the record, who deleted it, the reason, and when this device purges
it. An admin can bring one back with 'restore ID' until then.`,
			run: cmdDeletions},
		&command{name: "restore", args: "ID", summary: "bring back a record pending deletion (admins)", group: groupRecords,
			about: `Bring back the record ID, pending deletion, on every device: its content
returns as it was, and a sealed testimony stays sealed with the same seal
hash. Only an admin may restore; a restore by anyone else is set aside by
every device. Prints the id.`,
			run: cmdRestore},
		&command{name: "team hold", args: "[DURATION]", summary: "show or set how long deleted records are kept (admins set)", group: groupTeam,
			about: `Without DURATION, show how long the team keeps a deleted record before
every device purges it (7 days unless an admin set another). With
DURATION (e.g. 30d, 36h; between 1 day and 365 days), set it: only an
admin may. A shorter hold applies only to records deleted once the
current hold has run since the change, so that lowering it purges nothing
sooner.`,
			run: cmdTeamHold},
	)
}

func cmdDelete(a *app, c *command, args []string) error {
	fs := a.flagSet(c)
	reason := fs.String("reason", "", "why the record is deleted; needed for a sealed testimony or its attachments in a team (the team can read it)")
	return a.withRecordFlags(c, fs, args, func(v *storage.Vault, id string) error {
		r, err := v.Get(id)
		if err != nil {
			return err
		}
		if r.PendingDeletion {
			return fmt.Errorf("%s %s is already pending deletion; see 'letapis-cli deletions'", r.Kind, id)
		}
		if r.Deleted {
			// A delete whose purge failed left old content in the store
			// files; deleting again finishes the job.
			a.printf("%s %s is already deleted; purging the vault again so that none of its old content remains", r.Kind, id)
			if err := v.Purge(); err != nil {
				return err
			}
			return a.printID(id)
		}
		what := fmt.Sprintf("%s %s", r.Kind, id)
		if title := titleOf(r); title != "" {
			what += fmt.Sprintf(" %q", shorten(cleanLine(title), 60))
		}
		question := "Delete " + what + "? Its content will be purged and cannot be recovered."
		_, teamErr := v.Team()
		inTeam := teamErr == nil
		if inTeam {
			_, hold, err := v.DeletionHold()
			if err != nil {
				return err
			}
			question = fmt.Sprintf("Delete %s? Every device keeps it for %s, during which an admin can restore it; then it is purged everywhere.", what, holdString(hold))
		}
		if err := a.confirm("delete "+string(r.Kind)+" "+id, question); err != nil {
			return err
		}
		err = v.DeleteWithReason(id, *reason)
		switch {
		case errors.Is(err, storage.ErrReasonNeeded):
			return &hintedError{err: err, msg: fmt.Sprintf("deleting %s needs a reason: give --reason \"...\" (the team can read it); nothing was changed", what)}
		case err != nil:
			return err
		}
		if now, err := v.Get(id); err == nil && now.PendingDeletion && !a.json {
			a.printf("%s is pending deletion; an admin can restore it with 'letapis-cli restore %s' until every device purges it", what, id)
		}
		return a.printID(id)
	})
}

// deletionView is a pending deletion as 'deletions --json' prints it.
type deletionView struct {
	Record   string    `json:"record"`
	Kind     string    `json:"kind"`
	Title    string    `json:"title"`
	By       string    `json:"by"` // device fingerprint
	Reason   string    `json:"reason"`
	SealHash string    `json:"seal_hash,omitempty"`
	Authors  []string  `json:"authors"` // device fingerprints, the creator first
	Deleted  time.Time `json:"deleted"`
	PurgeAt  time.Time `json:"purge_at"`
}

func cmdDeletions(a *app, c *command, args []string) error {
	fs := a.flagSet(c)
	if _, err := a.parse(c, fs, args, 0, 0); err != nil {
		return err
	}
	return a.withVault(func(v *storage.Vault) error {
		ps, err := v.PendingDeletions()
		if err != nil {
			return err
		}
		views := []deletionView{}
		for _, p := range ps {
			dv := deletionView{Record: p.Record, Kind: string(p.Kind), Title: p.Title, By: storage.Fingerprint(p.By),
				Reason: p.Reason, SealHash: p.SealHash, Authors: []string{}, Deleted: p.Deleted, PurgeAt: p.PurgeAt}
			for _, h := range p.Authors {
				dv.Authors = append(dv.Authors, fingerprintOfHex(h))
			}
			views = append(views, dv)
		}
		if a.json {
			return a.printJSON(views)
		}
		if len(views) == 0 {
			a.printf("no record is pending deletion")
			return nil
		}
		tw := tabwriter.NewWriter(a.stdout, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tKIND\tTITLE\tDELETED BY\tDELETED\tPURGED AFTER\tREASON")
		for _, d := range views {
			reason := d.Reason
			if reason == "" {
				reason = "(none given)"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", d.Record, d.Kind, shorten(cleanLine(d.Title), 40), d.By,
				d.Deleted.Local().Format(timeLayout), d.PurgeAt.Local().Format(timeLayout), shorten(cleanLine(reason), 80))
		}
		return tw.Flush()
	})
}

// fingerprintOfHex is the fingerprint of a device key in hex.
func fingerprintOfHex(h string) string {
	b, err := hex.DecodeString(h)
	if err != nil {
		return h
	}
	return storage.Fingerprint(b)
}

func cmdRestore(a *app, c *command, args []string) error {
	return a.withRecord(c, args, func(v *storage.Vault, id string) error {
		err := v.Restore(id)
		switch {
		case errors.Is(err, storage.ErrNotAdmin):
			return &hintedError{err: err, msg: "only a team admin can restore a deleted record; nothing was changed"}
		case errors.Is(err, storage.ErrNotPending):
			return &hintedError{err: err, msg: fmt.Sprintf("record %s is not pending deletion (see 'letapis-cli deletions'); nothing was changed", id)}
		case err != nil:
			return err
		}
		if !a.json {
			a.printf("restored %s on this device; the other devices restore it when they sync", id)
		}
		return a.printID(id)
	})
}

func cmdTeamHold(a *app, c *command, args []string) error {
	fs := a.flagSet(c)
	pos, err := a.parse(c, fs, args, 0, 1)
	if err != nil {
		return err
	}
	var hold time.Duration
	if len(pos) == 1 {
		if hold, err = parseHold(pos[0]); err != nil {
			return usageErr(c, err.Error())
		}
	}
	return a.withVault(func(v *storage.Vault) error {
		if len(pos) == 1 {
			if err := v.SetDeletionHold(hold); err != nil {
				return err
			}
		}
		set, now, err := v.DeletionHold()
		if err != nil {
			return err
		}
		if a.json {
			return a.printJSON(map[string]int64{"hold_seconds": int64(set / time.Second), "hold_now_seconds": int64(now / time.Second)})
		}
		if now != set {
			a.printf("deleted records are kept %s; a record deleted now is kept %s, the earlier hold, until that has run since the change", holdString(set), holdString(now))
		} else {
			a.printf("deleted records are kept %s before every device purges them", holdString(set))
		}
		return nil
	})
}

// parseHold reads a hold: N days as "Nd", or a Go duration such as "36h".
func parseHold(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil || n <= 0 {
			return 0, fmt.Errorf("%q is not a number of days such as 7d", s)
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("%q is not a duration such as 7d or 36h", s)
	}
	return d, nil
}

// holdString writes a hold in days, or hours below two days.
func holdString(d time.Duration) string {
	if d >= 48*time.Hour && d%(24*time.Hour) == 0 {
		return fmt.Sprintf("%d days", d/(24*time.Hour))
	}
	return fmt.Sprintf("%d hours", d/time.Hour)
}
