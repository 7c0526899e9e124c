package relay

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/letapis/letapis/sync/wire"
)

// FuzzLogQuery: parsing the query of GET .../log never panics, and what it
// accepts is within bounds and reads back the same when written out.
func FuzzLogQuery(f *testing.F) {
	for _, seed := range []string{
		"", "since=5&limit=10&wait=30", "wait=0.25", "wait=1e400", "wait=NaN", "wait=-0",
		"since=18446744073709551615", "since=18446744073709551616", "limit=99999999999999999999",
		"since=1&since=2", "limit=%zz", "wait=0x1p-2", "wait=Inf",
	} {
		f.Add(seed)
	}
	const maxWait = 7 * time.Second
	f.Fuzz(func(t *testing.T, raw string) {
		q, _ := url.ParseQuery(raw) // as Request.URL.Query: bad pairs dropped
		lq, err := parseLogQuery(q, maxWait)
		if err != nil {
			if errorFor(err) == nil || errorFor(err).Code != wire.CodeBadRequest {
				t.Fatalf("%q: error %v is not a bad request", raw, err)
			}
			return
		}
		if lq.limit < 1 || lq.limit > wire.MaxIDs || lq.wait < 0 || lq.wait > maxWait {
			t.Fatalf("%q: out of bounds: %+v", raw, lq)
		}
		again, err := parseLogQuery(url.Values{
			"since": {fmt.Sprint(lq.since)},
			"limit": {fmt.Sprint(lq.limit)},
			"wait":  {fmt.Sprint(lq.wait.Seconds())},
		}, maxWait)
		if err != nil || again != lq {
			t.Fatalf("%q: %+v reads back as %+v, %v", raw, lq, again, err)
		}
	})
}

// FuzzRequests sends arbitrary requests to a relay with one team: none
// makes it fail (500) or answer an error in anything but a wire error.
func FuzzRequests(f *testing.F) {
	store := openBadger(f, f.TempDir(), nil)
	_, key, _ := ed25519.GenerateKey(rand.Reader)
	srv := New(store, Options{Key: key, MaxWait: time.Millisecond})
	team, token, err := NewTeam(f.Context(), store)
	if err != nil {
		f.Fatal(err)
	}
	pub, _, _ := ed25519.GenerateKey(rand.Reader)
	for _, seed := range []struct {
		method, target string
		body           []byte
	}{
		{"GET", "/v1/info", nil},
		{"POST", "/v1/teams/" + team + "/register", mustJSON(f, wire.Register{Token: token, Pseudonym: newName(), AuthKey: pub})},
		{"POST", "/v1/teams/" + team + "/join", mustJSON(f, wire.JoinRequest{Token: token})},
		{"GET", "/v1/teams/" + team + "/log?since=1&wait=1", nil},
		{"PUT", "/v1/teams/" + team + "/blobs/" + blobIDOf(nil), nil},
		{"POST", "/v1/teams/" + team + "/blobs", wire.AppendBatch(nil, []byte("blob"))},
		{"POST", "/v1/teams/" + team + "/blobs/fetch", mustJSON(f, wire.IDs{IDs: []string{blobIDOf(nil)}})},
		{"POST", "/v1/teams/x/devices/y/approve", []byte("{}")},
		{"DELETE", "/v1/teams/../info", nil},
	} {
		f.Add(seed.method, seed.target, seed.body)
	}
	f.Fuzz(func(t *testing.T, method, target string, body []byte) {
		req, err := http.NewRequest(method, "http://relay.test"+target, bytes.NewReader(body))
		if err != nil {
			return
		}
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, req)
		if rec.Code == http.StatusInternalServerError {
			t.Fatalf("%s %q: 500 %s", method, target, rec.Body)
		}
		var e wire.Error
		if rec.Code >= 400 && rec.Code != http.StatusRequestedRangeNotSatisfiable &&
			(json.Unmarshal(rec.Body.Bytes(), &e) != nil || e.Code == "") {
			t.Fatalf("%s %q: %d with a body that is not a wire error: %q", method, target, rec.Code, rec.Body)
		}
	})
}
