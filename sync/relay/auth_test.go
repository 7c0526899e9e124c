package relay

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/letapis/letapis/sync/wire"
)

func TestSignedRequestsAreAuthenticated(t *testing.T) {
	r := newTestRelay(t, Options{})
	admin := r.newTeam()
	member := admin.newMember()
	pending := admin.newPending()
	revoked := admin.newMember()
	if status, body := admin.do(http.MethodPost, "/devices/"+revoked.pseudonym+"/revoke", nil); status != http.StatusNoContent {
		t.Fatalf("revoke: %d %s", status, body)
	}
	stranger := r.newDevice(admin.team)
	_, otherKey, _ := ed25519.GenerateKey(rand.Reader)
	now := time.Now()
	get := func(d *device) *http.Request { return d.request(http.MethodGet, "/log", nil, now) }

	for _, tc := range []struct {
		name   string
		req    func() *http.Request
		status int
		code   wire.Code
		msg    string
	}{
		{"member", func() *http.Request { return get(member) }, http.StatusOK, "", ""},
		{"unsigned", func() *http.Request {
			req := get(member)
			req.Header.Del(wire.HeaderSignature)
			return req
		}, http.StatusUnauthorized, wire.CodeUnauthenticated, "not signed"},
		{"signed by another key", func() *http.Request {
			req := get(member)
			wire.SignRequest(req, member.pseudonym, otherKey, now)
			return req
		}, http.StatusUnauthorized, wire.CodeUnauthenticated, "not valid"},
		{"body changed", func() *http.Request {
			req := member.request(http.MethodPost, "/blobs/missing", []byte(`{"ids":[]}`), now)
			req.Body = io.NopCloser(strings.NewReader(`{"ids":{}}`)) // same length
			req.GetBody = nil
			return req
		}, http.StatusUnauthorized, wire.CodeUnauthenticated, "digest"},
		{"stale", func() *http.Request {
			return member.request(http.MethodGet, "/log", nil, now.Add(-wire.MaxClockSkew-time.Minute))
		}, http.StatusUnauthorized, wire.CodeUnauthenticated, "too old"},
		{"from the future", func() *http.Request {
			return member.request(http.MethodGet, "/log", nil, now.Add(wire.MaxClockSkew+time.Minute))
		}, http.StatusUnauthorized, wire.CodeUnauthenticated, "future"},
		{"unknown device", func() *http.Request { return get(stranger) }, http.StatusUnauthorized, wire.CodeUnauthenticated, "not registered"},
		{"malformed pseudonym", func() *http.Request {
			req := get(member)
			req.Header.Set(wire.HeaderDevice, strings.Repeat("X", 5000))
			return req
		}, http.StatusUnauthorized, wire.CodeUnauthenticated, "not registered"},
		{"member of another team", func() *http.Request {
			other := r.newTeam()
			other.team = admin.team
			return get(other)
		}, http.StatusUnauthorized, wire.CodeUnauthenticated, "not registered"},
		{"revoked device", func() *http.Request { return get(revoked) }, http.StatusForbidden, wire.CodeForbidden, "removed"},
		{"pending device", func() *http.Request { return get(pending) }, http.StatusForbidden, wire.CodeForbidden,
			"waiting for an admin to approve this device"},
		{"malformed team", func() *http.Request {
			req := get(member)
			req.URL.Path = "/v1/teams/NOT-A-TEAM/log"
			return req
		}, http.StatusBadRequest, wire.CodeBadRequest, "team id"},
		{"body too large", func() *http.Request {
			return member.request(http.MethodPost, "/log", bytes.Repeat([]byte(" "), wire.MaxMessageSize+1), now)
		}, http.StatusRequestEntityTooLarge, wire.CodeTooLarge, "larger than"},
		{"malformed message", func() *http.Request {
			return member.request(http.MethodPost, "/log", []byte(`{"ids":["nope"]}`), now)
		}, http.StatusBadRequest, wire.CodeBadRequest, "malformed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, body := r.send(tc.req())
			expect(t, status, body, tc.status, tc.code)
			if !strings.Contains(string(body), tc.msg) {
				t.Errorf("message %s does not say %q", body, tc.msg)
			}
		})
	}

	t.Run("replay", func(t *testing.T) {
		body := mustJSON(t, wire.IDs{})
		req := member.request(http.MethodPost, "/blobs/missing", body, now)
		replay := req.Clone(req.Context())
		replay.Body = io.NopCloser(bytes.NewReader(body))
		status, resp := r.send(req)
		expect(t, status, resp, http.StatusOK, "")
		status, resp = r.send(replay)
		expect(t, status, resp, http.StatusUnauthorized, wire.CodeUnauthenticated)
		if !strings.Contains(string(resp), "replay") {
			t.Errorf("replay refused with %s", resp)
		}
	})
}

func TestAdminEndpointsRefuseMembers(t *testing.T) {
	r := newTestRelay(t, Options{})
	admin := r.newTeam()
	member := admin.newMember()
	for _, tc := range []struct{ method, path string }{
		{http.MethodPost, "/invites"},
		{http.MethodGet, "/joins"},
		{http.MethodPost, "/devices/" + admin.pseudonym + "/approve"},
		{http.MethodPost, "/devices/" + admin.pseudonym + "/revoke"},
	} {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			status, body := member.do(tc.method, tc.path, nil)
			expect(t, status, body, http.StatusForbidden, wire.CodeForbidden)
			if !strings.Contains(string(body), "admin") {
				t.Errorf("message %s does not mention admins", body)
			}
		})
	}
	if d, _ := r.store.Device(t.Context(), admin.team, admin.pseudonym); d.Status != StatusActive {
		t.Fatalf("a member changed the admin: %+v", d)
	}
}

func TestUnknownEndpointsAnswerInJSON(t *testing.T) {
	r := newTestRelay(t, Options{})
	for _, target := range []string{"/", "/v2/info", "/v1/teams", "/v1/teams/" + newName() + "/nothing"} {
		req, _ := http.NewRequest(http.MethodDelete, r.url+target, nil)
		status, body := r.send(req)
		expect(t, status, body, http.StatusNotFound, wire.CodeNotFound)
	}
	info := r.info()
	if info.Version != wire.Version || info.MaxBlobSize != wire.MaxBlobSize || info.MaxIDs != wire.MaxIDs ||
		!info.RelayKey.Equal(r.srv.opts.Key.Public()) {
		t.Fatalf("info: %+v", info)
	}
}
