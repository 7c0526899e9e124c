package client

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/letapis/letapis/sync/wire"
)

// serveTLS serves h over HTTPS on 127.0.0.1 with a self-signed
// certificate and returns the server and the certificate's pin.
func serveTLS(t *testing.T, h http.Handler) (*httptest.Server, string) {
	t.Helper()
	srv := httptest.NewUnstartedServer(h)
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // refused handshakes are the point
	srv.StartTLS()
	t.Cleanup(srv.Close)
	sum := sha256.Sum256(srv.Certificate().RawSubjectPublicKeyInfo)
	return srv, hex.EncodeToString(sum[:])
}

func TestCertificatePin(t *testing.T) {
	ctx := context.Background()
	r := newRelay(t)
	srv, pin := serveTLS(t, r)

	pinned := newClient(t, srv.URL, r.team, newDevice(), func(cfg *Config) { cfg.Pin = pin })
	if _, err := pinned.Info(ctx); err != nil {
		t.Fatalf("self-signed relay with its pin: %v", err)
	}
	if err := pinned.Register(ctx, r.token); err != nil {
		t.Fatal(err)
	}

	for name, pin := range map[string]string{
		"wrong pin": strings.Repeat("ab", 32),
		"no pin":    "", // the system's authorities do not know the test certificate
	} {
		t.Run(name, func(t *testing.T) {
			c := newClient(t, srv.URL, r.team, newDevice(), func(cfg *Config) { cfg.Pin = pin })
			_, err := c.Info(ctx)
			if !errors.Is(err, ErrCertificate) {
				t.Fatalf("got %v, want ErrCertificate", err)
			}
			if pin != "" && !strings.Contains(err.Error(), "pin") {
				t.Fatalf("the error does not mention the pin: %v", err)
			}
			if s := c.Stats(); s.Requests != 1 {
				t.Fatalf("a refused certificate was tried %d times", s.Requests)
			}
			t.Logf("the UI would show: %v", err)
		})
	}
}

func TestNewRefusesBadConfig(t *testing.T) {
	d := newDevice()
	good := Config{Relay: "https://relay.example", Team: d.pseudonym, Pseudonym: d.pseudonym, AuthKey: d.key}
	if _, err := New(good); err != nil {
		t.Fatalf("good config: %v", err)
	}
	for name, change := range map[string]func(*Config){
		"ftp relay":           func(c *Config) { c.Relay = "ftp://relay.example" },
		"no host":             func(c *Config) { c.Relay = "https:///v1" },
		"user in relay URL":   func(c *Config) { c.Relay = "https://me:secret@relay.example" },
		"query in relay URL":  func(c *Config) { c.Relay = "https://relay.example/?x=1" },
		"bad team":            func(c *Config) { c.Team = "Team" },
		"bad pseudonym":       func(c *Config) { c.Pseudonym = "" },
		"no auth key":         func(c *Config) { c.AuthKey = nil },
		"short relay key":     func(c *Config) { c.RelayKey = ed25519.PublicKey("short") },
		"pin not hex":         func(c *Config) { c.Pin = strings.Repeat("zz", 32) },
		"short pin":           func(c *Config) { c.Pin = "abcd" },
		"pin on plain HTTP":   func(c *Config) { c.Relay, c.Pin = "http://127.0.0.1:8443", strings.Repeat("ab", 32) },
		"ftp proxy":           func(c *Config) { c.Proxy = "ftp://127.0.0.1:21" },
		"proxy without host":  func(c *Config) { c.Proxy = "socks5://" },
		"transport and pin":   func(c *Config) { c.Transport, c.Pin = http.DefaultTransport, strings.Repeat("ab", 32) },
		"transport and proxy": func(c *Config) { c.Transport, c.Proxy = http.DefaultTransport, "socks5://127.0.0.1:9050" },
		"backoffs reversed":   func(c *Config) { c.MinBackoff, c.MaxBackoff = 2, 1 },
	} {
		cfg := good
		change(&cfg)
		if _, err := New(cfg); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// TestPlainHTTPRelayRefusedAcrossANetwork: a client refuses an http://
// relay unless it is on loopback or an onion service, naming the reason.
func TestPlainHTTPRelayRefusedAcrossANetwork(t *testing.T) {
	d := newDevice()
	for relay, ok := range map[string]bool{
		"http://relay.example":        false,
		"http://10.0.0.7:8443":        false,
		"http://relay.example.onion.": true,
		"http://127.0.0.2:8443":       true,
		"http://[::1]:8443":           true,
		"http://localhost":            true,
	} {
		_, err := New(Config{Relay: relay, Team: d.pseudonym, Pseudonym: d.pseudonym, AuthKey: d.key})
		switch {
		case ok && err != nil:
			t.Errorf("%s: refused: %v", relay, err)
		case !ok && (!errors.Is(err, wire.ErrPlainHTTP) || !strings.Contains(err.Error(), "https://")):
			t.Errorf("%s: %v, want wire.ErrPlainHTTP", relay, err)
		}
	}
}

func TestRelayKeyIsRemembered(t *testing.T) {
	ctx := context.Background()
	r := newRelay(t)
	url := serve(t, r)
	other, _, _ := ed25519.GenerateKey(rand.Reader)
	c := newClient(t, url, r.team, newDevice(), func(cfg *Config) { cfg.RelayKey = other })
	if err := c.Register(ctx, r.token); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Info(ctx); !errors.Is(err, ErrProtocol) {
		t.Fatalf("relay with another key than the one remembered: %v, want ErrProtocol", err)
	}
	id, data := blob("k", 10)
	if err := c.PutBlob(ctx, id, data); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Append(ctx, []string{id}); !errors.Is(err, ErrProtocol) {
		t.Fatalf("receipt under another key: %v, want ErrProtocol", err)
	}
}

// tamper rewrites the body of answers to requests whose path ends with
// suffix.
type tamper struct {
	suffix string
	edit   func([]byte) []byte
}

func (tp tamper) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil || !strings.HasSuffix(req.URL.Path, tp.suffix) || req.Method != http.MethodPost {
		return resp, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	body = tp.edit(body)
	resp.Body, resp.ContentLength = io.NopCloser(strings.NewReader(string(body))), int64(len(body))
	resp.Header.Del("Content-Length")
	return resp, nil
}

func TestTamperedAnswersAreRefused(t *testing.T) {
	ctx := context.Background()
	r := newRelay(t)
	url := serve(t, r)
	admin := r.admin(t, url)
	a, dataA := blob("a", 10)
	b, dataB := blob("b", 10)
	for id, data := range map[string][]byte{a: dataA, b: dataB} {
		if err := admin.PutBlob(ctx, id, data); err != nil {
			t.Fatal(err)
		}
	}
	for name, tc := range map[string]struct {
		suffix string
		edit   func([]byte) []byte
	}{
		"receipt over other sizes": {"/log", func(b []byte) []byte { return []byte(strings.Replace(string(b), `"size":10`, `"size":11`, 1)) }},
		"receipt over other ids":   {"/log", func(body []byte) []byte { return []byte(strings.ReplaceAll(string(body), a, b)) }},
		"entries dropped": {"/log", func(body []byte) []byte {
			return []byte(`{"entries":[],"receipt":"` + strings.Repeat("A", 86) + `=="}`)
		}},
		"not JSON":                {"/log", func([]byte) []byte { return []byte("<html>captive portal</html>") }},
		"missing not asked about": {"/missing", func([]byte) []byte { return []byte(`{"ids":["` + strings.Repeat("0", 64) + `"]}`) }},
	} {
		t.Run(name, func(t *testing.T) {
			c := newClient(t, url, r.team, newDevice(), func(cfg *Config) {
				cfg.Transport = tamper{tc.suffix, tc.edit}
				cfg.Pseudonym, cfg.AuthKey = admin.cfg.Pseudonym, admin.cfg.AuthKey
			})
			var err error
			if tc.suffix == "/log" {
				_, err = c.Append(ctx, []string{a})
			} else {
				_, err = c.Missing(ctx, []string{a})
			}
			if !errors.Is(err, ErrProtocol) {
				t.Fatalf("got %v, want ErrProtocol", err)
			}
			if s := c.Stats(); s.Retries != 0 {
				t.Fatalf("a tampered answer was retried: %+v", s)
			}
		})
	}
}

// proxyHost is the relay's host name as clients behind the test proxies
// know it: an onion name, so that plain http:// is allowed. No resolver
// knows it: only a proxy that resolves names itself, as Tor does, can
// reach it.
const proxyHost = "letapisrelaytest.onion"

// route returns where a test proxy connects for target host:port.
func route(target string) (string, bool) {
	host, port, err := net.SplitHostPort(target)
	if err != nil || host != proxyHost {
		return "", false
	}
	return net.JoinHostPort("127.0.0.1", port), true
}

// httpProxy is an HTTP proxy: CONNECT tunnels and forwarded plain
// requests, to proxyHost only.
type httpProxy struct {
	tunnels, forwards atomic.Int32
}

func (p *httpProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	addr, ok := route(r.Host)
	if !ok {
		http.Error(w, "unknown host", http.StatusBadGateway)
		return
	}
	if r.Method == http.MethodConnect {
		p.tunnels.Add(1)
		upstream, err := net.Dial("tcp", addr)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		conn, _, err := http.NewResponseController(w).Hijack()
		if err != nil {
			panic(err)
		}
		io.WriteString(conn, "HTTP/1.1 200 Connection established\r\n\r\n")
		go splice(conn, upstream)
		return
	}
	p.forwards.Add(1)
	out := r.Clone(r.Context())
	out.RequestURI, out.URL.Host = "", addr
	resp, err := http.DefaultTransport.RoundTrip(out)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	defer resp.Body.Close()
	for k, v := range resp.Header {
		w.Header()[k] = v
	}
	w.WriteHeader(resp.StatusCode)
	io.Copy(w, resp.Body)
}

// socks5Proxy is a SOCKS5 server (RFC 1928) for the test: no
// authentication, CONNECT only, to proxyHost only.
type socks5Proxy struct {
	mu      sync.Mutex
	targets []string
}

func (p *socks5Proxy) serve(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			conn, err := l.Accept()
			if err != nil {
				return
			}
			go p.handle(conn)
		}
	}()
	return l.Addr().String()
}

func (p *socks5Proxy) handle(conn net.Conn) {
	fail := func(code byte) {
		conn.Write([]byte{5, code, 0, 1, 0, 0, 0, 0, 0, 0})
		conn.Close()
	}
	buf := make([]byte, 256)
	// Greeting: version, methods; choose "no authentication".
	if _, err := io.ReadFull(conn, buf[:2]); err != nil || buf[0] != 5 {
		conn.Close()
		return
	}
	if _, err := io.ReadFull(conn, buf[:buf[1]]); err != nil {
		conn.Close()
		return
	}
	conn.Write([]byte{5, 0})
	// Request: version, command, reserved, address type, address, port.
	if _, err := io.ReadFull(conn, buf[:4]); err != nil || buf[1] != 1 {
		fail(7) // command not supported
		return
	}
	var host string
	switch buf[3] {
	case 1, 4: // IPv4, IPv6
		ip := make(net.IP, map[byte]int{1: 4, 4: 16}[buf[3]])
		io.ReadFull(conn, ip)
		host = ip.String()
	case 3: // domain name
		io.ReadFull(conn, buf[:1])
		n := int(buf[0])
		io.ReadFull(conn, buf[:n])
		host = string(buf[:n])
	}
	if _, err := io.ReadFull(conn, buf[:2]); err != nil {
		conn.Close()
		return
	}
	target := net.JoinHostPort(host, strconv.Itoa(int(buf[0])<<8|int(buf[1])))
	p.mu.Lock()
	p.targets = append(p.targets, target)
	p.mu.Unlock()
	addr, ok := route(target)
	if !ok {
		fail(4) // host unreachable
		return
	}
	upstream, err := net.Dial("tcp", addr)
	if err != nil {
		fail(5) // connection refused
		return
	}
	conn.Write([]byte{5, 0, 0, 1, 0, 0, 0, 0, 0, 0})
	splice(conn, upstream)
}

// splice copies between a and b until either side closes.
func splice(a, b net.Conn) {
	go func() {
		io.Copy(a, b)
		a.Close()
	}()
	io.Copy(b, a)
	b.Close()
}

// viaProxy returns the relay's URL as seen through a test proxy.
func viaProxy(t *testing.T, relayURL string) string {
	t.Helper()
	i := strings.LastIndex(relayURL, ":")
	scheme, _, _ := strings.Cut(relayURL, "://")
	return scheme + "://" + proxyHost + relayURL[i:]
}

func TestProxies(t *testing.T) {
	ctx := context.Background()
	r := newRelay(t)
	plain := serve(t, r)
	secure, pin := serveTLS(t, r)
	admin := r.admin(t, plain)

	work := func(t *testing.T, c *Client) {
		t.Helper()
		if _, err := c.Info(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Log(ctx, wire.Point{}, 0, 0); err != nil {
			t.Fatal(err)
		}
	}

	t.Run("HTTP proxy, plain relay", func(t *testing.T) {
		p := &httpProxy{}
		c, _ := r.member(t, viaProxy(t, plain), admin, func(cfg *Config) { cfg.Proxy = serve(t, p) })
		work(t, c)
		if p.forwards.Load() < 3 || p.tunnels.Load() != 0 {
			t.Fatalf("proxy forwarded %d requests and tunnelled %d", p.forwards.Load(), p.tunnels.Load())
		}
	})
	t.Run("HTTP proxy, pinned TLS relay", func(t *testing.T) {
		p := &httpProxy{}
		c, _ := r.member(t, viaProxy(t, secure.URL), admin, func(cfg *Config) { cfg.Proxy, cfg.Pin = serve(t, p), pin })
		work(t, c)
		if p.tunnels.Load() == 0 || p.forwards.Load() != 0 {
			t.Fatalf("proxy forwarded %d requests and tunnelled %d", p.forwards.Load(), p.tunnels.Load())
		}
	})
	t.Run("SOCKS5 proxy resolves the name", func(t *testing.T) {
		p := &socks5Proxy{}
		c, _ := r.member(t, viaProxy(t, plain), admin, func(cfg *Config) { cfg.Proxy = "socks5://" + p.serve(t) })
		work(t, c)
		p.mu.Lock()
		defer p.mu.Unlock()
		if len(p.targets) == 0 || !strings.HasPrefix(p.targets[0], proxyHost+":") {
			t.Fatalf("SOCKS5 proxy was asked for %v, want %s by name", p.targets, proxyHost)
		}
	})
	t.Run("HTTPS proxy is verified as itself", func(t *testing.T) {
		// httptest gives the proxy the relay's self-signed certificate:
		// no authority trusts it, and the relay's pin must not vouch for
		// the proxy.
		proxy, _ := serveTLS(t, &httpProxy{})
		c := newClient(t, viaProxy(t, secure.URL), r.team, newDevice(), func(cfg *Config) { cfg.Proxy, cfg.Pin = proxy.URL, pin })
		_, err := c.Info(ctx)
		if !errors.Is(err, ErrUnreachable) || errors.Is(err, ErrCertificate) || !strings.Contains(err.Error(), "proxy") {
			t.Fatalf("untrusted HTTPS proxy: %v, want ErrUnreachable naming the proxy", err)
		}
		if s := c.Stats(); s.Requests != 1 {
			t.Fatalf("an untrusted proxy was tried %d times", s.Requests)
		}
	})
	t.Run("without the proxy the name does not resolve", func(t *testing.T) {
		c := newClient(t, viaProxy(t, plain), r.team, newDevice(), func(cfg *Config) { cfg.MaxRetries = -1 })
		if _, err := c.Info(ctx); !errors.Is(err, ErrUnreachable) {
			t.Fatalf("got %v, want ErrUnreachable", err)
		}
	})
}
