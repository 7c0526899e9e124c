package client

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/letapis/letapis/internal/logbuf"
	"github.com/letapis/letapis/sync/wire"
)

// faults stands between clients and the relay. The relay serves every
// request first, so that its effect is done and its nonce spent; then the
// next fault planned for the request's route decides what the client
// gets, as if the answer were lost or mangled on the way.
type faults struct {
	next http.Handler

	mu     sync.Mutex
	method string  // the plan applies to requests with this method
	suffix string  // and a path ending so
	plan   []fault // one per matching request, then the relay's answer
	hits   int     // matching requests
	nonces []string
}

// fault sends the client something other than the relay's answer.
type fault func(w http.ResponseWriter, r *http.Request, answer *httptest.ResponseRecorder)

func (f *faults) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	answer := httptest.NewRecorder()
	f.next.ServeHTTP(answer, r)
	f.mu.Lock()
	var next fault = relayed
	if n := r.Header.Get(wire.HeaderNonce); n != "" {
		f.nonces = append(f.nonces, n)
	}
	if r.Method == f.method && strings.HasSuffix(r.URL.Path, f.suffix) {
		f.hits++
		if len(f.plan) > 0 {
			next, f.plan = f.plan[0], f.plan[1:]
		}
	}
	f.mu.Unlock()
	next(w, r, answer)
}

// set plans faults for the next requests to route ("POST /log").
func (f *faults) set(route string, plan ...fault) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.method, f.suffix, _ = strings.Cut(route, " ")
	f.plan, f.hits = plan, 0
}

func (f *faults) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.hits
}

func relayed(w http.ResponseWriter, _ *http.Request, answer *httptest.ResponseRecorder) {
	for k, v := range answer.Header() {
		w.Header()[k] = v
	}
	w.WriteHeader(answer.Code)
	w.Write(answer.Body.Bytes())
}

func status(code int, retryAfter string) fault {
	return func(w http.ResponseWriter, _ *http.Request, _ *httptest.ResponseRecorder) {
		if retryAfter != "" {
			w.Header().Set("Retry-After", retryAfter)
		}
		http.Error(w, http.StatusText(code), code) // a proxy's page, not a wire.Error
	}
}

// reset drops the connection with a TCP reset instead of answering.
func reset(w http.ResponseWriter, _ *http.Request, _ *httptest.ResponseRecorder) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(err)
	}
	conn.(*net.TCPConn).SetLinger(0)
	conn.Close()
}

// truncate sends the relay's headers and half its body, then hangs up.
func truncate(w http.ResponseWriter, _ *http.Request, answer *httptest.ResponseRecorder) {
	body := answer.Body.Bytes()
	for k, v := range answer.Header() {
		w.Header()[k] = v
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(answer.Code)
	w.Write(body[:len(body)/2])
	rc := http.NewResponseController(w)
	rc.Flush()
	conn, _, err := rc.Hijack()
	if err != nil {
		panic(err)
	}
	conn.Close()
}

// stall says nothing until the client hangs up.
func stall(_ http.ResponseWriter, r *http.Request, _ *httptest.ResponseRecorder) {
	<-r.Context().Done()
}

func TestRetries(t *testing.T) {
	ctx := context.Background()
	r := newRelay(t)
	f := &faults{next: r}
	url := serve(t, f)
	var logs logbuf.Buffer
	const maxRetries, maxBackoff = 4, 20 * time.Millisecond
	tweak := func(cfg *Config) {
		cfg.Logger = debugLogger(&logs)
		cfg.MaxRetries, cfg.MaxBackoff = maxRetries, maxBackoff
		cfg.Timeout = 300 * time.Millisecond // for the stall; every other answer is quick
	}
	admin := r.admin(t, url, tweak)
	id, data := blob("retried", 64<<10)
	if err := admin.PutBlob(ctx, id, data); err != nil {
		t.Fatal(err)
	}

	// Each case's call must succeed despite the faults; every attempt
	// reaches the relay, which refuses a replayed nonce, so success also
	// shows that each retry was signed afresh.
	for _, tc := range []struct {
		name  string
		route string
		plan  []fault
		call  func() error
	}{
		{"answer lost to resets", "POST /log", []fault{reset, reset}, func() error {
			_, err := admin.Append(ctx, []string{id})
			return err
		}},
		{"503 burst", "POST /missing", []fault{status(503, ""), status(503, "1"), status(503, "")}, func() error {
			missing, err := admin.Missing(ctx, []string{id})
			if err == nil && len(missing) != 0 {
				t.Errorf("missing %v", missing)
			}
			return err
		}},
		{"5xx and gateway timeouts", "GET /log", []fault{status(500, ""), status(502, ""), status(504, ""), status(408, "")}, func() error {
			_, err := admin.Log(ctx, wire.Point{}, 0, 0)
			return err
		}},
		{"answers cut off", "GET /log", []fault{truncate, truncate}, func() error {
			page, err := admin.Log(ctx, wire.Point{}, 0, 0)
			if err == nil && len(page.Entries) != 1 {
				t.Errorf("log %+v", page)
			}
			return err
		}},
		{"stalled answer", "POST /missing", []fault{stall}, func() error {
			_, err := admin.Missing(ctx, []string{id})
			return err
		}},
		{"upload answer lost", "PUT /" + id, []fault{reset, status(502, "")}, func() error {
			return admin.PutBlob(ctx, id, data)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f.set(tc.route, tc.plan...)
			before := admin.Stats()
			if err := tc.call(); err != nil {
				t.Fatal(err)
			}
			retries := admin.Stats().Retries - before.Retries
			if want := len(tc.plan); retries != int64(want) || f.count() != want+1 {
				t.Fatalf("%d retries, %d attempts at the relay; want %d and %d", retries, f.count(), want, want+1)
			}
		})
	}

	page, err := admin.Log(ctx, wire.Point{}, 0, 0)
	if err != nil || len(page.Entries) != 1 || page.Head != 1 {
		t.Fatalf("after appends whose answers were lost, the log is %+v (%v); want one entry", page, err)
	}

	t.Run("Retry-After of a day", func(t *testing.T) {
		f.set("GET /log", slices.Repeat([]fault{status(429, "86400")}, maxRetries+1)...)
		start := time.Now()
		_, err := admin.Log(ctx, wire.Point{}, 0, 0)
		elapsed := time.Since(start)
		var werr *wire.Error
		if !errors.Is(err, ErrUnreachable) || !errors.As(err, &werr) || werr.Code != wire.CodeRateLimited {
			t.Fatalf("after a 429 storm: %v, want ErrUnreachable with rate_limited", err)
		}
		if f.count() != maxRetries+1 {
			t.Fatalf("%d attempts, want %d", f.count(), maxRetries+1)
		}
		if bound := maxRetries*maxBackoff + time.Second; elapsed > bound {
			t.Fatalf("took %v, more than %v: Retry-After was obeyed beyond MaxBackoff", elapsed, bound)
		}
		if elapsed < maxRetries*maxBackoff {
			t.Fatalf("took %v: Retry-After should lengthen each wait to MaxBackoff", elapsed)
		}
	})

	t.Run("blob download cut off resumes", func(t *testing.T) {
		f.set("GET /"+id, truncate)
		body, err := admin.GetBlob(ctx, id, 0)
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(body)
		body.Close()
		if !errors.Is(err, ErrUnreachable) || !strings.Contains(err.Error(), "resume") {
			t.Fatalf("reading a cut-off download: %v, want ErrUnreachable saying where to resume", err)
		}
		rest := readBlob(t, admin, id, int64(len(got)))
		if got = append(got, rest...); string(got) != string(data) {
			t.Fatalf("resumed download differs (%d bytes)", len(got))
		}
	})

	t.Run("cancelled context", func(t *testing.T) {
		f.set("GET /log", stall)
		ctx, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
		defer cancel()
		before := admin.Stats()
		if _, err := admin.Log(ctx, wire.Point{}, 0, 0); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("call past its deadline: %v", err)
		}
		if n := admin.Stats().Retries - before.Retries; n != 0 {
			t.Fatalf("retried %d times after the context ended", n)
		}
	})

	f.mu.Lock()
	nonces := slices.Clone(f.nonces)
	f.mu.Unlock()
	slices.Sort(nonces)
	if len(slices.Compact(nonces)) != len(f.nonces) {
		t.Fatal("a nonce was sent twice")
	}

	// Retries were logged, and the log names nothing that identifies the
	// relay, the team, the device or the data.
	text := logs.String()
	if !strings.Contains(text, "retrying relay request") || !strings.Contains(text, "connection reset") {
		t.Fatalf("no retries logged:\n%s", text)
	}
	host := strings.TrimPrefix(url, "http://")
	for _, secret := range []string{url, host, "/v1/", r.team, r.token, admin.cfg.Pseudonym, id} {
		if strings.Contains(text, secret) {
			t.Fatalf("the log contains %q:\n%s", secret, text)
		}
	}
}

func TestUnreachableRelay(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	url := "http://" + l.Addr().String()
	l.Close() // nothing listens there now
	team := newDevice().pseudonym
	c := newClient(t, url, team, newDevice(), func(cfg *Config) { cfg.MaxRetries = 2 })
	id, _ := blob("x", 1)
	_, err = c.Missing(context.Background(), []string{id})
	if !errors.Is(err, ErrUnreachable) {
		t.Fatalf("closed port: %v, want ErrUnreachable", err)
	}
	for _, secret := range []string{"/v1/", team, id} {
		if strings.Contains(err.Error(), secret) {
			t.Fatalf("error names %q: %v", secret, err)
		}
	}
	if s := c.Stats(); s.Requests != 3 || s.Retries != 2 {
		t.Fatalf("stats %+v, want 3 attempts", s)
	}
	t.Logf("the UI would show: %v", err)
}

func TestBackoff(t *testing.T) {
	const lo, hi = 10 * time.Millisecond, 300 * time.Millisecond
	answer := func(retryAfter string) *http.Response {
		return &http.Response{StatusCode: 429, Header: http.Header{"Retry-After": {retryAfter}}}
	}
	for attempt := range 10 {
		ceiling := min(hi, lo<<attempt)
		for range 100 {
			if d := backoff(lo, hi, attempt, nil); d < lo || d > ceiling {
				t.Fatalf("attempt %d: waited %v, outside [%v, %v]", attempt, d, lo, ceiling)
			}
		}
	}
	for retryAfter, want := range map[string]time.Duration{
		"86400": hi,
		"0":     0,
		"bogus": 0,
		time.Now().Add(48 * time.Hour).UTC().Format(http.TimeFormat): hi,
	} {
		if d := backoff(lo, hi, 0, answer(retryAfter)); d > hi || d < want {
			t.Errorf("Retry-After %q: waited %v, want %v..%v", retryAfter, d, want, hi)
		}
	}
	if d := backoff(lo, 10*time.Second, 0, answer("2")); d < 2*time.Second || d > 10*time.Second {
		t.Errorf("Retry-After 2 within the cap: waited %v", d)
	}
	if d := backoff(lo, hi, 1000, nil); d < lo || d > hi {
		t.Errorf("attempt 1000: waited %v", d)
	}
}
