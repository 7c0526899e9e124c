package client

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"errors"
	"testing"

	"github.com/letapis/letapis/sync/wire"
)

func TestTeamMembership(t *testing.T) {
	ctx := context.Background()
	r := newRelay(t)
	url := serve(t, r)
	admin := r.admin(t, url)

	if err := admin.Register(ctx, r.token); err != nil {
		t.Fatalf("registering again, as after a lost answer: %v", err)
	}
	intruder := newClient(t, url, r.team, newDevice())
	if err := intruder.Register(ctx, r.token); !errors.Is(err, ErrConflict) {
		t.Fatalf("second device registering with the used token: %v, want ErrConflict", err)
	}
	if _, err := intruder.Log(ctx, wire.Point{}, 0, 0); !errors.Is(err, ErrUnauthenticated) {
		t.Fatalf("unregistered device reading the log: %v, want ErrUnauthenticated", err)
	}

	inv, err := admin.Invite(ctx)
	if err != nil {
		t.Fatal(err)
	}
	d := newDevice()
	member := newClient(t, url, r.team, d)
	if err := member.Join(ctx, inv.Token, d.applicant()); err != nil {
		t.Fatal(err)
	}
	if _, err := member.Log(ctx, wire.Point{}, 0, 0); !errors.Is(err, ErrForbidden) {
		t.Fatalf("pending device reading the log: %v, want ErrForbidden", err)
	}
	joins, err := admin.Joins(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := d.applicant()
	if len(joins) != 1 || joins[0].Pseudonym != d.pseudonym || !joins[0].AuthKey.Equal(d.key.Public()) ||
		!bytes.Equal(joins[0].Device, want.Device) || joins[0].Recipient != want.Recipient {
		t.Fatalf("join requests: %+v", joins)
	}
	adminKey := newDevice().key.Public().(ed25519.PublicKey)
	if wire.SafetyNumber(r.team, adminKey, &joins[0]) != wire.SafetyNumber(r.team, adminKey, &wire.Applicant{
		Pseudonym: d.pseudonym, AuthKey: member.authPublicKey(), Device: want.Device, Recipient: want.Recipient,
	}) {
		t.Fatal("admin and applicant compute different safety numbers")
	}
	if err := admin.Approve(ctx, d.pseudonym, "member"); err != nil {
		t.Fatal(err)
	}
	if _, err := member.Log(ctx, wire.Point{}, 0, 0); err != nil {
		t.Fatalf("approved member reading the log: %v", err)
	}
	if _, err := member.Invite(ctx); !errors.Is(err, ErrForbidden) {
		t.Fatalf("member making an invite: %v, want ErrForbidden", err)
	}
	if err := member.Join(ctx, inv.Token, d.applicant()); err != nil {
		t.Fatalf("joining again with the same token, as after a lost answer: %v", err)
	}

	if err := admin.Revoke(ctx, d.pseudonym); err != nil {
		t.Fatal(err)
	}
	before := member.Stats()
	id, data := blob("revoked", 300<<10) // larger than what a server reads before answering
	err = member.PutBlob(ctx, id, data)
	var werr *wire.Error
	if !errors.Is(err, ErrForbidden) || !errors.As(err, &werr) || werr.Code != wire.CodeForbidden {
		t.Fatalf("revoked device uploading: %v, want ErrForbidden with a wire.Error", err)
	}
	if got := member.Stats().Requests - before.Requests; got != 1 {
		t.Fatalf("a 403 was sent %d times, want once (never retried)", got)
	}
	t.Logf("the UI would show: %v", err)

	if err := admin.Approve(ctx, "not a pseudonym", "member"); err == nil {
		t.Fatal("approving a malformed pseudonym was sent")
	}
	if _, err := admin.Invite(ctx); err != nil {
		t.Fatalf("admin still works: %v", err)
	}
}
