package relay

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"

	"github.com/letapis/letapis/sync/wire"
)

func (s *Server) appendLog(w http.ResponseWriter, c *call) error {
	var req wire.IDs
	if err := wire.DecodeBytes(c.body, &req); err != nil {
		return err
	}
	entries, err := s.store.Append(c.Context(), c.team, req.IDs)
	if err != nil {
		return fmt.Errorf("append to the log: %w", err)
	}
	s.appends.notify(c.team)
	return writeJSON(w, http.StatusOK, &wire.Appended{
		Entries: entries,
		Receipt: ed25519.Sign(s.opts.Key, wire.ReceiptMessage(c.team, entries)),
	})
}

// readLog answers GET .../log. With nothing after the cursor and a wait,
// it holds the request until an append to the team, the wait's end, the
// client's leaving or a Drain, whichever comes first.
func (s *Server) readLog(w http.ResponseWriter, c *call) error {
	q, err := parseLogQuery(c.URL.Query(), s.opts.MaxWait)
	if err != nil {
		return err
	}
	deadline := time.NewTimer(q.wait)
	defer deadline.Stop()
	for {
		// Subscribe before reading, so that an append in between is not
		// missed.
		appended := s.appends.wait(c.team)
		lr, err := s.store.ReadLog(c.Context(), c.team, q.since, q.limit)
		if err != nil {
			return fmt.Errorf("read the log: %w", err)
		}
		if len(lr.Entries) > 0 || !s.await(c.Context(), appended, deadline.C) {
			return writeJSON(w, http.StatusOK, s.page(c.team, q.since, lr))
		}
	}
}

// page makes the answer to a log request from since: the entries, with
// the relay's signature of the point they end at.
func (s *Server) page(team string, since uint64, lr LogRead) *wire.Page {
	p := &wire.Page{Entries: lr.Entries, Head: lr.Head, Prev: lr.Prev, Hash: lr.Hash}
	if lr.Hash != nil {
		p.Sig = ed25519.Sign(s.opts.Key, wire.HeadMessage(team, p.End(since)))
	}
	return p
}

// await reports whether appended is closed before the deadline, the end of
// ctx or a Drain.
func (s *Server) await(ctx context.Context, appended <-chan struct{}, deadline <-chan time.Time) bool {
	select {
	case <-appended:
		return true
	case <-deadline:
	case <-ctx.Done():
	case <-s.drain:
	}
	return false
}

// logQuery is the query of GET .../log.
type logQuery struct {
	since uint64        // the client's cursor: entries after it are wanted
	limit int           // at most this many, in 1..wire.MaxIDs
	wait  time.Duration // long-poll up to this long, in 0..maxWait
}

// parseLogQuery reads since (default 0), limit (default and most
// wire.MaxIDs) and wait (seconds, fractions allowed; default 0 and most
// maxWait). Values beyond the most are lowered to it.
func parseLogQuery(q url.Values, maxWait time.Duration) (logQuery, error) {
	lq := logQuery{limit: wire.MaxIDs}
	if v := q.Get("since"); v != "" {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			return logQuery{}, wire.Errorf(wire.CodeBadRequest, "since must be a sequence number")
		}
		lq.since = n
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return logQuery{}, wire.Errorf(wire.CodeBadRequest, "limit must be a positive whole number")
		}
		lq.limit = min(n, wire.MaxIDs)
	}
	if v := q.Get("wait"); v != "" {
		secs, err := strconv.ParseFloat(v, 64)
		if err != nil || !(secs >= 0) { // also refuses NaN
			return logQuery{}, wire.Errorf(wire.CodeBadRequest, "wait must be a number of seconds, 0 or more")
		}
		lq.wait = time.Duration(min(secs, maxWait.Seconds()) * float64(time.Second))
	}
	return lq, nil
}

// broadcast wakes the requests waiting for a team's log to grow. Each
// team with waiters has a channel that the next append closes; waiters
// then take a new one. A team's channel stays until its next append, so
// the map holds at most one per team.
type broadcast struct {
	mu sync.Mutex
	ch map[string]chan struct{}
}

// wait returns a channel that is closed at the team's next append.
func (b *broadcast) wait(team string) <-chan struct{} {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.ch == nil {
		b.ch = make(map[string]chan struct{})
	}
	ch, ok := b.ch[team]
	if !ok {
		ch = make(chan struct{})
		b.ch[team] = ch
	}
	return ch
}

// notify wakes the team's waiters.
func (b *broadcast) notify(team string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if ch, ok := b.ch[team]; ok {
		close(ch)
		delete(b.ch, team)
	}
}
