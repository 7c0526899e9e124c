package app

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/letapis/letapis/storage"
	"github.com/letapis/letapis/storage/record"
)

func TestFirstRunCreatesVault(t *testing.T) {
	u, _ := newTestUI(t, Config{})
	s := u.firstRun
	if s == nil {
		t.Fatal("no first-run screen for an empty folder")
	}
	if !s.create.Disabled() {
		t.Error("Create enabled with no passphrase")
	}
	test.Type(s.phrase.pass, "too short")
	if !s.create.Disabled() || !strings.Contains(s.phrase.why.Text, "12 characters") {
		t.Errorf("short passphrase: disabled=%v why=%q", s.create.Disabled(), s.phrase.why.Text)
	}
	if s.phrase.grade.Text != "weak" {
		t.Errorf("grade of %q = %q, want weak", s.phrase.pass.Text, s.phrase.grade.Text)
	}
	s.phrase.pass.SetText(testPass)
	test.Type(s.phrase.confirm, "correct horse battery stapel")
	if !s.create.Disabled() || !strings.Contains(s.phrase.why.Text, "match") {
		t.Errorf("mismatch: disabled=%v why=%q", s.create.Disabled(), s.phrase.why.Text)
	}
	s.phrase.confirm.SetText(testPass)
	if s.create.Disabled() || s.phrase.why.Text != "" {
		t.Fatalf("matching passphrases: disabled=%v why=%q", s.create.Disabled(), s.phrase.why.Text)
	}
	test.Tap(s.create)
	u.wait()
	if s.problem.Text != "" {
		t.Fatalf("create failed: %s", s.problem.Text)
	}
	if u.Locked() || !storage.Exists(u.cfg.VaultDir) {
		t.Fatal("no vault after Create")
	}
	if s.phrase.pass.Text != "" || s.phrase.confirm.Text != "" {
		t.Error("the passphrase stays in the fields after Create")
	}
	if !hasText(u, "Your recovery kit") || !hasText(u, "Nobody can reset the passphrase") {
		t.Fatal("no recovery kit after Create")
	}
	if !hasText(u, "5. Turn on full-disk encryption") || hasText(u, "a file system that keeps old copies") {
		t.Error("the recovery kit on the temporary folder lacks the full-disk encryption advice or warns of copy-on-write")
	}
	test.Tap(button(t, u, "I understand"))
	u.wait()
	if u.main == nil || !hasText(u, "People") {
		t.Fatal("no main screen after the recovery kit")
	}
}

func TestUnlockWrongPassphrase(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "vault")
	makeVault(t, dir)
	u, _ := newTestUI(t, Config{VaultDir: dir})
	unlockWith(t, u, "not the passphrase at all")
	if !u.Locked() {
		t.Fatal("unlocked with a wrong passphrase")
	}
	if !strings.HasPrefix(u.unlock.problem.Text, "Wrong passphrase") {
		t.Errorf("wrong passphrase message = %q", u.unlock.problem.Text)
	}
	if u.unlock.pass.Text != "" || u.unlock.unlock.Disabled() {
		t.Error("after a wrong passphrase the field is not cleared or Unlock stays disabled")
	}
	unlockWith(t, u, testPass)
	if u.Locked() || u.main == nil {
		t.Fatalf("not unlocked with the right passphrase: %q", u.unlock.problem.Text)
	}
}

func TestUnlockDamagedKeyFile(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "vault")
	makeVault(t, dir)
	key := filepath.Join(dir, "keys")
	b, err := os.ReadFile(key)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(key, b[:len(b)/2], 0o600); err != nil {
		t.Fatal(err)
	}
	u, _ := newTestUI(t, Config{VaultDir: dir})
	unlockWith(t, u, testPass)
	if !u.Locked() {
		t.Fatal("unlocked a damaged vault")
	}
	if !strings.Contains(u.unlock.problem.Text, "damaged") {
		t.Errorf("damaged vault message = %q", u.unlock.problem.Text)
	}
}

// addPerson fills the person form and saves it.
func addPerson(t *testing.T, u *UI, given, family, birth string) {
	t.Helper()
	u.main.selectKind(record.KindPerson)
	l := u.main.lists[record.KindPerson]
	test.Tap(l.add)
	form := shownForm[*personForm](t, l)
	name := form.names.Rows()[0]
	test.Type(name.given, given)
	test.Type(name.family, family)
	name.script.Select.SetSelectedIndex(1)
	form.status.Select.SetSelectedIndex(2)
	if birth != "" {
		test.Type(form.birth, birth)
	}
	test.Tap(form.frame.save)
	u.wait()
	if form.frame.problem.Text != "" {
		t.Fatalf("save person: %s", form.frame.problem.Text)
	}
}

func TestAddPersonCyrillic(t *testing.T) {
	u, _ := unlockedUI(t)
	addPerson(t, u, "Алесь", "Бяляцкі", "1962-09")
	l := u.main.lists[record.KindPerson]
	if len(l.shown) != 1 || l.all[l.shown[0]].Title != "Алесь Бяляцкі" {
		t.Fatalf("people list = %+v", l.all)
	}
	// The list renders the row, and the detail pane shows the record.
	if !hasText(u, "Алесь Бяляцкі") {
		t.Error("the new person is not shown")
	}
	if !hasText(u, "Convicted") || !hasText(u, "1962-09") {
		t.Error("the detail view does not show the status label and birth date")
	}
	// The search box finds the person by another spelling, and by the
	// start of a name as it is typed.
	for _, q := range []string{"бял", "Bialiatski", "Беляцкий"} {
		l.filter.SetText(q)
		u.wait()
		if len(l.shown) != 1 {
			t.Errorf("search %q shows %d rows", q, len(l.shown))
		}
	}
	l.filter.SetText("nobody")
	u.wait()
	if len(l.shown) != 0 {
		t.Errorf("search 'nobody' shows %d rows", len(l.shown))
	}
}

func TestAddPersonValidation(t *testing.T) {
	u, _ := unlockedUI(t)
	l := u.main.lists[record.KindPerson]
	test.Tap(l.add)
	f := shownForm[*personForm](t, l)
	test.Tap(f.frame.save)
	u.wait()
	if f.frame.problem.Text != "Name: is required." {
		t.Errorf("empty name: %q", f.frame.problem.Text)
	}
	test.Type(f.names.Rows()[0].family, "Навумчык")
	test.Type(f.birth, "1962-13")
	test.Tap(f.frame.save)
	u.wait()
	if !strings.HasPrefix(f.frame.problem.Text, "Birth date:") {
		t.Errorf("bad birth date: %q", f.frame.problem.Text)
	}
	if len(l.all) != 0 {
		t.Errorf("an invalid person was saved: %+v", l.all)
	}
}

func TestTestimonyDraftAndSeal(t *testing.T) {
	u, _ := unlockedUI(t)
	u.main.selectKind(record.KindTestimony)
	l := u.main.lists[record.KindTestimony]
	test.Tap(l.add)
	f := shownForm[*testimonyForm](t, l)
	test.Type(f.interviewee, "Сведка А")
	test.Type(f.text, "Нас трымалі ў камеры без святла.")
	test.Tap(f.frame.save)
	u.wait()
	if !strings.HasPrefix(f.frame.problem.Text, "Consent:") {
		t.Errorf("no consent: %q", f.frame.problem.Text)
	}
	f.consent.Group.SetSelected([]string{f.consent.Group.Options[1]}) // legal
	test.Tap(f.frame.save)
	u.wait()
	if f.frame.problem.Text != "" {
		t.Fatalf("save testimony: %s", f.frame.problem.Text)
	}
	if len(l.all) != 1 || l.all[0].Sealed || l.flags(l.all[0]) != "draft" {
		t.Fatalf("testimonies = %+v", l.all)
	}
	id := l.all[0].ID

	// Cancel leaves a draft.
	test.Tap(button(t, u, "Seal…"))
	test.Tap(button(t, u, "Cancel"))
	u.wait()
	if r, _ := u.vault.Get(id); r.Sealed {
		t.Fatal("sealed although Cancel was tapped")
	}

	test.Tap(button(t, u, "Seal…"))
	if !hasText(u, "Sealing cannot be undone") {
		t.Fatal("the seal confirmation does not say it cannot be undone")
	}
	test.Tap(button(t, u, "Seal"))
	u.wait()
	r, err := u.vault.Get(id)
	if err != nil || !r.Sealed {
		t.Fatalf("not sealed: %v %+v", err, r)
	}
	if len(l.all) != 1 || !l.all[0].Sealed || l.flags(l.all[0]) != "sealed" {
		t.Errorf("list after seal = %+v", l.all)
	}
	if !hasText(u, "Sealed: this testimony can no longer change.") {
		t.Error("the detail view does not say the testimony is sealed")
	}
	for _, o := range objects(u) {
		if b, ok := o.(*widget.Button); ok && b.Text == "Seal…" {
			t.Error("a sealed testimony still offers Seal")
		}
	}
}

func TestAddNote(t *testing.T) {
	u, _ := unlockedUI(t)
	u.main.selectKind(record.KindNote)
	l := u.main.lists[record.KindNote]
	test.Tap(l.add)
	f := shownForm[*noteForm](t, l)
	test.Type(f.date, "2024-03")
	test.Type(f.text, "Court hearing postponed")
	test.Tap(f.frame.save)
	u.wait()
	if len(l.all) != 1 || l.all[0].Title != "Court hearing postponed" {
		t.Fatalf("notes = %+v (%s)", l.all, f.frame.problem.Text)
	}
}

func TestLockNowDropsState(t *testing.T) {
	u, _ := unlockedUI(t)
	addPerson(t, u, "Марфа", "Рабкова", "")
	v := u.vault
	l := u.main.lists[record.KindPerson]
	test.Tap(u.main.lock)
	if !u.Locked() || u.main != nil || u.unlock == nil {
		t.Fatal("Lock now did not lock")
	}
	if l.all != nil || l.shown != nil || len(l.pane.Objects) != 0 {
		t.Error("the people list keeps records after lock")
	}
	if _, err := v.Get("aaaaaaaaaaaaaaaaaaaaaaaaaa"); err == nil || !strings.Contains(err.Error(), "locked") {
		t.Errorf("vault still usable after lock: %v", err)
	}
	if hasText(u, "Рабкова") {
		t.Error("the name is still on screen after lock")
	}

	// Ctrl+L does the same, through the canvas shortcut and the menu.
	unlockWith(t, u, testPass)
	if u.Locked() {
		t.Fatal("not unlocked again")
	}
	sc, ok := u.win.Canvas().(fyne.Shortcutable)
	if !ok {
		t.Fatal("the test canvas takes no shortcuts")
	}
	sc.TypedShortcut(lockShortcut)
	if !u.Locked() {
		t.Fatal("Ctrl+L did not lock")
	}
	unlockWith(t, u, testPass)
	item := u.win.MainMenu().Items[0].Items[0]
	if item.Shortcut != lockShortcut {
		t.Error("the Lock now menu item has no Ctrl+L")
	}
	item.Action()
	if !u.Locked() {
		t.Fatal("the menu item did not lock")
	}
}

func TestAutoLockAfterIdle(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "vault")
	makeVault(t, dir)
	u, _ := newTestUI(t, Config{VaultDir: dir, IdleLock: 400 * time.Millisecond, IdleCheck: 20 * time.Millisecond})
	unlockWith(t, u, testPass)
	if u.Locked() {
		t.Fatal("not unlocked")
	}
	// Activity keeps it open.
	l := u.main.lists[record.KindPerson]
	for range 10 {
		test.Type(l.filter, "a")
		u.pumpFor(80 * time.Millisecond)
	}
	if u.Locked() {
		t.Fatal("locked while in use")
	}
	// Idleness locks it.
	if !u.pumpUntil(u.Locked) {
		t.Fatal("did not lock after idle")
	}
	if u.vault != nil || u.main != nil {
		t.Error("auto-lock left state behind")
	}
}

func TestSwitchLanguage(t *testing.T) {
	u, a := unlockedUI(t)
	if !hasText(u, "People") {
		t.Fatal("no People tab in English")
	}
	sel := u.main.settings.language
	sel.SetSelected("Беларуская")
	u.wait()
	if u.Lang() != "be" || a.Preferences().String(prefLanguage) != "be" {
		t.Fatalf("language = %s, preference = %q", u.Lang(), a.Preferences().String(prefLanguage))
	}
	if u.Locked() || u.main == nil {
		t.Fatal("switching language locked the vault")
	}
	if !hasText(u, "Людзі") || hasText(u, "People") {
		t.Error("the People tab is not in Belarusian")
	}
	if !hasText(u, "Заблакаваць") {
		t.Error("Lock now is not in Belarusian")
	}
	tabs := u.main.tabs
	if tabs.Selected() != tabs.Items[len(tabs.Items)-1] {
		t.Error("Settings is not shown after the switch")
	}
	// Status labels come from the vocabulary in the UI language.
	addPerson(t, u, "Алесь", "Бяляцкі", "")
	if !hasText(u, "Асуджаны") {
		t.Error("the status is not labelled in Belarusian")
	}
	// The choice survives a restart and applies to the locked screen too.
	u.Lock()
	u2, err := New(a, Config{VaultDir: u.cfg.VaultDir, WorkFactor: 10})
	if err != nil {
		t.Fatal(err)
	}
	if u2.Lang() != "be" || u2.unlock.unlock.Text != "Разблакаваць" {
		t.Errorf("after restart: lang %s, button %q", u2.Lang(), u2.unlock.unlock.Text)
	}
}
