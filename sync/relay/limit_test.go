package relay

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/letapis/letapis/sync/wire"
)

// fromAddr returns a client whose connections leave from the loopback
// address ip.
func fromAddr(ip string) *http.Client {
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}}
	return &http.Client{Transport: &http.Transport{DialContext: d.DialContext}}
}

// TestJoinFloodFromOneAddressIsLimited: over loopback, 127.0.0.1 floods
// the join endpoint and gets 429 with a Retry-After once its burst is
// used; 127.0.0.2 still joins, signed requests from the flooding address
// still work, and the flooder gets in again once its bucket refills.
func TestJoinFloodFromOneAddressIsLimited(t *testing.T) {
	now := time.Now()
	var mu sync.Mutex
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	r := newTestRelay(t, Options{OpenRate: 2, OpenBurst: 3, Now: clock})
	admin := r.newTeam() // register: one request of 127.0.0.1's burst
	flooder, other := fromAddr("127.0.0.1"), fromAddr("127.0.0.2")
	joinFrom := func(c *http.Client, d *device, token string) (int, []byte, http.Header) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodPost, r.url+"/v1/teams/"+d.team+"/join",
			strings.NewReader(string(mustJSON(t, wire.JoinRequest{Token: token, Applicant: d.applicant()}))))
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, body, resp.Header
	}

	for range 2 { // the rest of the burst, with wrong tokens
		status, body, _ := joinFrom(flooder, r.newDevice(admin.team), newToken())
		expect(t, status, body, http.StatusForbidden, wire.CodeForbidden)
	}
	status, body, h := joinFrom(flooder, r.newDevice(admin.team), admin.invite())
	expect(t, status, body, http.StatusTooManyRequests, wire.CodeRateLimited)
	if h.Get("Retry-After") != "30" {
		t.Errorf("Retry-After %q, want 30 (seconds for one request at 2 a minute)", h.Get("Retry-After"))
	}
	status, body = admin.do(http.MethodGet, "/joins", nil) // signed: not limited
	expect(t, status, body, http.StatusOK, "")

	status, body, _ = joinFrom(other, r.newDevice(admin.team), admin.invite())
	expect(t, status, body, http.StatusAccepted, "")

	mu.Lock()
	now = now.Add(30 * time.Second)
	mu.Unlock()
	status, body, _ = joinFrom(flooder, r.newDevice(admin.team), admin.invite())
	expect(t, status, body, http.StatusAccepted, "")
}

// TestRegisterIsLimitedAndIPv6CountsBy64: register shares the limit, and
// addresses of one IPv6 /64 share one bucket while another /64 has its
// own. Headers naming another client are not believed.
func TestRegisterIsLimitedAndIPv6CountsBy64(t *testing.T) {
	_, key, _ := ed25519.GenerateKey(rand.Reader)
	s := New(openBadger(t, t.TempDir(), nil), Options{Key: key, OpenRate: 1, OpenBurst: 1})
	team, _, err := NewTeam(context.Background(), s.store)
	if err != nil {
		t.Fatal(err)
	}
	register := func(remote string, header ...string) int {
		req := httptest.NewRequest(http.MethodPost, "/v1/teams/"+team+"/register", strings.NewReader("{}"))
		req.RemoteAddr = remote
		for i := 0; i < len(header); i += 2 {
			req.Header.Set(header[i], header[i+1])
		}
		w := httptest.NewRecorder()
		s.ServeHTTP(w, req)
		return w.Code
	}
	for _, tc := range []struct {
		remote string
		header []string
		want   int
	}{
		{"[2001:db8::1]:4000", nil, http.StatusBadRequest}, // passes the limiter; the body is malformed
		{"[2001:db8::2]:4001", nil, http.StatusTooManyRequests},
		{"[2001:db8::3]:4002", []string{"X-Forwarded-For", "192.0.2.9"}, http.StatusTooManyRequests},
		{"[2001:db8:0:1::1]:4003", nil, http.StatusBadRequest},
		{"[::ffff:192.0.2.1]:4004", nil, http.StatusBadRequest},
		{"192.0.2.1:4005", nil, http.StatusTooManyRequests}, // the same IPv4 address
	} {
		if got := register(tc.remote, tc.header...); got != tc.want {
			t.Errorf("register from %s: %d, want %d", tc.remote, got, tc.want)
		}
	}
}
