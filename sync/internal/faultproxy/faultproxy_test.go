package faultproxy

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// upstream is a stand-in relay on 127.0.0.1: PUT /echo reads the body
// and answers its length; GET /data?n=N answers N bytes of pattern.
type upstream struct {
	*httptest.Server
	hits atomic.Int64

	mu      sync.Mutex
	done    int   // requests answered
	readErr error // of the last request body read
	got     int   // bytes of the last request body
}

func startUpstream(t *testing.T) *upstream {
	t.Helper()
	u := &upstream{}
	u.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u.hits.Add(1)
		switch r.URL.Path {
		case "/echo":
			data, err := io.ReadAll(r.Body)
			u.mu.Lock()
			u.got, u.readErr = len(data), err
			u.done++
			u.mu.Unlock()
			fmt.Fprintf(w, "%d", len(data))
		case "/data":
			n, _ := strconv.Atoi(r.URL.Query().Get("n"))
			w.Write(pattern(n))
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(u.Close)
	return u
}

// lastBody waits for the relay to finish reading the body of the last
// PUT /echo, and returns what it read.
func (u *upstream) lastBody() (int, error) {
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		u.mu.Lock()
		done, got, err := u.done, u.got, u.readErr
		u.mu.Unlock()
		if done > 0 {
			return got, err
		}
	}
	return 0, errors.New("the relay never finished reading a body")
}

func pattern(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i * 7)
	}
	return b
}

func startProxy(t *testing.T, u *upstream, s Schedule, seed uint64) *Proxy {
	t.Helper()
	p, err := New(u.URL, s, seed)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

// client makes one connection per request, so that every request meets
// the proxy afresh and no transparent retry of the transport hides a
// fault.
var client = &http.Client{
	Transport: &http.Transport{DisableKeepAlives: true, Proxy: nil},
	Timeout:   10 * time.Second,
}

// exchange sends a request through p and reads the whole answer.
func exchange(p *Proxy, method, path string, body []byte) (*http.Response, []byte, error) {
	req, err := http.NewRequest(method, p.URL+path, bytes.NewReader(body))
	if err != nil {
		return nil, nil, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	return resp, data, err
}

func TestPassesThroughWithFaultsOff(t *testing.T) {
	u := startUpstream(t)
	p := startProxy(t, u, Schedule{Drop: 1}, 1) // would drop everything if enabled
	body := pattern(1 << 20)
	resp, data, err := exchange(p, http.MethodPut, "/echo", body)
	if err != nil || resp.StatusCode != http.StatusOK || string(data) != strconv.Itoa(len(body)) {
		t.Fatalf("PUT: %v %v %q", resp, err, data)
	}
	resp, data, err = exchange(p, http.MethodGet, "/data?n=300000", nil)
	if err != nil || resp.StatusCode != http.StatusOK || !bytes.Equal(data, pattern(300000)) {
		t.Fatalf("GET: %v %v, %d bytes", resp, err, len(data))
	}
	s := p.Stats()
	want := Stats{Requests: 2, Up: 1 << 20, Down: int64(len(strconv.Itoa(len(body)))) + 300000}
	if s != want {
		t.Fatalf("stats %v, want %v", s, want)
	}
}

func TestFaults(t *testing.T) {
	body := pattern(256 << 10)
	for _, tc := range []struct {
		kind     Kind
		schedule Schedule
		check    func(t *testing.T, u *upstream, resp *http.Response, data []byte, err error)
	}{
		{Drop, Schedule{Drop: 1}, func(t *testing.T, u *upstream, resp *http.Response, data []byte, err error) {
			if err == nil || u.hits.Load() != 0 {
				t.Fatalf("dropped request: err %v, relay reached %d times", err, u.hits.Load())
			}
		}},
		{Reset, Schedule{Reset: 1}, func(t *testing.T, u *upstream, resp *http.Response, data []byte, err error) {
			if err == nil || u.hits.Load() != 0 {
				t.Fatalf("reset request: err %v, relay reached %d times", err, u.hits.Load())
			}
		}},
		{TruncateRequest, Schedule{TruncateRequest: 1}, func(t *testing.T, u *upstream, resp *http.Response, data []byte, err error) {
			got, rerr := u.lastBody()
			if err == nil || rerr == nil || got > len(body)/2 {
				t.Fatalf("truncated request: client err %v; relay read %d bytes, err %v", err, got, rerr)
			}
		}},
		{TruncateResponse, Schedule{TruncateResponse: 1}, func(t *testing.T, u *upstream, resp *http.Response, data []byte, err error) {
			if err == nil || u.hits.Load() != 1 || len(data) > 3 {
				t.Fatalf("truncated answer: err %v, %d bytes, relay reached %d times", err, len(data), u.hits.Load())
			}
		}},
		{ServerError, Schedule{ServerError: 1}, func(t *testing.T, u *upstream, resp *http.Response, data []byte, err error) {
			if err != nil || resp.StatusCode/100 != 5 || u.hits.Load() != 0 {
				t.Fatalf("5xx: %v %v, relay reached %d times", resp, err, u.hits.Load())
			}
		}},
		{TooManyRequests, Schedule{TooManyRequests: 1}, func(t *testing.T, u *upstream, resp *http.Response, data []byte, err error) {
			if err != nil || resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") != "86400" || u.hits.Load() != 0 {
				t.Fatalf("429: %v %v, relay reached %d times", resp, err, u.hits.Load())
			}
		}},
		{Slow, Schedule{Slow: 1, SlowRate: 1 << 20}, func(t *testing.T, u *upstream, resp *http.Response, data []byte, err error) {
			if err != nil || resp.StatusCode != http.StatusOK || string(data) != strconv.Itoa(len(body)) {
				t.Fatalf("slow: %v %v %q", resp, err, data)
			}
		}},
	} {
		t.Run(tc.kind.String(), func(t *testing.T) {
			u := startUpstream(t)
			p := startProxy(t, u, tc.schedule, 1)
			p.Enable()
			resp, data, err := exchange(p, http.MethodPut, "/echo", body)
			tc.check(t, u, resp, data, err)
			if s := p.Stats(); s.Faults[tc.kind] != 1 || s.Total() != 1 {
				t.Fatalf("stats %v, want one %v", s, tc.kind)
			}
		})
	}
}

// TestDropClosesAndResetResets tells a drop from a reset on the wire: a
// client that has sent its whole request reads the end of the stream
// after a drop (FIN) and ECONNRESET after a reset (RST).
func TestDropClosesAndResetResets(t *testing.T) {
	for kind, want := range map[Kind]error{Drop: io.EOF, Reset: syscall.ECONNRESET} {
		t.Run(kind.String(), func(t *testing.T) {
			u := startUpstream(t)
			var s Schedule
			if kind == Drop {
				s.Drop = 1
			} else {
				s.Reset = 1
			}
			p := startProxy(t, u, s, 1)
			p.Enable()
			conn, err := net.Dial("tcp", strings.TrimPrefix(p.URL, "http://"))
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			conn.SetDeadline(time.Now().Add(5 * time.Second))
			if _, err := io.WriteString(conn, "GET /data?n=1 HTTP/1.1\r\nHost: relay\r\n\r\n"); err != nil {
				t.Fatal(err)
			}
			buf := make([]byte, 100)
			n, err := conn.Read(buf)
			if n != 0 || !errors.Is(err, want) {
				t.Fatalf("read %q, err %v; want nothing and %v", buf[:n], err, want)
			}
		})
	}
}

func TestTruncatedAnswerIsHalfOfIt(t *testing.T) {
	u := startUpstream(t)
	p := startProxy(t, u, Schedule{TruncateResponse: 1}, 1)
	p.Enable()
	_, data, err := exchange(p, http.MethodGet, "/data?n=100000", nil)
	if err == nil || len(data) != 50000 || !bytes.Equal(data, pattern(100000)[:50000]) {
		t.Fatalf("err %v, %d bytes", err, len(data))
	}
	if s := p.Stats(); s.Down != 50000 {
		t.Fatalf("%d bytes counted down, want 50000", s.Down)
	}
}

func TestSlowAnswerKeepsToTheRate(t *testing.T) {
	u := startUpstream(t)
	const rate, n = 256 << 10, 96 << 10 // 375 ms
	p := startProxy(t, u, Schedule{Slow: 1, SlowRate: rate}, 1)
	p.Enable()
	start := time.Now()
	_, data, err := exchange(p, http.MethodGet, "/data?n="+strconv.Itoa(n), nil)
	took := time.Since(start)
	if err != nil || !bytes.Equal(data, pattern(n)) {
		t.Fatalf("slow answer: %v, %d bytes", err, len(data))
	}
	if want := time.Duration(n) * time.Second / rate; took < want*9/10 || took > want*3 {
		t.Fatalf("%d bytes at %d B/s took %v, want about %v", n, rate, took, want)
	}
}

func TestLatency(t *testing.T) {
	u := startUpstream(t)
	const latency = 100 * time.Millisecond
	p := startProxy(t, u, Schedule{Latency: latency}, 1)
	for _, on := range []bool{false, true} {
		if on {
			p.Enable()
		}
		start := time.Now()
		if _, _, err := exchange(p, http.MethodGet, "/data?n=10", nil); err != nil {
			t.Fatal(err)
		}
		if took := time.Since(start); (took >= latency) != on {
			t.Fatalf("faults on: %v; a request took %v with a latency of %v", on, took, latency)
		}
	}
	if s := p.Stats(); s.Total() != 0 {
		t.Fatalf("latency counted as a fault: %v", s)
	}
}

func TestBurstsAndDisable(t *testing.T) {
	u := startUpstream(t)
	p := startProxy(t, u, Schedule{ServerError: 1, BurstLen: 3}, 7)
	p.Enable()
	var statuses []int
	for range 3 {
		resp, _, err := exchange(p, http.MethodGet, "/data?n=1", nil)
		if err != nil {
			t.Fatal(err)
		}
		statuses = append(statuses, resp.StatusCode)
	}
	if statuses[0]/100 != 5 || statuses[1] != statuses[0] || statuses[2] != statuses[0] {
		t.Fatalf("one burst answered %v", statuses)
	}
	exchange(p, http.MethodGet, "/data?n=1", nil) // a new burst begins
	p.Disable()
	if resp, _, err := exchange(p, http.MethodGet, "/data?n=1", nil); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("after Disable: %v %v", resp, err)
	}
	if s := p.Stats(); s.Faults[ServerError] != 4 || u.hits.Load() != 1 {
		t.Fatalf("stats %v, relay reached %d times", s, u.hits.Load())
	}
}

// outcomes sends n sequential requests and names what became of each.
func outcomes(t *testing.T, seed uint64) ([]string, Stats) {
	u := startUpstream(t)
	p := startProxy(t, u, Schedule{Drop: .05, Reset: .05, TruncateRequest: .05, TruncateResponse: .05,
		ServerError: .02, TooManyRequests: .02, Slow: .05, BurstLen: 3, SlowRate: 64 << 20}, seed)
	p.Enable()
	var out []string
	for range 150 {
		resp, data, err := exchange(p, http.MethodPut, "/echo", pattern(1000))
		switch {
		case err != nil:
			out = append(out, "error")
		default:
			out = append(out, fmt.Sprintf("%d %s", resp.StatusCode, data))
		}
	}
	return out, p.Stats()
}

func TestScheduleIsDeterministic(t *testing.T) {
	a, sa := outcomes(t, 42)
	b, sb := outcomes(t, 42)
	c, _ := outcomes(t, 43)
	if fmt.Sprint(a) != fmt.Sprint(b) || sa.Faults != sb.Faults {
		t.Fatalf("the same seed gave different faults:\n%v\n%v", sa, sb)
	}
	if fmt.Sprint(a) == fmt.Sprint(c) {
		t.Fatal("different seeds gave the same faults")
	}
	if sa.Total() == 0 {
		t.Fatal("no faults")
	}
	t.Log(sa)
}

func TestCutAfter(t *testing.T) {
	for _, dir := range []Direction{Up, Down} {
		t.Run(dir.String(), func(t *testing.T) {
			u := startUpstream(t)
			p := startProxy(t, u, Schedule{}, 1)
			const n = 100_000
			var cuts atomic.Int64
			p.CutAfter(dir, n, func() { cuts.Add(1) })
			var err error
			var data []byte
			if dir == Up {
				_, _, err = exchange(p, http.MethodPut, "/echo", pattern(1<<20))
			} else {
				_, data, err = exchange(p, http.MethodGet, "/data?n=1048576", nil)
			}
			s := p.Stats()
			moved := map[Direction]int64{Up: s.Up, Down: s.Down}[dir]
			if err == nil || cuts.Load() != 1 || moved != n {
				t.Fatalf("cut: err %v, onCut ran %d times, %d bytes moved, want %d", err, cuts.Load(), moved, n)
			}
			if dir == Down && (len(data) > n || !bytes.Equal(data, pattern(n)[:len(data)])) {
				t.Fatalf("client received %d bytes, want at most %d of the answer", len(data), n)
			}
			if dir == Up {
				if got, rerr := u.lastBody(); rerr == nil || got != n {
					t.Fatalf("relay read %d bytes, err %v; want %d and an error", got, rerr, n)
				}
			}
			hits := u.hits.Load()
			if _, _, err := exchange(p, http.MethodGet, "/data?n=1", nil); err == nil || u.hits.Load() != hits {
				t.Fatalf("request while the link is down: %v", err)
			}
			p.Mend()
			if resp, _, err := exchange(p, http.MethodGet, "/data?n=1", nil); err != nil || resp.StatusCode != http.StatusOK {
				t.Fatalf("after Mend: %v %v", resp, err)
			}
			if s := p.Stats(); s.Faults[Cut] < 2 || s.Total() != s.Faults[Cut] {
				t.Fatalf("stats %v", s)
			}
		})
	}
}
