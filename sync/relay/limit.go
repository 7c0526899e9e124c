package relay

import (
	"errors"
	"math"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"sync"
	"time"
)

// Defaults of Options.OpenRate and Options.OpenBurst.
const (
	DefaultOpenRate  = 10 // register and join requests per minute and address
	DefaultOpenBurst = 20
)

// maxLimited is how many client addresses the limiter remembers at most;
// beyond that it forgets those that are back to a full burst, and if that
// is not enough, all of them.
const maxLimited = 100_000

// errRateLimited is the refusal of a request beyond its address's limit.
var errRateLimited = errors.New("too many requests from this address to register or join; try again later")

// addrLimiter limits the requests of each client address with a token
// bucket: burst requests at once, then rate per minute. An IPv6 address
// counts by its /64 network, which one host usually holds whole. It keeps
// addresses in memory only, never on disk or in the log.
type addrLimiter struct {
	perSecond float64
	burst     float64
	now       func() time.Time

	mu      sync.Mutex
	buckets map[netip.Addr]*bucket
}

type bucket struct {
	tokens float64
	at     time.Time
}

// newAddrLimiter returns a limiter of rate requests per minute beyond a
// burst, or nil (no limit) for a negative rate.
func newAddrLimiter(rate, burst int, now func() time.Time) *addrLimiter {
	if rate < 0 {
		return nil
	}
	if rate == 0 {
		rate = DefaultOpenRate
	}
	if burst <= 0 {
		burst = DefaultOpenBurst
	}
	return &addrLimiter{perSecond: float64(rate) / 60, burst: float64(burst), now: now, buckets: map[netip.Addr]*bucket{}}
}

// allow takes a token for the address of r and reports how long to wait
// if there is none. A nil limiter allows everything.
func (l *addrLimiter) allow(r *http.Request) (ok bool, wait time.Duration) {
	if l == nil {
		return true, 0
	}
	addr := clientAddr(r)
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.buckets[addr]
	if b == nil {
		if len(l.buckets) >= maxLimited {
			l.sweep(now)
		}
		b = &bucket{tokens: l.burst, at: now}
		l.buckets[addr] = b
	}
	b.tokens = l.refilled(b, now)
	b.at = now
	if b.tokens >= 1 {
		b.tokens--
		return true, 0
	}
	return false, time.Duration((1 - b.tokens) / l.perSecond * float64(time.Second))
}

// refilled is how many tokens b holds at now.
func (l *addrLimiter) refilled(b *bucket, now time.Time) float64 {
	return math.Min(l.burst, b.tokens+now.Sub(b.at).Seconds()*l.perSecond)
}

// sweep forgets the addresses whose bucket is full again, or every
// address if they all still count. The caller holds l.mu.
func (l *addrLimiter) sweep(now time.Time) {
	for a, b := range l.buckets {
		if l.refilled(b, now) >= l.burst {
			delete(l.buckets, a)
		}
	}
	if len(l.buckets) >= maxLimited {
		clear(l.buckets)
	}
}

// clientAddr is the address a request came from, as the connection says:
// headers such as X-Forwarded-For are not trusted. IPv6 addresses are cut
// to their /64.
func clientAddr(r *http.Request) netip.Addr {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	a, err := netip.ParseAddr(host)
	if err != nil {
		return netip.Addr{} // all unknown addresses share one bucket
	}
	a = a.Unmap().WithZone("")
	if a.Is6() {
		p, _ := a.Prefix(64)
		return p.Addr()
	}
	return a
}

// retryAfter is the Retry-After header value for a wait: whole seconds,
// rounded up.
func retryAfter(wait time.Duration) string {
	return strconv.FormatInt(int64(math.Ceil(wait.Seconds())), 10)
}
