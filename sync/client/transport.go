package client

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"time"
)

// newTransport builds the connection pool to the relay: TLS with the pin
// if one is set, through the proxy if one is set, and nothing taken from
// the environment.
func newTransport(relay *url.URL, cfg Config) (*http.Transport, error) {
	dialer := &net.Dialer{Timeout: cfg.Timeout, KeepAlive: 30 * time.Second}
	t := &http.Transport{
		DialContext:         dialer.DialContext,
		TLSClientConfig:     &tls.Config{MinVersion: tls.VersionTLS12},
		TLSHandshakeTimeout: cfg.Timeout,
		MaxIdleConnsPerHost: 4,
		IdleConnTimeout:     90 * time.Second,
		// Bodies are ciphertext or short JSON; without compression the
		// byte counts in Stats are the bytes on the wire.
		DisableCompression: true,
	}
	if cfg.Pin != "" {
		if relay.Scheme != "https" {
			return nil, errors.New("relay client: a certificate pin needs an https:// relay")
		}
		pin, err := parsePin(cfg.Pin)
		if err != nil {
			return nil, err
		}
		// The pin replaces the usual verification (see Config.Pin);
		// VerifyConnection still runs, and refuses any other key.
		t.TLSClientConfig.InsecureSkipVerify = true
		t.TLSClientConfig.VerifyConnection = verifyPin(pin)
	}
	if cfg.Proxy != "" {
		proxy, err := url.Parse(cfg.Proxy)
		if err != nil || proxy.Host == "" {
			return nil, errors.New("relay client: the proxy address is not a URL")
		}
		switch proxy.Scheme {
		case "socks5", "socks5h", "http":
		case "https":
			// The connection to an https proxy is made here, so that it is
			// verified as the proxy's own and the relay's pin (in
			// TLSClientConfig) applies only to the relay behind it.
			t.DialTLSContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
				conn, err := dialer.DialContext(ctx, network, addr)
				if err != nil {
					return nil, err
				}
				tc := tls.Client(conn, &tls.Config{ServerName: proxy.Hostname(), MinVersion: tls.VersionTLS12})
				if err := tc.HandshakeContext(ctx); err != nil {
					conn.Close()
					return nil, fmt.Errorf("TLS to the proxy: %w", err)
				}
				return tc, nil
			}
		default:
			return nil, errors.New("relay client: the proxy must be a socks5://, http:// or https:// URL")
		}
		t.Proxy = http.ProxyURL(proxy)
	}
	return t, nil
}

// verifyPin returns a tls.Config.VerifyConnection that accepts only a leaf
// certificate whose SubjectPublicKeyInfo hashes to pin.
func verifyPin(pin []byte) func(tls.ConnectionState) error {
	return func(cs tls.ConnectionState) error {
		if len(cs.PeerCertificates) == 0 {
			return fmt.Errorf("%w: it presented none, and a pin is set", ErrCertificate)
		}
		got := sha256.Sum256(cs.PeerCertificates[0].RawSubjectPublicKeyInfo)
		if subtle.ConstantTimeCompare(got[:], pin) != 1 {
			return fmt.Errorf("%w: its key does not match the pin (pinned %x, presented %x)", ErrCertificate, pin, got)
		}
		return nil
	}
}
