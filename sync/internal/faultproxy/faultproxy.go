// Package faultproxy is a reverse proxy for reliability tests: it stands
// between sync clients and a relay, on 127.0.0.1, and makes the network
// misbehave the way real ones do. Connections are dropped or reset,
// requests and answers are cut off half-way, bursts of 502/503 and storms
// of 429 with "Retry-After: 86400" come back without reaching the relay,
// and answers trickle out at the speed of a bad link.
//
// Which request meets which fault follows a Schedule drawn from a seeded
// PCG: the nth request the proxy sees meets the nth fault of the
// sequence. Concurrent clients may reach the proxy in another order from
// run to run, but the sequence of faults is the same for a seed.
//
// Faults are off until Enable, and a test usually sets things up with
// them off, turns them on for the part that must survive them, and off
// again to check that everything converged. CutAfter pulls the cable once
// a given number of bytes has passed, for resume tests. Stats counts every
// fault injected and the body bytes that passed each way.
//
// The proxy speaks HTTP/1.1 to clients (faults need Hijack) and forwards
// to the relay with a transport of its own. It is meant for tests only: it
// has no limits and logs nothing.
package faultproxy

import (
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/textproto"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Kind is a kind of fault.
type Kind int

// The faults. A request meets at most one.
const (
	// Drop closes the client's connection without an answer; the request
	// never reaches the relay.
	Drop Kind = iota
	// Reset resets the client's connection (TCP RST); the request never
	// reaches the relay.
	Reset
	// TruncateRequest forwards only the first half of the request body,
	// then breaks off both the forwarded request and the client's
	// connection: the relay sees a body that ends early. A request without
	// a body meets Reset instead.
	TruncateRequest
	// TruncateResponse forwards the request, then sends the client the
	// answer's status, headers and first half of its body and closes the
	// connection: the relay acted, and the client cannot know. An answer
	// without a body is lost entirely.
	TruncateResponse
	// ServerError answers 502 or 503 without forwarding, to this request
	// and the next Schedule.BurstLen-1 ones.
	ServerError
	// TooManyRequests answers 429 with "Retry-After: 86400" without
	// forwarding, to this request and the next Schedule.BurstLen-1 ones.
	TooManyRequests
	// Slow forwards the request and sends the answer's body at
	// Schedule.SlowRate bytes per second.
	Slow
	// Cut resets a connection because the link was cut (see CutAfter):
	// the one moving the byte at which the cut happened, every other one
	// that tries to move a byte after it, and every request until Mend.
	Cut

	numKinds
)

var kindNames = [numKinds]string{"drop", "reset", "truncate-request", "truncate-response", "5xx", "429", "slow", "cut"}

func (k Kind) String() string {
	if k < 0 || k >= numKinds {
		return fmt.Sprintf("Kind(%d)", int(k))
	}
	return kindNames[k]
}

// Schedule says how often each fault strikes while faults are enabled:
// each field is the probability that a request meets that fault. The
// probabilities should add up to at most 1; the rest of the requests pass
// unharmed.
type Schedule struct {
	Drop, Reset, TruncateRequest, TruncateResponse, ServerError, TooManyRequests, Slow float64

	// BurstLen is how many consecutive requests a ServerError or
	// TooManyRequests fault answers; 0 means DefaultBurstLen.
	BurstLen int
	// SlowRate is the speed of a Slow answer in bytes per second; 0 means
	// DefaultSlowRate.
	SlowRate int64
	// Latency delays every request that is forwarded while faults are
	// enabled, like a long path (Tor adds hundreds of milliseconds). It
	// is not counted as a fault.
	Latency time.Duration
}

// Defaults for the zero values of Schedule.
const (
	DefaultBurstLen       = 5
	DefaultSlowRate int64 = 256 << 10
)

// odds returns the schedule's probabilities indexed by Kind.
func (s *Schedule) odds() [numKinds]float64 {
	return [numKinds]float64{
		Drop: s.Drop, Reset: s.Reset, TruncateRequest: s.TruncateRequest, TruncateResponse: s.TruncateResponse,
		ServerError: s.ServerError, TooManyRequests: s.TooManyRequests, Slow: s.Slow,
	}
}

// Kinds returns the kinds of fault the schedule injects, those with a
// positive probability.
func (s *Schedule) Kinds() []Kind {
	var ks []Kind
	for k, odds := range s.odds() {
		if odds > 0 {
			ks = append(ks, Kind(k))
		}
	}
	return ks
}

// Direction is a way bytes go through the proxy.
type Direction int

// Directions.
const (
	// Up is from clients to the relay: request bodies.
	Up Direction = iota
	// Down is from the relay to clients: response bodies.
	Down
)

func (d Direction) String() string {
	if d == Up {
		return "up"
	}
	return "down"
}

// Stats counts what a Proxy did since it started.
type Stats struct {
	// Requests is how many requests reached the proxy.
	Requests int64
	// Faults counts the faults injected, by Kind.
	Faults [numKinds]int64
	// Up and Down count body bytes: of requests forwarded to the relay
	// (Up) and of answers sent to clients (Down), including those of
	// requests and answers cut off. Request lines and headers are not
	// counted.
	Up, Down int64
}

// Total returns how many faults were injected.
func (s Stats) Total() int64 {
	var n int64
	for _, c := range s.Faults {
		n += c
	}
	return n
}

// Sub returns the difference s - before, for what happened in between.
func (s Stats) Sub(before Stats) Stats {
	d := Stats{Requests: s.Requests - before.Requests, Up: s.Up - before.Up, Down: s.Down - before.Down}
	for k := range s.Faults {
		d.Faults[k] = s.Faults[k] - before.Faults[k]
	}
	return d
}

// String sums the stats up on one line for a test log.
func (s Stats) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d requests, %d faults (", s.Requests, s.Total())
	for k, n := range s.Faults {
		if k > 0 {
			b.WriteString(" ")
		}
		fmt.Fprintf(&b, "%s=%d", Kind(k), n)
	}
	fmt.Fprintf(&b, "), %d bytes up, %d down", s.Up, s.Down)
	return b.String()
}

// Proxy is a fault-injecting reverse proxy listening on 127.0.0.1. Its
// methods are safe for concurrent use.
type Proxy struct {
	// URL is the proxy's base URL (http://127.0.0.1:port) followed by
	// the relay's path, if any: clients use it in place of the relay's.
	URL string

	target   *url.URL
	schedule Schedule
	srv      *http.Server
	upstream *http.Transport
	handlers sync.WaitGroup

	requests atomic.Int64
	faults   [numKinds]atomic.Int64
	up, down atomic.Int64

	mu        sync.Mutex // guards the fields below
	closed    bool
	rng       *rand.Rand
	enabled   bool
	burst     Kind // the fault of the burst in progress
	burstLeft int  // requests the burst has yet to answer
	status    int  // the status of a ServerError burst
	link      link
}

// link is the state of the cable that CutAfter pulls.
type link struct {
	armed bool      // a cut waits for its byte
	dir   Direction // the direction whose bytes count down
	left  int64     // bytes to pass before the cut
	down  bool      // cut: every connection is reset until Mend
	onCut func()
}

// errCut is what a body read or write meets once the link is cut.
var errCut = errors.New("faultproxy: the link was cut")

// New starts a proxy in front of the relay at target (http://…) with
// faults off. Close it when done.
func New(target string, s Schedule, seed uint64) (*Proxy, error) {
	u, err := url.Parse(target)
	if err != nil || u.Host == "" || u.Scheme != "http" {
		return nil, fmt.Errorf("faultproxy: the relay address %q is not an http:// URL", target)
	}
	if s.BurstLen <= 0 {
		s.BurstLen = DefaultBurstLen
	}
	if s.SlowRate <= 0 {
		s.SlowRate = DefaultSlowRate
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("faultproxy: %w", err)
	}
	p := &Proxy{
		URL:      "http://" + ln.Addr().String() + strings.TrimRight(u.Path, "/"),
		target:   u,
		schedule: s,
		rng:      rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)),
		upstream: &http.Transport{
			Proxy:               nil, // never the environment's
			DialContext:         (&net.Dialer{Timeout: 10 * time.Second}).DialContext,
			MaxIdleConnsPerHost: 32,
			IdleConnTimeout:     30 * time.Second,
			DisableCompression:  true, // pass bodies as they are
		},
	}
	p.srv = &http.Server{Handler: p, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: time.Minute}
	go p.srv.Serve(ln)
	return p, nil
}

// Close stops the proxy: it closes the listener and every connection and
// waits for the requests in progress to end.
func (p *Proxy) Close() error {
	p.mu.Lock()
	p.closed = true
	p.mu.Unlock()
	err := p.srv.Close()
	p.handlers.Wait()
	p.upstream.CloseIdleConnections()
	return err
}

// Enable turns faults on.
func (p *Proxy) Enable() { p.setEnabled(true) }

// Disable turns faults off and ends any burst in progress. A cut link
// stays cut until Mend.
func (p *Proxy) Disable() { p.setEnabled(false) }

func (p *Proxy) setEnabled(on bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.enabled, p.burstLeft = on, 0
}

// CutAfter pulls the cable once n more body bytes have passed in
// direction dir, whether faults are enabled or not: the connection moving
// byte n+1 is reset with that byte unsent, every other transfer is reset at
// its next byte, and every request is reset until Mend. onCut, if not nil,
// runs once, just before the first reset, for example to cancel the
// client's context so that it stops retrying into a dead link. A later
// CutAfter replaces one that has not happened yet.
func (p *Proxy) CutAfter(dir Direction, n int64, onCut func()) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.link = link{armed: true, dir: dir, left: n, onCut: onCut}
}

// Mend restores a cut link, or disarms a cut that has not happened.
func (p *Proxy) Mend() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.link = link{}
}

// Stats returns what the proxy has done so far.
func (p *Proxy) Stats() Stats {
	s := Stats{Requests: p.requests.Load(), Up: p.up.Load(), Down: p.down.Load()}
	for k := range s.Faults {
		s.Faults[k] = p.faults[k].Load()
	}
	return s
}

// ServeHTTP implements http.Handler.
func (p *Proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !p.begin() {
		hangUp(w, true, false)
		return
	}
	defer p.handlers.Done()
	p.requests.Add(1)

	fault, ok := p.next(r)
	if ok {
		p.faults[fault].Add(1)
	}
	switch {
	case ok && fault == Drop:
		hangUp(w, false, false)
	case ok && (fault == Reset || fault == Cut):
		hangUp(w, true, false)
	case ok && fault == ServerError:
		refuse(w, r, p.burstStatus(), "")
	case ok && fault == TooManyRequests:
		refuse(w, r, http.StatusTooManyRequests, "86400")
	default:
		if p.isEnabled() && p.schedule.Latency > 0 {
			select {
			case <-time.After(p.schedule.Latency):
			case <-r.Context().Done():
				return
			}
		}
		p.forward(w, r, fault, ok)
	}
}

func (p *Proxy) isEnabled() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.enabled
}

// begin counts a request in progress, unless the proxy is closing.
func (p *Proxy) begin() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return false
	}
	p.handlers.Add(1)
	return true
}

// next decides the fault a request meets, if any: the link being down, a
// burst in progress, or a draw from the schedule.
func (p *Proxy) next(r *http.Request) (Kind, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	switch {
	case p.link.down:
		return Cut, true
	case !p.enabled:
		return 0, false
	case p.burstLeft > 0:
		p.burstLeft--
		return p.burst, true
	}
	roll := p.rng.Float64()
	for k, odds := range p.schedule.odds() {
		if roll -= odds; roll >= 0 {
			continue
		}
		kind := Kind(k)
		switch kind {
		case ServerError, TooManyRequests:
			p.burst, p.burstLeft = kind, p.schedule.BurstLen-1
			p.status = []int{http.StatusBadGateway, http.StatusServiceUnavailable}[p.rng.IntN(2)]
		case TruncateRequest:
			if r.ContentLength == 0 || r.Body == nil || r.Body == http.NoBody {
				kind = Reset
			}
		}
		return kind, true
	}
	return 0, false
}

func (p *Proxy) burstStatus() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.status
}

// refuse answers with status, as a gateway would, without forwarding.
// The request body is read first (and not counted), so that the client
// gets the answer rather than a connection closed while it still writes.
func refuse(w http.ResponseWriter, r *http.Request, status int, retryAfter string) {
	_, _ = io.Copy(io.Discard, r.Body)
	if retryAfter != "" {
		w.Header().Set("Retry-After", retryAfter)
	}
	http.Error(w, http.StatusText(status), status)
}

// hangUp closes the client's connection without a word more: with a
// reset (RST) if reset, else with an orderly close (FIN). If the handler
// has begun the answer (wrote), what it wrote is sent first.
func hangUp(w http.ResponseWriter, reset, wrote bool) {
	if wrote {
		// Before the header is written, Flush would send one.
		http.NewResponseController(w).Flush()
	}
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(http.ErrAbortHandler) // the server closes the connection
	}
	if tc, ok := conn.(*net.TCPConn); ok && reset {
		tc.SetLinger(0)
	}
	conn.Close()
}

// hopHeaders are the headers that concern one connection, not the
// exchange, and are not forwarded.
var hopHeaders = []string{"Connection", "Keep-Alive", "Proxy-Authenticate", "Proxy-Authorization",
	"Proxy-Connection", "Te", "Trailer", "Transfer-Encoding", "Upgrade"}

func copyHeader(dst, src http.Header) {
	for k, vs := range src {
		dst[k] = append([]string(nil), vs...)
	}
	for _, h := range hopHeaders {
		dst.Del(h)
	}
}

// forward passes the request to the relay and its answer back, applying
// fault (if ok) on the way and counting the bytes.
func (p *Proxy) forward(w http.ResponseWriter, r *http.Request, fault Kind, ok bool) {
	u := *p.target
	u.Path, u.RawPath, u.RawQuery = r.URL.Path, r.URL.RawPath, r.URL.RawQuery
	var body io.Reader = http.NoBody
	if r.ContentLength != 0 && r.Body != nil {
		up := &upBody{p: p, r: r.Body, truncateAt: -1}
		if ok && fault == TruncateRequest {
			up.truncateAt = r.ContentLength / 2
		}
		body = up
	}
	// Pass on the relay's interim answers (102 Processing: it has the
	// whole body), as a gateway does, while the final one is awaited.
	ctx := httptrace.WithClientTrace(r.Context(), &httptrace.ClientTrace{
		Got1xxResponse: func(code int, _ textproto.MIMEHeader) error {
			w.WriteHeader(code)
			return nil
		},
	})
	out, err := http.NewRequestWithContext(ctx, r.Method, u.String(), body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	copyHeader(out.Header, r.Header)
	out.ContentLength = r.ContentLength

	resp, err := p.upstream.RoundTrip(out)
	if err != nil {
		// A request cut on purpose, or the client gone: hang up. Anything
		// else is the relay failing, which a real gateway reports.
		if errors.Is(err, errTruncated) || errors.Is(err, errCut) || r.Context().Err() != nil {
			hangUp(w, true, false)
			return
		}
		http.Error(w, "faultproxy: the relay failed: "+err.Error(), http.StatusBadGateway)
		return
	}
	defer resp.Body.Close()

	copyHeader(w.Header(), resp.Header)
	down := &downBody{p: p, w: w}
	if ok && fault == TruncateResponse {
		// Read the answer whole: its length may be unknown (chunked).
		data, err := io.ReadAll(resp.Body)
		wrote := err == nil && len(data) > 0
		if wrote {
			w.WriteHeader(resp.StatusCode)
			_, err = down.Write(data[:len(data)/2])
		}
		hangUp(w, errors.Is(err, errCut), wrote)
		return
	}
	if ok && fault == Slow {
		down.rate = p.schedule.SlowRate
	}
	w.WriteHeader(resp.StatusCode)
	if _, err := io.CopyBuffer(down, resp.Body, make([]byte, 32<<10)); err != nil {
		hangUp(w, errors.Is(err, errCut), true)
	}
}

// errTruncated ends a request body cut short on purpose.
var errTruncated = errors.New("faultproxy: request truncated")

// upBody is a request body on its way to the relay: it counts the bytes,
// stops at truncateAt (if not negative) and at a cut.
type upBody struct {
	p          *Proxy
	r          io.Reader
	truncateAt int64
	passed     int64
}

func (u *upBody) Read(b []byte) (int, error) {
	if u.truncateAt >= 0 {
		if u.passed >= u.truncateAt {
			return 0, errTruncated
		}
		b = b[:min(int64(len(b)), u.truncateAt-u.passed)]
	}
	n, err := u.r.Read(b)
	allowed, cut := u.p.pass(Up, int64(n))
	u.passed += allowed
	u.p.up.Add(allowed)
	if cut != nil {
		return int(allowed), cut
	}
	return n, err
}

// downBody writes an answer's body to the client: it counts the bytes,
// trickles them at rate bytes per second (if positive) and stops at a cut.
type downBody struct {
	p      *Proxy
	w      http.ResponseWriter
	rate   int64
	start  time.Time
	passed int64
}

func (d *downBody) Write(b []byte) (int, error) {
	if d.start.IsZero() {
		d.start = time.Now()
	}
	written := 0
	for len(b) > 0 {
		chunk := b
		if d.rate > 0 { // small writes, so that the bytes trickle
			chunk = b[:min(int64(len(b)), max(d.rate/32, 1))]
		}
		allowed, cut := d.p.pass(Down, int64(len(chunk)))
		n, err := d.w.Write(chunk[:allowed])
		written += n
		d.passed += int64(n)
		d.p.down.Add(int64(n))
		switch {
		case err != nil:
			return written, err
		case cut != nil:
			return written, cut
		}
		if d.rate > 0 {
			http.NewResponseController(d.w).Flush()
			d.throttle()
		}
		b = b[n:]
	}
	return written, nil
}

// throttle sleeps until the bytes passed so far fit the rate.
func (d *downBody) throttle() {
	due := d.start.Add(time.Duration(float64(d.passed) / float64(d.rate) * float64(time.Second)))
	time.Sleep(time.Until(due))
}

// pass returns how many of n bytes in direction dir may pass before the
// link is cut, and errCut if they are fewer than n, cutting the link when
// the count runs out.
func (p *Proxy) pass(dir Direction, n int64) (int64, error) {
	p.mu.Lock()
	l := &p.link
	switch {
	case l.down:
		p.mu.Unlock()
		p.faults[Cut].Add(1)
		return 0, errCut
	case !l.armed || l.dir != dir || n <= l.left:
		if l.armed && l.dir == dir {
			l.left -= n
		}
		p.mu.Unlock()
		return n, nil
	}
	allowed := l.left
	l.armed, l.down, l.left = false, true, 0
	onCut := l.onCut
	p.mu.Unlock()
	p.faults[Cut].Add(1)
	if onCut != nil {
		onCut()
	}
	return allowed, errCut
}
