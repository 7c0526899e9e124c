package relay

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/letapis/letapis/sync/wire"
)

func TestRegister(t *testing.T) {
	r := newTestRelay(t, Options{})
	team, token, err := NewTeam(context.Background(), r.store)
	if err != nil {
		t.Fatal(err)
	}
	r.secret(token)
	first, second := r.newDevice(team), r.newDevice(team)
	for _, tc := range []struct {
		name   string
		send   func() (int, []byte)
		status int
		code   wire.Code
	}{
		{"wrong token", func() (int, []byte) { return first.register(newToken()) }, http.StatusForbidden, wire.CodeForbidden},
		{"unknown team", func() (int, []byte) {
			return r.post("/v1/teams/"+newName()+"/register", wire.Register{Token: token, Pseudonym: first.pseudonym, AuthKey: first.public()})
		}, http.StatusForbidden, wire.CodeForbidden},
		{"malformed", func() (int, []byte) { return r.post("/v1/teams/"+team+"/register", wire.Register{Token: token}) },
			http.StatusBadRequest, wire.CodeBadRequest},
		{"first device", func() (int, []byte) { return first.register(token) }, http.StatusCreated, ""},
		{"retry", func() (int, []byte) { return first.register(token) }, http.StatusCreated, ""},
		{"second device", func() (int, []byte) { return second.register(token) }, http.StatusConflict, wire.CodeConflict},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, body := tc.send()
			expect(t, status, body, tc.status, tc.code)
		})
	}
	first.readLog("") // the admin is active
}

func TestJoinApproveRevoke(t *testing.T) {
	now := time.Now()
	var clockMu sync.Mutex
	clock := func() time.Time { clockMu.Lock(); defer clockMu.Unlock(); return now }
	r := newTestRelay(t, Options{InviteTTL: time.Hour, Now: clock})
	admin := r.newTeam()

	status, body := admin.do(http.MethodPost, "/invites", nil)
	expect(t, status, body, http.StatusCreated, "")
	inv := decode[wire.Invite](t, body)
	if want := now.Add(time.Hour).Truncate(time.Second); !inv.Expires.Equal(want) {
		t.Errorf("invite expires %v, want %v", inv.Expires, want)
	}
	r.secret(inv.Token)

	joiner, latecomer := r.newDevice(admin.team), r.newDevice(admin.team)
	status, body = joiner.join(inv.Token)
	expect(t, status, body, http.StatusAccepted, "")
	status, body = joiner.join(inv.Token) // a retry
	expect(t, status, body, http.StatusAccepted, "")
	status, body = latecomer.join(inv.Token)
	expect(t, status, body, http.StatusForbidden, wire.CodeForbidden)

	status, body = admin.do(http.MethodGet, "/joins", nil)
	expect(t, status, body, http.StatusOK, "")
	joins := decode[wire.Joins](t, body).Joins
	want := joiner.applicant()
	if len(joins) != 1 || joins[0].Pseudonym != want.Pseudonym || !joins[0].Device.Equal(want.Device) ||
		joins[0].Recipient != want.Recipient || joins[0].Requested.IsZero() {
		t.Fatalf("joins: %+v", joins)
	}

	status, body = joiner.do(http.MethodGet, "/log", nil)
	expect(t, status, body, http.StatusForbidden, wire.CodeForbidden)
	for _, tc := range []struct {
		name, path string
		status     int
		code       wire.Code
	}{
		{"approve", "/devices/" + joiner.pseudonym + "/approve", http.StatusNoContent, ""},
		{"approve again", "/devices/" + joiner.pseudonym + "/approve", http.StatusNoContent, ""},
		{"approve unknown", "/devices/" + newName() + "/approve", http.StatusNotFound, wire.CodeNotFound},
		{"malformed pseudonym", "/devices/Nobody/approve", http.StatusBadRequest, wire.CodeBadRequest},
		{"revoke self, the last admin", "/devices/" + admin.pseudonym + "/revoke", http.StatusConflict, wire.CodeConflict},
		{"revoke unknown", "/devices/" + newName() + "/revoke", http.StatusNotFound, wire.CodeNotFound},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, body := admin.do(http.MethodPost, tc.path, nil)
			expect(t, status, body, tc.status, tc.code)
		})
	}
	joiner.readLog("") // approved: allowed in
	status, body = admin.do(http.MethodGet, "/joins", nil)
	if joins := decode[wire.Joins](t, body).Joins; len(joins) != 0 {
		t.Fatalf("joins after approval: %+v", joins)
	}

	status, body = admin.do(http.MethodPost, "/devices/"+joiner.pseudonym+"/revoke", nil)
	expect(t, status, body, http.StatusNoContent, "")
	status, body = joiner.do(http.MethodGet, "/log", nil)
	expect(t, status, body, http.StatusForbidden, wire.CodeForbidden)
	status, body = admin.do(http.MethodPost, "/devices/"+joiner.pseudonym+"/approve", nil)
	expect(t, status, body, http.StatusConflict, wire.CodeConflict)

	t.Run("expired invite", func(t *testing.T) {
		token := admin.invite()
		clockMu.Lock()
		now = now.Add(time.Hour)
		clockMu.Unlock()
		status, body := latecomer.join(token)
		expect(t, status, body, http.StatusForbidden, wire.CodeForbidden)
		if !strings.Contains(string(body), "expired") {
			t.Errorf("message %s does not mention expiry", body)
		}
	})
}

// approveAs approves d as admin with role in the body.
func (admin *device) approveAs(d *device, role string) (int, []byte) {
	return admin.do(http.MethodPost, "/devices/"+d.pseudonym+"/approve", mustJSON(admin.relay.tb, wire.Approval{Role: role}))
}

// TestAdminsApproveAdminsAndRevokeTheFounder: a device approved as admin
// is an admin at the relay too; it can revoke the founder; a plain member
// cannot revoke anyone; the last active admin cannot be revoked.
func TestAdminsApproveAdminsAndRevokeTheFounder(t *testing.T) {
	r := newTestRelay(t, Options{})
	founder := r.newTeam()
	second, plain := founder.newPending(), founder.newPending()
	status, body := founder.approveAs(second, "admin")
	expect(t, status, body, http.StatusNoContent, "")
	status, body = founder.approveAs(plain, "")
	expect(t, status, body, http.StatusNoContent, "")
	status, body = founder.do(http.MethodPost, "/devices/"+founder.newPending().pseudonym+"/approve", []byte(`{"role":"owner"}`))
	expect(t, status, body, http.StatusBadRequest, wire.CodeBadRequest)

	second.invite() // an admin at the relay: it makes invites
	for _, path := range []string{"/devices/" + founder.pseudonym + "/revoke", "/devices/" + second.pseudonym + "/revoke", "/invites"} {
		status, body = plain.do(http.MethodPost, path, nil)
		expect(t, status, body, http.StatusForbidden, wire.CodeForbidden)
	}
	founder.readLog("") // the member's attempts changed nothing

	status, body = second.do(http.MethodPost, "/devices/"+founder.pseudonym+"/revoke", nil)
	expect(t, status, body, http.StatusNoContent, "")
	status, body = founder.do(http.MethodGet, "/log", nil)
	expect(t, status, body, http.StatusForbidden, wire.CodeForbidden)

	status, body = second.do(http.MethodPost, "/devices/"+second.pseudonym+"/revoke", nil)
	expect(t, status, body, http.StatusConflict, wire.CodeConflict)
	if !strings.Contains(string(body), "last active admin") {
		t.Errorf("refusal %s does not say why", body)
	}
}

// TestRecoveredAdminIsAnExistingDevice: with the operator's recovery
// token, an active member becomes the relay's admin and can revoke the
// lost admin; a newcomer with the token is refused.
func TestRecoveredAdminIsAnExistingDevice(t *testing.T) {
	r := newTestRelay(t, Options{})
	lost := r.newTeam()
	survivor := lost.newMember()
	token, err := RecoverTeam(context.Background(), r.store, lost.team)
	if err != nil {
		t.Fatal(err)
	}
	r.secret(token)
	status, body := r.newDevice(lost.team).register(token)
	expect(t, status, body, http.StatusConflict, wire.CodeConflict)
	if !strings.Contains(string(body), "active device") {
		t.Errorf("refusal %s does not say why", body)
	}
	status, body = survivor.register(token)
	expect(t, status, body, http.StatusCreated, "")
	status, body = survivor.do(http.MethodPost, "/devices/"+lost.pseudonym+"/revoke", nil)
	expect(t, status, body, http.StatusNoContent, "")
	survivor.invite()
}
