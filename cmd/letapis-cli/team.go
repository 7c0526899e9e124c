package main

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/letapis/letapis/storage"
	"github.com/letapis/letapis/sync/client"
	"github.com/letapis/letapis/sync/engine"
	"github.com/letapis/letapis/sync/wire"
)

const relayHelp = `

Commands that talk to the relay take --proxy URL (or LETAPIS_PROXY) to go
through a proxy: socks5://127.0.0.1:9050 for Tor, where the proxy also
resolves the relay's name. The proxy is not stored in the vault: give it
every time, or set LETAPIS_PROXY.`

func init() {
	register(
		&command{name: "team create", summary: "found a team on a relay, with this device as its admin", group: groupTeam,
			about: `Found a team: this vault becomes the team's first device and its admin,
registered with the relay by the one-time token the relay's operator got
from 'letapis-relay team create'. Prints the team id.

Records already in this vault go to the team with the next sync. Invite
the other devices with 'letapis-cli team invite'.

--pin is the SHA-256 of the relay certificate's public key, in hex (the
relay logs it as tls_pin when it starts). With a pin, this device and the
devices it invites accept that certificate only, even self-signed, and no
other, whoever vouches for it. A pin needs an https:// relay.

If the relay cannot be reached, the team is kept in the vault: run the
same command again.

Example:
  letapis-cli team create --relay https://relay.example.org \
      --team tdkx4u6y2qbxmd3oq5vhnvbjza --token ...` + relayHelp,
			run: cmdTeamCreate},
		&command{name: "team invite", summary: "make a one-time invite code for a new device (admins)", group: groupTeam,
			about: `Make a one-time invite code for a new device and print it on one line.
Hand it over in person, or over a channel you both trust: whoever has it
can ask to join. The code works once and expires within a day.

The new device joins with 'letapis-cli team join CODE' and shows a safety
number. Its owner reads that number to you; approve the device with
'letapis-cli team approve' only if it matches the number shown to you.` + relayHelp,
			run: cmdTeamInvite},
		&command{name: "team join", args: "[CODE]", summary: "ask to join a team with an invite code", group: groupTeam,
			about: `Ask to join a team with the invite code an admin made ('letapis-cli team
invite'), given as CODE or read with --code-file (- for standard input).
The vault must be new and empty: create one with 'letapis-cli init'
first (--vault NEWDIR).

Prints the device's safety number. Read it to the admin, who approves the
device only if it matches the number shown there. Once approved, run
'letapis-cli sync': the device receives the team's keys and records, and
can add its own.` + relayHelp,
			run: cmdTeamJoin},
		&command{name: "team approve", args: "[FINGERPRINT]", summary: "admit devices waiting to join, comparing safety numbers (admins)", group: groupTeam,
			about: `List the devices waiting to join, with their fingerprint and safety
number, and admit them. For each (or only the one whose fingerprint
starts with FINGERPRINT), asks whether the new device shows the same
safety number: compare it with the one its owner reads to you, in person
or by voice. A different number means someone in between changed the
request: answer no.

--role admin makes the device an admin of the team's roster and of the
relay: it can invite, approve and remove devices, this one included.

Approving gives the device the team's keys; one sync pass follows, so
that the approval goes out at once. --yes approves without asking: use
it only when the safety number was compared some other way, and name the
device when several wait.` + relayHelp,
			run: cmdTeamApprove},
		&command{name: "team remove", args: "FINGERPRINT", summary: "remove a device from the team (admins)", group: groupTeam,
			about: `Remove the device whose fingerprint starts with FINGERPRINT from the
team, for instance a lost or seized laptop. The team's key changes, so
the device cannot read anything written from now on, and the relay
refuses it. What it already received, it keeps: that cannot be taken
back. Asks for confirmation unless --yes is given; a sync pass follows.

If the relay could not be told, run the command again.

Any admin can remove any other device, other admins and the team's
founder included; the relay keeps its last active admin. --relay-only
only has the relay refuse the device and leaves the roster alone: that is
what a device that became the relay's admin with 'letapis-cli team
recover' can do about a lost admin's laptop.` + relayHelp,
			run: cmdTeamRemove},
		&command{name: "team recover", summary: "become the relay's admin with the operator's recovery token", group: groupTeam,
			about: `For a team whose admins are all lost: with the one-time token the relay's
operator printed with 'letapis-relay team recover', this device, which
must still be an active member of the team at the relay, becomes an admin
at the relay. It can then remove the lost admins' devices there (the
relay refuses them from then on), make invites and approve requests at
the relay.

It does not become an admin of the team's signed roster: the other
devices still refuse roster changes and key grants from it. So it cannot
remove a device from the roster or change the team's key, and devices it
lets in are not accepted by the others. To go on with new members, found
a new team.` + relayHelp,
			run: cmdTeamRecover},
		&command{name: "team members", summary: "show the team, its devices and what waits to be synced", group: groupTeam,
			about: `Show the team this vault belongs to: its id and relay, this device's
state, what waits to be sent or fetched, and the roster: every device's
fingerprint, role and status (member, or removed). Reads the vault only;
the relay is not contacted.`,
			run: cmdTeamMembers},
	)
}

// proxyFlag registers --proxy.
func (a *app) proxyFlag(fs *flag.FlagSet) *string {
	return fs.String("proxy", "", "reach the relay through the proxy at `URL`: socks5://127.0.0.1:9050 for Tor, or http(s)://HOST:PORT (default $LETAPIS_PROXY)")
}

// syncConfig returns the sync engine's configuration.
func (a *app) syncConfig(proxy string) engine.Config {
	if proxy == "" {
		proxy = a.getenv("LETAPIS_PROXY")
	}
	return engine.Config{Proxy: proxy, Client: a.tuneClient, Logger: slog.New(noticeHandler{&a.notice})}
}

// newEngine returns the sync engine of a vault in a team.
func (a *app) newEngine(v *storage.Vault, cfg engine.Config) (*engine.Engine, error) {
	e, err := engine.New(v, cfg)
	if err != nil {
		return nil, clientConfigError(err)
	}
	return e, nil
}

// clientConfigError rewords the relay client's refusal of its
// configuration ("relay client: the proxy must be ...").
func clientConfigError(err error) error {
	msg := err.Error()
	if i := strings.Index(msg, "relay client: "); i >= 0 {
		return &hintedError{err: err, msg: msg[i+len("relay client: "):]}
	}
	return err
}

// relayProblem words an error of the relay client for people, or returns
// "" if err is not one.
func relayProblem(err error) string {
	var we *wire.Error
	hasWire := errors.As(err, &we)
	// after returns what err says after the words of sentinel.
	after := func(sentinel error) string {
		s := err.Error()
		if i := strings.LastIndex(s, sentinel.Error()); i >= 0 {
			return strings.TrimPrefix(s[i+len(sentinel.Error()):], ": ")
		}
		return ""
	}
	with := func(msg, detail string) string {
		if detail != "" {
			return msg + ": " + detail
		}
		return msg
	}
	switch {
	case errors.Is(err, client.ErrUnreachable):
		return with("cannot reach the relay", after(client.ErrUnreachable))
	case errors.Is(err, client.ErrCertificate):
		return "the relay's certificate was refused: it does not match the pin, or no authority vouches for it; this may be an attack, so nothing was sent"
	case errors.Is(err, client.ErrForbidden) && hasWire:
		switch m := we.Message; {
		case strings.Contains(m, "removed from the team"):
			return "the relay refused this device: it was removed from the team"
		case strings.Contains(m, "waiting for an admin"):
			return "the relay refused this device: it is still waiting for an admin to approve it"
		case strings.Contains(m, "only a team admin"):
			return "the relay refused: only a team admin may do this"
		case strings.Contains(m, "token"):
			return "the relay refused the token: it is unknown, already used or expired; ask for a new one"
		}
		return with("the relay refused this device", we.Message)
	case errors.Is(err, client.ErrForbidden):
		return client.ErrForbidden.Error()
	case errors.Is(err, client.ErrUnauthenticated):
		return client.ErrUnauthenticated.Error()
	case errors.Is(err, client.ErrQuotaExceeded):
		return "the team's space on the relay is full: ask the relay's operator for more; nothing is lost, it waits in this vault"
	case errors.Is(err, client.ErrProtocol):
		return with("the relay's answer cannot be accepted (the relay, or something between, is broken or not honest)", after(client.ErrProtocol))
	case errors.Is(err, client.ErrConflict), errors.Is(err, client.ErrRejected), errors.Is(err, client.ErrNotFound):
		if hasWire {
			return "the relay refused: " + we.Message
		}
	}
	return ""
}

// badInvite rewords the relay's refusal of an invite code's token.
func badInvite(err error) error {
	var we *wire.Error
	if errors.Is(err, client.ErrForbidden) && errors.As(err, &we) && strings.Contains(we.Message, "token") {
		return &hintedError{err: err, msg: "the relay refused the invite code: it is unknown, already used or expired; ask the admin for a new one"}
	}
	return err
}

// checkRelayAddress checks the relay URL, team id, pin and proxy before
// anything is written to the vault.
func checkRelayAddress(relay, team, pin, proxy string) error {
	_, key, _ := ed25519.GenerateKey(rand.Reader)
	_, err := client.New(client.Config{Relay: relay, Team: team, Pseudonym: storage.NewID(), AuthKey: key, Pin: pin, Proxy: proxy})
	if err != nil {
		return clientConfigError(err)
	}
	return nil
}

// checkToken checks the form of an operator token before anything is
// written to the vault.
func checkToken(token string) error {
	pub, _, _ := ed25519.GenerateKey(rand.Reader)
	if (&wire.Register{Token: token, Pseudonym: storage.NewID(), AuthKey: pub}).Validate() != nil {
		return errors.New("--token: this is not a token from 'letapis-relay team create'; copy it again, whole")
	}
	return nil
}

// ---------------------------------------------------------------------------
// team create

func cmdTeamCreate(a *app, c *command, args []string) error {
	fs := a.flagSet(c)
	relay := fs.String("relay", "", "the relay's `URL`, e.g. https://relay.example.org (required)")
	team := fs.String("team", "", "the team `ID` printed by 'letapis-relay team create' (required)")
	token := fs.String("token", "", "the one-time `TOKEN` printed by 'letapis-relay team create' (required)")
	pin := fs.String("pin", "", "accept only the relay certificate whose public key has this `SHA256` (hex)")
	proxy := a.proxyFlag(fs)
	a.flagOrder = []string{"relay", "team", "token", "pin", "proxy"}
	if _, err := a.parse(c, fs, args, 0, 0); err != nil {
		return err
	}
	*relay, *team, *token = strings.TrimSpace(*relay), strings.TrimSpace(*team), strings.TrimSpace(*token)
	*pin = strings.ToLower(strings.TrimSpace(*pin))
	if *relay == "" || *team == "" || *token == "" {
		return usageErr(c, "team create needs --relay URL, --team ID and --token TOKEN")
	}
	cfg := a.syncConfig(*proxy)
	if err := checkRelayAddress(*relay, *team, *pin, cfg.Proxy); err != nil {
		return usageErr(c, err.Error())
	}
	if err := checkToken(*token); err != nil {
		return usageErr(c, err.Error())
	}
	return a.withVault(func(v *storage.Vault) error {
		ctx, stop := signalContext()
		defer stop()
		st, err := v.Team()
		switch {
		case errors.Is(err, storage.ErrNoTeam):
			records := 0
			if err := v.List("", func(storage.Summary) bool { records++; return true }); err != nil {
				return err
			}
			_, err := engine.Found(ctx, v, *relay, *team, *token, *pin, cfg)
			if err != nil {
				if _, terr := v.Team(); terr == nil {
					if errors.Is(err, client.ErrUnreachable) {
						return &hintedError{err: err, msg: fmt.Sprintf("the team is set up in this vault, but the relay did not register this device: %s; run the same 'letapis-cli team create' again", a.explain(err))}
					}
					// The vault stays tied to the team id: storage cannot
					// undo CreateTeam.
					return &hintedError{err: err, msg: fmt.Sprintf("this vault now belongs to team %s, but the relay did not register this device: %s; run the command again with the right token, or, if the team id was wrong, from a new vault", *team, a.explain(err))}
				}
				return clientConfigError(err)
			}
			a.teamCreated(*team, *relay, v, records)
		case err != nil:
			return err
		case !st.Invited() && st.Team == *team && st.Relay == *relay && st.Pin == *pin:
			// An earlier registration failed or its answer was lost: the
			// relay accepts the same device again.
			e, err := a.newEngine(v, cfg)
			if err != nil {
				return err
			}
			if err := e.Client().Register(ctx, *token); err != nil {
				return &hintedError{err: err, msg: fmt.Sprintf("the relay did not register this device: %s; run the same command again", a.explain(err))}
			}
			a.teamCreated(*team, *relay, v, 0)
		default:
			return fmt.Errorf("this vault is already part of team %s, through the relay at %s", st.Team, st.Relay)
		}
		if a.json {
			return a.printJSON(map[string]string{"team": *team, "relay": *relay, "device": storage.Fingerprint(v.DeviceKey()), "role": storage.RoleAdmin})
		}
		_, err = fmt.Fprintln(a.stdout, *team)
		return err
	})
}

func (a *app) teamCreated(team, relay string, v *storage.Vault, records int) {
	if a.json {
		return
	}
	a.printf("founded team %s on the relay at %s; this device (%s) is the admin", team, relay, storage.Fingerprint(v.DeviceKey()))
	if records > 0 {
		a.printf("the %d %s already in this vault %s to the team with the next 'letapis-cli sync'", records, plural(records, "record", "records"), plural(records, "goes", "go"))
	}
	a.printf("invite the other devices with 'letapis-cli team invite'")
}

// ---------------------------------------------------------------------------
// team invite

func cmdTeamInvite(a *app, c *command, args []string) error {
	fs := a.flagSet(c)
	proxy := a.proxyFlag(fs)
	if _, err := a.parse(c, fs, args, 0, 0); err != nil {
		return err
	}
	return a.withAdminEngine(*proxy, func(ctx context.Context, v *storage.Vault, e *engine.Engine) error {
		code, err := e.Invite(ctx)
		if err != nil {
			return err
		}
		if a.json {
			return a.printJSON(map[string]string{"code": code.String(), "team": code.Team, "relay": code.Relay, "admin": storage.Fingerprint(code.Admin)})
		}
		if _, err := fmt.Fprintln(a.stdout, code.String()); err != nil {
			return err
		}
		a.printf("hand this code to the new member in person, or over a channel you both trust: whoever has it can ask to join; it works once and expires within a day")
		a.printf("on the new device: letapis-cli init, then letapis-cli team join CODE")
		a.printf("the new device then shows a safety number; its owner reads it to you, and you approve with 'letapis-cli team approve' only if it matches the one shown to you")
		return nil
	})
}

// withAdminEngine runs an admin-only team command: it unlocks the vault,
// checks that this device is an admin and calls fn with a sync engine and
// a context that Ctrl-C cancels.
func (a *app) withAdminEngine(proxy string, fn func(ctx context.Context, v *storage.Vault, e *engine.Engine) error) error {
	return a.withVault(func(v *storage.Vault) error {
		ctx, stop := signalContext()
		defer stop()
		if err := requireAdmin(v); err != nil {
			return err
		}
		e, err := a.newEngine(v, a.syncConfig(proxy))
		if err != nil {
			return err
		}
		return fn(ctx, v, e)
	})
}

// requireAdmin refuses, before asking the relay, a device that is not an
// admin of its team.
func requireAdmin(v *storage.Vault) error {
	st, err := v.Team()
	if err != nil {
		return err
	}
	if !st.Joined {
		return storage.ErrJoining
	}
	members, err := v.Members()
	if err != nil {
		return err
	}
	self := storage.Fingerprint(v.DeviceKey())
	for _, m := range members {
		if m.Fingerprint() == self && !m.Removed && m.Role == storage.RoleAdmin {
			return nil
		}
	}
	return storage.ErrNotAdmin
}

// ---------------------------------------------------------------------------
// team join

func cmdTeamJoin(a *app, c *command, args []string) error {
	fs := a.flagSet(c)
	codeFile := fs.String("code-file", "", "read the invite code from `FILE` (- for standard input)")
	proxy := a.proxyFlag(fs)
	pos, err := a.parse(c, fs, args, 0, 1)
	if err != nil {
		return err
	}
	var text string
	switch {
	case len(pos) == 1 && *codeFile != "":
		return usageErr(c, "give the invite code either as CODE or with --code-file, not both")
	case len(pos) == 1:
		text = pos[0]
	case *codeFile != "":
		ctx := &applyCtx{a: a}
		if text, err = ctx.readText("code-file", *codeFile); err != nil {
			return err
		}
	default:
		return usageErr(c, "team join needs the invite code: CODE or --code-file FILE")
	}
	code, err := wire.ParseInviteCode(text)
	if err != nil {
		return err
	}
	cfg := a.syncConfig(*proxy)
	if err := checkRelayAddress(code.Relay, code.Team, code.Pin, cfg.Proxy); err != nil {
		return err
	}
	return a.withVault(func(v *storage.Vault) error {
		ctx, stop := signalContext()
		defer stop()
		var safety string
		st, err := v.Team()
		switch {
		case errors.Is(err, storage.ErrNoTeam):
			if _, safety, err = engine.Join(ctx, v, code, cfg); err != nil {
				if _, terr := v.Team(); terr == nil && errors.Is(err, client.ErrUnreachable) {
					return &hintedError{err: err, msg: fmt.Sprintf("the request to join did not reach the relay: %s; run the same 'letapis-cli team join' again", a.explain(err))}
				}
				return badInvite(clientConfigError(err))
			}
		case err != nil:
			return err
		case st.Joined:
			return fmt.Errorf("this vault is already a member of team %s", st.Team)
		case st.Team == code.Team && st.Inviter.Equal(code.Admin):
			// Asked before: the request or its answer may have been lost.
			// The relay accepts the same device again.
			if safety, err = a.joinAgain(ctx, v, st, code, cfg); err != nil {
				return badInvite(err)
			}
		default:
			return fmt.Errorf("this vault already asked to join team %s; join another team from a new, empty vault (--vault NEWDIR)", st.Team)
		}
		if a.json {
			return a.printJSON(map[string]string{"team": code.Team, "relay": code.Relay, "device": storage.Fingerprint(v.DeviceKey()), "safety_number": safety})
		}
		a.printf("asked to join team %s through the relay at %s", code.Team, code.Relay)
		a.printf("the safety number of this device is:")
		if _, err := fmt.Fprintf(a.stdout, "\n    %s\n\n", safety); err != nil {
			return err
		}
		a.printf("read this number to the admin; they approve only if it matches what they see")
		a.printf("this device is usable once the admin has approved it and you have run 'letapis-cli sync'")
		return nil
	})
}

// joinAgain sends the join request of a vault that already asked to join.
func (a *app) joinAgain(ctx context.Context, v *storage.Vault, st *storage.TeamState, code *wire.InviteCode, cfg engine.Config) (string, error) {
	e, err := a.newEngine(v, cfg)
	if err != nil {
		return "", err
	}
	err = e.Client().Join(ctx, code.Token, wire.Applicant{Device: v.DeviceKey(), Recipient: v.Recipient()})
	if err != nil && !errors.Is(err, client.ErrConflict) { // conflict: the device is known already
		return "", err
	}
	return engine.OwnSafetyNumber(v)
}

// ---------------------------------------------------------------------------
// team approve

// approval is what team approve --json prints for each device.
type approval struct {
	Fingerprint  string    `json:"fingerprint"`
	SafetyNumber string    `json:"safety_number"`
	Requested    time.Time `json:"requested"`
	Approved     bool      `json:"approved"`
	Role         string    `json:"role,omitempty"`
}

func cmdTeamApprove(a *app, c *command, args []string) error {
	fs := a.flagSet(c)
	role := fs.String("role", storage.RoleMember, "the new device's `ROLE`: member (the default) or admin")
	proxy := a.proxyFlag(fs)
	a.flagOrder = []string{"role", "proxy"}
	pos, err := a.parse(c, fs, args, 0, 1)
	if err != nil {
		return err
	}
	if *role != storage.RoleMember && *role != storage.RoleAdmin {
		return usageErr(c, fmt.Sprintf("--role must be %s or %s, not %q", storage.RoleMember, storage.RoleAdmin, *role))
	}
	return a.withAdminEngine(*proxy, func(ctx context.Context, v *storage.Vault, e *engine.Engine) error {
		waiting, err := e.Applicants(ctx)
		if err != nil {
			return err
		}
		if len(pos) == 1 {
			prefix := strings.ToLower(strings.TrimSpace(pos[0]))
			waiting = slices.DeleteFunc(waiting, func(ap engine.Applicant) bool { return !strings.HasPrefix(ap.Fingerprint(), prefix) })
			switch {
			case len(waiting) == 0:
				return fmt.Errorf("no device waiting to join has a fingerprint starting with %q", pos[0])
			case len(waiting) > 1:
				return fmt.Errorf("%q is the start of more than one waiting device's fingerprint; type more of it", pos[0])
			}
		}
		if len(waiting) == 0 {
			if a.json {
				return a.printJSON([]approval{})
			}
			a.printf("no device is waiting to join")
			return nil
		}
		if a.yes && len(waiting) > 1 {
			return usageErr(c, fmt.Sprintf("%d devices are waiting to join: with --yes, name the one to approve by its fingerprint", len(waiting)))
		}
		results := make([]approval, len(waiting))
		if !a.json {
			tw := tabwriter.NewWriter(a.stdout, 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, "FINGERPRINT\tSAFETY NUMBER\tASKED")
			for _, ap := range waiting {
				fmt.Fprintf(tw, "%s\t%s\t%s\n", ap.Fingerprint(), ap.SafetyNumber, ap.Requested.Local().Format(timeLayout))
			}
			if err := tw.Flush(); err != nil {
				return err
			}
		}
		var approved []string
		for i := range waiting {
			ap := &waiting[i]
			results[i] = approval{Fingerprint: ap.Fingerprint(), SafetyNumber: ap.SafetyNumber, Requested: ap.Requested}
			ok, err := a.ask("approve device "+ap.Fingerprint(), fmt.Sprintf("Does the new member's device show %s?", ap.SafetyNumber))
			if err != nil {
				return err
			}
			if !ok {
				a.printf("did not approve device %s", ap.Fingerprint())
				continue
			}
			if err := e.Approve(ctx, ap, *role); err != nil {
				return err
			}
			results[i].Approved, results[i].Role = true, *role
			approved = append(approved, ap.Fingerprint())
			a.printf("approved device %s as %s", ap.Fingerprint(), withArticle(*role))
		}
		if len(approved) > 0 {
			if _, err := e.Once(ctx); err != nil {
				return &hintedError{err: err, msg: fmt.Sprintf("approved, but sending the approval failed: %s; run 'letapis-cli sync' to send it", a.explain(err))}
			}
			a.printf("sent the approval: the new device gets the team's records with its next 'letapis-cli sync'")
		}
		if a.json {
			return a.printJSON(results)
		}
		return nil
	})
}

// ---------------------------------------------------------------------------
// team remove

func cmdTeamRemove(a *app, c *command, args []string) error {
	fs := a.flagSet(c)
	relayOnly := fs.Bool("relay-only", false, "only have the relay refuse the device, leaving the roster as it is (for a device that became the relay's admin with 'team recover')")
	proxy := a.proxyFlag(fs)
	a.flagOrder = []string{"relay-only", "proxy"}
	pos, err := a.parse(c, fs, args, 1, 1)
	if err != nil {
		return err
	}
	if *relayOnly {
		return a.revokeAtRelay(*proxy, pos[0])
	}
	return a.withAdminEngine(*proxy, func(ctx context.Context, v *storage.Vault, e *engine.Engine) error {
		m, err := findMember(v, pos[0])
		if err != nil {
			return err
		}
		fp := m.Fingerprint()
		if fp == storage.Fingerprint(v.DeviceKey()) {
			return errors.New("this is this device: a device cannot remove itself; another admin can")
		}
		if m.Removed {
			// The roster already says so; make sure the relay refuses it
			// too (an earlier remove may not have reached it).
			if err := e.Client().Revoke(ctx, m.Pseudonym); err != nil {
				return err
			}
			if !a.json {
				a.printf("device %s was already removed from the team; the relay refuses it", fp)
			}
		} else {
			if err := a.confirm("remove device "+fp, fmt.Sprintf("Remove device %s? It will not be able to read anything written from now on, and the relay will refuse it.", fp)); err != nil {
				return err
			}
			if err := e.Remove(ctx, fp); err != nil {
				if after, ferr := findMember(v, fp); ferr == nil && after.Removed {
					return &hintedError{err: err, msg: fmt.Sprintf("device %s is removed from the team, but the relay was not told: %s; run 'letapis-cli team remove %s' again", fp, a.explain(err), fp)}
				}
				return err
			}
			if _, err := e.Once(ctx); err != nil {
				return &hintedError{err: err, msg: fmt.Sprintf("removed device %s, but sending the change to the team failed: %s; run 'letapis-cli sync'", fp, a.explain(err))}
			}
			if !a.json {
				a.printf("removed device %s: the relay refuses it, and it cannot read what is written from now on; what it received before, it keeps", fp)
			}
		}
		if a.json {
			return a.printJSON(map[string]string{"removed": fp})
		}
		return nil
	})
}

// revokeAtRelay has the relay refuse a device of the roster, without
// changing the roster: what a device that recovered the relay's admin
// role can do about a lost admin's device.
func (a *app) revokeAtRelay(proxy, prefix string) error {
	return a.withVault(func(v *storage.Vault) error {
		ctx, stop := signalContext()
		defer stop()
		m, err := findMember(v, prefix)
		if err != nil {
			return err
		}
		fp := m.Fingerprint()
		if fp == storage.Fingerprint(v.DeviceKey()) {
			return errors.New("this is this device: a device cannot remove itself; another admin can")
		}
		if err := a.confirm("revoke device "+fp+" at the relay", fmt.Sprintf("Have the relay refuse device %s? The roster does not change: the device keeps the team's key.", fp)); err != nil {
			return err
		}
		e, err := a.newEngine(v, a.syncConfig(proxy))
		if err != nil {
			return err
		}
		if err := e.Client().Revoke(ctx, m.Pseudonym); err != nil {
			return err
		}
		if a.json {
			return a.printJSON(map[string]string{"revoked_at_relay": fp})
		}
		a.printf("the relay refuses device %s from now on; the team's roster and key are unchanged", fp)
		return nil
	})
}

// findMember finds the team member whose fingerprint starts with prefix.
func findMember(v *storage.Vault, prefix string) (*storage.Member, error) {
	members, err := v.Members()
	if err != nil {
		return nil, err
	}
	prefix = strings.ToLower(strings.TrimSpace(prefix))
	var found []storage.Member
	for _, m := range members {
		if prefix != "" && strings.HasPrefix(m.Fingerprint(), prefix) {
			found = append(found, m)
		}
	}
	switch len(found) {
	case 0:
		return nil, fmt.Errorf("no device in the team has a fingerprint starting with %q (see 'letapis-cli team members')", prefix)
	case 1:
		return &found[0], nil
	}
	return nil, fmt.Errorf("%q is the start of more than one device's fingerprint; type more of it", prefix)
}

// ---------------------------------------------------------------------------
// team recover

func cmdTeamRecover(a *app, c *command, args []string) error {
	fs := a.flagSet(c)
	token := fs.String("token", "", "the one-time `TOKEN` printed by 'letapis-relay team recover' (required)")
	proxy := a.proxyFlag(fs)
	a.flagOrder = []string{"token", "proxy"}
	if _, err := a.parse(c, fs, args, 0, 0); err != nil {
		return err
	}
	*token = strings.TrimSpace(*token)
	if *token == "" {
		return usageErr(c, "team recover needs --token TOKEN")
	}
	if err := checkToken(*token); err != nil {
		return usageErr(c, err.Error())
	}
	return a.withVault(func(v *storage.Vault) error {
		ctx, stop := signalContext()
		defer stop()
		st, err := v.Team()
		if err != nil {
			return err
		}
		if !st.Joined {
			return storage.ErrJoining
		}
		e, err := a.newEngine(v, a.syncConfig(*proxy))
		if err != nil {
			return err
		}
		if err := e.Client().Register(ctx, *token); err != nil {
			return err
		}
		if a.json {
			return a.printJSON(map[string]string{"team": st.Team, "device": storage.Fingerprint(v.DeviceKey()), "relay_role": storage.RoleAdmin})
		}
		a.printf("this device is now an admin of team %s at the relay: it can remove devices there, invite and approve", st.Team)
		a.warnf("it is not an admin of the team's signed roster: the other devices still refuse roster changes and key grants from it")
		return nil
	})
}

// ---------------------------------------------------------------------------
// team members

// teamView is what team members --json prints.
type teamView struct {
	Team         string       `json:"team"`
	Relay        string       `json:"relay"`
	Pin          string       `json:"pin,omitempty"`
	Device       string       `json:"device"`
	Joined       bool         `json:"joined"`
	SafetyNumber string       `json:"safety_number,omitempty"`
	ToSend       int          `json:"to_send"`
	FilesToSend  int          `json:"files_to_send"`
	FilesToFetch int          `json:"files_to_fetch"`
	Cursor       uint64       `json:"cursor"`
	Quarantined  int          `json:"quarantined"`
	Members      []memberView `json:"members"`
}

type memberView struct {
	Fingerprint string `json:"fingerprint"`
	Role        string `json:"role"`
	Status      string `json:"status"`
	ThisDevice  bool   `json:"this_device,omitempty"`
	Added       string `json:"added"`
	// LastHeard is when its newest revision or heartbeat was written;
	// empty if none came.
	LastHeard string `json:"last_heard,omitempty"`
}

func cmdTeamMembers(a *app, c *command, args []string) error {
	fs := a.flagSet(c)
	if _, err := a.parse(c, fs, args, 0, 0); err != nil {
		return err
	}
	return a.withVault(func(v *storage.Vault) error {
		tv, err := viewTeam(v)
		if err != nil {
			return err
		}
		if a.json {
			return a.printJSON(tv)
		}
		return a.showTeam(a.stdout, tv)
	})
}

func viewTeam(v *storage.Vault) (*teamView, error) {
	st, err := v.Team()
	if err != nil {
		return nil, err
	}
	tv := &teamView{Team: st.Team, Relay: st.Relay, Pin: st.Pin, Device: storage.Fingerprint(v.DeviceKey()),
		Joined: st.Joined, Cursor: st.Cursor, Members: []memberView{}}
	if !st.Joined {
		if tv.SafetyNumber, err = engine.OwnSafetyNumber(v); err != nil {
			return nil, err
		}
	}
	if tv.ToSend, err = v.OutboxLen(); err != nil {
		return nil, err
	}
	up, err := v.BlobsToSend()
	if err != nil {
		return nil, err
	}
	down, err := v.BlobsToFetch()
	if err != nil {
		return nil, err
	}
	q, err := v.Quarantined()
	if err != nil {
		return nil, err
	}
	tv.FilesToSend, tv.FilesToFetch, tv.Quarantined = len(up), len(down), len(q)
	members, err := v.Members()
	if err != nil {
		return nil, err
	}
	slices.SortStableFunc(members, func(x, y storage.Member) int { return x.Added.Compare(y.Added) })
	heard := map[string]string{}
	if st.Joined {
		rep, err := v.Watch()
		if err != nil {
			return nil, err
		}
		for _, h := range rep.Devices {
			if !h.Last.IsZero() && !h.ThisDevice {
				heard[h.Fingerprint] = h.Last.Local().Format(timeLayout)
			}
		}
	}
	for _, m := range members {
		status := "member"
		if m.Removed {
			status = "removed"
		}
		tv.Members = append(tv.Members, memberView{Fingerprint: m.Fingerprint(), Role: m.Role, Status: status,
			ThisDevice: m.Fingerprint() == tv.Device, Added: showTime(m.Added), LastHeard: heard[m.Fingerprint()]})
	}
	return tv, nil
}

func (a *app) showTeam(w io.Writer, tv *teamView) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	row := func(k, val string) { fmt.Fprintf(tw, "%s:\t%s\n", k, val) }
	row("team", tv.Team)
	relay := tv.Relay
	if tv.Pin != "" {
		relay += " (certificate pinned)"
	}
	row("relay", relay)
	if tv.Joined {
		row("this device", tv.Device)
	} else {
		row("this device", tv.Device+", waiting for an admin's approval")
		row("safety number", tv.SafetyNumber)
	}
	row("to send", fmt.Sprintf("%d changes, %d files", tv.ToSend, tv.FilesToSend))
	row("to fetch", fmt.Sprintf("%d files", tv.FilesToFetch))
	row("relay log", fmt.Sprintf("received up to entry %d", tv.Cursor))
	if tv.Quarantined > 0 {
		row("quarantined", fmt.Sprintf("%d (see 'letapis-cli quarantine')", tv.Quarantined))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(tv.Members) == 0 {
		return nil
	}
	fmt.Fprintln(w)
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "FINGERPRINT\tROLE\tSTATUS\tADDED\tLAST HEARD FROM")
	for _, m := range tv.Members {
		mark, heard := "", m.LastHeard
		if m.ThisDevice {
			mark, heard = "  (this device)", "-"
		} else if heard == "" {
			heard = "never"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s%s\n", m.Fingerprint, m.Role, m.Status, m.Added, heard, mark)
	}
	return tw.Flush()
}
