package engine

import (
	"errors"
	"strings"
	"testing"

	"github.com/letapis/letapis/storage"
	"github.com/letapis/letapis/storage/record"
)

// quarantinedWith returns the reasons v quarantined that contain want.
func quarantinedWith(t *testing.T, v *storage.Vault, want string) []string {
	t.Helper()
	qs, err := v.Quarantined()
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, q := range qs {
		if strings.Contains(q.Reason, want) {
			out = append(out, q.Reason)
		}
	}
	return out
}

// TestMemberCannotDeleteASealedTestimony: through the real relay, a
// member deletes the testimony it wrote just after the admin sealed it,
// before the seal reached its laptop (as a member whose laptop is seized
// would try, offline). Its own laptop lets it; every other device holds
// the testimony sealed, quarantines the delete with the reason, and keeps
// the testimony.
func TestMemberCannotDeleteASealedTestimony(t *testing.T) {
	r := startRelay(t)
	ds := formTeam(t, r, 3)
	admin, member, other := ds[0], ds[1], ds[2]
	tm, err := member.v.Add(&record.Testimony{Interviewee: "W", Consent: record.Consent{Scopes: []string{"legal"}}, Text: "what the guards did"})
	if err != nil {
		t.Fatal(err)
	}
	syncAll(t, ds...)
	sealed, err := admin.v.Seal(tm.ID)
	if err != nil {
		t.Fatal(err)
	}
	if err := member.v.DeleteWithReason(tm.ID, "gone"); err != nil {
		t.Fatalf("the member's delete of its own unsealed testimony, on its laptop: %v", err)
	}
	syncAll(t, ds...)
	for _, d := range []*device{admin, other} {
		if got := quarantinedWith(t, d.v, "is not an admin: only an admin may delete a sealed testimony"); len(got) != 1 {
			q, _ := d.v.Quarantined()
			t.Fatalf("quarantine: %+v, want the member's delete with the reason", q)
		}
		if err := d.v.PurgeIfNeeded(); err != nil {
			t.Fatal(err)
		}
		r, err := d.v.Get(tm.ID)
		if err != nil || r.Deleted || !r.Sealed || r.SealHash != sealed.SealHash {
			t.Fatalf("the sealed testimony after the member's delete: %+v, %v", r, err)
		}
	}
}

// TestAdminDeleteIsPendingAndRestorable: through the real relay, an admin
// deletes a sealed testimony with a reason; it is pending deletion on
// every device, a member's restore is refused, the admin's restore brings
// it back everywhere, sealed with the same seal hash.
func TestAdminDeleteIsPendingAndRestorable(t *testing.T) {
	r := startRelay(t)
	ds := formTeam(t, r, 2)
	admin, member := ds[0], ds[1]
	tm, err := admin.v.Add(&record.Testimony{Interviewee: "W", Consent: record.Consent{Scopes: []string{"legal"}}, Text: "the interrogation"})
	if err != nil {
		t.Fatal(err)
	}
	if tm, err = admin.v.Seal(tm.ID); err != nil {
		t.Fatal(err)
	}
	syncAll(t, ds...)
	if err := admin.v.DeleteWithReason(tm.ID, "the witness withdrew consent"); err != nil {
		t.Fatal(err)
	}
	syncAll(t, ds...)
	for _, d := range ds {
		ps, err := d.v.PendingDeletions()
		if err != nil || len(ps) != 1 || ps[0].Record != tm.ID || ps[0].Reason != "the witness withdrew consent" || ps[0].SealHash != tm.SealHash {
			t.Fatalf("pending deletions: %+v, %v", ps, err)
		}
	}
	if err := member.v.Restore(tm.ID); !errors.Is(err, storage.ErrNotAdmin) {
		t.Fatalf("a member's restore: %v, want ErrNotAdmin", err)
	}
	if err := admin.v.Restore(tm.ID); err != nil {
		t.Fatal(err)
	}
	syncAll(t, ds...)
	for _, d := range ds {
		r, err := d.v.Get(tm.ID)
		if err != nil || r.Deleted || !r.Sealed || r.SealHash != tm.SealHash {
			t.Fatalf("after the restore: %+v, %v", r, err)
		}
		if ps, _ := d.v.PendingDeletions(); len(ps) != 0 {
			t.Fatalf("still pending: %+v", ps)
		}
	}
}
