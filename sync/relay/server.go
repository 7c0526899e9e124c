package relay

import (
	"crypto/ed25519"
	"encoding/json"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/letapis/letapis/sync/wire"
)

// Options configures a Server. Only Key is required.
type Options struct {
	// Key signs append receipts and the log's heads; clients learn its public half from
	// GET /v1/info. Keep it across restarts.
	Key ed25519.PrivateKey
	// QuotaBytes is how many bytes of blobs a team may store; 0 means no
	// limit.
	QuotaBytes int64
	// MaxBlobSize is the largest blob accepted; 0 (or more than
	// wire.MaxBlobSize) means wire.MaxBlobSize.
	MaxBlobSize int64
	// MaxMessageSize is the largest JSON request body; 0 (or more than
	// wire.MaxMessageSize) means wire.MaxMessageSize.
	MaxMessageSize int64
	// MaxWait bounds how long a log request may long-poll; 0 (or more than
	// wire.MaxWait) means wire.MaxWait.
	MaxWait time.Duration
	// InviteTTL is how long an invite token stays valid; 0 (or more than
	// 24 hours) means 24 hours.
	InviteTTL time.Duration
	// OpenRate is how many register and join requests (the endpoints
	// that carry a token instead of a signature) one client address may
	// make per minute once it has used a burst of OpenBurst; beyond that
	// the relay answers 429 with a Retry-After header. The address is the
	// connection's (an IPv6 address counts by its /64), never a header:
	// behind a reverse proxy or an onion service every client has the
	// proxy's address, so raise the limit there. 0 means DefaultOpenRate
	// and DefaultOpenBurst; a negative OpenRate means no limit.
	OpenRate, OpenBurst int
	// Now is the clock that request signatures, invite expiry and the
	// limits of OpenRate are checked against; nil means time.Now.
	Now func() time.Time
	// Logger receives one line per request (method, route pattern, status,
	// duration, bytes; never paths, ids, pseudonyms, tokens or bodies) and
	// internal errors; nil discards them.
	Logger *slog.Logger
}

// Server is a relay: an http.Handler serving protocol version 1 (see
// package wire) from a Store. It is safe for concurrent use.
type Server struct {
	store    Store
	opts     Options
	log      *slog.Logger
	mux      *http.ServeMux
	appends  broadcast
	inFlight blobsInFlight
	open     *addrLimiter // of register and join

	drain     chan struct{}
	drainOnce sync.Once
}

// New returns a relay serving store. It panics if opts.Key is not an
// Ed25519 private key.
func New(store Store, opts Options) *Server {
	if len(opts.Key) != ed25519.PrivateKeySize {
		panic("relay: Options.Key must be an Ed25519 private key")
	}
	opts.MaxBlobSize = bounded(opts.MaxBlobSize, wire.MaxBlobSize)
	opts.MaxMessageSize = bounded(opts.MaxMessageSize, wire.MaxMessageSize)
	opts.MaxWait = bounded(opts.MaxWait, wire.MaxWait)
	opts.InviteTTL = bounded(opts.InviteTTL, 24*time.Hour)
	if opts.Now == nil {
		opts.Now = time.Now
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Server{store: store, opts: opts, log: log, drain: make(chan struct{}),
		open: newAddrLimiter(opts.OpenRate, opts.OpenBurst, opts.Now)}
	s.mux = s.routes()
	return s
}

// bounded returns v if it is in (0, ceiling], and ceiling otherwise.
func bounded[T int64 | time.Duration](v, ceiling T) T {
	if v <= 0 || v > ceiling {
		return ceiling
	}
	return v
}

func (s *Server) routes() *http.ServeMux {
	blob, msg := s.opts.MaxBlobSize, s.opts.MaxMessageSize
	m := http.NewServeMux()
	m.Handle("GET /v1/info", s.endpoint(s.info))
	m.Handle("POST /v1/teams/{team}/register", s.tokenCall(s.register))
	m.Handle("POST /v1/teams/{team}/join", s.tokenCall(s.join))
	m.Handle("POST /v1/teams/{team}/invites", s.signed(admin, msg, s.createInvite))
	m.Handle("GET /v1/teams/{team}/joins", s.signed(admin, msg, s.listJoins))
	m.Handle("POST /v1/teams/{team}/devices/{pseudonym}/approve", s.signed(admin, msg, s.approve))
	m.Handle("POST /v1/teams/{team}/devices/{pseudonym}/revoke", s.signed(admin, msg, s.revoke))
	m.Handle("PUT /v1/teams/{team}/blobs/{id}", s.signed(member, blob, s.putBlob, s.received, contentAddressed))
	m.Handle("POST /v1/teams/{team}/blobs", s.signed(member, wire.MaxBatchSize, s.putBlobs))
	m.Handle("POST /v1/teams/{team}/blobs/missing", s.signed(member, msg, s.missingBlobs))
	m.Handle("POST /v1/teams/{team}/blobs/fetch", s.signed(member, msg, s.fetchBlobs))
	m.Handle("GET /v1/teams/{team}/blobs/{id}", s.signed(member, msg, s.getBlob))
	m.Handle("POST /v1/teams/{team}/log", s.signed(member, msg, s.appendLog))
	m.Handle("GET /v1/teams/{team}/log", s.signed(member, msg, s.readLog))
	m.Handle("/", s.endpoint(func(http.ResponseWriter, *http.Request) error {
		return wire.Errorf(wire.CodeNotFound, "no such endpoint in protocol version %d", wire.Version)
	}))
	return m
}

// Drain ends the long-polls in progress, each answered with what it has,
// and makes later ones answer at once. Register it with
// http.Server.RegisterOnShutdown so that a graceful shutdown need not wait
// for them.
func (s *Server) Drain() { s.drainOnce.Do(func() { close(s.drain) }) }

func (s *Server) info(w http.ResponseWriter, _ *http.Request) error {
	return writeJSON(w, http.StatusOK, &wire.Info{
		Version:     wire.Version,
		RelayKey:    s.opts.Key.Public().(ed25519.PublicKey),
		MaxBlobSize: s.opts.MaxBlobSize,
		MaxIDs:      wire.MaxIDs,
		LogVersion:  wire.LogVersion,
	})
}

// writeJSON sends v as the response. An error writing means the client
// has gone; there is no one left to tell.
func writeJSON(w http.ResponseWriter, status int, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(b)
	return nil
}
