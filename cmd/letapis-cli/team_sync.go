package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/signal"
	gosync "sync"
	"syscall"
	"time"

	"github.com/letapis/letapis/storage"
	"github.com/letapis/letapis/sync/client"
	"github.com/letapis/letapis/sync/engine"
)

func init() {
	register(&command{name: "sync", summary: "send and receive the team's records through the relay", group: groupTeam,
		about: `Sync the vault with its team through the relay: send what was written
here, receive what the others wrote, and move attachment files both ways.
An interrupted transfer resumes where it stopped. Prints what moved.

Everything is verified before it is stored: an envelope that fails (a
forgery, damage, a removed device writing after its removal) is set aside
and listed by 'letapis-cli quarantine'. Records edited on two devices at
once are merged; where both changed the same field, the record is marked
as a conflict ('letapis-cli conflicts').

The relay cannot hide or rewrite the team's log unseen: a log with a
gap, a history that differs from the one this device verified, or a
record the relay acknowledged and did not publish stops the sync with
an error naming what was seen, before anything is sent. The other
devices' heartbeats show a relay that shows two devices different
histories or hides some device's records: sync then prints a warning in
plain words and exits with 1 ('letapis-cli team members' shows when each
device was last heard from).

--watch keeps syncing until Ctrl-C: each time the relay has news, and
after a failure with growing pauses. It prints a line when something
moves or goes wrong, not on every pass. While it runs the vault is open,
so other letapis-cli commands on the same vault have to wait until it is
stopped. With --json it prints one JSON object a line.` + relayHelp,
		run: cmdSync})
}

// signalContext returns a context that ends on Ctrl-C or SIGTERM.
// Commands take it once the vault is open, so that at the passphrase
// prompt Ctrl-C ends the program at once, as for every other command.
func signalContext() (context.Context, context.CancelFunc) {
	return signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
}

// syncReport is what sync --json prints.
type syncReport struct {
	Sent         int  `json:"sent"`
	Received     int  `json:"received"`
	Quarantined  int  `json:"quarantined"`
	FilesSent    int  `json:"files_sent"`
	FilesFetched int  `json:"files_fetched"`
	Conflicts    int  `json:"conflicts"`
	Joined       bool `json:"joined"`
	// Held and Dropped count envelopes held for a newer version and
	// dropped at the device's caps.
	Held    int `json:"held,omitempty"`
	Dropped int `json:"dropped,omitempty"`
	// Warnings are signs that the relay hides or rewrites records; with
	// any, sync exits with 1.
	Warnings []storage.Warning `json:"warnings"`
}

func cmdSync(a *app, c *command, args []string) error {
	fs := a.flagSet(c)
	watch := fs.Bool("watch", false, "keep syncing until interrupted (Ctrl-C or SIGTERM)")
	proxy := a.proxyFlag(fs)
	a.flagOrder = []string{"watch", "proxy"}
	if _, err := a.parse(c, fs, args, 0, 0); err != nil {
		return err
	}
	return a.withVault(func(v *storage.Vault) error {
		ctx, stop := signalContext()
		defer stop()
		st, err := v.Team()
		if err != nil {
			return err
		}
		w := &watcher{a: a, v: v, joined: st.Joined, team: st.Team, watch: *watch}
		cfg := a.syncConfig(*proxy)
		cfg.OnEvent = w.event
		e, err := a.newEngine(v, cfg)
		if err != nil {
			return err
		}
		if *watch {
			return w.run(ctx, e, st.Relay)
		}
		rep, err := e.Once(ctx)
		if err != nil {
			return syncError(err, st)
		}
		if a.json {
			warnings, err := w.relayWarnings()
			if err != nil {
				return err
			}
			out := syncReport{Sent: rep.Sent, Received: rep.Received, Quarantined: rep.Quarantined,
				FilesSent: rep.FilesSent, FilesFetched: rep.FilesFetched, Held: rep.Held, Dropped: rep.Dropped}
			if out.Conflicts, err = countConflicts(v); err != nil {
				return err
			}
			now, err := v.Team()
			if err != nil {
				return err
			}
			out.Joined, out.Warnings = now.Joined, warnings
			if err := a.printJSON(out); err != nil || len(warnings) == 0 {
				return err
			}
			return warningsError(warnings)
		}
		a.printf("synced: %s", describePass(rep.Sent, rep.Received, rep.Quarantined, rep.FilesSent, rep.FilesFetched))
		w.afterPass(rep.Received, rep.Quarantined)
		if rep.Held > 0 {
			a.printf("%d envelopes from a newer version of Letapis were kept, to be applied once this device is updated: see 'letapis-cli quarantine'", rep.Held)
		}
		if rep.Dropped > 0 {
			a.warnf("%d envelopes were dropped: this device already keeps as many envelopes it cannot apply as it may (see 'letapis-cli quarantine')", rep.Dropped)
		}
		warnings, err := w.relayWarnings()
		if err != nil || len(warnings) == 0 {
			return err
		}
		return warningsError(warnings)
	})
}

// describePass says what a pass moved.
func describePass(sent, received, quarantined, filesSent, filesFetched int) string {
	s := fmt.Sprintf("sent %d, received %d", sent, received)
	if quarantined > 0 {
		s += fmt.Sprintf(", quarantined %d", quarantined)
	}
	if filesSent+filesFetched > 0 {
		s += fmt.Sprintf("; files: %d sent, %d fetched", filesSent, filesFetched)
	}
	return s
}

// syncError words the failure of a pass.
func syncError(err error, st *storage.TeamState) error {
	if errors.Is(err, client.ErrForbidden) && !st.Joined {
		return &hintedError{err: err, msg: "this device is still waiting for an admin to approve it: ask the admin to run 'letapis-cli team approve', then sync again"}
	}
	return err
}

// fatal reports whether a failed pass cannot succeed by trying again:
// only a person can change what is wrong.
func fatal(err error, joined bool) bool {
	return (errors.Is(err, client.ErrForbidden) && joined) ||
		errors.Is(err, client.ErrUnauthenticated) || errors.Is(err, client.ErrCertificate) ||
		errors.Is(err, storage.ErrDamaged)
}

// countConflicts counts the records in conflict.
func countConflicts(v *storage.Vault) (int, error) {
	n := 0
	err := v.List("", func(s storage.Summary) bool {
		if s.Conflict {
			n++
		}
		return true
	})
	return n, err
}

// watcher turns the engine's events into a few lines for people (or JSON
// lines with --json): file progress at most about once a second, a line
// for each pass that moved something, and a line when a failure starts
// or changes, not for every retry.
type watcher struct {
	a      *app
	v      *storage.Vault
	team   string
	watch  bool
	joined bool

	mu           gosync.Mutex
	fatalErr     error
	cancel       context.CancelFunc
	lastSuccess  time.Time
	lastErr      error  // the failure of the last pass, as reported
	lastProblem  string // what was printed about it
	waiting      bool   // the failure is that the device is not admitted yet
	progress     engine.Progress
	progressAt   time.Time
	filesSent    int
	filesFetched int
	conflicts    int
	passes       int
	warnings     string // the relay warnings last printed, a line each
}

// watchLine is one line of sync --watch --json. Event is file, synced,
// error, reconnected, recovered, joined, conflicts, warning (its text in
// Error) or stopped.
type watchLine struct {
	Time         time.Time     `json:"time"`
	Event        string        `json:"event"`
	Sent         int           `json:"sent,omitempty"`
	Received     int           `json:"received,omitempty"`
	Quarantined  int           `json:"quarantined,omitempty"`
	FilesSent    int           `json:"files_sent,omitempty"`
	FilesFetched int           `json:"files_fetched,omitempty"`
	Conflicts    int           `json:"conflicts,omitempty"`
	File         *fileProgress `json:"file,omitempty"`
	Error        string        `json:"error,omitempty"`
}

// fileProgress is the progress of an attachment file in a watchLine.
type fileProgress struct {
	Upload bool  `json:"upload"`
	Part   int   `json:"part"`
	Of     int   `json:"of"`
	Bytes  int64 `json:"bytes"`
}

func (w *watcher) emit(l watchLine, text string) {
	if w.a.json {
		if !w.watch {
			return // a single pass prints its report only
		}
		l.Time = time.Now().UTC().Truncate(time.Second)
		b, _ := json.Marshal(l)
		fmt.Fprintln(w.a.stdout, string(b))
		return
	}
	w.a.printf("%s", text)
}

func (w *watcher) event(ev engine.Event) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if ev.File != nil {
		w.progressed(*ev.File)
	}
	switch {
	case !ev.LastSuccess.IsZero() && !ev.LastSuccess.Equal(w.lastSuccess):
		// A pass ended well.
		w.lastSuccess = ev.LastSuccess
		if !w.watch {
			return
		}
		w.passes++
		noticed := w.a.notice.clear()
		switch {
		case w.waiting:
			// The device was admitted: afterPass says so.
		case noticed || errors.Is(w.lastErr, client.ErrUnreachable):
			w.emit(watchLine{Event: "reconnected"}, "reached the relay again")
		case w.lastProblem != "":
			w.emit(watchLine{Event: "recovered"}, "syncing works again")
		}
		w.lastProblem, w.lastErr, w.waiting = "", nil, false
		moved := ev.Sent+ev.Received+ev.Quarantined+w.filesSent+w.filesFetched > 0
		if moved || w.passes == 1 {
			text := "synced: " + describePass(ev.Sent, ev.Received, ev.Quarantined, w.filesSent, w.filesFetched)
			if !moved {
				text = "synced: up to date"
			}
			w.emit(watchLine{Event: "synced", Sent: ev.Sent, Received: ev.Received, Quarantined: ev.Quarantined,
				FilesSent: w.filesSent, FilesFetched: w.filesFetched}, text)
		}
		w.filesSent, w.filesFetched = 0, 0
		w.afterPass(ev.Received, ev.Quarantined)
	case ev.Err != nil && ev.Err != w.lastErr:
		// A pass failed.
		w.lastErr = ev.Err
		w.filesSent, w.filesFetched = 0, 0
		if !w.watch || errors.Is(ev.Err, context.Canceled) {
			return
		}
		if fatal(ev.Err, w.joined) {
			w.fatalErr = ev.Err
			w.cancel()
			return
		}
		problem := w.a.explain(ev.Err)
		if errors.Is(ev.Err, client.ErrForbidden) && !w.joined {
			w.waiting = true
			problem = "this device is waiting for an admin to approve it ('letapis-cli team approve' on the admin's device)"
		}
		if problem != w.lastProblem {
			w.lastProblem = problem
			w.emit(watchLine{Event: "error", Error: problem}, problem+"; will keep trying")
		}
	}
}

// progressed reports the progress of an attachment file.
func (w *watcher) progressed(p engine.Progress) {
	if p == w.progress {
		return
	}
	w.progress = p
	if p.Part == p.Of {
		if p.Upload {
			w.filesSent++
		} else {
			w.filesFetched++
		}
	}
	now := time.Now()
	if p.Part != 1 && p.Part != p.Of && now.Sub(w.progressAt) < time.Second {
		return
	}
	w.progressAt = now
	verb := "receiving"
	if p.Upload {
		verb = "sending"
	}
	w.emit(watchLine{Event: "file", File: &fileProgress{Upload: p.Upload, Part: p.Part, Of: p.Of, Bytes: p.BytesMoved}}, fmt.Sprintf("%s a file: %d/%d parts (%s)", verb, p.Part, p.Of, sizeString(p.BytesMoved)))
}

// afterPass tells what a pass changed beyond the counts: the device was
// admitted, envelopes were set aside, records are in conflict.
func (w *watcher) afterPass(received, quarantined int) {
	if !w.joined {
		if st, err := w.v.Team(); err == nil && st.Joined {
			w.joined = true
			w.emit(watchLine{Event: "joined"}, fmt.Sprintf("this device is now a member of team %s: it has the team's records and can add its own", w.team))
		}
	}
	if w.a.json && !w.watch {
		return
	}
	if w.watch {
		if _, err := w.relayWarnings(); err != nil {
			w.a.warnf("cannot compare the other devices' heartbeats: %v", err)
		}
	}
	if quarantined > 0 {
		w.a.warnf("%d %s from the relay failed verification and %s set aside: see 'letapis-cli quarantine'",
			quarantined, plural(quarantined, "envelope", "envelopes"), plural(quarantined, "was", "were"))
	}
	if received == 0 {
		return
	}
	n, err := countConflicts(w.v)
	if err != nil || n == w.conflicts {
		return
	}
	w.conflicts = n
	if n > 0 {
		w.emit(watchLine{Event: "conflicts", Conflicts: n}, fmt.Sprintf("%d %s in conflict (changed on two devices at once): see 'letapis-cli conflicts'", n, plural(n, "record is", "records are")))
	}
}

// run syncs until ctx ends or a failure needs a person.
func (w *watcher) run(ctx context.Context, e *engine.Engine, relay string) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	w.mu.Lock()
	w.cancel = cancel
	w.mu.Unlock()
	if !w.a.json {
		w.a.printf("syncing with the relay at %s until stopped with Ctrl-C", relay)
	}
	_ = e.Run(ctx)
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.fatalErr != nil {
		return w.fatalErr
	}
	w.emit(watchLine{Event: "stopped"}, "stopped")
	return nil
}

// plural picks the singular or plural form for n.
func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
