package relay

import (
	"bufio"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/letapis/letapis/internal/logbuf"
	"github.com/letapis/letapis/sync/wire"
)

func TestRequestLogNamesRoutesNotPaths(t *testing.T) {
	r := newTestRelay(t, Options{})
	member := r.newTeam().newMember()
	id := member.putBlob([]byte("logged"))
	member.do(http.MethodGet, "/blobs/"+id, nil)

	type line struct {
		Msg, Method, Route string
		Status             int
		Bytes              int64
		Duration           time.Duration
	}
	want := map[line]bool{
		{Msg: "request", Method: "PUT", Route: "PUT /v1/teams/{team}/blobs/{id}", Status: 201}:           false,
		{Msg: "request", Method: "GET", Route: "GET /v1/teams/{team}/blobs/{id}", Status: 200, Bytes: 6}: false,
	}
	lines := bufio.NewScanner(strings.NewReader(r.logs.String()))
	for lines.Scan() {
		var l line
		if err := json.Unmarshal(lines.Bytes(), &l); err != nil {
			t.Fatalf("log line %q: %v", lines.Text(), err)
		}
		if l.Msg == "request" && l.Duration <= 0 {
			t.Errorf("no duration in %s", lines.Text())
		}
		l.Duration = 0
		if _, ok := want[l]; ok {
			want[l] = true
		}
	}
	for l, seen := range want {
		if !seen {
			t.Errorf("no log line %+v in\n%s", l, r.logs.String())
		}
	}
}

// panicky is a store whose device lookups panic with a value that must go
// neither to the client nor to the log.
type panicky struct{ Store }

func (panicky) Device(_ context.Context, _, pseudonym string) (Device, error) {
	panic("secret " + pseudonym)
}

func TestPanicsBecomeBare500s(t *testing.T) {
	var logs logbuf.Buffer
	_, key, _ := ed25519.GenerateKey(rand.Reader)
	srv := New(panicky{}, Options{Key: key, Logger: slog.New(slog.NewJSONHandler(&logs, nil))})
	pseudonym := newName()
	req := httptest.NewRequest(http.MethodGet, "/v1/teams/"+newName()+"/log", nil)
	req.Header.Set(wire.HeaderDigest, wire.Digest(nil))
	wire.SignRequest(req, pseudonym, key, time.Now())
	rec := httptest.NewRecorder()
	srv.ServeHTTP(rec, req)

	expect(t, rec.Code, rec.Body.Bytes(), http.StatusInternalServerError, wire.CodeInternal)
	for what, text := range map[string]string{"response": rec.Body.String(), "log": logs.String()} {
		if strings.Contains(text, "secret") || strings.Contains(text, pseudonym) {
			t.Errorf("the %s repeats the panic value: %s", what, text)
		}
	}
	if !strings.Contains(logs.String(), `"panic":"value of type string"`) || !strings.Contains(logs.String(), `"status":500`) {
		t.Errorf("the log does not record the panic: %s", logs.String())
	}
}

// failing is a store whose log cannot be read.
type failing struct{ *BadgerStore }

func (failing) ReadLog(context.Context, string, uint64, int) (LogRead, error) {
	return LogRead{}, errors.New("disk on fire")
}

func TestInternalErrorsAreLoggedNotTold(t *testing.T) {
	r := newTestRelay(t, Options{})
	member := r.newTeam().newMember()
	var logs logbuf.Buffer
	srv := New(failing{r.store}, Options{Key: r.srv.opts.Key, Logger: slog.New(slog.NewJSONHandler(&logs, nil))})
	rec := httptest.NewRecorder()
	srv.ServeHTTP(rec, member.request(http.MethodGet, "/log", nil, time.Now()))
	expect(t, rec.Code, rec.Body.Bytes(), http.StatusInternalServerError, wire.CodeInternal)
	if strings.Contains(rec.Body.String(), "fire") {
		t.Errorf("the client is told the cause: %s", rec.Body)
	}
	if !strings.Contains(logs.String(), `"msg":"request failed","route":"GET /v1/teams/{team}/log","err":"read the log: disk on fire"`) {
		t.Errorf("the log does not have the cause:\n%s", logs.String())
	}
}
