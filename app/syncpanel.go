package app

import (
	"errors"
	"slices"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/letapis/letapis/storage"
	"github.com/letapis/letapis/sync/client"
	"github.com/letapis/letapis/sync/engine"
)

// maxConflictsShown caps the conflict list of the sync panel.
const maxConflictsShown = 50

// syncPanel is the Sync tab. Without a team it offers to start or join
// one (team.go); while a device waits for approval it shows the safety
// number; in a team it shows the sync status, the records in conflict,
// the roster and, for admins, invites and approvals. The proxy is set
// here too. The engine runs in the background (syncrun.go); the panel only
// shows its state and the vault's counts, read off the UI goroutine.
type syncPanel struct {
	ui *UI
	// facts are the vault's team facts last read; nil until then.
	facts *syncFacts
	// reading is set while facts are read; again asks for another read
	// after it, conflicts for one that lists the conflicts too.
	reading, again, conflicts bool
	// view is the view shown: "", "none", "joining" or "member".
	view string
	// halfway is set when founding or joining a team failed after the
	// vault was changed: the form stays, so that it can be tried again.
	halfway bool
	body    *fyne.Container

	proxy     *widget.Entry
	proxySave *widget.Button
	proxyNote *widget.Label
	// proxyShown is set once the saved proxy was put into the field.
	proxyShown bool

	state        *widget.Label
	busy         *widget.Activity
	lastSync     *widget.Label
	pending      *widget.Label
	progress     *widget.ProgressBar
	moving       *widget.Label
	problem      *widget.Label
	quarantined  *widget.Label
	syncNow      *widget.Button
	conflictList *fyne.Container
	setAsideList *fyne.Container

	team  *teamPanel
	watch *syncWatch
	// content is the tab's content.
	content fyne.CanvasObject
}

// syncFacts is what the sync panel shows of the vault's team.
type syncFacts struct {
	team        *storage.TeamState // nil while the vault is in no team
	self        string             // this device's fingerprint
	safety      string             // while waiting for approval
	oldJoin     bool               // asked to join with a version 1 invite code
	members     []storage.Member
	admin       bool
	outbox      int
	filesUp     int
	filesIn     int
	quarantined int
	setAside    setAsideFacts
	// conflicts are the records in conflict, when they were listed.
	conflicts     []storage.Summary
	conflictsRead bool
	// watch is the relay check (syncwatch.go), for a device in a team.
	watch *storage.WatchReport
}

func newSyncPanel(u *UI) *syncPanel {
	p := &syncPanel{ui: u}
	p.proxy = u.entry("socks5://127.0.0.1:9050")
	p.proxySave = u.button(u.T("Save proxy"), theme.DocumentSaveIcon(), p.saveProxy)
	p.proxyNote = note()
	p.state = widget.NewLabel("")
	p.busy = widget.NewActivity()
	p.busy.Hide()
	p.lastSync = widget.NewLabel("")
	p.pending = paragraph("")
	p.progress = widget.NewProgressBar()
	p.progress.Hide()
	p.moving = widget.NewLabel("")
	p.moving.Hide()
	p.problem = paragraph("")
	p.problem.Importance = widget.DangerImportance
	p.problem.Hide()
	p.quarantined = paragraph("")
	p.quarantined.Importance = widget.WarningImportance
	p.quarantined.Hide()
	p.syncNow = u.button(u.T("Sync now"), theme.ViewRefreshIcon(), u.kickSync)
	p.conflictList = container.NewVBox()
	p.setAsideList = container.NewVBox()
	p.team = newTeamPanel(u, p)
	p.watch = newSyncWatch(u)
	p.body = container.NewVBox()
	p.content = container.NewVScroll(container.NewPadded(p.body))
	p.engineChanged(false)
	p.refresh(true)
	return p
}

// drop forgets the titles of records in conflict, the invite code and the
// applicants.
func (p *syncPanel) drop() {
	p.facts = nil
	p.conflictList.Objects = nil
	p.team.drop()
	p.body.Objects = nil
}

// refresh reads the vault's team facts off the UI goroutine and shows
// them; conflicts asks for the list of records in conflict too (it reads
// every summary). Reads do not overlap: one asked for meanwhile follows.
func (p *syncPanel) refresh(conflicts bool) {
	p.conflicts = p.conflicts || conflicts
	if p.reading {
		p.again = true
		return
	}
	p.reading, p.again = true, false
	withConflicts := p.conflicts || p.facts == nil
	p.conflicts = false
	u := p.ui
	u.background(func(v *storage.Vault) func() {
		f, err := readSyncFacts(v, withConflicts)
		return func() {
			p.reading = false
			if u.main == nil || u.main.sync != p {
				return
			}
			if err != nil {
				p.problem.SetText(u.errorText(err))
				p.problem.Show()
			} else {
				if !withConflicts && p.facts != nil {
					f.conflicts, f.conflictsRead = p.facts.conflicts, p.facts.conflictsRead
				}
				p.facts = f
				p.show()
			}
			if p.again {
				p.refresh(false)
			}
		}
	})
}

// readSyncFacts reads what the sync panel shows from the vault.
func readSyncFacts(v *storage.Vault, conflicts bool) (*syncFacts, error) {
	f := &syncFacts{self: storage.Fingerprint(v.DeviceKey())}
	st, err := v.Team()
	if errors.Is(err, storage.ErrNoTeam) {
		return f, nil
	}
	if err != nil {
		return nil, err
	}
	f.team = st
	if !st.Joined && st.Invited() {
		f.safety, err = engine.OwnSafetyNumber(v)
		switch {
		case errors.Is(err, engine.ErrOldJoin):
			f.oldJoin = true
		case err != nil:
			return nil, err
		}
	}
	if f.members, err = v.Members(); err != nil {
		return nil, err
	}
	slices.SortStableFunc(f.members, func(x, y storage.Member) int { return x.Added.Compare(y.Added) })
	for _, m := range f.members {
		if m.Fingerprint() == f.self && !m.Removed && m.Role == storage.RoleAdmin {
			f.admin = true
		}
	}
	if f.outbox, err = v.OutboxLen(); err != nil {
		return nil, err
	}
	up, err := v.BlobsToSend()
	if err != nil {
		return nil, err
	}
	in, err := v.BlobsToFetch()
	if err != nil {
		return nil, err
	}
	q, err := v.Quarantined()
	if err != nil {
		return nil, err
	}
	f.filesUp, f.filesIn, f.quarantined = len(up), len(in), len(q)
	if f.setAside, err = readSetAside(v); err != nil {
		return nil, err
	}
	if f.watch, err = readWatch(v, st); err != nil {
		return nil, err
	}
	if conflicts {
		f.conflictsRead = true
		err = v.List("", func(s storage.Summary) bool {
			if s.Conflict {
				f.conflicts = append(f.conflicts, s)
			}
			return true
		})
	}
	return f, err
}

// viewOf names the view the facts call for.
func (p *syncPanel) viewOf(f *syncFacts) string {
	switch {
	case f.team == nil || p.halfway:
		return "none"
	case !f.team.Joined:
		return "joining"
	}
	return "member"
}

// show shows the facts: the view they call for, rebuilt if it changed,
// and the engine's state.
func (p *syncPanel) show() {
	f, u := p.facts, p.ui
	if f == nil {
		return
	}
	if view := p.viewOf(f); view != p.view {
		p.view = view
		title := heading(u.T("Sync"))
		switch view {
		case "none":
			p.body.Objects = []fyne.CanvasObject{title,
				paragraph(u.T("This vault is not part of a team: its records stay on this computer. Start a team, or join one with an invite code from its admin.")),
				p.connectionCard(), p.team.startCard(), p.team.joinCard()}
		case "joining":
			p.body.Objects = []fyne.CanvasObject{title, p.team.waitingCard(), p.statusCard(), p.connectionCard()}
		default:
			p.body.Objects = []fyne.CanvasObject{title, p.statusCard(), p.watch.card(), p.conflictCard(), p.setAsideCard(), p.team.aboutCard(), p.connectionCard(), p.team.rosterCard()}
			if f.admin {
				p.body.Objects = append(p.body.Objects, p.team.inviteCard(), p.team.applicantsCard())
				p.team.loadApplicants()
			}
		}
		p.body.Refresh()
	}
	p.team.show(f)
	p.watch.show(f.watch)
	p.showConflicts()
	p.showSetAside()
	p.showEngine()
}

// engineChanged follows the engine: its state at once, the vault's counts
// after a pass.
func (p *syncPanel) engineChanged(passEnded bool) {
	if s := p.ui.sync; s != nil && s.loaded && !p.proxyShown {
		p.proxyShown = true
		p.proxy.SetText(s.proxy)
	}
	p.showEngine()
	if passEnded {
		p.refresh(p.ui.sync != nil && p.ui.sync.last.Received > 0)
	}
}

// statusCard is the sync status: last success, what waits, the file on
// the move, the current problem.
func (p *syncPanel) statusCard() fyne.CanvasObject {
	u := p.ui
	return card(u.T("Status"), "", container.NewVBox(
		container.NewHBox(p.state, p.busy), p.lastSync, p.pending, p.moving, p.progress,
		p.problem, p.quarantined, container.NewHBox(p.syncNow)))
}

// showEngine shows the engine's state and the vault's counts.
func (p *syncPanel) showEngine() {
	u, s, f := p.ui, p.ui.sync, p.facts
	if s == nil || f == nil {
		return
	}
	switch {
	case !s.loaded:
		p.state.SetText(u.T("Starting…"))
	case s.running():
		p.state.SetText(u.T("Syncing in the background while Letapis is unlocked."))
	case s.engine != nil:
		p.state.SetText(u.T("Sync has stopped. Fix what is said below, then tap Sync now."))
	default:
		p.state.SetText("")
	}
	if s.running() {
		p.busy.Show()
		p.busy.Start()
	} else {
		p.busy.Stop()
		p.busy.Hide()
	}
	if s.engine != nil {
		p.syncNow.Enable()
	} else {
		p.syncNow.Disable()
	}
	if t := s.last.LastSuccess; t.IsZero() {
		p.lastSync.SetText(u.T("Last successful sync: none since unlock"))
	} else {
		p.lastSync.SetText(u.Tf("Last successful sync: %s", clockTime(t)))
	}
	p.pending.SetText(u.Tf("Waiting to be sent: %d changes, %d attachment files. Waiting to be fetched: %d attachment files.", f.outbox, f.filesUp, f.filesIn))
	if pr := s.last.File; pr != nil && pr.Part < pr.Of {
		if pr.Upload {
			p.moving.SetText(u.Tf("Sending a file: part %d of %d", pr.Part, pr.Of))
		} else {
			p.moving.SetText(u.Tf("Receiving a file: part %d of %d", pr.Part, pr.Of))
		}
		p.progress.SetValue(float64(pr.Part) / float64(pr.Of))
		p.moving.Show()
		p.progress.Show()
	} else {
		p.moving.Hide()
		p.progress.Hide()
	}
	if text := u.syncErrorText(s.problem()); text != "" {
		p.problem.SetText(text)
		p.problem.Show()
	} else {
		p.problem.Hide()
	}
	if f.quarantined > 0 {
		p.quarantined.SetText(u.Tf("Envelopes from the relay that failed verification and were set aside: %d. They may be forged or damaged; nothing of them was applied.", f.quarantined))
		p.quarantined.Show()
	} else {
		p.quarantined.Hide()
	}
}

// clockTime shows a time of today as its clock time, an older one with its
// date.
func clockTime(t time.Time) string {
	t = t.Local()
	if y, m, d := t.Date(); y == time.Now().Year() && m == time.Now().Month() && d == time.Now().Day() {
		return t.Format("15:04:05")
	}
	return t.Format("2006-01-02 15:04")
}

// conflictCard lists the records in conflict; tapping one opens it.
func (p *syncPanel) conflictCard() fyne.CanvasObject {
	return card(p.ui.T("Records in conflict"), p.ui.T("Changed on two devices at once: open one to see both versions."), p.conflictList)
}

func (p *syncPanel) showConflicts() {
	u, f := p.ui, p.facts
	if !f.conflictsRead {
		return
	}
	var rows []fyne.CanvasObject
	for i, c := range f.conflicts {
		if i == maxConflictsShown {
			rows = append(rows, widget.NewLabel(u.Tf("And %d more.", len(f.conflicts)-i)))
			break
		}
		title := c.Title
		if title == "" {
			title = u.T("(untitled)")
		}
		kind, id := c.Kind, c.ID
		b := u.button(title+" · "+u.T(kindTitle(kind)), theme.WarningIcon(), func() {
			if m := u.main; m != nil {
				m.openRecord(kind, id)
			}
		})
		b.Alignment = widget.ButtonAlignLeading
		rows = append(rows, b)
	}
	if len(rows) == 0 {
		rows = append(rows, widget.NewLabel(u.T("No records in conflict.")))
	}
	p.conflictList.Objects = rows
	p.conflictList.Refresh()
}

// connectionCard is the proxy setting.
func (p *syncPanel) connectionCard() fyne.CanvasObject {
	u := p.ui
	return card(u.T("Connection"), u.T("To reach the relay through Tor, enter socks5://127.0.0.1:9050. Leave empty to connect directly. Kept inside the encrypted vault."),
		container.NewVBox(container.NewBorder(nil, nil, widget.NewLabel(u.T("Proxy")), p.proxySave, p.proxy), p.proxyNote))
}

// saveProxy checks and saves the proxy in the vault, and restarts the
// engine with it.
func (p *syncPanel) saveProxy() {
	u := p.ui
	proxy := trimmed(p.proxy)
	if err := checkProxy(proxy); err != nil {
		say(p.proxyNote, u.T("This is not a proxy address. Use socks5://HOST:PORT (for Tor: socks5://127.0.0.1:9050), or http:// or https://HOST:PORT."), true)
		return
	}
	s := u.sync
	if s == nil {
		return
	}
	p.proxySave.Disable()
	u.background(func(v *storage.Vault) func() {
		err := v.SetSettings(&storage.DeviceSettings{Proxy: proxy})
		var e *engine.Engine
		if err == nil {
			if _, terr := v.Team(); terr == nil {
				e, err = engine.New(v, s.config(proxy))
			}
		}
		return func() {
			p.proxySave.Enable()
			if err != nil {
				say(p.proxyNote, u.errorText(err), true)
				return
			}
			s.proxy = proxy
			if proxy == "" {
				say(p.proxyNote, u.T("Saved: Letapis connects to the relay directly."), false)
			} else {
				say(p.proxyNote, u.T("Saved: Letapis reaches the relay through this proxy."), false)
			}
			if e != nil && u.sync == s {
				s.restart(e)
			}
		}
	})
}

// checkProxy checks a proxy address as the relay client will.
func checkProxy(proxy string) error {
	if proxy == "" {
		return nil
	}
	_, err := client.New(throwawayClient("https://relay.invalid", "aaaaaaaaaaaaaaaaaaaaaaaaaa", "", proxy))
	return err
}
