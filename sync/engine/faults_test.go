package engine

import (
	"bytes"
	"context"
	"encoding/hex"
	"fmt"
	"maps"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/letapis/letapis/internal/proof"
	"github.com/letapis/letapis/storage"
	"github.com/letapis/letapis/storage/record"
	"github.com/letapis/letapis/storage/synth"
	"github.com/letapis/letapis/sync/client"
	"github.com/letapis/letapis/sync/internal/faultproxy"
	"github.com/letapis/letapis/sync/wire"
)

// The reliability tests of docs/ARCHITECTURE.md (Proof) for sync: devices talk to
// the real relay through a proxy that drops, resets and truncates
// connections, answers bursts of 5xx and storms of 429 with a day's
// Retry-After, and slows answers to a trickle; they must converge with
// nothing lost, duplicated or mistaken for forgery, and resume
// attachments where they broke off.

// faultSeed seeds the proxies' schedules and the made-up content.
const faultSeed = 0x1e7a915

// weather is the fault schedule of TestConvergesThroughFaults: about one
// request in four meets a fault. Envelopes move in batches, so a storm is
// only a hundred-odd requests: each kind strikes one in twenty-five, so
// that every kind strikes (see stormUntil).
var weather = faultproxy.Schedule{
	Drop: 0.04, Reset: 0.04, TruncateRequest: 0.04, TruncateResponse: 0.04,
	ServerError: 0.04, TooManyRequests: 0.04, Slow: 0.04,
	BurstLen: 4, SlowRate: 256 << 10,
}

// faultSizes are the sizes of the fault tests, chosen so that the
// package's tests take well under a minute on two cores.
// RELIABILITY_PROXY_DURATION (`make reliability`) keeps the faults on for
// longer, the devices writing at the same pace.
type faultSizes struct {
	records     int           // records each device writes while faults are on
	edits       int           // edits each device makes to the shared records meanwhile
	parts       int           // parts of each device's attachment
	faultyFor   time.Duration // how long faults stay on
	resumeParts int           // parts of TestAttachmentResumesAfterCut's attachment
}

func sizes(t testing.TB) faultSizes {
	if testing.Short() {
		return faultSizes{records: 40, edits: 2, parts: 1, faultyFor: 2 * time.Second, resumeParts: 4}
	}
	sz := faultSizes{records: 200, edits: 5, parts: 3, faultyFor: 6 * time.Second, resumeParts: 10}
	if d := proof.EnvDuration(t, "RELIABILITY_PROXY_DURATION", sz.faultyFor); d != sz.faultyFor {
		scale := float64(d) / float64(sz.faultyFor)
		sz.records, sz.edits, sz.faultyFor = int(float64(sz.records)*scale), int(float64(sz.edits)*scale), d
	}
	return sz
}

// faultyConfig is the engine configuration for devices syncing through
// faults: fast's client timings, and Run's pause after a failed pass
// capped at 200 ms instead of a minute.
func faultyConfig() Config {
	cfg := fast
	cfg.MaxBackoff = 200 * time.Millisecond
	return cfg
}

func TestConvergesThroughFaults(t *testing.T) {
	sz := sizes(t)
	r := startRelay(t)
	p, via := startProxy(t, r, weather, faultSeed)
	ds := formTeam(t, via, 3) // faults off

	// People every device will edit at once, on all devices before the
	// faults begin.
	l := newLedger()
	gen := synth.New(faultSeed)
	shared := make([]*record.Person, 3)
	sharedIDs := make([]string, len(shared))
	for i := range shared {
		shared[i] = gen.Person()
		rec, err := ds[0].v.Add(shared[i])
		if err != nil {
			t.Fatal(err)
		}
		sharedIDs[i] = rec.ID
		l.add(rec.ID)
	}
	syncAll(t, ds...)
	for _, d := range ds {
		gaps, err := d.v.Gaps()
		if err != nil {
			t.Fatal(err)
		}
		l.gaps = append(l.gaps, gaps)
	}

	// Faults on. Each device imports an attachment, then writes records at
	// a steady pace while its engine's Run loop syncs, failing and trying
	// again as the network lets it. Faults stay on for sz.faultyFor, or
	// longer on a slow machine until every kind has struck (see
	// stormUntil).
	p.Enable()
	start := time.Now()
	engines := make([]*Engine, len(ds))
	for i, d := range ds {
		l.attachments = append(l.attachments, importAttachment(t, d.v, faultSeed+uint64(i), sizeForParts(sz.parts)))
		l.add(l.attachments[i].ID)
		e, err := New(d.v, faultyConfig())
		if err != nil {
			t.Fatal(err)
		}
		engines[i] = e
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var wg sync.WaitGroup
	for i, d := range ds {
		wg.Go(func() { engines[i].Run(ctx) })
		wg.Go(func() { l.write(t, d.v, engines[i], i, sz, shared, sharedIDs) })
	}
	stormUntil(p, weather, sz.faultyFor)
	cancel()
	wg.Wait() // for the writers, and for Run, which returns when ctx ends
	p.Disable()
	during := p.Stats()
	faultyFor := time.Since(start)
	if t.Failed() {
		return
	}
	t.Logf("while faults were on (%v): %v", time.Since(start).Round(time.Millisecond), during)
	for _, k := range weather.Kinds() {
		if during.Faults[k] == 0 {
			t.Errorf("no %v fault was injected: the test proves less than it claims", k)
		}
	}
	for i, d := range ds {
		s, held := engines[i].Client().Stats(), 0
		d.v.List("", func(storage.Summary) bool { held++; return true })
		t.Logf("device %d: held %d of the %d live records when the faults stopped; %d requests, %d of them retries",
			i, held, len(l.ids), s.Requests, s.Retries)
	}

	// Faults off: every device syncs until nothing moves.
	took := converge(t, 2*time.Minute, engines...)
	t.Logf("converged %v after the faults stopped (%v)", took.Round(time.Millisecond), p.Stats().Sub(during))
	lost, duplicated := checkConverged(t, r, ds, l)
	var faults int64
	for _, n := range during.Faults {
		faults += n
	}
	// The vaults are scanned locked, as a seized laptop's would be, and so
	// that no compaction removes a file while it is read.
	dirs := []string{r.Dir}
	for _, d := range ds {
		if err := d.v.Close(); err != nil {
			t.Fatal(err)
		}
		dirs = append(dirs, d.v.Dir())
	}
	counts := []proof.Count{
		{Name: "seconds with faults on", Value: faultyFor.Round(time.Second).Seconds()},
		{Name: "operations (saves, edits, deletes, attachments)", Value: float64(l.ops)},
		{Name: "faults injected", Value: float64(faults)},
		{Name: "seconds to converge after faults stopped", Value: took.Round(time.Millisecond).Seconds()},
		{Name: "lost", Value: float64(lost), Zero: true},
		{Name: "duplicated", Value: float64(duplicated), Zero: true},
	}
	proof.Report(t, "fault-injecting proxy, three devices", append(counts, proof.ScanReport(t, dirs, l.texts)...)...)
}

// stormUntil returns once faults have been on for d and every kind of
// fault in s has struck, or after 5d, whichever comes first: a slow
// machine (or -race) makes fewer requests in d.
func stormUntil(p *faultproxy.Proxy, s faultproxy.Schedule, d time.Duration) {
	start := time.Now()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for range tick.C {
		elapsed := time.Since(start)
		if elapsed >= 5*d || elapsed >= d && allStruck(p.Stats(), s) {
			return
		}
	}
}

func allStruck(st faultproxy.Stats, s faultproxy.Schedule) bool {
	for _, k := range s.Kinds() {
		if st.Faults[k] == 0 {
			return false
		}
	}
	return true
}

// ledger is what the devices wrote: every device must end up with
// exactly this.
type ledger struct {
	mu          sync.Mutex
	ids         map[string]bool // live records
	ops         int             // records added, edited and deleted
	texts       []string        // the edits' texts, for the plaintext scan
	deleted     map[string]bool
	purged      map[string]storage.RevisionInfo // revisions a delete dropped, by envelope
	attachments []attachment
	// gaps is what storage.Vault.Gaps reported on each device before the
	// faults (see gapsExpected).
	gaps []map[string][]uint64
}

func newLedger() *ledger {
	return &ledger{ids: map[string]bool{}, deleted: map[string]bool{}, purged: map[string]storage.RevisionInfo{}}
}

func (l *ledger) add(id string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.ids[id] = true
	l.ops++
}

// delete deletes record id on v. Its revisions are then dropped from
// every vault, only the tombstone staying; those already sent stay in the
// relay's log.
func (l *ledger) delete(v *storage.Vault, id string) error {
	history, err := v.History(id)
	if err != nil {
		return err
	}
	if err := v.Delete(id); err != nil {
		return err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.ids, id)
	l.deleted[id] = true
	l.ops++
	for _, h := range history {
		l.purged[h.Envelope] = h.RevisionInfo
	}
	return nil
}

// write adds sz.records synthetic records to device i's vault at a steady
// pace over three quarters of sz.faultyFor, edits the shared people now
// and then, deletes one of its records, and kicks the engine after each
// save as the app does. It runs beside the test's goroutine and reports
// failures with t.Errorf.
func (l *ledger) write(t *testing.T, v *storage.Vault, e *Engine, i int, sz faultSizes, shared []*record.Person, sharedIDs []string) {
	gen := synth.New(faultSeed + 100 + uint64(i))
	pace := time.NewTicker(sz.faultyFor * 3 / 4 / time.Duration(sz.records))
	defer pace.Stop()
	editEvery := sz.records / sz.edits
	var own []string
	for n := range sz.records {
		<-pace.C
		var body record.Body = gen.Person()
		if n%2 == 1 {
			body = gen.Note(sharedIDs[n%len(sharedIDs)])
		}
		rec, err := v.Add(body)
		if err != nil {
			t.Errorf("device %d: save record %d: %v", i, n, err)
			return
		}
		l.add(rec.ID)
		own = append(own, rec.ID)
		if n == sz.records*3/4 {
			if err := l.delete(v, own[n/3]); err != nil {
				t.Errorf("device %d: delete record: %v", i, err)
				return
			}
		}
		if n%editEvery == editEvery/2 {
			k := (n + i) % len(shared)
			edited := *shared[k]
			edited.Health = fmt.Sprintf("seen by device %d, visit %d", i, n)
			if _, err := v.Update(sharedIDs[k], &edited); err != nil {
				t.Errorf("device %d: edit shared record: %v", i, err)
				return
			}
			l.mu.Lock()
			l.ops++
			l.texts = append(l.texts, edited.Health)
			l.mu.Unlock()
		}
		e.Kick()
	}
}

// converge runs passes on every engine, round after round, until a round
// in which every pass succeeds and nothing moves. It fails the test if
// that takes more than limit, and returns how long it took.
func converge(t *testing.T, limit time.Duration, es ...*Engine) time.Duration {
	t.Helper()
	start := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	for round := 1; ; round++ {
		quiet := true
		var errs []error
		for _, e := range es {
			rep, err := e.Once(ctx)
			if err != nil {
				errs = append(errs, err)
			}
			quiet = quiet && err == nil && rep == Report{}
		}
		if quiet {
			return time.Since(start)
		}
		if ctx.Err() != nil {
			t.Fatalf("not converged after %v (%d rounds); last errors: %v", limit, round, errs)
		}
	}
}

// checkConverged checks that every device holds exactly the records of l,
// each in the same state, with nothing left to send or fetch and nothing
// quarantined; that the relay's log holds every envelope once; and that
// the attachments are intact everywhere. It returns how many records
// devices lack and how many envelopes or records were found twice.
func checkConverged(t *testing.T, r *testRelay, ds []*device, l *ledger) (lost, duplicated int) {
	t.Helper()
	team, err := ds[0].v.Team()
	if err != nil {
		t.Fatal(err)
	}
	inLog := map[string]bool{}
	for i, en := range relayLog(t, r, team.Team) {
		if inLog[en.ID] {
			t.Errorf("the relay's log holds envelope %s twice", en.ID)
			duplicated++
		}
		if en.Seq != uint64(i+1) {
			t.Errorf("the relay's log entry %d has sequence number %d", i+1, en.Seq)
		}
		inLog[en.ID] = true
	}

	held := map[string]bool{} // envelopes some device holds
	for i, d := range ds {
		ids := map[string]bool{}
		err := d.v.List("", func(s storage.Summary) bool {
			if ids[s.ID] {
				t.Errorf("device %d lists record %s twice", i, s.ID)
				duplicated++
			}
			ids[s.ID] = true
			return true
		})
		if err != nil {
			t.Fatal(err)
		}
		for id := range l.ids {
			if !ids[id] {
				t.Errorf("device %d lacks record %s", i, id)
				lost++
			}
		}
		for id := range ids {
			if !l.ids[id] {
				t.Errorf("device %d lists record %s that no device wrote", i, id)
			}
		}
		err = d.v.Envelopes(func(id string, _ []byte) error {
			if !inLog[id] {
				t.Errorf("device %d holds envelope %s that is not in the relay's log", i, id)
			}
			held[id] = true
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		checkIdle(t, i, d.v, l.gaps[i], l.gapsAllowed(i, d.v, inLog))
		for _, a := range l.attachments {
			checkAttachment(t, d.v, a)
		}
	}
	for id := range inLog {
		if _, purged := l.purged[id]; !held[id] && !purged {
			t.Errorf("no device holds envelope %s of the relay's log", id)
		}
	}

	// The same state everywhere, conflicts and deletions included.
	for id := range l.deleted {
		for i, d := range ds {
			if got, err := d.v.Get(id); err != nil || !got.Deleted {
				t.Errorf("device %d: deleted record %s came back (%v)", i, id, err)
			}
		}
	}
	for id := range merged(l.ids, l.deleted) {
		want, err := ds[0].v.Get(id)
		if err != nil {
			t.Fatal(err)
		}
		for i, d := range ds[1:] {
			got, err := d.v.Get(id)
			if err != nil {
				t.Fatal(err)
			}
			if !sameState(got, want) {
				t.Errorf("record %s differs: device 0 has %s, device %d has %s", id, stateOf(want), i+1, stateOf(got))
			}
		}
	}
	if !t.Failed() {
		t.Logf("%d live and %d deleted records, %d attachments, alike on each of %d devices; %d envelopes in the relay's log, once each",
			len(l.ids), len(l.deleted), len(l.attachments), len(ds), len(inLog))
	}
	return lost, duplicated
}

// gapsAllowed returns the gaps in other authors' sequences that device i,
// with vault v, may report: those it had before the faults (Gaps also
// counts revisions a device cannot decrypt, such as key grants
// addressed to other devices), and the revisions of other devices deleted
// before they were sent. A delete puts a stand-in in the place of a
// revision it drops unsent (see gaps_bug_test.go), but one that a pass had
// begun to send when it was deleted may still be missing.
func (l *ledger) gapsAllowed(i int, v *storage.Vault, inLog map[string]bool) map[string][]uint64 {
	allowed := map[string][]uint64{}
	for fp, seqs := range l.gaps[i] {
		allowed[fp] = slices.Clone(seqs)
	}
	own := hex.EncodeToString(v.DeviceKey())
	for env, rev := range l.purged {
		if inLog[env] || rev.Author == own {
			continue
		}
		author, _ := hex.DecodeString(rev.Author)
		fp := storage.Fingerprint(author)
		allowed[fp] = append(allowed[fp], rev.Seq)
	}
	return allowed
}

// checkIdle fails the test if device i has anything left to send or
// fetch, quarantined an envelope, misses revisions of another author
// other than those allowed, or lost a gap it had before the faults.
func checkIdle(t *testing.T, i int, v *storage.Vault, before, allowed map[string][]uint64) {
	t.Helper()
	out, err := v.OutboxLen()
	if err != nil || out != 0 {
		t.Errorf("device %d: %d envelopes still in the outbox (%v)", i, out, err)
	}
	up, err := v.BlobsToSend()
	if err != nil || len(up) != 0 {
		t.Errorf("device %d: %d attachment files still to send (%v)", i, len(up), err)
	}
	down, err := v.BlobsToFetch()
	if err != nil || len(down) != 0 {
		t.Errorf("device %d: %d attachment files still to fetch (%v)", i, len(down), err)
	}
	q, err := v.Quarantined()
	if err != nil || len(q) != 0 {
		t.Errorf("device %d: faults were taken for forgery: %d envelopes quarantined (%v): %+v", i, len(q), err, q)
	}
	gaps, err := v.Gaps()
	if err != nil {
		t.Fatal(err)
	}
	for fp, seqs := range gaps {
		for _, s := range seqs {
			if !slices.Contains(allowed[fp], s) {
				t.Errorf("device %d: revision %d of %s is missing, allowed gaps: %v", i, s, fp, allowed)
			}
		}
	}
	for fp, seqs := range before {
		for _, s := range seqs {
			if !slices.Contains(gaps[fp], s) {
				t.Errorf("device %d: the gap at revision %d of %s, there before the faults, is gone", i, s, fp)
			}
		}
	}
}

// relayLog reads the whole log of a team from the relay's store.
func relayLog(t *testing.T, r *testRelay, team string) []wire.Entry {
	t.Helper()
	var all []wire.Entry
	var since uint64
	for {
		lr, err := r.store.ReadLog(context.Background(), team, since, 1000)
		if err != nil {
			t.Fatal(err)
		}
		page := lr.Entries
		if len(page) == 0 {
			return all
		}
		all = append(all, page...)
		since = page[len(page)-1].Seq
	}
}

// sameState reports whether two devices' copies of a record agree.
func sameState(a, b *storage.Record) bool {
	return slices.Equal(sortedCopy(a.Heads), sortedCopy(b.Heads)) && a.Revisions == b.Revisions &&
		a.Conflict == b.Conflict && a.Deleted == b.Deleted && bytes.Equal(a.Body, b.Body)
}

func stateOf(r *storage.Record) string {
	return fmt.Sprintf("{heads %v, %d revisions, conflict %v, deleted %v, body %s}", r.Heads, r.Revisions, r.Conflict, r.Deleted, r.Body)
}

func merged(sets ...map[string]bool) map[string]bool {
	all := map[string]bool{}
	for _, s := range sets {
		maps.Copy(all, s)
	}
	return all
}

func sortedCopy(s []string) []string {
	c := slices.Clone(s)
	slices.Sort(c)
	return c
}

// TestAttachmentResumesAfterCut cuts the link half-way through an
// attachment's upload, then half-way through its download on another
// device: each resumes at the first part missing, so that no more than
// one part is sent twice.
func TestAttachmentResumesAfterCut(t *testing.T) {
	sz := sizes(t)
	r := startRelay(t)
	p, via := startProxy(t, r, faultproxy.Schedule{}, faultSeed)
	ds := formTeam(t, via, 2)
	a, b := ds[0], ds[1]
	team, err := a.v.Team()
	if err != nil {
		t.Fatal(err)
	}
	att := importAttachment(t, a.v, faultSeed, sizeForParts(sz.resumeParts))
	if att.Parts != sz.resumeParts {
		t.Fatalf("the attachment has %d parts, want %d", att.Parts, sz.resumeParts)
	}
	files, err := a.v.BlobsToSend()
	if err != nil || len(files) != 1 {
		t.Fatalf("files to send: %v, %v", files, err)
	}
	parts := files[0].Parts
	// What may move besides the file, once: log pages, envelopes, JSON
	// requests and answers.
	const slack = 64 << 10
	budget := att.Wire + record.PartSize + slack

	if !t.Run("upload", func(t *testing.T) {
		p0, c0 := p.Stats(), a.e.Client().Stats()
		if err := passCutHalfway(p, a.e, faultproxy.Up, att.Wire/2); err == nil {
			t.Fatal("the pass finished despite the cut")
		}
		missing, err := r.store.MissingBlobs(context.Background(), team.Team, parts)
		if err != nil || len(missing) == 0 || len(missing) == len(parts) {
			t.Fatalf("after the cut the relay lacks %d of %d parts (%v), want some", len(missing), len(parts), err)
		}
		if _, err := a.e.Once(context.Background()); err != nil {
			t.Fatal(err)
		}
		proxied, sent := p.Stats().Up-p0.Up, a.e.Client().Stats().BytesSent-c0.BytesSent
		t.Logf("cut with %d of %d parts on the relay; uploaded %d bytes in all (client counted %d) for a file of %d: %d more",
			len(parts)-len(missing), len(parts), proxied, sent, att.Wire, proxied-att.Wire)
		if proxied > budget || sent > budget {
			t.Errorf("uploaded %d bytes (client counted %d) for a file of %d in parts of %d: more than one part sent again",
				proxied, sent, att.Wire, record.PartSize)
		}
	}) {
		return
	}

	t.Run("download", func(t *testing.T) {
		p0, c0 := p.Stats(), b.e.Client().Stats()
		if err := passCutHalfway(p, b.e, faultproxy.Down, att.Wire/2); err == nil {
			t.Fatal("the pass finished despite the cut")
		}
		files, err := b.v.BlobsToFetch()
		if err != nil || len(files) != 1 {
			t.Fatalf("files to fetch after the cut: %v, %v", files, err)
		}
		next, err := b.v.NextPart(files[0])
		if err != nil || next == 0 || next >= len(parts) {
			t.Fatalf("after the cut the download would resume at part %d of %d (%v)", next, len(parts), err)
		}
		if _, err := b.e.Once(context.Background()); err != nil {
			t.Fatal(err)
		}
		proxied, received := p.Stats().Down-p0.Down, b.e.Client().Stats().BytesReceived-c0.BytesReceived
		t.Logf("cut with %d of %d parts on disk; downloaded %d bytes in all (client counted %d) for a file of %d: %d more",
			next, len(parts), proxied, received, att.Wire, proxied-att.Wire)
		if proxied > budget || received > budget {
			t.Errorf("downloaded %d bytes (client counted %d) for a file of %d in parts of %d: more than one part fetched again",
				proxied, received, att.Wire, record.PartSize)
		}
		checkAttachment(t, b.v, att)
	})
}

// passCutHalfway runs a pass of e while p cuts the link after n bytes in
// direction dir. The pass's context is cancelled at the cut, as when a
// laptop is closed mid-transfer, so that the pass ends there rather than
// retrying into the dead link. The link is mended before it returns.
func passCutHalfway(p *faultproxy.Proxy, e *Engine, dir faultproxy.Direction, n int64) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	p.CutAfter(dir, n, cancel)
	defer p.Mend()
	_, err := e.Once(ctx)
	return err
}

// TestSlowLinkIsNotCutOff fetches an attachment over a link so slow that
// the transfer takes several times the client's timeout: as long as bytes
// keep moving, nothing is cut off or retried.
func TestSlowLinkIsNotCutOff(t *testing.T) {
	const rate = 128 << 10
	r := startRelay(t)
	p, via := startProxy(t, r, faultproxy.Schedule{Slow: 1, SlowRate: rate}, faultSeed)
	ds := formTeam(t, via, 2)
	att := importAttachment(t, ds[0].v, faultSeed, 256<<10)
	syncAll(t, ds[0]) // upload at full speed

	e, err := New(ds[1].v, Config{Client: func(c *client.Config) {
		c.Timeout, c.MaxRetries = 300*time.Millisecond, -1
	}})
	if err != nil {
		t.Fatal(err)
	}
	p.Enable()
	start := time.Now()
	if _, err := e.Once(context.Background()); err != nil {
		t.Fatalf("a slow link that kept moving was given up on: %v", err)
	}
	took := time.Since(start)
	if slowest := time.Duration(att.Wire) * time.Second / rate; took < slowest*9/10 {
		t.Fatalf("%d bytes at %d B/s took only %v: the link was not slow", att.Wire, rate, took)
	}
	t.Logf("fetched %d bytes at %d KiB/s in %v with a 300 ms timeout, %v", att.Wire, rate>>10, took.Round(time.Millisecond), p.Stats())
	checkAttachment(t, ds[1].v, att)
}
