package app

import (
	"context"
	"strings"
	"testing"

	"fyne.io/fyne/v2/test"

	"github.com/letapis/letapis/storage/record"
	"github.com/letapis/letapis/sync/relay"
)

// foundedUI is syncUI on a vault that founded a team on a real relay on
// 127.0.0.1, from the Sync tab; it returns the relay and the team id too.
func foundedUI(t *testing.T) (*UI, *testRelay, string) {
	t.Helper()
	r := startTestRelay(t)
	teamID, token, err := relay.NewTeam(context.Background(), r.store)
	if err != nil {
		t.Fatal(err)
	}
	u := syncUI(t)
	p := u.main.sync
	p.team.relay.SetText(r.url)
	p.team.teamID.SetText(teamID)
	p.team.token.SetText(token)
	test.Tap(p.team.start)
	u.wait()
	return u, r, teamID
}

// TestDeleteAsksForAReasonAndPendingDeletionsRestore: in a team, the
// Delete action on a sealed testimony asks for a reason and shows the
// vault's refusal without one; with one, the testimony is pending
// deletion and listed in the Sync tab's pending deletions with who and
// why; the admin's Restore brings it back sealed.
func TestDeleteAsksForAReasonAndPendingDeletionsRestore(t *testing.T) {
	u, _, _ := foundedUI(t)
	p := u.main.sync

	id := addBody(t, u, &record.Testimony{Interviewee: "Witness M", Consent: record.Consent{Scopes: []string{"legal"}}, Text: "Held 12 days in the punishment cell."})
	sealed, err := u.vault.Seal(id)
	if err != nil {
		t.Fatal(err)
	}
	u.kickSync() // sent: a record that never left the device is purged at once
	if !u.pumpUntil(func() bool { n, _ := u.vault.OutboxLen(); return n == 0 }) {
		t.Fatal("the testimony was not sent")
	}
	l := openRecord(u, record.KindTestimony, id)
	test.Tap(button(t, u, "Delete…"))
	dv := l.detail
	if dv.deleting == nil || !strings.Contains(dv.deleting.reason.PlaceHolder, "a reason is needed") {
		t.Fatalf("the delete dialog of a sealed testimony does not ask for a reason: %+v", dv.deleting)
	}
	dv.deleting.submit()
	u.wait()
	if !dv.problem.Visible() || !strings.Contains(dv.problem.Text, "needs a reason") {
		t.Fatalf("a delete without a reason: problem %q", dv.problem.Text)
	}
	if rec, _ := u.vault.Get(id); rec.Deleted {
		t.Fatal("deleted without a reason")
	}
	dv.deleting.reason.SetText("the witness withdrew consent")
	dv.deleting.submit()
	u.wait()
	if rec, _ := u.vault.Get(id); !rec.PendingDeletion {
		t.Fatalf("not pending deletion after the delete: %+v", rec)
	}

	for i, it := range u.main.tabs.Items {
		if it.Text == "Sync" {
			u.main.tabs.SelectIndex(i)
		}
	}
	p.refresh(false)
	u.wait()
	u.wait()
	d := p.team.deletions
	if !hasText(u, "Witness M · deleted by ") || !hasText(u, "the witness withdrew consent") || !hasText(u, "purged after") {
		t.Fatal("the pending deletion is not listed with who, why and when")
	}
	restore := d.restores[id]
	if restore == nil {
		t.Fatal("the admin is not offered Restore")
	}
	test.Tap(restore)
	u.wait()
	u.wait()
	rec, err := u.vault.Get(id)
	if err != nil || rec.Deleted || !rec.Sealed || rec.SealHash != sealed.SealHash {
		t.Fatalf("after Restore: %+v, %v", rec, err)
	}
	if !strings.Contains(d.note.Text, "Restored") || !hasText(u, "No record is pending deletion.") {
		t.Fatalf("after Restore the panel says %q", d.note.Text)
	}
}
