package client

import (
	"crypto/ed25519"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/go-retryablehttp"

	"github.com/letapis/letapis/sync/wire"
)

// Defaults for the zero values of Config.
const (
	DefaultTimeout    = 30 * time.Second
	DefaultMaxRetries = 6
	DefaultMinBackoff = 250 * time.Millisecond
	DefaultMaxBackoff = 30 * time.Second
)

// Config says which relay and team a Client talks to, as which device,
// and how.
type Config struct {
	// Relay is the relay's base URL: https://host[:port][/prefix], or
	// http:// for loopback and onion hosts only (see wire.ParseRelayURL;
	// New refuses any other http:// URL with wire.ErrPlainHTTP). It must
	// not carry a user name, query or fragment.
	Relay string
	// Team is the team id (see wire.ValidName).
	Team string
	// Pseudonym is this device's pseudonym in the team.
	Pseudonym string
	// AuthKey is this device's request-signing key for the team. Every
	// request except Info, Register and Join is signed with it.
	AuthKey ed25519.PrivateKey
	// RelayKey, if set, is the relay's receipt key as this device first
	// saw it (from an earlier Info). A relay presenting another key is
	// refused with ErrProtocol.
	RelayKey ed25519.PublicKey
	// Pin, if set, is the hex SHA-256 of the relay certificate's
	// SubjectPublicKeyInfo, as in wire.InviteCode. With a pin the relay's
	// certificate is checked against the pin only: certificate
	// authorities, host names and expiry are not consulted, so relays with
	// self-signed certificates work, and no authority can vouch for an
	// impostor. A pin needs an https:// relay.
	Pin string
	// Proxy, if set, is the proxy every connection goes through:
	// socks5://127.0.0.1:9050 for Tor (the relay's host name is resolved
	// by the proxy, never locally), or http:// or https:// for a CONNECT
	// proxy. An https:// proxy's own certificate is verified normally; the
	// pin applies to the relay behind it. The environment's proxy
	// variables are ignored.
	Proxy string
	// Logger receives the client's diagnostics: fixed phrases and numbers
	// only, never URLs, host names, team ids, pseudonyms, blob ids, tokens
	// or bodies. Nil discards them.
	Logger *slog.Logger
	// Timeout is how long one attempt may go without a byte moving: for
	// connecting, for the answer to begin (plus the wait of a long-polling
	// Log), and between reads and writes of a body. A large blob on a slow
	// link therefore takes as long as it needs while it makes progress.
	// The caller's context bounds the whole call, retries included.
	// Zero means DefaultTimeout.
	Timeout time.Duration
	// MaxRetries is how many times a failed attempt is retried (see the
	// package documentation for which failures are). Zero means
	// DefaultMaxRetries; negative means never retry.
	MaxRetries int
	// MinBackoff and MaxBackoff bound the wait before a retry. Zero means
	// DefaultMinBackoff and DefaultMaxBackoff.
	MinBackoff, MaxBackoff time.Duration
	// Transport, if set, carries the requests instead of a transport built
	// from Pin and Proxy (which must then be empty). For tests.
	Transport http.RoundTripper
}

// Client talks to one relay for one team as one device. It is safe for
// concurrent use.
type Client struct {
	cfg   Config
	base  string // relay base URL without a trailing slash
	team  string // base + "/v1/teams/" + team
	http  *retryablehttp.Client
	log   *slog.Logger
	stats counters

	mu       sync.Mutex
	relayKey ed25519.PublicKey // from Config.RelayKey or the first Info
}

// New checks cfg and returns a Client. It does not contact the relay.
func New(cfg Config) (*Client, error) {
	base, err := parseRelay(cfg.Relay)
	if err != nil {
		return nil, err
	}
	switch {
	case !wire.ValidName(cfg.Team):
		return nil, errors.New("relay client: team id is malformed")
	case !wire.ValidName(cfg.Pseudonym):
		return nil, errors.New("relay client: device pseudonym is malformed")
	case len(cfg.AuthKey) != ed25519.PrivateKeySize:
		return nil, errors.New("relay client: auth key is not an Ed25519 private key")
	case cfg.RelayKey != nil && len(cfg.RelayKey) != ed25519.PublicKeySize:
		return nil, errors.New("relay client: relay key is not an Ed25519 public key")
	}
	cfg.Timeout = orDefault(cfg.Timeout, DefaultTimeout)
	cfg.MinBackoff = orDefault(cfg.MinBackoff, DefaultMinBackoff)
	cfg.MaxBackoff = orDefault(cfg.MaxBackoff, DefaultMaxBackoff)
	switch {
	case cfg.MaxRetries == 0:
		cfg.MaxRetries = DefaultMaxRetries
	case cfg.MaxRetries < 0:
		cfg.MaxRetries = 0
	}
	if cfg.Timeout < 0 || cfg.MinBackoff < 0 || cfg.MinBackoff > cfg.MaxBackoff {
		return nil, errors.New("relay client: timeout and backoffs must be positive, with MinBackoff at most MaxBackoff")
	}

	next := cfg.Transport
	if next == nil {
		if next, err = newTransport(base, cfg); err != nil {
			return nil, err
		}
	} else if cfg.Pin != "" || cfg.Proxy != "" {
		return nil, errors.New("relay client: a custom Transport cannot honour Pin or Proxy")
	}

	logger := cfg.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	c := &Client{
		cfg:      cfg,
		base:     base.String(),
		team:     base.String() + "/v1/teams/" + cfg.Team,
		log:      logger,
		relayKey: cfg.RelayKey,
	}
	c.http = &retryablehttp.Client{
		HTTPClient: &http.Client{
			Transport: &attempts{next: next, idle: cfg.Timeout, stats: &c.stats},
			// A relay never redirects; following one could carry signed
			// requests elsewhere or down to plain HTTP.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
		Logger:         nil, // its messages name URLs; ours are in checkRetry and onAttempt
		RetryWaitMin:   cfg.MinBackoff,
		RetryWaitMax:   cfg.MaxBackoff,
		RetryMax:       cfg.MaxRetries,
		CheckRetry:     c.checkRetry,
		Backoff:        backoff,
		PrepareRetry:   c.prepareRetry,
		RequestLogHook: c.onAttempt,
		ErrorHandler:   giveUp,
	}
	return c, nil
}

// parseRelay checks the relay URL and returns it without a trailing slash.
func parseRelay(s string) (*url.URL, error) {
	u, err := wire.ParseRelayURL(s)
	switch {
	case errors.Is(err, wire.ErrPlainHTTP):
		return nil, fmt.Errorf("relay client: %w", err)
	case err != nil:
		return nil, errors.New("relay client: the relay address is not an http(s) URL")
	case u.User != nil || u.RawQuery != "" || u.Fragment != "" || u.Opaque != "":
		return nil, errors.New("relay client: the relay address must not contain a user name, query or fragment")
	}
	u.Path = strings.TrimRight(u.Path, "/")
	u.RawPath = ""
	return u, nil
}

// parsePin decodes Config.Pin.
func parsePin(s string) ([]byte, error) {
	pin, err := hex.DecodeString(s)
	if err != nil || len(pin) != 32 {
		return nil, errors.New("relay client: the certificate pin is not a hex SHA-256 (64 hex digits)")
	}
	return pin, nil
}

func orDefault(d, def time.Duration) time.Duration {
	if d == 0 {
		return def
	}
	return d
}
