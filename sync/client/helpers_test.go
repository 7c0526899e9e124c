package client

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/hex"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/letapis/letapis/internal/logbuf"
	"github.com/letapis/letapis/sync/relay"
	"github.com/letapis/letapis/sync/wire"
)

// testRelay is the real relay handler on a Badger store in a temporary
// directory, with one team created.
type testRelay struct {
	http.Handler
	team  string
	token string // the operator's registration token
	key   ed25519.PublicKey
}

func newRelay(t *testing.T) *testRelay {
	t.Helper()
	store, err := relay.OpenBadgerStore(t.TempDir(), relay.BadgerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	pub, key, _ := ed25519.GenerateKey(rand.Reader)
	team, token, err := relay.NewTeam(context.Background(), store)
	if err != nil {
		t.Fatal(err)
	}
	return &testRelay{Handler: relay.New(store, relay.Options{Key: key}), team: team, token: token, key: pub}
}

// serve serves h over HTTP on 127.0.0.1 for the test and returns its URL.
func serve(t *testing.T, h http.Handler) string {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL
}

// device is a device's identity in a team.
type device struct {
	pseudonym string
	key       ed25519.PrivateKey
}

func newDevice() device {
	b := make([]byte, 16)
	rand.Read(b)
	_, key, _ := ed25519.GenerateKey(rand.Reader)
	return device{strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b)), key}
}

func (d device) applicant() wire.Applicant {
	return wire.Applicant{Device: d.key.Public().(ed25519.PublicKey), Recipient: "age1testrecipient"}
}

// newClient returns a client for d with test-sized timeouts and backoffs.
func newClient(t *testing.T, relayURL, team string, d device, tweaks ...func(*Config)) *Client {
	t.Helper()
	cfg := Config{
		Relay: relayURL, Team: team, Pseudonym: d.pseudonym, AuthKey: d.key,
		Timeout: 5 * time.Second, MinBackoff: time.Millisecond, MaxBackoff: 10 * time.Millisecond,
	}
	for _, tweak := range tweaks {
		tweak(&cfg)
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// admin registers a new device as the team's admin.
func (r *testRelay) admin(t *testing.T, relayURL string, tweaks ...func(*Config)) *Client {
	t.Helper()
	c := newClient(t, relayURL, r.team, newDevice(), tweaks...)
	if err := c.Register(context.Background(), r.token); err != nil {
		t.Fatal(err)
	}
	return c
}

// member invites, joins and approves a new device.
func (r *testRelay) member(t *testing.T, relayURL string, admin *Client, tweaks ...func(*Config)) (*Client, device) {
	t.Helper()
	ctx := context.Background()
	inv, err := admin.Invite(ctx)
	if err != nil {
		t.Fatal(err)
	}
	d := newDevice()
	c := newClient(t, relayURL, r.team, d, tweaks...)
	if err := c.Join(ctx, inv.Token, d.applicant()); err != nil {
		t.Fatal(err)
	}
	if err := admin.Approve(ctx, d.pseudonym, "member"); err != nil {
		t.Fatal(err)
	}
	return c, d
}

// blob returns content-addressed test data of n bytes.
func blob(seed string, n int) (id string, data []byte) {
	data = bytes.Repeat([]byte(seed), n/len(seed)+1)[:n]
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:]), data
}

// debugLogger logs at every level into logs.
func debugLogger(logs *logbuf.Buffer) *slog.Logger {
	return slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
}
