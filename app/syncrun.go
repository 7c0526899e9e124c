package app

import (
	"context"
	"errors"
	"strings"
	gosync "sync"
	"time"

	"github.com/letapis/letapis/storage"
	"github.com/letapis/letapis/sync/client"
	"github.com/letapis/letapis/sync/engine"
	"github.com/letapis/letapis/sync/wire"
)

// How long Lock waits for the sync engine to stop before it closes the
// vault anyway (the vault refuses the engine's later calls), and how often
// a device waiting for approval asks the relay again.
const (
	syncStopWait = 10 * time.Second
	approvalPoll = 20 * time.Second
)

// syncer runs the sync engine of the unlocked vault on its own goroutine:
// engine.Run from unlock to lock while the vault is in a team. Its fields
// belong to the UI goroutine, except mu and next, which carry the engine's
// events over to it.
type syncer struct {
	ui *UI
	// ctx ends at lock; it bounds Run and every team call to the relay.
	ctx    context.Context
	cancel context.CancelFunc
	// loaded is set once the team state and settings were read.
	loaded bool
	proxy  string
	// engine is the vault's engine, nil while the vault is in no team.
	engine *engine.Engine
	// done is closed when the running Run returns; nil while none runs.
	done chan struct{}
	// replaced is closed when the Run of a replaced engine returns.
	replaced  chan struct{}
	runCancel context.CancelFunc
	// stopped is why Run last stopped: a failure that needs a person.
	stopped error
	// last is the engine's latest state seen on the UI goroutine.
	last  engine.Event
	retry *time.Timer

	mu   gosync.Mutex
	next *engine.Event // an event not yet handed to the UI goroutine
}

// startSync reads the vault's team state and proxy, and starts syncing if
// the vault is in a team. It runs at every unlock.
func (u *UI) startSync() {
	ctx, cancel := context.WithCancel(context.Background())
	s := &syncer{ui: u, ctx: ctx, cancel: cancel}
	u.sync = s
	u.background(func(v *storage.Vault) func() {
		set, err := v.Settings()
		if err != nil {
			return func() { u.log.Error("read device settings", "err", err) }
		}
		var e *engine.Engine
		if _, err := v.Team(); err == nil {
			e, err = engine.New(v, s.config(set.Proxy))
			if err != nil {
				u.log.Warn("sync engine not started", "err", err)
			}
		}
		return func() {
			s.loaded, s.proxy = true, set.Proxy
			if e != nil {
				s.engine = e
				s.run()
			}
			s.changed(false)
		}
	})
}

// stopSync stops the engine and waits (briefly) until it has, so that the
// vault can close. It runs at lock.
func (u *UI) stopSync() {
	s := u.sync
	if s == nil {
		return
	}
	u.sync = nil
	s.cancel()
	if s.retry != nil {
		s.retry.Stop()
	}
	deadline := time.After(syncStopWait)
	for _, done := range []chan struct{}{s.done, s.replaced} {
		if done == nil {
			continue
		}
		select {
		case <-done:
		case <-deadline:
			u.log.Warn("the sync engine did not stop in time; locking anyway")
			return
		}
	}
}

// kickSync asks for a sync pass now: after a save, or when the person
// taps Sync now. A stopped engine starts again.
func (u *UI) kickSync() {
	if s := u.sync; s != nil && s.engine != nil {
		if s.done == nil {
			s.run()
		} else {
			s.engine.Kick()
		}
	}
}

// config is the engine configuration for the UI.
func (s *syncer) config(proxy string) engine.Config {
	cfg := engine.Config{Proxy: proxy, Logger: s.ui.log, OnEvent: s.onEvent}
	if tune := s.ui.cfg.engineConfig; tune != nil {
		tune(&cfg)
	}
	return cfg
}

// run starts engine.Run on its own goroutine, unless it runs already.
func (s *syncer) run() {
	if s.engine == nil || s.done != nil || s.ctx.Err() != nil {
		return
	}
	if s.retry != nil {
		s.retry.Stop()
		s.retry = nil
	}
	ctx, cancel := context.WithCancel(s.ctx)
	done := make(chan struct{})
	s.done, s.runCancel, s.stopped = done, cancel, nil
	e, u := s.engine, s.ui
	go func() {
		err := e.Run(ctx)
		close(done)
		u.do(func() { s.ended(done, err) })
	}()
	s.changed(false)
}

// ended takes the end of a Run: a failure that a person must act on, or
// the cancellation of a restart or lock.
func (s *syncer) ended(done chan struct{}, err error) {
	if s.done != done {
		return
	}
	s.runCancel()
	s.done, s.runCancel = nil, nil
	if s.ctx.Err() != nil || errors.Is(err, context.Canceled) {
		return
	}
	s.stopped = err
	if waitingForApproval(err) {
		// Only the admin can act; ask again now and then.
		s.retry = time.AfterFunc(approvalPoll, func() {
			s.ui.do(func() {
				if s.ui.sync == s && s.done == nil {
					s.run()
				}
			})
		})
	}
	s.changed(true)
}

// restart replaces the engine, e.g. with a new proxy: the running Run is
// stopped off the UI goroutine, then the new engine starts.
func (s *syncer) restart(e *engine.Engine) {
	old, cancel := s.done, s.runCancel
	s.engine, s.done, s.runCancel, s.stopped = e, nil, nil, nil
	if old == nil {
		s.run()
		return
	}
	cancel()
	s.replaced = old
	s.ui.async(func() func() {
		<-old
		return func() {
			if s.ui.sync == s {
				s.run()
			}
		}
	})
}

// onEvent takes an engine event on the engine's goroutine. Events are
// coalesced: at most one hand-over to the UI goroutine is queued, and it
// shows the latest state.
func (s *syncer) onEvent(ev engine.Event) {
	s.mu.Lock()
	queued := s.next != nil
	s.next = &ev
	s.mu.Unlock()
	if !queued {
		s.ui.do(s.deliver)
	}
}

// deliver shows the latest engine event, on the UI goroutine.
func (s *syncer) deliver() {
	s.mu.Lock()
	ev := s.next
	s.next = nil
	s.mu.Unlock()
	if ev == nil || s.ui.sync != s {
		return
	}
	passEnded := !ev.LastSuccess.Equal(s.last.LastSuccess) || (ev.Err != nil && ev.Err != s.last.Err)
	s.last = *ev
	s.changed(passEnded)
}

// changed tells the sync panel, if shown, that the engine's state changed;
// passEnded asks it to read the vault's counts again.
func (s *syncer) changed(passEnded bool) {
	if m := s.ui.main; m != nil && m.sync != nil {
		m.sync.engineChanged(passEnded)
	}
}

// running reports whether Run is active.
func (s *syncer) running() bool { return s.done != nil }

// problem is the failure to show: why Run stopped, or the last pass's.
func (s *syncer) problem() error {
	if s.stopped != nil {
		return s.stopped
	}
	return s.last.Err
}

// waitingForApproval reports whether the relay refused a device because
// no admin has approved it yet.
func waitingForApproval(err error) bool {
	return errors.Is(err, client.ErrForbidden) && relaySays(err, "waiting for an admin")
}

// relaySays reports whether the relay's error message in err contains
// words. The relay's refusals share one status; the message tells them
// apart.
func relaySays(err error, words string) bool {
	var we *wire.Error
	return errors.As(err, &we) && strings.Contains(we.Message, words)
}

// syncErrorText words a failure of the sync engine, the relay client or a
// team call for people; "" for none or a cancellation.
func (u *UI) syncErrorText(err error) string {
	switch {
	case err == nil, errors.Is(err, context.Canceled):
		return ""
	case errors.Is(err, client.ErrCertificate):
		return u.T("The relay's certificate was refused: it does not match the pinned one, or no authority vouches for it. This may be an attack, so nothing was sent. Ask the relay's operator.")
	case errors.Is(err, client.ErrUnreachable) && relayProxyFailed(err):
		return u.T("The proxy does not answer. Check that it runs (for Tor: that Tor is started) and its address; Letapis keeps trying.")
	case errors.Is(err, client.ErrUnreachable):
		return u.T("No relay reachable: check the internet connection, the relay address and the proxy. Letapis keeps trying; nothing is lost meanwhile.")
	case errors.Is(err, client.ErrForbidden) && relaySays(err, "removed from the team"):
		return u.T("This device was removed from the team. It keeps what it received before, but can no longer sync.")
	case waitingForApproval(err):
		return u.T("Waiting for an admin to approve this device. Read the safety number to the admin who invited you.")
	case errors.Is(err, client.ErrForbidden) && relaySays(err, "only a team admin"):
		return u.T("The relay refused: only a team admin may do this.")
	case errors.Is(err, client.ErrForbidden) && relaySays(err, "token"):
		return u.T("The relay refused the code: it is unknown, already used or expired. Ask for a new one.")
	case errors.Is(err, client.ErrForbidden):
		return u.T("The relay refused this device.")
	case errors.Is(err, client.ErrUnauthenticated):
		return u.T("The relay does not recognise this device. Check that it was admitted to the team and that this computer's clock is right.")
	case errors.Is(err, client.ErrQuotaExceeded):
		return u.T("The team's space on the relay is full. Ask the relay's operator for more; nothing is lost, it waits in this vault.")
	case errors.Is(err, engine.ErrWithheld):
		return u.T("The relay may be hiding or rewriting the team's records: its log has a gap, or differs from what this device verified before. Nothing was received from it and nothing was sent. Compare with another device in person, and tell the relay's operator.")
	case errors.Is(err, client.ErrProtocol):
		return u.T("The relay's answer cannot be accepted: the relay, or something between, is broken or not honest. Nothing from it was stored.")
	case errors.Is(err, client.ErrConflict):
		return u.T("The relay already holds something different: this team already has an admin, or this device is already known.")
	case errors.Is(err, client.ErrRejected), errors.Is(err, client.ErrNotFound):
		return u.T("The relay refused the request.")
	case errors.Is(err, storage.ErrNotAdmin):
		return u.T("Only a team admin can do this.")
	}
	return u.errorText(err)
}

// relayProxyFailed reports whether an unreachable relay is the proxy's
// fault: the relay client says so in its error.
func relayProxyFailed(err error) bool {
	return strings.Contains(err.Error(), "the proxy failed")
}
