package app

import (
	"testing"

	"fyne.io/fyne/v2/test"

	"github.com/letapis/letapis/storage/record"
)

// Golden markup of the main screens (testdata/*.xml): a change to what a
// screen shows makes these fail, with the new markup written to
// testdata/failed/ for review; copy it over the master once it is right.
// The screens are built from fixed synthetic data, so that nothing that
// varies between runs (times, ids, temp paths) is rendered.

func TestGoldenUnlock(t *testing.T) {
	u, _ := newTestUI(t, Config{VaultDir: lockedVaultDir(t)})
	test.AssertRendersToMarkup(t, "unlock.xml", u.win.Canvas())
}

func TestGoldenFirstRun(t *testing.T) {
	// A relative folder that is never created: the screen shows the path.
	u, _ := newTestUI(t, Config{VaultDir: "no-such-vault-folder"})
	test.AssertRendersToMarkup(t, "first-run.xml", u.win.Canvas())
}

func TestGoldenPeople(t *testing.T) {
	u, _ := unlockedUI(t)
	for _, n := range []record.Name{{Given: "Алесь", Family: "Бяляцкі"}, {Given: "Марфа", Family: "Рабкова"}, {Given: "Ihar", Family: "Losik"}} {
		addBody(t, u, &record.Person{Names: []record.Name{n}, Status: "convicted"})
	}
	test.AssertRendersToMarkup(t, "people.xml", u.win.Canvas())
}

func TestGoldenTestimonyForm(t *testing.T) {
	u, _ := unlockedUI(t)
	u.main.selectKind(record.KindTestimony)
	test.Tap(u.main.lists[record.KindTestimony].add)
	u.wait()
	// The list loads once its tab is shown, so its count changed after
	// the tab was laid out; a real window lays out again at its next
	// frame, the test canvas when told.
	u.win.Content().Refresh()
	test.AssertRendersToMarkup(t, "testimony-form.xml", u.win.Canvas())
}

func TestGoldenPeopleBelarusian(t *testing.T) {
	u, _ := unlockedUI(t)
	addBody(t, u, &record.Person{Names: []record.Name{{Given: "Алесь", Family: "Бяляцкі"}}, Status: "convicted"})
	u.SetLanguage(record.LangBelarusian)
	u.wait()
	u.main.selectKind(record.KindPerson)
	test.AssertRendersToMarkup(t, "people-be.xml", u.win.Canvas())
}

// lockedVaultDir is a new vault, locked.
func lockedVaultDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir() + "/vault"
	makeVault(t, dir)
	return dir
}
