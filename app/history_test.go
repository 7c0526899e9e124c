package app

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/letapis/letapis/storage"
	"github.com/letapis/letapis/storage/hlc"
	"github.com/letapis/letapis/storage/record"
)

// teamOfTwo makes two devices of one team in real vaults on disk: the
// admin in dir (the one the UI opens) and a member in a directory of its
// own. sync passes the envelopes each has queued for the relay to the
// other, the way a relay would. The member stays open until the test ends;
// the caller closes the admin before the UI opens dir.
func teamOfTwo(t *testing.T, dir string) (admin, member *storage.Vault, sync func()) {
	t.Helper()
	opts := storage.Options{WorkFactor: 10}
	admin, err := storage.Create(dir, testPass, opts)
	if err != nil {
		t.Fatal(err)
	}
	member, err = storage.Create(filepath.Join(t.TempDir(), "member"), testPass, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { member.Close() })
	team := storage.NewID()
	if _, err := admin.CreateTeam(team, "https://relay.invalid", ""); err != nil {
		t.Fatal(err)
	}
	st, err := member.PrepareJoin(team, "https://relay.invalid", "", admin.DeviceKey())
	if err != nil {
		t.Fatal(err)
	}
	if err := admin.Admit(member.DeviceKey(), member.Recipient(), st.Pseudonym, storage.RoleMember); err != nil {
		t.Fatal(err)
	}
	var log [][]byte
	vaults := []*storage.Vault{admin, member}
	sync = func() {
		t.Helper()
		for range 2 {
			for _, v := range vaults {
				out, err := v.Outbox(1 << 20)
				if err != nil {
					t.Fatal(err)
				}
				for _, o := range out {
					log = append(log, o.CT)
				}
				if len(out) > 0 {
					if err := v.Acknowledge(out[len(out)-1].Pos); err != nil {
						t.Fatal(err)
					}
				}
			}
			for _, v := range vaults {
				for _, ct := range log {
					if _, err := v.Receive(ct); err != nil && !errors.Is(err, storage.ErrRejected) {
						t.Fatal(err)
					}
				}
			}
		}
	}
	sync()
	if st, err := member.Team(); err != nil || !st.Joined {
		t.Fatalf("the member did not join: %v", err)
	}
	return admin, member, sync
}

// conflictUI makes a person that the two devices of a team edit apart:
// both change the region, only the member the occupation. It returns the
// UI unlocked on the admin's vault with the person open, and the member.
func conflictUI(t *testing.T) (*UI, string, *storage.Vault) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "vault")
	admin, member, sync := teamOfTwo(t, dir)
	names := []record.Name{{Given: "Алесь", Family: "Kowal"}}
	p, err := admin.Add(&record.Person{Names: names, Region: "Brest", Occupation: "teacher"})
	if err != nil {
		t.Fatal(err)
	}
	sync()
	if _, err := admin.Update(p.ID, &record.Person{Names: names, Region: "Minsk", Occupation: "teacher"}); err != nil {
		t.Fatal(err)
	}
	if _, err := member.Update(p.ID, &record.Person{Names: names, Region: "Viciebsk", Occupation: "engineer"}); err != nil {
		t.Fatal(err)
	}
	sync()
	if r, err := admin.Get(p.ID); err != nil || !r.Conflict || len(r.Heads) != 2 {
		t.Fatalf("no conflict made: %+v %v", r, err)
	}
	if err := admin.Close(); err != nil {
		t.Fatal(err)
	}
	u, _ := newTestUI(t, Config{VaultDir: dir})
	unlockWith(t, u, testPass)
	if u.Locked() {
		t.Fatal("not unlocked")
	}
	u.main.lists[record.KindPerson].open(p.ID)
	u.wait()
	return u, p.ID, member
}

// pseudonymOf returns the roster pseudonym of device v as the UI's vault
// knows it.
func pseudonymOf(t *testing.T, u *UI, v *storage.Vault) string {
	t.Helper()
	ms, err := u.vault.Members()
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range ms {
		if m.Device.Equal(v.DeviceKey()) && m.Pseudonym != "" {
			return m.Pseudonym
		}
	}
	t.Fatal("the member is not in the roster")
	return ""
}

// labelAt finds the visible label whose text is text and its position in
// the window.
func labelAt(t *testing.T, u *UI, text string) fyne.Position {
	t.Helper()
	for _, o := range objects(u) {
		if l, ok := o.(*widget.Label); ok && l.Text == text && l.Visible() {
			return fyne.CurrentApp().Driver().AbsolutePositionForObject(l)
		}
	}
	t.Fatalf("no label %q", text)
	return fyne.Position{}
}

// buttonUnder finds the visible button labelled text nearest below the
// position p, in the same column.
func buttonUnder(t *testing.T, u *UI, text string, p fyne.Position) *widget.Button {
	t.Helper()
	var best *widget.Button
	var bestY float32
	for _, o := range objects(u) {
		b, ok := o.(*widget.Button)
		if !ok || b.Text != text || !b.Visible() {
			continue
		}
		bp := fyne.CurrentApp().Driver().AbsolutePositionForObject(b)
		if bp.X > p.X-10 && bp.X < p.X+10 && bp.Y > p.Y && (best == nil || bp.Y < bestY) {
			best, bestY = b, bp.Y
		}
	}
	if best == nil {
		t.Fatalf("no button %q under %v", text, p)
	}
	return best
}

func TestConflictViewPicksAVersionPerField(t *testing.T) {
	u, id, _ := conflictUI(t)
	if !hasText(u, "Conflict: edits made on different devices disagree.") {
		t.Fatal("the detail view does not show the conflict")
	}
	test.Tap(button(t, u, "Resolve conflict…"))
	u.wait()

	// The two regions side by side: same row, left and right.
	minsk, viciebsk := labelAt(t, u, "Minsk"), labelAt(t, u, "Viciebsk")
	if minsk.Y != viciebsk.Y || minsk.X == viciebsk.X {
		t.Fatalf("the regions are not side by side: Minsk at %v, Viciebsk at %v", minsk, viciebsk)
	}
	if !hasText(u, "Region — the versions disagree") || !hasText(u, "Occupation — changed in version") {
		t.Error("the disagreeing fields are not named")
	}
	// The name, on which both agree, is shown once.
	n := 0
	for _, o := range objects(u) {
		if l, ok := o.(*widget.Label); ok && l.Text == "Алесь Kowal" && l.Selectable { // not the list row
			n++
		}
	}
	if n != 1 {
		t.Errorf("the name both versions agree on is shown %d times, want 1", n)
	}

	// Saving before the region is chosen names the field.
	test.Tap(button(t, u, "Save resolution"))
	if !hasText(u, "Region: choose a version, or write a merged text.") {
		t.Fatal("saving without a choice for the region was not refused")
	}

	right, want := viciebsk, "Viciebsk"
	if minsk.X > viciebsk.X {
		right, want = minsk, "Minsk"
	}
	test.Tap(buttonUnder(t, u, "Use this", right))
	test.Tap(button(t, u, "Save resolution"))
	u.wait()

	r, err := u.vault.Get(id)
	if err != nil {
		t.Fatal(err)
	}
	b, err := r.Decode()
	if err != nil {
		t.Fatal(err)
	}
	p := b.(*record.Person)
	if r.Conflict || len(r.Heads) != 1 || p.Region != want || p.Occupation != "engineer" || p.DisplayName() != "Алесь Kowal" {
		t.Fatalf("after resolving: conflict %v heads %v body %+v; want region %s, occupation engineer", r.Conflict, r.Heads, p, want)
	}
	if hasText(u, "Conflict: edits made on different devices disagree.") || hasText(u, "Resolve conflict…") {
		t.Error("the record reopened still flagged as in conflict")
	}
	if !hasText(u, want) {
		t.Error("the reopened record does not show the picked region")
	}
}

func TestConflictViewWritesAMergedText(t *testing.T) {
	u, id, _ := conflictUI(t)
	test.Tap(button(t, u, "Resolve conflict…"))
	u.wait()
	// Region is text: a merged value can be written. Write it from both.
	var write []*widget.Button
	for _, o := range objects(u) {
		if b, ok := o.(*widget.Button); ok && b.Text == "Write a merged text…" {
			write = append(write, b)
		}
	}
	if len(write) != 2 {
		t.Fatalf("%d fields offer a merged text, want 2 (region, occupation)", len(write))
	}
	test.Tap(write[0]) // the region comes first, as in the detail view
	var merged *widget.Entry
	for _, o := range objects(u) {
		if e, ok := o.(*widget.Entry); ok && e.Visible() && e.MultiLine {
			merged = e
		}
	}
	if merged == nil || !strings.Contains(merged.Text, "Minsk") || !strings.Contains(merged.Text, "Viciebsk") {
		t.Fatalf("the merged text does not start from both versions: %v", merged)
	}
	merged.SetText("Minsk region, Viciebsk")
	test.Tap(button(t, u, "Save resolution"))
	u.wait()
	r, _ := u.vault.Get(id)
	b, err := r.Decode()
	if err != nil {
		t.Fatal(err)
	}
	if p := b.(*record.Person); r.Conflict || p.Region != "Minsk region, Viciebsk" {
		t.Fatalf("after writing a merged region: conflict %v body %+v", r.Conflict, p)
	}
}

func TestConflictViewCancelChangesNothing(t *testing.T) {
	u, id, _ := conflictUI(t)
	before, _ := u.vault.Get(id)
	test.Tap(button(t, u, "Resolve conflict…"))
	u.wait()
	test.Tap(button(t, u, "Cancel"))
	u.wait()
	if !hasText(u, "Resolve conflict…") {
		t.Error("Cancel did not return to the record")
	}
	after, _ := u.vault.Get(id)
	if !after.Conflict || after.Revisions != before.Revisions {
		t.Fatalf("Cancel changed the record: %+v", after)
	}

	// Locking while the conflict view is open drops it with the record.
	test.Tap(button(t, u, "Resolve conflict…"))
	u.wait()
	l := u.main.lists[record.KindPerson]
	u.Lock()
	u.wait()
	if l.pane.Objects != nil || hasText(u, "Minsk") || hasText(u, "Viciebsk") {
		t.Fatal("the conflict view survived locking")
	}
}

func TestHistoryViewNamesAuthorsAndChanges(t *testing.T) {
	u, id, member := conflictUI(t)
	test.Tap(button(t, u, "Resolve conflict…"))
	u.wait()
	test.Tap(buttonUnder(t, u, "Use this", labelAt(t, u, "Minsk")))
	test.Tap(button(t, u, "Save resolution"))
	u.wait()
	test.Tap(button(t, u, "History…"))
	u.wait()

	hist, err := u.vault.History(id)
	if err != nil || len(hist) != 4 {
		t.Fatalf("history: %d revisions, %v; want 4", len(hist), err)
	}
	if !hasText(u, "Revisions: 4, newest first") {
		t.Error("the revision count is missing")
	}
	peer := pseudonymOf(t, u, member)
	var headlines []string
	for _, o := range objects(u) {
		if l, ok := o.(*widget.Label); ok && l.TextStyle.Bold && strings.Count(l.Text, " · ") == 2 {
			headlines = append(headlines, l.Text)
		}
	}
	wantKinds := []string{"merged", "edited", "edited", "created"}
	if len(headlines) != 4 {
		t.Fatalf("headlines %q, want 4", headlines)
	}
	for i, h := range headlines {
		parts := strings.Split(h, " · ")
		if parts[2] != wantKinds[i] {
			t.Errorf("revision %d is %q, want %q", i, parts[2], wantKinds[i])
		}
		e := hist[len(hist)-1-i]
		if parts[0] != localTime(e.Time) {
			t.Errorf("revision %d at %q, want %q", i, parts[0], localTime(e.Time))
		}
		author := "this device"
		if e.Author == hex.EncodeToString(member.DeviceKey()) {
			author = peer
		}
		if parts[1] != author {
			t.Errorf("revision %d by %q, want %q", i, parts[1], author)
		}
	}
	for _, want := range []string{"Brest → Minsk", "Brest → Viciebsk", "teacher → engineer", "Алесь Kowal", "Brest", "Region", "Occupation", "Name"} {
		if !hasText(u, want) {
			t.Errorf("the history does not show %q", want)
		}
	}
	if !hasText(u, "Compared with the version of "+peer) {
		t.Error("the merge is not compared with the member's version")
	}
	test.Tap(button(t, u, "Back"))
	if !hasText(u, "History…") {
		t.Error("Back did not return to the record")
	}
}

func TestSealedConflictKeepsTheSealedVersion(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "vault")
	admin, member, sync := teamOfTwo(t, dir)
	tm := &record.Testimony{Interviewee: "W.", Consent: record.Consent{Scopes: []string{"legal"}}, Text: "as told"}
	r, err := admin.Add(tm)
	if err != nil {
		t.Fatal(err)
	}
	sync()
	if _, err := admin.Seal(r.ID); err != nil {
		t.Fatal(err)
	}
	edited := *tm
	edited.Text = "edited before the seal arrived"
	if _, err := member.Update(r.ID, &edited); err != nil {
		t.Fatal(err)
	}
	sync()
	if err := admin.Close(); err != nil {
		t.Fatal(err)
	}
	u, _ := newTestUI(t, Config{VaultDir: dir})
	unlockWith(t, u, testPass)
	u.main.selectKind(record.KindTestimony)
	u.main.lists[record.KindTestimony].open(r.ID)
	u.wait()
	if !hasText(u, "Sealed: this testimony can no longer change.") || !hasText(u, "Conflict: edits made on different devices disagree.") {
		t.Fatal("the detail view does not show a sealed testimony in conflict")
	}
	test.Tap(button(t, u, "Resolve conflict…"))
	u.wait()
	if !hasText(u, "A sealed testimony is evidence and never merges") {
		t.Error("the view does not say that a sealed testimony does not merge")
	}
	if !hasText(u, "(sealed)") || !hasText(u, "as told") || !hasText(u, "edited before the seal arrived") {
		t.Error("the view does not show both versions, the sealed one marked")
	}
	for _, o := range objects(u) {
		if b, ok := o.(*widget.Button); ok && (b.Text == "Use this" || b.Text == "Write a merged text…") {
			t.Fatalf("a sealed testimony offers %q", b.Text)
		}
	}
	test.Tap(button(t, u, "Keep the sealed version"))
	u.wait()
	got, err := u.vault.Get(r.ID)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := got.Decode()
	if got.Conflict || !got.Sealed || b.(*record.Testimony).Text != "as told" {
		t.Fatalf("after keeping the sealed version: conflict %v sealed %v text %q", got.Conflict, got.Sealed, b.(*record.Testimony).Text)
	}
}

func TestHistoryViewShowsTheSealHash(t *testing.T) {
	u, _ := unlockedUI(t)
	r, err := u.vault.Add(&record.Testimony{Interviewee: "W.", Consent: record.Consent{Scopes: []string{"legal"}}, Text: "first words"})
	if err != nil {
		t.Fatal(err)
	}
	long := strings.Repeat("A longer account. ", 20)
	if _, err := u.vault.Update(r.ID, &record.Testimony{Interviewee: "W.", Consent: record.Consent{Scopes: []string{"legal", "public"}}, Text: long}); err != nil {
		t.Fatal(err)
	}
	sealed, err := u.vault.Seal(r.ID)
	if err != nil {
		t.Fatal(err)
	}
	u.main.selectKind(record.KindTestimony)
	u.main.lists[record.KindTestimony].open(r.ID)
	u.wait()
	test.Tap(button(t, u, "History…"))
	u.wait()
	for _, want := range []string{"sealed", "edited", "created", sealed.SealHash, "Seal hash (SHA-256)",
		"Legal proceedings", "Public", "No field changed."} {
		if !hasText(u, want) {
			t.Errorf("the history does not show %q", want)
		}
	}
	// The long text is named as changed, not shown, until asked for.
	if shown(u, long) || shown(u, "first words") {
		t.Error("the long text is shown without being asked for")
	}
	test.Tap(button(t, u, "Show both versions"))
	if !shown(u, "first words") || !shown(u, long) {
		t.Error("Show both versions does not show both")
	}
}

// TestHistoryFieldLabelsTranslated checks that every field label of the
// history and conflict views is translated.
func TestHistoryFieldLabelsTranslated(t *testing.T) {
	tr, err := newTranslator()
	if err != nil {
		t.Fatal(err)
	}
	for code, table := range tr.tables {
		for k, fields := range kindFields {
			for _, f := range fields {
				if table[f.label] == "" {
					t.Errorf("%s.json lacks the label %q of %s field %s", code, f.label, k, f.key)
				}
			}
		}
	}
}

// TestHistoryViewMarkup renders the history of a fixed synthetic person
// and compares it with testdata/history.xml.
func TestHistoryViewMarkup(t *testing.T) {
	u, _ := newTestUI(t, Config{})
	local := time.Local
	time.Local = time.UTC
	t.Cleanup(func() { time.Local = local })
	self := strings.Repeat("ab", 32)
	peer := strings.Repeat("cd", 32)
	stranger := strings.Repeat("ef", 32)
	at := func(min int) hlc.Timestamp {
		return hlc.Timestamp{Wall: time.Date(2025, 3, 14, 9, min, 0, 0, time.UTC).UnixMilli()}
	}
	body := func(p *record.Person) json.RawMessage {
		b, err := json.Marshal(p)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	names := []record.Name{{Given: "Ганна", Family: "Сідарэнка", Script: "be-cyrl"}}
	v1 := &record.Person{Names: names, Region: "Hrodna", Status: "pretrial"}
	v2 := &record.Person{Names: names, Region: "Hrodna", Status: "convicted", Birth: record.MustDate("~1968")}
	v3 := &record.Person{Names: names, Status: "convicted", Birth: record.MustDate("~1968"), Health: "Needs insulin.\nNo access to a doctor since May."}
	entries := []storage.HistoryEntry{
		{RevisionInfo: storage.RevisionInfo{ID: "rev1", Author: self, Seq: 1, Time: at(0), Op: "put"}, Body: body(v1)},
		{RevisionInfo: storage.RevisionInfo{ID: "rev2", Author: peer, Seq: 1, Time: at(5), Op: "put", Parents: []string{"rev1"}}, Body: body(v2)},
		{RevisionInfo: storage.RevisionInfo{ID: "rev3", Author: stranger, Seq: 1, Time: at(9), Op: "put", Parents: []string{"rev2"}}, Body: body(v3)},
	}
	rec := &storage.Record{ID: "person1", Kind: record.KindPerson, Body: body(v3), Heads: []string{"rev3"}, Revisions: 3}
	h := newRecordHistory(rec, entries, self)
	h.authors[peer] = "sova"
	for _, ref := range []record.TermRef{{Vocab: record.VocabStatus, Code: "pretrial"}, {Vocab: record.VocabStatus, Code: "convicted"}, {Vocab: record.VocabScript, Code: "be-cyrl"}} {
		if term, ok := record.BuiltinTerm(ref.Vocab, ref.Code); ok {
			h.names.terms[ref.Vocab+"/"+ref.Code] = term.Labels.In(u.Lang())
		}
	}
	hv := newHistoryView(u, h, func() {})
	w := test.NewWindow(hv.content)
	defer w.Close()
	w.Resize(fyne.NewSize(700, 900))
	test.AssertObjectRendersToMarkup(t, "history.xml", hv.content)
}

// shown reports whether a label showing exactly text is on screen: it and
// everything it is inside visible.
func shown(u *UI, text string) bool {
	var walk func(o fyne.CanvasObject) bool
	walk = func(o fyne.CanvasObject) bool {
		if o == nil || !o.Visible() {
			return false
		}
		switch w := o.(type) {
		case *widget.Label:
			return w.Text == text
		case *fyne.Container:
			return slices.ContainsFunc(w.Objects, walk)
		case fyne.Widget:
			return slices.ContainsFunc(test.WidgetRenderer(w).Objects(), walk)
		}
		return false
	}
	return walk(u.win.Content())
}

func TestChangeKindsAreTranslated(t *testing.T) {
	tr, err := newTranslator()
	if err != nil {
		t.Fatal(err)
	}
	amend := json.RawMessage(`{"interviewee":"W.","consent":{"scopes":["legal"]},"text":"x","amends":"` + storage.NewID() + `"}`)
	cases := []struct {
		e    storage.HistoryEntry
		k    record.Kind
		want string
	}{
		{storage.HistoryEntry{RevisionInfo: storage.RevisionInfo{Op: "put"}}, record.KindNote, "created"},
		{storage.HistoryEntry{RevisionInfo: storage.RevisionInfo{Op: "put"}, Body: amend}, record.KindTestimony, "created as an amendment"},
		{storage.HistoryEntry{RevisionInfo: storage.RevisionInfo{Op: "put", Parents: []string{"a"}}}, record.KindNote, "edited"},
		{storage.HistoryEntry{RevisionInfo: storage.RevisionInfo{Op: "put", Parents: []string{"a", "b"}}}, record.KindNote, "merged"},
		{storage.HistoryEntry{RevisionInfo: storage.RevisionInfo{Op: "seal", Parents: []string{"a"}}}, record.KindTestimony, "sealed"},
		{storage.HistoryEntry{RevisionInfo: storage.RevisionInfo{Op: "delete", Parents: []string{"a"}}}, record.KindNote, "deleted"},
	}
	for _, c := range cases {
		got := changeKind(&c.e, c.k)
		if got != c.want {
			t.Errorf("%s with %d parents: %q, want %q", c.e.Op, len(c.e.Parents), got, c.want)
		}
		for code, table := range tr.tables {
			if table[got] == "" {
				t.Errorf("%s.json lacks %q", code, got)
			}
		}
	}
}

// TestFlatFieldsRoundTrip checks that a testimony taken apart into fields
// (consent ones included) and put together again is the same testimony.
func TestFlatFieldsRoundTrip(t *testing.T) {
	tm := &record.Testimony{Interviewee: "W.", Relation: "witness", Date: record.MustDate("2021-03"),
		Consent:    record.Consent{Scopes: []string{"legal", "public"}, Embargo: record.MustDate("2030"), Fears: "reprisals"},
		Violations: []string{"torture"}, Text: "as told"}
	data, err := json.Marshal(tm)
	if err != nil {
		t.Fatal(err)
	}
	fields := flatFields(data)
	if fields["consent.fears"] == nil || fields["consent.scopes"] == nil || fields["consent"] != nil || fields["person"] != nil {
		t.Fatalf("fields: %v", fields)
	}
	back, err := unflatFields(fields)
	if err != nil {
		t.Fatal(err)
	}
	b, err := record.Decode(record.KindTestimony, back)
	if err != nil {
		t.Fatal(err)
	}
	again, _ := json.Marshal(b)
	if string(again) != string(data) {
		t.Fatalf("round trip:\n%s\n%s", data, again)
	}
}
