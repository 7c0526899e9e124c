package app

import (
	"path/filepath"
	"strings"
	"testing"

	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/letapis/letapis/storage"
)

func TestAudiencePanelMakesAndChangesAnAudience(t *testing.T) {
	u, r, teamID := foundedUI(t)
	p := u.main.sync
	// A second device, admitted by the vault directly (the invite flow
	// has its own test).
	other, err := storage.Create(filepath.Join(t.TempDir(), "other"), testPass, storage.Options{WorkFactor: 10})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { other.Close() })
	st, err := other.PrepareJoin(teamID, r.url, "", u.vault.DeviceKey())
	if err != nil {
		t.Fatal(err)
	}
	if err := u.vault.Admit(other.DeviceKey(), other.Recipient(), st.Pseudonym, storage.RoleMember); err != nil {
		t.Fatal(err)
	}
	p.refresh(false)
	u.wait()
	a := p.team.audiences
	if !a.turn.Visible() {
		t.Fatal("the admin is not offered the team key rotation")
	}
	fp := storage.Fingerprint(other.DeviceKey())

	test.Tap(a.add)
	a.form.name.SetText("lawyers of case 17")
	a.form.members.SetSelected([]string{fp})
	a.form.save()
	u.wait()
	u.wait()
	all, _ := u.vault.AllAudiences()
	if len(all) != 1 || all[0].Name != "lawyers of case 17" || len(all[0].Members) != 2 {
		t.Fatalf("audience made from the panel: %+v (note %q)", all, a.note.Text)
	}
	if !hasText(u, "lawyers of case 17 · ") {
		t.Fatal("the new audience is not listed")
	}

	// Change members: drop the other device; a new epoch starts.
	a.open(&all[0])
	a.form.members.SetSelected([]string{storage.Fingerprint(u.vault.DeviceKey())})
	a.form.save()
	u.wait()
	all, _ = u.vault.AllAudiences()
	if len(all) != 1 || len(all[0].Members) != 1 || all[0].Newest.Epoch != 2 {
		t.Fatalf("audience after removing a member from the panel: %+v (note %q)", all, a.note.Text)
	}

	// A name is required: the vault's refusal is shown.
	test.Tap(a.add)
	a.form.save()
	u.wait()
	if !a.note.Visible() || a.note.Importance != widget.DangerImportance || !strings.Contains(a.note.Text, "name") {
		t.Fatalf("no problem shown for an audience without a name: %q", a.note.Text)
	}
}
