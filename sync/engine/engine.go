// Package engine syncs a vault with its team through a relay: it sends
// the vault's outbox and attachment files, receives the relay's log and
// fetches the attachment files that received records refer to. It runs in
// the background whenever the relay answers, and reports what it does as
// Events for the user interface.
//
// Every envelope received is decrypted and verified by the vault
// (storage.Vault.OpenBatch, then ReceiveOpened) before anything is
// stored; one that fails is quarantined there and does not stop the rest.
// Every page of the relay's log is checked against the chain the vault
// verified before (client.Log) and the receipts of its own appends; a log
// that fails stops the pass with ErrWithheld before anything is sent. A
// pass writes the device's heartbeat (storage.Vault.WriteHeartbeat) when
// one is due. The engine itself trusts the relay for nothing but
// availability.
package engine

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	gosync "sync"
	"time"

	"github.com/letapis/letapis/storage"
	"github.com/letapis/letapis/sync/client"
	"github.com/letapis/letapis/sync/wire"
)

// Batch sizes: envelopes per append, log entries per page, and parallel
// uploads and downloads.
const (
	pushBatch      = 500
	askMissingFrom = 16 // envelopes in a batch from which the relay is asked what it lacks
	pageSize       = 1000
	openBatch      = 250 // envelopes opened and received together
	workers        = 4
)

// Config tunes an Engine. The zero value is the production default.
type Config struct {
	// Proxy is passed to the relay client: socks5://… for Tor, or http(s)://.
	Proxy string
	// Logger receives diagnostics without ids, names or URLs. Nil discards.
	Logger *slog.Logger
	// OnEvent, if set, is called after every step with the engine's state.
	// It runs on the engine's goroutine: a UI must hand it over to its own
	// (fyne.Do) and return quickly.
	OnEvent func(Event)
	// Client, if set, adjusts the relay client's configuration, e.g. its
	// retry timing or a test transport.
	Client func(*client.Config)
	// MaxBackoff is the longest pause between failed passes of Run; zero
	// means one minute.
	MaxBackoff time.Duration
}

// Event is the engine's state after a step.
type Event struct {
	// Pending is how many envelopes and attachment files wait to be sent.
	Pending int
	// Sent and Received count envelopes in the current pass.
	Sent, Received int
	// Quarantined counts envelopes rejected in the current pass.
	Quarantined int
	// File, while an attachment file moves, is its progress.
	File *Progress
	// LastSuccess is when a pass last completed.
	LastSuccess time.Time
	// Err is the last pass's failure in plain words, nil after a success.
	Err error
}

// Progress is the progress of one attachment file.
type Progress struct {
	Upload     bool
	Part, Of   int
	BytesMoved int64
}

// Report sums up one pass.
type Report struct {
	Sent, Received, Quarantined, FilesSent, FilesFetched int
	// Held and Dropped count the envelopes received that were held for a
	// newer version, or dropped because the vault's caps were reached.
	Held, Dropped int
}

// Engine syncs one vault. Its methods are safe for concurrent use, but
// passes do not overlap.
type Engine struct {
	vault  *storage.Vault
	client *client.Client
	cfg    Config
	log    *slog.Logger

	pass  gosync.Mutex // one pass at a time
	kick  chan struct{}
	state gosync.Mutex
	last  Event
}

// New returns an engine for a vault that belongs to a team.
func New(v *storage.Vault, cfg Config) (*Engine, error) {
	team, err := v.Team()
	if err != nil {
		return nil, err
	}
	if !team.Joined && !team.Invited() {
		return nil, errors.New("the team state is incomplete")
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	cc := client.Config{
		Relay: team.Relay, Team: team.Team, Pseudonym: team.Pseudonym, AuthKey: team.AuthKey(),
		RelayKey: team.RelayKey, Pin: team.Pin, Proxy: cfg.Proxy, Logger: log,
	}
	if cfg.Client != nil {
		cfg.Client(&cc)
	}
	c, err := client.New(cc)
	if err != nil {
		return nil, fmt.Errorf("sync: %w", err)
	}
	if cfg.MaxBackoff == 0 {
		cfg.MaxBackoff = time.Minute
	}
	return &Engine{vault: v, client: c, cfg: cfg, log: log, kick: make(chan struct{}, 1)}, nil
}

// Client returns the relay client, for the team commands and tests.
func (e *Engine) Client() *client.Client { return e.client }

// Kick asks a running engine to start a pass now, e.g. after a save.
func (e *Engine) Kick() {
	select {
	case e.kick <- struct{}{}:
	default:
	}
}

// Once makes one pass: send everything waiting, receive everything new,
// fetch missing attachment files, and purge what other devices deleted.
func (e *Engine) Once(ctx context.Context) (Report, error) {
	e.pass.Lock()
	defer e.pass.Unlock()
	var r Report
	err := e.once(ctx, &r)
	e.update(func(ev *Event) {
		ev.Sent, ev.Received, ev.Quarantined, ev.File, ev.Err = r.Sent, r.Received, r.Quarantined, nil, err
		if err == nil {
			ev.LastSuccess = time.Now()
		}
	})
	return r, err
}

func (e *Engine) once(ctx context.Context, r *Report) error {
	if err := e.checkRelayKey(ctx); err != nil {
		return err
	}
	team, err := e.vault.Team()
	if err != nil {
		return err
	}
	// Receive first: what waits is sent only through a log that checks
	// out (a relay hiding a removal or a key rotation stops the pass
	// before this device sends anything sealed to the old key), and with
	// the roster and keys it brings.
	if err := e.receive(ctx, r); err != nil {
		return fmt.Errorf("receive records: %w", err)
	}
	if team.Joined {
		if _, err := e.vault.WriteHeartbeat(time.Now(), storage.HeartbeatEvery); err != nil {
			return err
		}
		if err := e.sendFiles(ctx, r); err != nil {
			return fmt.Errorf("send attachments: %w", err)
		}
		if err := e.sendEnvelopes(ctx, r); err != nil {
			return fmt.Errorf("send records: %w", err)
		}
	}
	if err := e.fetchFiles(ctx, r); err != nil {
		return fmt.Errorf("fetch attachments: %w", err)
	}
	return e.vault.PurgeIfNeeded()
}

// checkRelayKey remembers the relay's receipt key the first time.
func (e *Engine) checkRelayKey(ctx context.Context) error {
	team, err := e.vault.Team()
	if err != nil || team.RelayKey != nil {
		return err
	}
	info, err := e.client.Info(ctx)
	if err != nil {
		return err
	}
	return e.vault.SetRelayKey(info.RelayKey)
}

// sendFiles uploads the parts of pending attachment files that the relay
// lacks.
func (e *Engine) sendFiles(ctx context.Context, r *Report) error {
	files, err := e.vault.BlobsToSend()
	if err != nil {
		return err
	}
	for _, f := range files {
		missing, err := e.client.Missing(ctx, f.Parts)
		if err != nil {
			return err
		}
		if err := e.sendParts(ctx, f, toSet(missing)); err != nil {
			return err
		}
		if err := e.vault.BlobSent(f.Blob); err != nil {
			return err
		}
		r.FilesSent++
	}
	return nil
}

// partsStoring is how many parts of a file may be on their way to the
// relay or being stored by it at once. One is sent at a time; the others
// wait for the relay's fsyncs, which overlap and share commits when
// several parts are being stored.
const partsStoring = 4

// sendParts uploads the parts of f that the relay lacks, in order,
// partsStoring at a time but sending one at a time: a part's upload begins
// when the one before has gone out, while the relay still stores it. A
// cut therefore finds at most one part half sent; those before it are
// stored, or are whole on their way. The buffers of stored parts are
// reused for the next ones.
func (e *Engine) sendParts(ctx context.Context, f storage.BlobTransfer, lacks map[string]bool) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var (
		wg      gosync.WaitGroup
		mu      gosync.Mutex
		moved   int64
		done    = len(f.Parts) - len(lacks)         // parts on the relay
		storing = make(chan struct{}, partsStoring) // parts on their way or being stored
		sending = make(chan struct{}, 1)            // parts on their way
		spare   = make(chan []byte, partsStoring+1) // buffers of stored parts
	)
	for i, id := range f.Parts {
		if !lacks[id] {
			continue
		}
		var buf []byte
		select {
		case buf = <-spare:
		default:
		}
		data, err := e.vault.ReadPart(f, i, buf)
		if err != nil {
			cancel(err)
			break
		}
		if !acquire(ctx, storing) {
			break
		}
		if !acquire(ctx, sending) {
			<-storing
			break
		}
		wg.Go(func() {
			defer func() { <-storing }()
			sent := gosync.OnceFunc(func() { <-sending })
			defer sent()
			if err := e.client.PutBlobSent(ctx, id, data, sent); err != nil {
				cancel(refusal(f, i, data, err))
				return
			}
			mu.Lock()
			moved += int64(len(data))
			done++
			p := Progress{Upload: true, Part: done, Of: len(f.Parts), BytesMoved: moved}
			mu.Unlock()
			e.update(func(ev *Event) { ev.File = &p })
			// The relay has read the whole part: nothing reads data now.
			select {
			case spare <- data:
			default:
			}
		})
	}
	wg.Wait()
	return context.Cause(ctx)
}

// refusal explains the failed upload of part i of f, read as data: if
// the relay found that it does not match its id, and neither does data,
// the attachment's file in the vault is damaged (storage.ErrIntegrity)
// rather than the part on its way.
func refusal(f storage.BlobTransfer, i int, data []byte, err error) error {
	var werr *wire.Error
	if errors.As(err, &werr) && werr.Code == wire.CodeHashMismatch {
		if cerr := f.Check(i, data); cerr != nil {
			return cerr
		}
	}
	return err
}

// acquire takes a place in sem, or reports false if ctx ends first.
func acquire(ctx context.Context, sem chan struct{}) bool {
	select {
	case sem <- struct{}{}:
		return true
	case <-ctx.Done():
		return false
	}
}

// sendEnvelopes sends what the outbox held when the pass began (what is
// saved meanwhile waits for the next pass, so that a device that keeps
// saving still receives): the envelopes the relay lacks are uploaded, then
// all are appended to the log and acknowledged.
func (e *Engine) sendEnvelopes(ctx context.Context, r *Report) error {
	end, err := e.vault.BeginSend()
	if err != nil {
		return err
	}
	for {
		out, err := e.vault.Outbox(pushBatch)
		if err != nil {
			return err
		}
		for i, o := range out {
			if o.Pos > end {
				out = out[:i]
				break
			}
		}
		if len(out) == 0 {
			return nil
		}
		ids := make([]string, len(out))
		byID := make(map[string][]byte, len(out))
		for i, o := range out {
			ids[i], byID[o.ID] = o.ID, o.CT
		}
		// For a few envelopes, uploading them (an upload is idempotent)
		// costs less than asking which ones the relay lacks.
		missing := ids
		if len(ids) > askMissingFrom {
			if missing, err = e.client.Missing(ctx, ids); err != nil {
				return err
			}
		}
		blobs := make([][]byte, len(missing))
		for i, id := range missing {
			blobs[i] = byID[id]
		}
		if err := e.client.PutBlobs(ctx, blobs); err != nil {
			return err
		}
		res, err := e.client.Append(ctx, ids)
		if err != nil {
			return err
		}
		rs := make([]storage.Receipt, len(res.Entries))
		for i, en := range res.Entries {
			rs[i] = storage.Receipt{Seq: en.Seq, ID: en.ID}
		}
		if err := e.vault.KeepReceipts(rs); err != nil {
			return err
		}
		if err := e.vault.Acknowledge(out[len(out)-1].Pos); err != nil {
			return err
		}
		for _, o := range out {
			if !o.Heartbeat {
				r.Sent++
			}
		}
		e.publishPending()
	}
}

// opened is a part of the relay's log, fetched and opened: the envelopes
// the vault lacked among its entries up to log position last, decrypted
// and verified (storage.Vault.OpenBatch), in log order.
type opened struct {
	batch  *storage.Opened
	points []storage.ChainPoint // the chain hash after each entry, to last
	sig    []byte               // the relay's signature of the last point, at a page's end
	err    error
}

// receive reads the log from the vault's cursor to the head. Pages of the
// log are fetched and their envelopes opened in the background, a batch
// of openBatch ahead of the vault, which receives them in log order (so
// that a roster change comes before what it admits). The cursor moves past
// a batch once the vault has stored it.
func (e *Engine) receive(ctx context.Context, r *Report) error {
	from, err := e.vault.LogCursor()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	batches := make(chan opened, 1)
	go e.fetchLog(ctx, from, batches)
	defer func() {
		cancel()
		for range batches { // until fetchLog has returned
		}
	}()
	for b := range batches {
		if b.err != nil {
			return b.err
		}
		if ctx.Err() != nil {
			break
		}
		outs, err := e.vault.ReceiveOpened(b.batch)
		for _, out := range outs {
			switch out {
			case storage.Quarantined:
				r.Quarantined++
				e.log.Warn("an envelope from the relay failed verification and was quarantined")
			case storage.Applied:
				r.Received++
			case storage.Held:
				r.Held++
				e.log.Warn("an envelope from a newer version of Letapis was kept for when this device is updated")
			case storage.Dropped:
				r.Dropped++
				e.log.Warn("an envelope was dropped: this device keeps as many unverified envelopes as it may")
			}
		}
		if err != nil {
			return err
		}
		if err := e.vault.AdvanceLog(b.points, b.sig); err != nil {
			return err
		}
		e.update(func(ev *Event) { ev.Received, ev.Quarantined = r.Received, r.Quarantined })
	}
	return ctx.Err()
}

// fetchLog reads the log from the point the vault verified to the head,
// page by page, each checked against the point before (client.Log),
// fetches the envelopes the vault lacks and opens them, openBatch at a
// time, for receive. It sends an error as the last batch, and closes out
// when it ends.
func (e *Engine) fetchLog(ctx context.Context, from storage.ChainPoint, out chan<- opened) {
	defer close(out)
	send := func(b opened) bool {
		select {
		case out <- b:
			return b.err == nil
		case <-ctx.Done():
			return false
		}
	}
	for {
		page, err := e.client.Log(ctx, wire.Point{Seq: from.Seq, Hash: from.Hash}, pageSize, 0)
		if err != nil {
			send(opened{err: withheld(err)})
			return
		}
		if len(page.Entries) == 0 {
			return
		}
		all := make([]storage.ChainPoint, len(page.Entries))
		hash := page.Prev
		for i, en := range page.Entries {
			hash = wire.ChainHash(hash, en.Seq, en.ID)
			all[i] = storage.ChainPoint{Seq: en.Seq, Hash: hash, ID: en.ID}
		}
		if err := e.vault.CheckReceipts(all); err != nil {
			send(opened{err: fmt.Errorf("%w: %w", ErrWithheld, err)})
			return
		}
		byID, err := e.fetchPage(ctx, page.Entries)
		if err != nil {
			send(opened{err: err})
			return
		}
		var cts [][]byte
		var points []storage.ChainPoint
		for i, en := range page.Entries {
			points = append(points, all[i])
			if ct, ok := byID[en.ID]; ok {
				cts = append(cts, ct)
				delete(byID, en.ID)
			}
			if end := i == len(page.Entries)-1; len(cts) == openBatch || end {
				b, err := e.vault.OpenBatch(cts)
				var sig []byte
				if end {
					sig = page.Sig
				}
				if !send(opened{batch: b, points: points, sig: sig, err: err}) {
					return
				}
				cts, points = nil, nil
			}
		}
		end := page.End(from.Seq)
		from = storage.ChainPoint{Seq: end.Seq, Hash: end.Hash}
		if from.Seq >= page.Head {
			return // at the head: no need to ask again
		}
	}
}

// fetchPage downloads the envelopes of entries that the vault lacks, by id.
func (e *Engine) fetchPage(ctx context.Context, entries []wire.Entry) (map[string][]byte, error) {
	ids := make([]string, len(entries))
	sizes := make(map[string]int64, len(entries))
	for i, en := range entries {
		ids[i], sizes[en.ID] = en.ID, en.Size
	}
	missing, err := e.vault.MissingEnvelopes(ids)
	if err != nil {
		return nil, err
	}
	// Envelopes small enough come in batches; any larger one alone.
	var batched, alone []string
	for _, id := range missing {
		if wire.BatchSize(int(sizes[id])) <= wire.MaxBatchSize {
			batched = append(batched, id)
		} else {
			alone = append(alone, id)
		}
	}
	cts, err := e.client.FetchBlobs(ctx, batched)
	if errors.Is(err, client.ErrNotFound) {
		// A relay from before batches, or one that lost a blob: one at
		// a time, to find out which.
		alone, batched, cts = append(alone, batched...), nil, nil
	} else if err != nil {
		return nil, err
	}
	byID := make(map[string][]byte, len(missing))
	var mu gosync.Mutex
	err = parallel(ctx, alone, func(id string) error {
		ct, err := e.get(ctx, id, wire.MaxBlobSize)
		if err != nil {
			return err
		}
		mu.Lock()
		byID[id] = ct
		mu.Unlock()
		return nil
	})
	if err != nil {
		return nil, err
	}
	for i, id := range batched {
		byID[id] = cts[i]
	}
	return byID, nil
}

// fetchFiles downloads the attachment files received records refer to,
// resuming each at its first missing part.
func (e *Engine) fetchFiles(ctx context.Context, r *Report) error {
	files, err := e.vault.BlobsToFetch()
	if err != nil {
		return err
	}
	for _, f := range files {
		next, err := e.vault.NextPart(f)
		if err != nil {
			return err
		}
		var moved int64
		for i := next; i < len(f.Parts); i++ {
			data, err := e.get(ctx, f.Parts[i], wire.MaxBlobSize)
			if err != nil {
				return err
			}
			if err := e.vault.WritePart(f, i, data); err != nil {
				return err
			}
			moved += int64(len(data))
			e.update(func(ev *Event) { ev.File = &Progress{Part: i + 1, Of: len(f.Parts), BytesMoved: moved} })
		}
		r.FilesFetched++
	}
	return nil
}

// get downloads a whole blob, resuming where a cut connection stopped.
func (e *Engine) get(ctx context.Context, id string, limit int64) ([]byte, error) {
	var buf bytes.Buffer
	for attempt := 0; ; attempt++ {
		rc, err := e.client.GetBlob(ctx, id, int64(buf.Len()))
		if err != nil {
			return nil, err
		}
		_, err = io.Copy(&buf, io.LimitReader(rc, limit-int64(buf.Len())+1))
		rc.Close()
		if err == nil {
			if int64(buf.Len()) > limit {
				return nil, fmt.Errorf("%w: a blob is larger than %d bytes", client.ErrProtocol, limit)
			}
			if sum := sha256.Sum256(buf.Bytes()); hex.EncodeToString(sum[:]) != id {
				return nil, fmt.Errorf("%w: the relay served a blob that does not match its id", client.ErrProtocol)
			}
			return buf.Bytes(), nil
		}
		if attempt >= 3 || ctx.Err() != nil {
			return nil, err
		}
	}
}

// Run syncs until ctx is done: a pass, then a wait for news from the relay
// (a long-polling log request) or a Kick, then another pass. After a
// failed pass it waits with capped, jittered backoff, except for failures
// that waiting cannot mend (the relay refuses or does not know this
// device, its certificate is refused): those end Run with the error.
// Otherwise it returns ctx's error.
func (e *Engine) Run(ctx context.Context) error {
	failures := 0
	for {
		if _, err := e.Once(ctx); err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if permanent(err) {
				return err
			}
			failures++
			e.log.Warn("sync pass failed; will try again", "failures", failures)
			if !e.sleep(ctx, backoff(failures, e.cfg.MaxBackoff)) {
				return ctx.Err()
			}
			continue
		}
		failures = 0
		if !e.waitForNews(ctx) {
			return ctx.Err()
		}
	}
}

// waitForNews returns when the relay's log grows, Kick is called, or the
// long poll ends; false if ctx is done.
func (e *Engine) waitForNews(ctx context.Context) bool {
	from, err := e.vault.LogCursor()
	if err != nil {
		return e.sleep(ctx, time.Second)
	}
	pollCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan struct{})
	go func() {
		defer close(done)
		_, _ = e.client.Log(pollCtx, wire.Point{Seq: from.Seq, Hash: from.Hash}, 1, wire.MaxWait/2)
	}()
	select {
	case <-ctx.Done():
		return false
	case <-e.kick:
	case <-done:
	}
	return true
}

// permanent reports whether a failed pass needs a person, not a retry.
func permanent(err error) bool {
	return errors.Is(err, client.ErrForbidden) || errors.Is(err, client.ErrUnauthenticated) ||
		errors.Is(err, client.ErrCertificate) || errors.Is(err, storage.ErrDamaged) || errors.Is(err, storage.ErrLocked)
}

func (e *Engine) sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-e.kick:
		return true
	case <-t.C:
		return true
	}
}

// backoff returns a jittered pause that doubles with each failure from one
// second up to max.
func backoff(failures int, max time.Duration) time.Duration {
	d := time.Second << min(failures-1, 10)
	d = min(d, max)
	return d/2 + rand.N(d/2+1)
}

// update changes the engine's state and reports it.
func (e *Engine) update(fn func(*Event)) {
	e.state.Lock()
	fn(&e.last)
	ev := e.last
	e.state.Unlock()
	if e.cfg.OnEvent != nil {
		e.cfg.OnEvent(ev)
	}
}

// publishPending reports how much waits to be sent.
func (e *Engine) publishPending() {
	n, err := e.vault.OutboxLen()
	if err != nil {
		return
	}
	files, _ := e.vault.BlobsToSend()
	e.update(func(ev *Event) { ev.Pending = n + len(files) })
}

// State returns the engine's latest state.
func (e *Engine) State() Event {
	e.state.Lock()
	defer e.state.Unlock()
	return e.last
}

// parallel runs fn for every id on a few workers and returns the first
// error.
func parallel(ctx context.Context, ids []string, fn func(string) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	next := make(chan string)
	errs := make(chan error, workers)
	var wg gosync.WaitGroup
	for range workers {
		wg.Go(func() {
			for id := range next {
				if err := fn(id); err != nil {
					errs <- err
					cancel()
					return
				}
			}
		})
	}
feed:
	for _, id := range ids {
		select {
		case next <- id:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return err
	}
	return ctx.Err()
}

func toSet(ids []string) map[string]bool {
	s := make(map[string]bool, len(ids))
	for _, id := range ids {
		s[id] = true
	}
	return s
}
