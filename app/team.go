package app

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/letapis/letapis/storage"
	"github.com/letapis/letapis/sync/client"
	"github.com/letapis/letapis/sync/engine"
	"github.com/letapis/letapis/sync/wire"
)

// teamPanel is the team part of the sync panel, in the order of the team
// flow (see sync/engine/team.go): start a team or join one with an invite
// code; show the safety number while waiting; the roster; invite, approve
// and remove devices (admins).
type teamPanel struct {
	ui *UI
	p  *syncPanel

	relay, teamID, token, pin *widget.Entry
	start                     *widget.Button
	startNote                 *widget.Label
	code                      *widget.Entry
	join                      *widget.Button
	joinNote                  *widget.Label

	waiting *widget.Label
	safety  *widget.Label

	about      *widget.Form
	roster     *fyne.Container
	rosterNote *widget.Label

	invite     *widget.Button
	inviteCode *widget.Entry
	copyCode   *widget.Button
	inviteHelp *widget.Label
	inviteNote *widget.Label

	checkJoins *widget.Button
	applicants *fyne.Container
	joinsNote  *widget.Label

	audiences *audiencePanel
	deletions *deletionPanel
}

func newTeamPanel(u *UI, p *syncPanel) *teamPanel {
	t := &teamPanel{ui: u, p: p}
	t.relay = u.entry("https://relay.example.org")
	t.teamID = u.entry(u.T("from 'letapis-relay team create'"))
	t.token = u.entry(u.T("from 'letapis-relay team create'"))
	t.pin = u.entry(u.T("optional: SHA-256 of the relay's certificate key"))
	t.start = u.button(u.T("Start the team"), theme.ContentAddIcon(), t.startTeam)
	t.start.Importance = widget.HighImportance
	t.startNote = note()
	t.code = u.multiLine("letapis-invite-v2:…", 3)
	t.join = u.button(u.T("Ask to join"), theme.LoginIcon(), t.joinTeam)
	t.join.Importance = widget.HighImportance
	t.joinNote = note()
	t.waiting = paragraph("")
	t.safety = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Monospace: true})
	t.safety.SizeName = theme.SizeNameHeadingText
	t.about = widget.NewForm()
	t.roster = container.NewVBox()
	t.rosterNote = note()
	t.invite = u.button(u.T("Make an invite code"), theme.MailSendIcon(), t.makeInvite)
	t.inviteCode = widget.NewMultiLineEntry()
	t.inviteCode.Wrapping = fyne.TextWrapBreak
	t.inviteCode.Hide()
	t.copyCode = u.button(u.T("Copy"), theme.ContentCopyIcon(), func() {
		u.app.Clipboard().SetContent(t.inviteCode.Text)
		t.inviteNote.SetText(u.T("Copied."))
		t.inviteNote.Show()
	})
	t.copyCode.Hide()
	t.inviteHelp = paragraph(u.T("Hand this code to the new member in person, or over a channel you both trust: whoever has it can ask to join. It works once and expires within a day. Their device then shows a safety number: approve it below only if they read you the same number."))
	t.inviteHelp.Hide()
	t.inviteNote = note()
	t.checkJoins = u.button(u.T("Check for requests"), theme.ViewRefreshIcon(), t.loadApplicants)
	t.applicants = container.NewVBox()
	t.joinsNote = note()
	t.audiences = newAudiencePanel(u)
	t.deletions = newDeletionPanel(u)
	return t
}

// note makes a wrapping label for a problem or a result, hidden while
// empty.
func note() *widget.Label {
	l := paragraph("")
	l.Hide()
	return l
}

// showLoaded reads with read in the background and hands what it read to
// show on the UI goroutine, or says the error in note, worded by explain.
func showLoaded[T any](u *UI, note *widget.Label, explain func(error) string, read func(*storage.Vault) (T, error), show func(T)) {
	u.background(func(v *storage.Vault) func() {
		x, err := read(v)
		return func() {
			if err != nil {
				say(note, explain(err), true)
				return
			}
			show(x)
		}
	})
}

// say shows text in a note, as a problem if bad.
func say(l *widget.Label, text string, bad bool) {
	l.Importance = widget.MediumImportance
	if bad {
		l.Importance = widget.DangerImportance
	}
	l.SetText(text)
	l.Show()
}

// drop forgets the invite code and the applicants.
func (t *teamPanel) drop() {
	t.inviteCode.SetText("")
	t.code.SetText("")
	t.token.SetText("")
	t.applicants.Objects = nil
	t.roster.Objects = nil
}

// trimmed returns an entry's text without surrounding spaces.
func trimmed(e *widget.Entry) string { return strings.TrimSpace(e.Text) }

// throwawayClient is a relay client configuration with a fresh key, to
// check addresses before anything is written to the vault.
func throwawayClient(relay, team, pin, proxy string) client.Config {
	_, key, _ := ed25519.GenerateKey(rand.Reader)
	return client.Config{Relay: relay, Team: team, Pseudonym: storage.NewID(), AuthKey: key, Pin: pin, Proxy: proxy}
}

// ---------------------------------------------------------------------------
// Start a team

func (t *teamPanel) startCard() fyne.CanvasObject {
	u := t.ui
	form := widget.NewForm(
		widget.NewFormItem(u.T("Relay address"), t.relay),
		widget.NewFormItem(u.T("Team id"), t.teamID),
		widget.NewFormItem(u.T("Operator token"), t.token),
		widget.NewFormItem(u.T("Certificate pin"), t.pin),
	)
	return card(u.T("Start a team"),
		u.T("For the first device of a team, which becomes its admin. The relay's operator gives you the relay address, a team id and a one-time token."),
		container.NewVBox(form, container.NewHBox(t.start), t.startNote))
}

// startTeam founds the team (engine.Found) off the UI goroutine. If the
// vault holds the team already but the relay did not register the device,
// starting again registers it.
func (t *teamPanel) startTeam() {
	u, s := t.ui, t.ui.sync
	relay, team, token := trimmed(t.relay), trimmed(t.teamID), trimmed(t.token)
	pin := strings.ToLower(trimmed(t.pin))
	if relay == "" || team == "" || token == "" {
		say(t.startNote, u.T("Enter the relay address, the team id and the token."), true)
		return
	}
	if s == nil || !s.loaded {
		return
	}
	if _, err := client.New(throwawayClient(relay, team, pin, s.proxy)); err != nil {
		say(t.startNote, u.T("Check the relay address (https://…), the team id and the certificate pin: one of them is not valid."), true)
		return
	}
	t.start.Disable()
	say(t.startNote, u.T("Registering with the relay…"), false)
	cfg := s.config(s.proxy)
	u.background(func(v *storage.Vault) func() {
		e, created, err := foundTeam(s.ctx, v, relay, team, token, pin, cfg)
		return func() {
			t.start.Enable()
			if err != nil {
				text := u.syncErrorText(err)
				if created {
					text = u.Tf("The team is set up in this vault, but the relay did not register this device: %s Check the token and try again.", text)
				}
				t.failed(created, t.startNote, text)
				return
			}
			t.entered(s, e, t.startNote, t.token)
		}
	})
}

// foundTeam founds a team, or registers again a vault that founded the
// same team but whose registration failed. created reports whether the
// vault now holds the team.
func foundTeam(ctx context.Context, v *storage.Vault, relay, team, token, pin string, cfg engine.Config) (e *engine.Engine, created bool, err error) {
	st, err := v.Team()
	switch {
	case errors.Is(err, storage.ErrNoTeam):
		e, err = engine.Found(ctx, v, relay, team, token, pin, cfg)
		_, terr := v.Team()
		return e, terr == nil, err
	case err != nil:
		return nil, false, err
	case st.Invited() || st.Team != team || st.Relay != relay || st.Pin != pin:
		return nil, true, fmt.Errorf("this vault is already part of team %s", st.Team)
	}
	if e, err = engine.New(v, cfg); err != nil {
		return nil, true, err
	}
	return e, true, e.Client().Register(ctx, token)
}

// failed shows why founding or joining failed; halfway says the vault
// was changed, so that the form stays to try again.
func (t *teamPanel) failed(halfway bool, problem *widget.Label, text string) {
	t.p.halfway = halfway
	say(problem, text, true)
	t.p.refresh(false)
}

// entered takes the engine of a team just founded or asked to join: the
// form's note and secret (token or invite code) are cleared, the engine
// starts and the panel shows the team.
func (t *teamPanel) entered(s *syncer, e *engine.Engine, note *widget.Label, secret *widget.Entry) {
	t.p.halfway = false
	note.Hide()
	secret.SetText("")
	if t.ui.sync == s {
		s.restart(e)
	}
	t.p.refresh(false)
}

// ---------------------------------------------------------------------------
// Join a team

func (t *teamPanel) joinCard() fyne.CanvasObject {
	u := t.ui
	return card(u.T("Join a team"),
		u.T("For a new, empty vault. An admin of the team gives you an invite code in person, or over a channel you both trust. Paste it here."),
		container.NewVBox(t.code, container.NewHBox(t.join), t.joinNote))
}

// joinTeam asks to join with the pasted invite code (engine.Join) off the
// UI goroutine, then shows the safety number.
func (t *teamPanel) joinTeam() {
	u, s := t.ui, t.ui.sync
	code, err := wire.ParseInviteCode(t.code.Text)
	switch {
	case errors.Is(err, wire.ErrOldInvite):
		say(t.joinNote, u.T("This invite code is from an older version of Letapis and can no longer be used. Ask the admin for a new invite code."), true)
		return
	case errors.Is(err, wire.ErrPlainHTTP):
		say(t.joinNote, u.T("The invite code names a relay reached over plain http://, which is allowed only on this computer or for an onion service. Ask the admin for an invite code with an https:// relay."), true)
		return
	case err != nil:
		say(t.joinNote, u.T("This is not a whole Letapis invite code. Copy it again, all of it: it starts with letapis-invite-v2:"), true)
		return
	}
	if s == nil || !s.loaded {
		return
	}
	if _, err := client.New(throwawayClient(code.Relay, code.Team, code.Pin, s.proxy)); err != nil {
		say(t.joinNote, u.T("The invite code names a relay this device cannot use with its proxy setting."), true)
		return
	}
	t.join.Disable()
	say(t.joinNote, u.T("Asking the relay…"), false)
	cfg := s.config(s.proxy)
	u.background(func(v *storage.Vault) func() {
		e, asked, err := joinTeam(s.ctx, v, code, cfg)
		return func() {
			t.join.Enable()
			switch {
			case errors.Is(err, errNotEmpty):
				say(t.joinNote, u.T("This vault already holds records. A device joins a team from a new, empty vault: create one in another folder."), true)
				return
			case err != nil:
				t.failed(asked, t.joinNote, u.syncErrorText(err))
				return
			}
			t.entered(s, e, t.joinNote, t.code)
		}
	})
}

// errNotEmpty means a vault that holds records tried to join a team.
var errNotEmpty = errors.New("this vault already holds records")

// joinTeam asks to join, or asks again for a vault that already asked to
// join the same team whose request did not reach the relay. asked
// reports whether the vault now holds the request.
func joinTeam(ctx context.Context, v *storage.Vault, code *wire.InviteCode, cfg engine.Config) (e *engine.Engine, asked bool, err error) {
	st, err := v.Team()
	switch {
	case errors.Is(err, storage.ErrNoTeam):
		empty := true
		if err := v.List("", func(storage.Summary) bool { empty = false; return false }); err != nil {
			return nil, false, err
		}
		if !empty {
			return nil, false, errNotEmpty
		}
		e, _, err = engine.Join(ctx, v, code, cfg)
		_, terr := v.Team()
		return e, terr == nil, err
	case err != nil:
		return nil, false, err
	case st.Joined || st.Team != code.Team || !st.Inviter.Equal(code.Admin):
		return nil, true, fmt.Errorf("this vault is already part of team %s", st.Team)
	}
	if e, err = engine.New(v, cfg); err != nil {
		return nil, true, err
	}
	err = e.Client().Join(ctx, code.Token, wire.Applicant{Device: v.DeviceKey(), Recipient: v.Recipient()})
	if errors.Is(err, client.ErrConflict) { // the relay knows the request already
		err = nil
	}
	return e, true, err
}

// waitingCard shows a device waiting for approval its safety number and
// what happens next.
func (t *teamPanel) waitingCard() fyne.CanvasObject {
	u := t.ui
	return card(u.T("Waiting for approval"), "", container.NewVBox(
		t.waiting,
		widget.NewLabel(u.T("Safety number of this device:")),
		t.safety,
		paragraph(u.T("Read this number to the admin who invited you, by phone or in person. The admin approves this device only if they see the same number. Nothing else is needed here: once approved, this device receives the team's records by itself while Letapis is unlocked.")),
	))
}

// ---------------------------------------------------------------------------
// In a team

// aboutCard shows the team, the relay and this device.
func (t *teamPanel) aboutCard() fyne.CanvasObject {
	return card(t.ui.T("Team"), "", t.about)
}

// show shows the facts of a team.
func (t *teamPanel) show(f *syncFacts) {
	u := t.ui
	if f.team == nil {
		return
	}
	t.waiting.SetText(u.Tf("This device asked to join team %s through the relay at %s.", f.team.Team, f.team.Relay))
	if f.oldJoin {
		t.waiting.SetText(u.T("This device asked to join with an invite code of an older version of Letapis and cannot finish joining. Ask the admin for a new invite code and join from a new, empty vault."))
	}
	t.safety.SetText(f.safety)
	relay := f.team.Relay
	if f.team.Pin != "" {
		relay += " · " + u.T("certificate pinned")
	}
	role := u.T("member")
	if f.admin {
		role = u.T("admin")
	}
	t.about.Items = nil
	for _, it := range []*widget.FormItem{
		widget.NewFormItem(u.T("Team id"), widget.NewLabel(f.team.Team)),
		widget.NewFormItem(u.T("Relay address"), widget.NewLabel(relay)),
		widget.NewFormItem(u.T("This device"), widget.NewLabel(f.self+" · "+role)),
		widget.NewFormItem(u.T("Pseudonym at the relay"), widget.NewLabel(f.team.Pseudonym)),
	} {
		t.about.AppendItem(it)
	}
	t.showRoster(f)
}

func (t *teamPanel) rosterCard() fyne.CanvasObject {
	return card(t.ui.T("Devices in the team"), "", container.NewVBox(t.roster, t.rosterNote, t.audiences.box, t.deletions.box))
}

// showRoster lists the members: fingerprint, role, status; admins can
// remove the others.
func (t *teamPanel) showRoster(f *syncFacts) {
	u := t.ui
	var rows []fyne.CanvasObject
	for _, m := range f.members {
		fp := m.Fingerprint()
		words := []string{fp, u.T(m.Role)}
		switch {
		case m.Removed:
			words = append(words, u.T("removed from the team"))
		case fp == f.self:
			words = append(words, u.T("this device"))
		}
		label := widget.NewLabel(strings.Join(words, " · "))
		label.TextStyle.Monospace = true
		if m.Removed {
			label.Importance = widget.LowImportance
		}
		row := container.NewBorder(nil, nil, nil, nil, label)
		if f.admin && !m.Removed && fp != f.self {
			remove := u.button(u.T("Remove…"), theme.DeleteIcon(), func() { t.confirmRemove(fp) })
			remove.Importance = widget.DangerImportance
			row = container.NewBorder(nil, nil, nil, remove, label)
		}
		rows = append(rows, row)
	}
	t.roster.Objects = rows
	t.roster.Refresh()
	t.audiences.show(f)
	t.deletions.show(f)
}

// confirmRemove asks before removing a member, then removes it.
func (t *teamPanel) confirmRemove(fp string) {
	u := t.ui
	d := dialog.NewConfirm(u.T("Remove this device?"),
		u.Tf("Remove device %s from the team? The team's keys are rotated: it cannot read anything written from now on, and the relay refuses it. What it already received, it keeps.", fp),
		func(ok bool) {
			u.touch()
			if !ok {
				return
			}
			t.withEngine(t.rosterNote, func(ctx context.Context, e *engine.Engine) error {
				return e.Remove(ctx, fp)
			}, func() {
				say(t.rosterNote, u.Tf("Removed device %s.", fp), false)
				t.p.refresh(false)
			})
		}, u.win)
	d.SetConfirmText(u.T("Remove"))
	d.SetDismissText(u.T("Cancel"))
	d.Show()
}

// withEngine runs a team call to the relay off the UI goroutine, then done
// on it; a failure is worded in problem.
func (t *teamPanel) withEngine(problem *widget.Label, call func(context.Context, *engine.Engine) error, done func()) {
	u, s := t.ui, t.ui.sync
	if s == nil || s.engine == nil {
		return
	}
	e := s.engine
	problem.Hide()
	u.background(func(*storage.Vault) func() {
		err := call(s.ctx, e)
		return func() {
			if err != nil {
				say(problem, u.syncErrorText(err), true)
				return
			}
			e.Kick()
			done()
		}
	})
}

func (t *teamPanel) inviteCard() fyne.CanvasObject {
	u := t.ui
	return card(u.T("Invite a device"), u.T("Each new device needs its own invite code."),
		container.NewVBox(container.NewHBox(t.invite), t.inviteCode, container.NewHBox(t.copyCode), t.inviteHelp, t.inviteNote))
}

// makeInvite asks the relay for an invite code and shows it.
func (t *teamPanel) makeInvite() {
	var code string
	t.withEngine(t.inviteNote, func(ctx context.Context, e *engine.Engine) error {
		c, err := e.Invite(ctx)
		if err == nil {
			code = c.String()
		}
		return err
	}, func() {
		t.inviteCode.SetText(code)
		t.inviteCode.Show()
		t.copyCode.Show()
		t.inviteHelp.Show()
	})
}

func (t *teamPanel) applicantsCard() fyne.CanvasObject {
	u := t.ui
	return card(u.T("Devices waiting to join"), "",
		container.NewVBox(t.applicants, container.NewHBox(t.checkJoins), t.joinsNote))
}

// loadApplicants asks the relay which devices wait for approval.
func (t *teamPanel) loadApplicants() {
	var waiting []engine.Applicant
	t.withEngine(t.joinsNote, func(ctx context.Context, e *engine.Engine) error {
		var err error
		waiting, err = e.Applicants(ctx)
		return err
	}, func() { t.showApplicants(waiting) })
}

// showApplicants lists the devices waiting to join with their safety
// numbers and an Approve button each.
func (t *teamPanel) showApplicants(waiting []engine.Applicant) {
	u := t.ui
	var rows []fyne.CanvasObject
	for i := range waiting {
		ap := waiting[i]
		number := widget.NewLabelWithStyle(ap.SafetyNumber, fyne.TextAlignLeading, fyne.TextStyle{Monospace: true})
		role := widget.NewSelect([]string{u.T("member"), u.T("admin")}, func(string) { u.touch() })
		role.SetSelectedIndex(0)
		approve := u.button(u.T("Approve…"), theme.ConfirmIcon(), func() {
			r := storage.RoleMember
			if role.SelectedIndex() == 1 {
				r = storage.RoleAdmin
			}
			t.confirmApprove(&ap, r)
		})
		approve.Importance = widget.HighImportance
		rows = append(rows, container.NewVBox(
			widget.NewLabel(u.Tf("Device %s, asked %s", ap.Fingerprint(), clockTime(ap.Requested))),
			container.NewHBox(widget.NewLabel(u.T("Safety number:")), number),
			container.NewHBox(widget.NewLabel(u.T("Role")), role, approve),
			widget.NewSeparator()))
	}
	if len(rows) == 0 {
		rows = append(rows, widget.NewLabel(u.T("No device is waiting to join.")))
	}
	t.applicants.Objects = rows
	t.applicants.Refresh()
}

// confirmApprove asks the admin to compare the safety number, then admits
// the device.
func (t *teamPanel) confirmApprove(ap *engine.Applicant, role string) {
	u := t.ui
	d := dialog.NewConfirm(u.T("Does the new device show this safety number?"),
		ap.SafetyNumber+"\n\n"+u.T("Approve only if its owner reads you exactly these digits, in person or by voice. A different number means someone in between changed the request: do not approve."),
		func(ok bool) {
			u.touch()
			if !ok {
				return
			}
			t.withEngine(t.joinsNote, func(ctx context.Context, e *engine.Engine) error {
				return e.Approve(ctx, ap, role)
			}, func() {
				t.loadApplicants()
				say(t.joinsNote, u.T("Approved. The new device receives the team's keys and records with its next sync."), false)
				t.p.refresh(false)
			})
		}, u.win)
	d.SetConfirmText(u.T("Same number: approve"))
	d.SetDismissText(u.T("Cancel"))
	d.Show()
}
