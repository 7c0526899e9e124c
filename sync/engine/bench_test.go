package engine

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/letapis/letapis/internal/proof"
	"github.com/letapis/letapis/storage"
	"github.com/letapis/letapis/storage/record"
	"github.com/letapis/letapis/storage/synth"
	"github.com/letapis/letapis/sync/client"
	"github.com/letapis/letapis/sync/relay"
)

// The sync rows of docs/ARCHITECTURE.md, measured through the real relay
// handler with a Badger store on disk, over loopback HTTP, with the
// production client settings. Each benchmark reports its figure next to
// the budget:
//
//	sync 10,000 records through a loopback relay  ≥ 4,000 records/s each way
//	one new record in a 100,000-record vault      ≤ 3 requests, ≤ 16 KiB on the wire
//	1 GiB attachment through a loopback relay     ≥ 0.5 × raw HTTP PUT of the same bytes
//
// Setup (importing records, pushing what a pull needs) is not timed.
// Run them once with
//
//	go test -run=NONE -bench=. -benchtime=1x ./sync/engine/

// benchTeam starts the relay on 127.0.0.1 and forms a team of n devices
// with the production engine and client settings. It is a testing.TB
// version of startRelay, newVault and formTeam (which take *testing.T),
// without their checks of the joining flow.
func benchTeam(tb testing.TB, n int) []*device {
	tb.Helper()
	dir := tb.TempDir()
	store, err := relay.OpenBadgerStore(dir, relay.BadgerOptions{})
	if err != nil {
		tb.Fatal(err)
	}
	_, key, _ := ed25519.GenerateKey(rand.Reader)
	srv := httptest.NewServer(relay.New(store, relay.Options{Key: key}))
	tb.Cleanup(func() { srv.Close(); store.Close() })

	ctx := context.Background()
	team, token, err := relay.NewTeam(ctx, store)
	if err != nil {
		tb.Fatal(err)
	}
	newVault := func() *storage.Vault {
		v, err := storage.Create(filepath.Join(tb.TempDir(), "vault"), "test passphrase", storage.Options{WorkFactor: 10, MinFreeBytes: 1 << 20})
		if err != nil {
			tb.Fatal(err)
		}
		tb.Cleanup(func() { v.Close() })
		return v
	}
	admin := newVault()
	ae, err := Found(ctx, admin, srv.URL, team, token, "", Config{})
	if err != nil {
		tb.Fatal(err)
	}
	ds := []*device{{admin, ae}}
	for range n - 1 {
		code, err := ae.Invite(ctx)
		if err != nil {
			tb.Fatal(err)
		}
		v := newVault()
		e, _, err := Join(ctx, v, code, Config{})
		if err != nil {
			tb.Fatal(err)
		}
		apps, err := ae.Applicants(ctx)
		if err != nil || len(apps) != 1 {
			tb.Fatalf("applicants: %v, %v", apps, err)
		}
		if err := ae.Approve(ctx, &apps[0], storage.RoleMember); err != nil {
			tb.Fatal(err)
		}
		ds = append(ds, &device{v, e})
	}
	for range 3 {
		for _, d := range ds {
			if _, err := d.e.Once(ctx); err != nil {
				tb.Fatal(err)
			}
		}
	}
	return ds
}

// importRecords saves n made-up records into v with the bulk path, in
// chunks that keep memory flat: people, and notes about them with a
// testimony's length of text, about 1 KiB of JSON on average.
func importRecords(tb testing.TB, v *storage.Vault, g *synth.Generator, n int) {
	tb.Helper()
	const chunk = 5000
	for done := 0; done < n; done += chunk {
		bodies := make([]record.Body, min(chunk, n-done))
		for i := range bodies {
			if i%2 == 0 {
				bodies[i] = g.Person()
			} else {
				note := g.Note("")
				note.Text = g.TestimonyText(1024, 2048)
				bodies[i] = note
			}
		}
		if _, err := v.Import(bodies); err != nil {
			tb.Fatal(err)
		}
	}
}

// traffic adds up client.Stats deltas, and the CPU time of the process
// (relay, client and vault alike).
type traffic struct {
	requests, sent, received int64
	cpu                      time.Duration
}

// measure runs fn and adds the traffic of c during it to t.
func (t *traffic) measure(c *client.Client, fn func()) {
	before, cpu := c.Stats(), cpuTime()
	fn()
	after := c.Stats()
	t.cpu += cpuTime() - cpu
	t.requests += after.Requests - before.Requests
	t.sent += after.BytesSent - before.BytesSent
	t.received += after.BytesReceived - before.BytesReceived
}

// reportRecords reports records/s over the timed part of the benchmark,
// and the requests and bytes each record cost. On a machine shared with
// other work records/s falls with the load; records per CPU-second of the
// process (relay, client and vault together, on any number of cores) does
// not, and tells what an idle machine would reach short of waiting for the
// disk.
func reportRecords(b *testing.B, records int, t traffic) {
	b.ReportMetric(float64(records)/b.Elapsed().Seconds(), "records/s")
	if t.cpu > 0 {
		b.ReportMetric(float64(records)/t.cpu.Seconds(), "records/cpu-s")
	}
	b.ReportMetric(float64(t.requests)/float64(records), "requests/record")
	b.ReportMetric(float64(t.sent+t.received)/float64(records), "wire-B/record")
	b.ReportMetric(0, "ns/op") // the records/s above says it
}

// BenchmarkSyncPush10k measures one device's pass that sends 10,000 new
// records (LETAPIS_BENCH_SYNC_RECORDS) to the relay. Budget: ≥ 4,000
// records/s. The limit, measured in
// the same run, is one raw HTTP PUT of as many bytes as the pass sent
// (raw-records/s).
func BenchmarkSyncPush10k(b *testing.B) {
	n := syncRecords(b)
	a := benchTeam(b, 1)[0]
	raw := startFileServer(b)
	gen := synth.New(1)
	var t traffic
	var direct time.Duration
	for i := uint64(0); b.Loop(); i++ {
		b.StopTimer()
		importRecords(b, a.v, gen, n)
		b.StartTimer()
		sent := t.sent
		t.measure(a.e.Client(), func() { pass(b, a.e, Report{Sent: n}) })
		b.StopTimer()
		direct += putRaw(b, raw, pseudoRandom(i, t.sent-sent), t.sent-sent)
		b.StartTimer()
	}
	reportRecords(b, n*b.N, t)
	b.ReportMetric(float64(n*b.N)/direct.Seconds(), "raw-records/s")
}

// BenchmarkSyncPull10k measures a device's pass that receives 10,000
// records (LETAPIS_BENCH_SYNC_RECORDS) another device sent. Budget:
// ≥ 4,000 records/s. The limit,
// measured in the same run, is one raw HTTP GET of as many bytes as the
// pass received (raw-records/s).
func BenchmarkSyncPull10k(b *testing.B) {
	n := syncRecords(b)
	ds := benchTeam(b, 2)
	sender, receiver := ds[0], ds[1]
	raw := startFileServer(b)
	gen := synth.New(2)
	var t traffic
	var direct time.Duration
	for b.Loop() {
		b.StopTimer()
		importRecords(b, sender.v, gen, n)
		pass(b, sender.e, Report{Sent: n})
		b.StartTimer()
		received := t.received
		t.measure(receiver.e.Client(), func() { pass(b, receiver.e, Report{Received: n}) })
		b.StopTimer()
		direct += getRaw(b, raw, t.received-received)
		b.StartTimer()
	}
	reportRecords(b, n*b.N, t)
	b.ReportMetric(float64(n*b.N)/direct.Seconds(), "raw-records/s")
}

// syncRecords returns how many records BenchmarkSyncPush10k and
// BenchmarkSyncPull10k send: LETAPIS_BENCH_SYNC_RECORDS, default 10,000.
func syncRecords(b *testing.B) int {
	return proof.EnvInt(b, "LETAPIS_BENCH_SYNC_RECORDS", 10_000)
}

// pass runs a pass of e and fails the benchmark unless it succeeds and
// sends and receives what want says.
func pass(b *testing.B, e *Engine, want Report) {
	rep, err := e.Once(context.Background())
	if err != nil || rep.Sent != want.Sent || rep.Received != want.Received {
		b.Fatalf("pass: %+v, %v; want %d sent, %d received", rep, err, want.Sent, want.Received)
	}
}

// BenchmarkOneNewRecordInLargeVault measures the pass that syncs one new
// record from a vault of 100,000 records already synced: requests and
// bytes on the wire, both ways. Budget: ≤ 3 requests, ≤ 16 KiB. The vault
// (LETAPIS_BENCH_VAULT_RECORDS records, default 100,000) takes a minute or
// two to build and sync; -short skips it.
func BenchmarkOneNewRecordInLargeVault(b *testing.B) {
	if testing.Short() {
		b.Skip("builds a vault of 100,000 records")
	}
	n := proof.EnvInt(b, "LETAPIS_BENCH_VAULT_RECORDS", 100_000)
	routes := &requestLog{next: &http.Transport{MaxIdleConnsPerHost: 4, DisableCompression: true}}
	a := benchTeam(b, 1)[0]
	e, err := New(a.v, Config{Client: func(c *client.Config) { c.Transport = routes }})
	if err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	importRecords(b, a.v, synth.New(3), n)
	imported := time.Since(start)
	pass(b, e, Report{Sent: n})
	b.Logf("setup: %d records imported in %v, sent in %v", n, imported.Round(time.Second), (time.Since(start) - imported).Round(time.Second))

	gen := synth.New(4)
	var t traffic
	for b.Loop() {
		b.StopTimer()
		if _, err := a.v.Add(gen.Person()); err != nil {
			b.Fatal(err)
		}
		routes.reset()
		b.StartTimer()
		t.measure(e.Client(), func() { pass(b, e, Report{Sent: 1}) })
	}
	b.ReportMetric(float64(t.requests)/float64(b.N), "requests/op")
	b.ReportMetric(float64(t.sent+t.received)/float64(b.N), "wire-B/op")
	b.Logf("the requests of the last pass: %s", strings.Join(routes.list(), ", "))
}

// requestLog is an http.RoundTripper that remembers the method and route
// of each request, ids left out, to show what a pass asks.
type requestLog struct {
	next http.RoundTripper
	mu   sync.Mutex
	seen []string
}

var idsInPath = regexp.MustCompile(`^/v1/teams/[^/]+/|[0-9a-f]{64}`)

func (l *requestLog) RoundTrip(req *http.Request) (*http.Response, error) {
	l.mu.Lock()
	l.seen = append(l.seen, req.Method+" "+idsInPath.ReplaceAllString(req.URL.Path, ""))
	l.mu.Unlock()
	return l.next.RoundTrip(req)
}

func (l *requestLog) reset() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.seen = nil
}

func (l *requestLog) list() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.seen...)
}

// BenchmarkAttachment measures the pass that sends a large attachment
// (LETAPIS_BENCH_ATTACHMENT_MIB MiB, default 256; the budget is stated for
// 1 GiB) through the relay, and the limit it is held to, measured in the
// same run: one raw HTTP PUT of as many bytes over loopback to a plain Go
// server that streams the body into a file and fsyncs it. Budget: ≥ 0.5 ×
// raw.
func BenchmarkAttachment(b *testing.B) {
	mib := int64(proof.EnvInt(b, "LETAPIS_BENCH_ATTACHMENT_MIB", 256))
	a := benchTeam(b, 1)[0]
	raw := startFileServer(b)
	var wire int64
	var viaRelay, direct, relayCPU, rawCPU time.Duration
	for i := uint64(0); b.Loop(); i++ {
		b.StopTimer()
		att := importAttachment(b, a.v, i, mib<<20)
		wire += att.Wire
		b.StartTimer()
		start, cpu := time.Now(), cpuTime()
		rep, err := a.e.Once(context.Background())
		viaRelay += time.Since(start)
		relayCPU += cpuTime() - cpu
		if err != nil || rep.FilesSent != 1 {
			b.Fatalf("pass: %+v, %v", rep, err)
		}
		b.StopTimer()
		cpu = cpuTime()
		direct += putRaw(b, raw, pseudoRandom(i, att.Wire), att.Wire)
		rawCPU += cpuTime() - cpu
		b.StartTimer() // b.Loop wants it running
	}
	relayMBs := float64(wire) / 1e6 / viaRelay.Seconds()
	rawMBs := float64(wire) / 1e6 / direct.Seconds()
	b.ReportMetric(relayMBs, "MB/s")
	b.ReportMetric(rawMBs, "raw-MB/s")
	b.ReportMetric(relayMBs/rawMBs, "×raw")
	// The CPU time of client and relay together per MiB, and of the raw
	// PUT (its sender and server): what a loaded machine cannot hide.
	if mibs := float64(wire) / (1 << 20); relayCPU > 0 {
		b.ReportMetric(float64(relayCPU.Microseconds())/1000/mibs, "cpu-ms/MiB")
		b.ReportMetric(float64(rawCPU.Microseconds())/1000/mibs, "raw-cpu-ms/MiB")
	}
}

// startFileServer serves, on 127.0.0.1, a plain handler that streams a
// PUT body into a file, fsyncs and removes it, and answers a GET with
// ?n=N with N bytes: the raw limits of the benchmarks. It returns the
// server's URL.
func startFileServer(tb testing.TB) string {
	dir := tb.TempDir()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet {
			n, err := strconv.ParseInt(r.URL.Query().Get("n"), 10, 64)
			if err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			w.Header().Set("Content-Length", strconv.FormatInt(n, 10))
			io.CopyBuffer(w, pseudoRandom(uint64(n), n), make([]byte, 1<<20))
			return
		}
		f, err := os.CreateTemp(dir, "put-*")
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		defer os.Remove(f.Name())
		defer f.Close()
		if _, err := io.CopyBuffer(f, r.Body, make([]byte, 1<<20)); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		if err := f.Sync(); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	tb.Cleanup(srv.Close)
	return srv.URL
}

// putRaw PUTs n bytes of body to url and returns how long it took.
func putRaw(tb testing.TB, url string, body io.Reader, n int64) time.Duration {
	tb.Helper()
	req, err := http.NewRequest(http.MethodPut, url, body)
	if err != nil {
		tb.Fatal(err)
	}
	req.ContentLength = n
	c := &http.Client{Transport: &http.Transport{DisableCompression: true}}
	defer c.CloseIdleConnections()
	start := time.Now()
	resp, err := c.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	resp.Body.Close()
	took := time.Since(start)
	if resp.StatusCode != http.StatusNoContent {
		tb.Fatalf("raw PUT: %s", resp.Status)
	}
	return took
}

// getRaw GETs n bytes from url, a startFileServer, and returns how long it
// took to read them all.
func getRaw(tb testing.TB, url string, n int64) time.Duration {
	tb.Helper()
	c := &http.Client{Transport: &http.Transport{DisableCompression: true}}
	defer c.CloseIdleConnections()
	start := time.Now()
	resp, err := c.Get(url + "?n=" + strconv.FormatInt(n, 10))
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	got, err := io.CopyBuffer(io.Discard, resp.Body, make([]byte, 1<<20))
	if err != nil || got != n {
		tb.Fatalf("raw GET: %d of %d bytes: %v", got, n, err)
	}
	return time.Since(start)
}
