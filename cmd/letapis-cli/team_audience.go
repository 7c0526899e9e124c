package main

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/letapis/letapis/storage"
	"github.com/letapis/letapis/sync/engine"
)

func init() {
	register(
		&command{name: "team rotate", summary: "give the team a new key, for instance after a suspected compromise (admins)", group: groupTeam,
			about: `Start a new team key without removing anyone: what is written from now on
is encrypted to a key that every member gets with the next sync, and
that a copied old key cannot open. Use it when a device's key may have
leaked. Records written before stay readable with the old key. A sync
pass follows.` + relayHelp,
			run: cmdTeamRotate},
		&command{name: "audience create", summary: "make a restricted audience: records only its members can read", group: groupTeam,
			about: `Make a restricted audience of this device and the devices named by
--member FINGERPRINT (repeat it; a prefix of a fingerprint from 'team
members' is enough), for instance the lawyers of one case. Testimonies
and attachments written to it (testimony add --audience ID) can be read
only by its members' devices. Its name and member list are visible to
the whole team. Prints the audience id.

Only its creator and the team's admins can change it later ('audience
add', 'audience remove').`,
			run: cmdAudienceCreate},
		&command{name: "audience list", summary: "show the restricted audiences and their members", group: groupTeam,
			about: `Show every restricted audience this device knows of: its id, name,
members (by fingerprint) and whether this device can write to it.`,
			run: cmdAudienceList},
		&command{name: "audience add", args: "ID FINGERPRINT", summary: "add a team member to a restricted audience (creator or admins)", group: groupTeam,
			about: `Add the team member whose fingerprint starts with FINGERPRINT to the
restricted audience ID. It gets the audience's keys with its next sync.
Only the audience's creator or a team admin can do this.`,
			run: cmdAudienceAdd},
		&command{name: "audience remove", args: "ID FINGERPRINT", summary: "remove a member from a restricted audience (creator or admins)", group: groupTeam,
			about: `Remove the device whose fingerprint starts with FINGERPRINT from the
restricted audience ID. The audience gets a new key, so the device
cannot read what is written to it from now on; what it received before,
it keeps. Only the audience's creator or a team admin can do this.`,
			run: cmdAudienceRemove},
	)
}

func cmdTeamRotate(a *app, c *command, args []string) error {
	fs := a.flagSet(c)
	proxy := a.proxyFlag(fs)
	if _, err := a.parse(c, fs, args, 0, 0); err != nil {
		return err
	}
	return a.withAdminEngine(*proxy, func(ctx context.Context, v *storage.Vault, e *engine.Engine) error {
		if err := v.RotateTeamKey(); err != nil {
			return err
		}
		if _, err := e.Once(ctx); err != nil {
			return &hintedError{err: err, msg: fmt.Sprintf("the team has a new key, but sending it to the team failed: %s; run 'letapis-cli sync'", a.explain(err))}
		}
		if a.json {
			return a.printJSON(map[string]bool{"rotated": true})
		}
		a.printf("the team has a new key: what is written from now on, only the current members can read")
		return nil
	})
}

func cmdAudienceCreate(a *app, c *command, args []string) error {
	fs := a.flagSet(c)
	name := fs.String("name", "", "the audience's `NAME`, e.g. lawyers of the case (visible to the team)")
	var memberFlags listFlag
	fs.Var(&memberFlags, "member", "`FINGERPRINT` of a team member to include (repeatable)")
	if _, err := a.parse(c, fs, args, 0, 0); err != nil {
		return err
	}
	if strings.TrimSpace(*name) == "" {
		return usageErr(c, "audience create needs --name")
	}
	return a.withVault(func(v *storage.Vault) error {
		var keys []ed25519.PublicKey
		for _, fp := range memberFlags {
			m, err := findMember(v, fp)
			if err != nil {
				return err
			}
			if m.Removed {
				return fmt.Errorf("device %s was removed from the team", m.Fingerprint())
			}
			keys = append(keys, m.Device)
		}
		id, err := v.CreateAudience(strings.TrimSpace(*name), keys)
		if err != nil {
			return err
		}
		if a.json {
			return a.printJSON(map[string]string{"id": id})
		}
		fmt.Fprintln(a.stdout, id)
		a.printf("made the audience; its members get its key with the next 'letapis-cli sync'")
		return nil
	})
}

// audienceView is an audience as audience list shows it.
type audienceView struct {
	ID       string   `json:"id"`
	Name     string   `json:"name"`
	Creator  string   `json:"creator,omitempty"`
	Members  []string `json:"members"`
	Writable bool     `json:"writable"`
}

func cmdAudienceList(a *app, c *command, args []string) error {
	fs := a.flagSet(c)
	if _, err := a.parse(c, fs, args, 0, 0); err != nil {
		return err
	}
	return a.withVault(func(v *storage.Vault) error {
		all, err := v.AllAudiences()
		if err != nil {
			return err
		}
		writable, err := v.Audiences()
		if err != nil {
			return err
		}
		views := make([]audienceView, 0, len(all))
		for _, r := range all {
			av := audienceView{ID: r.ID, Name: r.Name, Members: []string{}}
			if len(r.Creator) > 0 {
				av.Creator = storage.Fingerprint(r.Creator)
			}
			for _, m := range r.Members {
				av.Members = append(av.Members, storage.Fingerprint(m))
			}
			for _, w := range writable {
				av.Writable = av.Writable || w.ID == r.ID
			}
			views = append(views, av)
		}
		if a.json {
			return a.printJSON(views)
		}
		if len(views) == 0 {
			a.printf("no restricted audiences; make one with 'letapis-cli audience create'")
			return nil
		}
		tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tNAME\tMEMBERS\tTHIS DEVICE")
		for _, av := range views {
			can := "cannot write"
			if av.Writable {
				can = "can write"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", av.ID, av.Name, strings.Join(av.Members, " "), can)
		}
		return tw.Flush()
	})
}

func cmdAudienceAdd(a *app, c *command, args []string) error {
	return a.editAudience(c, args, func(v *storage.Vault, id string, m *storage.Member) (string, error) {
		if m.Removed {
			return "", fmt.Errorf("device %s was removed from the team", m.Fingerprint())
		}
		return "added device %s to the audience; it gets the key with its next sync", v.AddAudienceMember(id, m.Device)
	})
}

func cmdAudienceRemove(a *app, c *command, args []string) error {
	return a.editAudience(c, args, func(v *storage.Vault, id string, m *storage.Member) (string, error) {
		return "removed device %s from the audience: it has a new key, which that device does not get", v.RemoveAudienceMember(id, m.Device)
	})
}

// editAudience runs an audience edit named by ID and FINGERPRINT; edit
// returns the message to print, with %s for the fingerprint.
func (a *app) editAudience(c *command, args []string, edit func(v *storage.Vault, id string, m *storage.Member) (string, error)) error {
	fs := a.flagSet(c)
	pos, err := a.parse(c, fs, args, 2, 2)
	if err != nil {
		return err
	}
	return a.withVault(func(v *storage.Vault) error {
		m, err := findMember(v, pos[1])
		if err != nil {
			return err
		}
		msg, err := edit(v, pos[0], m)
		switch {
		case errors.Is(err, storage.ErrNotAudienceEditor):
			return &hintedError{err: err, msg: "only the audience's creator or a team admin can change it"}
		case err != nil:
			return err
		}
		if a.json {
			return a.printJSON(map[string]string{"audience": pos[0], "device": m.Fingerprint()})
		}
		a.printf(msg, m.Fingerprint())
		return nil
	})
}
