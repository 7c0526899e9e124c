package main

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"crypto/tls"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"time"

	"github.com/letapis/letapis/sync/relay"
	"github.com/letapis/letapis/sync/wire"
)

// shutdownTimeout is how long a graceful shutdown waits for requests in
// flight.
const shutdownTimeout = 10 * time.Second

// serve runs the relay until ctx ends, then shuts it down gracefully.
func serve(ctx context.Context, args []string, stdout, stderr io.Writer) (err error) {
	fs := newFlagSet("serve")
	listen := fs.String("listen", "127.0.0.1:8443", "")
	data := fs.String("data", "", "")
	certFile := fs.String("tls-cert", "", "")
	keyFile := fs.String("tls-key", "", "")
	quota := fs.Int64("quota-bytes", 10<<30, "")
	maxConns := fs.Int("max-conns", 2000, "")
	maxPerAddr := fs.Int("max-conns-per-addr", 64, "")
	openRate := fs.Int("open-rate", relay.DefaultOpenRate, "")
	openBurst := fs.Int("open-burst", relay.DefaultOpenBurst, "")
	if err := parse(fs, args, stdout); err != nil {
		return err
	}
	switch {
	case *data == "":
		return &usageError{"serve needs --data DIR"}
	case (*certFile == "") != (*keyFile == ""):
		return &usageError{"--tls-cert and --tls-key go together"}
	case *quota < 0:
		return &usageError{"--quota-bytes must be 0 (no limit) or more"}
	case *maxConns < 1 || *maxPerAddr < 0:
		return &usageError{"--max-conns must be 1 or more, --max-conns-per-addr 0 (no limit) or more"}
	case *openRate == 0 || *openRate < -1 || *openBurst < 1:
		return &usageError{"--open-rate must be 1 or more (or -1, no limit), --open-burst 1 or more"}
	}

	logger := slog.New(slog.NewJSONHandler(stderr, nil))
	var tlsConfig *tls.Config
	var pin string
	if *certFile != "" {
		if tlsConfig, pin, err = loadTLS(*certFile, *keyFile); err != nil {
			return err
		}
	}
	// The store first: its lock keeps a second relay off the same data.
	store, err := openStore(*data, logger)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, store.Close()) }()
	key, err := loadOrCreateKey(filepath.Join(*data, "relay.key"), logger)
	if err != nil {
		return err
	}
	handler := relay.New(store, relay.Options{Key: key, QuotaBytes: *quota, Logger: logger, OpenRate: *openRate, OpenBurst: *openBurst})

	tcp, err := net.Listen("tcp", *listen)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", *listen, err)
	}
	ln := newLimitListener(tcp, *maxConns, *maxPerAddr)
	if tlsConfig == nil && !isLoopback(ln.Addr()) {
		logger.Warn("serving plain HTTP on a non-loopback address: the network sees every request, and clients " +
			"refuse an http:// relay that is not on loopback or a .onion host; use --tls-cert and --tls-key, or put the relay behind a TLS proxy")
	}
	attrs := []any{"addr", ln.Addr().String(), "tls", tlsConfig != nil, "version", version,
		"relay_key", base64.StdEncoding.EncodeToString(key.Public().(ed25519.PublicKey))}
	if tlsConfig != nil {
		attrs = append(attrs, "tls_pin", pin) // for invite codes
	}
	logger.Info("relay listening", attrs...)
	return serveUntilDone(ctx, httpServer(handler, tlsConfig), ln, logger)
}

// httpServer returns the relay's HTTP server: bounded header, body and
// idle times, and room in the write time for a full long-poll.
func httpServer(handler *relay.Server, tlsConfig *tls.Config) *http.Server {
	srv := &http.Server{
		Handler:           handler,
		TLSConfig:         tlsConfig,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       2 * time.Minute,
		WriteTimeout:      2*time.Minute + wire.MaxWait,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		// Its lines name client addresses, which the relay does not keep.
		ErrorLog: log.New(io.Discard, "", 0),
	}
	srv.RegisterOnShutdown(handler.Drain)
	return srv
}

// serveUntilDone serves on ln until ctx ends, then shuts down gracefully,
// giving requests in flight shutdownTimeout to finish.
func serveUntilDone(ctx context.Context, srv *http.Server, ln net.Listener, logger *slog.Logger) error {
	served := make(chan error, 1)
	go func() {
		if srv.TLSConfig != nil {
			served <- srv.ServeTLS(ln, "", "")
		} else {
			served <- srv.Serve(ln)
		}
	}()
	select {
	case err := <-served:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	logger.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		srv.Close()
		return fmt.Errorf("shut down: requests still running after %v: %w", shutdownTimeout, err)
	}
	<-served // http.ErrServerClosed
	logger.Info("stopped")
	return nil
}

// loadTLS loads a certificate and key and returns the TLS configuration
// and the certificate's pin for invite codes (wire.InviteCode.Pin).
func loadTLS(certFile, keyFile string) (*tls.Config, string, error) {
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, "", fmt.Errorf("load the TLS certificate: %w", err)
	}
	sum := sha256.Sum256(cert.Leaf.RawSubjectPublicKeyInfo)
	return &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS13}, hex.EncodeToString(sum[:]), nil
}

func isLoopback(addr net.Addr) bool {
	tcp, ok := addr.(*net.TCPAddr)
	return ok && tcp.IP.IsLoopback()
}
