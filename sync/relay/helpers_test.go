package relay

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/letapis/letapis/internal/logbuf"
	"github.com/letapis/letapis/sync/wire"
)

// testRelay is a relay on loopback over a Badger store in a temporary
// directory. It collects its log and, when the test ends, checks that the
// log names none of the team ids, pseudonyms, tokens and blob ids the test
// used.
type testRelay struct {
	tb     testing.TB
	dir    string
	store  *BadgerStore
	srv    *Server
	url    string
	client *http.Client
	logs   *logbuf.Buffer

	mu      sync.Mutex
	secrets []string // what the log must not contain
}

func newTestRelay(tb testing.TB, opts Options) *testRelay {
	tb.Helper()
	r := &testRelay{tb: tb, dir: tb.TempDir(), logs: &logbuf.Buffer{}}
	log := slog.New(slog.NewJSONHandler(r.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	r.store = openBadger(tb, r.dir, log)
	tb.Cleanup(r.checkLogs) // after the server below is closed
	_, opts.Key, _ = ed25519.GenerateKey(rand.Reader)
	opts.Logger = log
	r.srv = New(r.store, opts)
	ts := httptest.NewServer(r.srv)
	tb.Cleanup(ts.Close)
	r.url = ts.URL
	r.client = ts.Client()
	r.client.Transport.(*http.Transport).MaxIdleConnsPerHost = 100
	return r
}

func openBadger(tb testing.TB, dir string, log *slog.Logger) *BadgerStore {
	tb.Helper()
	s, err := OpenBadgerStore(dir, BadgerOptions{Logger: log})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		if err := s.Close(); err != nil {
			tb.Error(err)
		}
	})
	return s
}

// secret adds strings the relay's log must never contain.
func (r *testRelay) secret(s ...string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.secrets = append(r.secrets, s...)
}

func (r *testRelay) checkLogs() {
	logs := r.logs.String()
	if !strings.Contains(logs, `"msg":"request"`) {
		r.tb.Error("the relay logged no requests")
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, s := range r.secrets {
		if strings.Contains(logs, s) {
			r.tb.Errorf("the relay's log contains %q", s)
		}
	}
}

// roundTrip sends req and returns the response status and body.
func (r *testRelay) roundTrip(req *http.Request) (int, []byte, error) {
	resp, err := r.client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return resp.StatusCode, body, err
}

// send is roundTrip for the test's goroutine.
func (r *testRelay) send(req *http.Request) (int, []byte) {
	r.tb.Helper()
	status, body, err := r.roundTrip(req)
	if err != nil {
		r.tb.Fatal(err)
	}
	return status, body
}

// post sends an unsigned request with a JSON body.
func (r *testRelay) post(path string, msg any) (int, []byte) {
	r.tb.Helper()
	req, err := http.NewRequest(http.MethodPost, r.url+path, bytes.NewReader(mustJSON(r.tb, msg)))
	if err != nil {
		r.tb.Fatal(err)
	}
	return r.send(req)
}

// info returns the relay's GET /v1/info.
func (r *testRelay) info() wire.Info {
	r.tb.Helper()
	req, _ := http.NewRequest(http.MethodGet, r.url+"/v1/info", nil)
	status, body := r.send(req)
	expect(r.tb, status, body, http.StatusOK, "")
	return decode[wire.Info](r.tb, body)
}

// device is a client device: a pseudonym and request-signing key in a team.
type device struct {
	relay     *testRelay
	team      string
	pseudonym string
	key       ed25519.PrivateKey
}

func (r *testRelay) newDevice(team string) *device {
	_, key, _ := ed25519.GenerateKey(rand.Reader)
	d := &device{relay: r, team: team, pseudonym: newName(), key: key}
	r.secret(team, d.pseudonym)
	return d
}

func (d *device) public() ed25519.PublicKey { return d.key.Public().(ed25519.PublicKey) }

// newTeam creates a team and registers its first device, its admin.
func (r *testRelay) newTeam() *device {
	r.tb.Helper()
	team, token, err := NewTeam(context.Background(), r.store)
	if err != nil {
		r.tb.Fatal(err)
	}
	r.secret(token)
	admin := r.newDevice(team)
	status, body := admin.register(token)
	expect(r.tb, status, body, http.StatusCreated, "")
	return admin
}

func (d *device) register(token string) (int, []byte) {
	return d.relay.post("/v1/teams/"+d.team+"/register",
		wire.Register{Token: token, Pseudonym: d.pseudonym, AuthKey: d.public()})
}

// applicant is what d sends when it joins.
func (d *device) applicant() wire.Applicant {
	return wire.Applicant{Pseudonym: d.pseudonym, AuthKey: d.public(), Device: d.public(), Recipient: "age1-test-recipient"}
}

func (d *device) join(token string) (int, []byte) {
	return d.relay.post("/v1/teams/"+d.team+"/join", wire.JoinRequest{Token: token, Applicant: d.applicant()})
}

// invite makes an invite token as admin.
func (admin *device) invite() string {
	admin.relay.tb.Helper()
	status, body := admin.do(http.MethodPost, "/invites", nil)
	expect(admin.relay.tb, status, body, http.StatusCreated, "")
	token := decode[wire.Invite](admin.relay.tb, body).Token
	admin.relay.secret(token)
	return token
}

// newPending returns a new device that has asked to join admin's team.
func (admin *device) newPending() *device {
	admin.relay.tb.Helper()
	d := admin.relay.newDevice(admin.team)
	status, body := d.join(admin.invite())
	expect(admin.relay.tb, status, body, http.StatusAccepted, "")
	return d
}

// newMember returns a new device that admin has admitted to the team.
func (admin *device) newMember() *device {
	admin.relay.tb.Helper()
	d := admin.newPending()
	status, body := admin.do(http.MethodPost, "/devices/"+d.pseudonym+"/approve", nil)
	expect(admin.relay.tb, status, body, http.StatusNoContent, "")
	return d
}

// request returns a request for path under the device's team, signed as
// if at time at.
func (d *device) request(method, path string, body []byte, at time.Time) *http.Request {
	req, err := http.NewRequest(method, d.relay.url+"/v1/teams/"+d.team+path, bytes.NewReader(body))
	if err != nil {
		panic(err)
	}
	req.Header.Set(wire.HeaderDigest, wire.Digest(body))
	wire.SignRequest(req, d.pseudonym, d.key, at)
	return req
}

// do sends a signed request for path under the device's team.
func (d *device) do(method, path string, body []byte) (int, []byte) {
	d.relay.tb.Helper()
	return d.relay.send(d.request(method, path, body, time.Now()))
}

// putBlob stores data and returns its id.
func (d *device) putBlob(data []byte) string {
	d.relay.tb.Helper()
	id := blobIDOf(data)
	status, body := d.do(http.MethodPut, "/blobs/"+id, data)
	expect(d.relay.tb, status, body, http.StatusCreated, "")
	d.relay.secret(id)
	return id
}

// appendIDs appends ids to the log.
func (d *device) appendIDs(ids ...string) wire.Appended {
	d.relay.tb.Helper()
	status, body := d.do(http.MethodPost, "/log", mustJSON(d.relay.tb, wire.IDs{IDs: ids}))
	expect(d.relay.tb, status, body, http.StatusOK, "")
	return decode[wire.Appended](d.relay.tb, body)
}

// readLog reads the log with the given query.
func (d *device) readLog(query string) wire.Page {
	d.relay.tb.Helper()
	status, body := d.do(http.MethodGet, "/log?"+query, nil)
	expect(d.relay.tb, status, body, http.StatusOK, "")
	return decode[wire.Page](d.relay.tb, body)
}

func blobIDOf(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return b
}

// expect checks a response's status and, for an error, its wire code.
func expect(tb testing.TB, status int, body []byte, want int, code wire.Code) {
	tb.Helper()
	if status != want {
		tb.Fatalf("status %d, want %d; body %.300s", status, want, body)
	}
	if code == "" {
		return
	}
	var e wire.Error
	if err := json.Unmarshal(body, &e); err != nil || e.Code != code {
		tb.Fatalf("error body %.300s, want code %s", body, code)
	}
}

// decode decodes and validates a response body.
func decode[T any, PT interface {
	*T
	wire.Message
}](tb testing.TB, body []byte) T {
	tb.Helper()
	var v T
	if err := wire.DecodeBytes(body, PT(&v)); err != nil {
		tb.Fatalf("decode %T: %v; body %.300s", v, err, body)
	}
	return v
}

func mustJSON(tb testing.TB, v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}
