package app

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	fynestorage "fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/test"

	"github.com/letapis/letapis/storage"
	"github.com/letapis/letapis/storage/record"
)

// addDraftTestimony saves a draft testimony through its form; the detail
// view of the new testimony is then shown.
func addDraftTestimony(t *testing.T, u *UI, text string) (*recordList, string) {
	t.Helper()
	u.main.selectKind(record.KindTestimony)
	l := u.main.lists[record.KindTestimony]
	test.Tap(l.add)
	f := shownForm[*testimonyForm](t, l)
	test.Type(f.interviewee, "Сведка Б")
	test.Type(f.text, text)
	f.consent.Group.SetSelected([]string{f.consent.Group.Options[1]})
	test.Tap(f.frame.save)
	u.wait()
	if f.frame.problem.Text != "" || len(l.all) == 0 || l.detail == nil {
		t.Fatalf("save testimony: %q", f.frame.problem.Text)
	}
	return l, l.detail.d.rec.ID
}

// testPNG is a synthetic picture: blue, with a red square and a yellow band.
func testPNG(t *testing.T) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 240, 160))
	draw.Draw(img, img.Bounds(), &image.Uniform{color.RGBA{40, 70, 160, 255}}, image.Point{}, draw.Src)
	draw.Draw(img, image.Rect(20, 20, 100, 100), &image.Uniform{color.RGBA{200, 30, 30, 255}}, image.Point{}, draw.Src)
	draw.Draw(img, image.Rect(0, 120, 240, 140), &image.Uniform{color.RGBA{240, 210, 40, 255}}, image.Point{}, draw.Src)
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// writeFile writes data to a new file in dir and returns its URI.
func writeFile(t *testing.T, dir, name string, data []byte) fyne.URI {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return fynestorage.NewFileURI(path)
}

// attachVia runs the import of uris (through importFiles, or drop) on the
// record shown in the selected tab, confirming with Attach, and returns the
// section it attached to.
func attachVia(t *testing.T, u *UI, start func()) *attachmentSection {
	t.Helper()
	s := u.main.shownAttachments()
	if s == nil {
		t.Fatal("no Attachments section is shown")
	}
	start()
	if !hasText(u, "Encrypt these files into the vault and attach them to") {
		t.Fatal("no confirmation naming the record")
	}
	test.Tap(button(t, u, "Attach"))
	u.wait()
	return s
}

// showsText reports whether a text of a preview shows text.
func showsText(u *UI, text string) bool {
	for _, o := range objects(u) {
		if c, ok := o.(*canvas.Text); ok && strings.Contains(c.Text, text) {
			return true
		}
	}
	return false
}

// dismiss taps OK on the information dialog shown.
func dismiss(t *testing.T, u *UI) {
	t.Helper()
	test.Tap(button(t, u, "OK"))
}

// attachmentsIn returns the attachment records in the vault.
func attachmentsIn(t *testing.T, v *storage.Vault) map[string]*record.Attachment {
	t.Helper()
	out := map[string]*record.Attachment{}
	err := v.List(record.KindAttachment, func(s storage.Summary) bool {
		r, err := v.Get(s.ID)
		if err != nil {
			t.Fatal(err)
		}
		b, err := r.Decode()
		if err != nil {
			t.Fatal(err)
		}
		out[s.ID] = b.(*record.Attachment)
		return true
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestAttachImagePreviewAndExport(t *testing.T) {
	u, _ := unlockedUI(t)
	l, tid := addDraftTestimony(t, u, "Фота з допыту.")
	dir := t.TempDir()
	data := testPNG(t)
	uri := writeFile(t, dir, "photo.png", data)

	s := attachVia(t, u, func() { u.main.shownAttachments().importFiles([]fyne.URI{uri}) })
	if p := s.progress; p.bar.Value != 1 || p.bytes.Text != u.Tf("%s of %s", u.sizeText(int64(len(data))), u.sizeText(int64(len(data)))) {
		t.Errorf("progress at the end: %v, %q", p.bar.Value, p.bytes.Text)
	}
	if !hasText(u, "Attached: 1 of 1 files.") {
		t.Error("no message that the file was attached")
	}
	dismiss(t, u)

	atts := attachmentsIn(t, u.vault)
	if len(atts) != 1 {
		t.Fatalf("%d attachments in the vault", len(atts))
	}
	var aid string
	for aid = range atts {
	}
	att := atts[aid]
	sum := sha256.Sum256(data)
	if att.Name != "photo.png" || att.MediaType != "image/png" || att.Size != int64(len(data)) ||
		att.SHA256 != hex.EncodeToString(sum[:]) || !slices.Equal(att.About, []string{tid}) {
		t.Errorf("attachment record: %+v", att)
	}
	r, _ := u.vault.Get(tid)
	b, _ := r.Decode()
	if got := b.(*record.Testimony).Attachments; !slices.Equal(got, []string{aid}) {
		t.Errorf("the draft testimony lists attachments %v, want [%s]", got, aid)
	}

	// The detail view was rebuilt with the file listed.
	s = l.detail.attach
	if len(s.items) != 1 || !hasText(u, "photo.png") || !hasText(u, u.sizeText(att.Size)+" · image/png") {
		t.Fatalf("the Attachments section lists %+v", s.items)
	}

	test.Tap(button(t, u, "Preview"))
	u.wait()
	var shown *canvas.Image
	for _, o := range objects(u) {
		if img, ok := o.(*canvas.Image); ok && img.Image != nil {
			shown = img
		}
	}
	if shown == nil {
		t.Fatal("the preview shows no image")
	}
	if bnd := shown.Image.Bounds(); bnd.Dx() != 240 || bnd.Dy() != 160 {
		t.Errorf("preview image is %v", bnd)
	}
	if r, g, b, _ := shown.Image.At(50, 50).RGBA(); r>>8 != 200 || g>>8 != 30 || b>>8 != 30 {
		t.Errorf("preview pixel (50,50) = %d,%d,%d, want the red square", r>>8, g>>8, b>>8)
	}
	if !hasText(u, "240 × 160 pixels") {
		t.Error("no size caption under the preview")
	}
	test.Tap(button(t, u, "Close"))
	if len(s.preview.Objects) != 0 {
		t.Error("closing the preview kept the image")
	}

	// Export warns first; the save dialog's callback calls exportTo.
	test.Tap(button(t, u, "Export decrypted copy…"))
	if !hasText(u, "will not be encrypted. Anyone who gets this computer") {
		t.Fatal("no warning before exporting")
	}
	test.Tap(button(t, u, "Cancel"))
	out := filepath.Join(dir, "exported.png")
	s.exportTo(s.items[0], out, false)
	u.wait()
	got, err := os.ReadFile(out)
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("exported copy differs: %v", err)
	}
	if !hasText(u, "SHA-256 check passed") || !hasText(u, att.SHA256) {
		t.Error("the export does not report the hash check")
	}
	dismiss(t, u)
	if left, _ := filepath.Glob(filepath.Join(dir, ".*")); len(left) != 0 {
		t.Errorf("export left %v", left)
	}

	// A symbolic link at the chosen name is refused, never followed: the
	// file it points to keeps its content.
	victim := filepath.Join(t.TempDir(), "victim")
	if err := os.WriteFile(victim, []byte("not yours"), 0o644); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link.png")
	if err := os.Symlink(victim, link); err != nil {
		t.Fatal(err)
	}
	s.exportTo(s.items[0], link, false)
	u.wait()
	if !hasText(u, "That name is a link to another file, so nothing was written there.") {
		t.Error("the export to a link does not say why it was refused")
	}
	dismiss(t, u)
	if got, _ := os.ReadFile(victim); string(got) != "not yours" {
		t.Fatalf("the export wrote through the link: %q", got)
	}
	if left, _ := filepath.Glob(filepath.Join(dir, ".*")); len(left) != 0 {
		t.Errorf("the refused export left %v", left)
	}
}

func TestDropTextOnNoteAndPreview(t *testing.T) {
	u, _ := unlockedUI(t)
	dir := t.TempDir()
	marker := "Ліст з калоніі " + randomWord(10)
	uri := writeFile(t, dir, "letter.txt", []byte(marker+"\n"))

	// With no record open, a drop says what to do.
	u.main.selectKind(record.KindNote)
	u.dropped(fyne.NewPos(10, 10), []fyne.URI{uri})
	if !hasText(u, "open a person, testimony, case, incident or note first") {
		t.Fatal("a drop with no record open says nothing")
	}
	dismiss(t, u)

	l := u.main.lists[record.KindNote]
	test.Tap(l.add)
	f := shownForm[*noteForm](t, l)
	test.Type(f.text, "Атрыманы ліст.")
	test.Tap(f.frame.save)
	u.wait()
	nid := l.detail.d.rec.ID
	s := attachVia(t, u, func() { u.dropped(fyne.NewPos(10, 10), []fyne.URI{uri, fynestorage.NewFileURI(dir)}) })
	dismiss(t, u)
	if len(s.items) != 1 || s.items[0].att.MediaType != "text/plain; charset=utf-8" || !slices.Equal(s.items[0].att.About, []string{nid}) {
		t.Fatalf("attached: %+v", s.items)
	}
	test.Tap(button(t, u, "Preview"))
	u.wait()
	if !showsText(u, marker) {
		t.Fatal("the text preview does not show the file")
	}
	test.Tap(button(t, u, "Close"))
}

func TestCancelledImportAndExportLeaveNothing(t *testing.T) {
	u, _ := unlockedUI(t)
	l, tid := addDraftTestimony(t, u, "Запіс размовы.")
	dir := t.TempDir()
	big := make([]byte, 16<<20)
	rand.Read(big)
	uri := writeFile(t, dir, "call.wav", big)
	nothingLeft := func(when string) {
		t.Helper()
		if n := len(attachmentsIn(t, u.vault)); n != 0 {
			t.Errorf("%s: %d attachment records", when, n)
		}
		entries, _ := os.ReadDir(filepath.Join(u.cfg.VaultDir, "blobs"))
		for _, e := range entries {
			t.Errorf("%s: %s left in the attachment folder", when, e.Name())
		}
		r, _ := u.vault.Get(tid)
		if b, _ := r.Decode(); len(b.(*record.Testimony).Attachments) != 0 {
			t.Errorf("%s: the testimony lists attachments", when)
		}
	}

	// The import has just started on its own goroutine when Cancel is
	// tapped: it stops in the middle of the file.
	u.main.shownAttachments().importFiles([]fyne.URI{uri})
	test.Tap(button(t, u, "Attach"))
	test.Tap(button(t, u, "Cancel"))
	u.wait()
	if !hasText(u, "Cancelled. The file being imported was not kept.") {
		t.Error("no message that the import was cancelled")
	}
	dismiss(t, u)
	nothingLeft("after Cancel")

	// Locking during an import cancels it.
	u.main.shownAttachments().importFiles([]fyne.URI{uri})
	test.Tap(button(t, u, "Attach"))
	u.Lock()
	u.wait()
	unlockWith(t, u, testPass)
	nothingLeft("after Lock")

	// A cancelled export leaves no file.
	u.main.selectKind(record.KindTestimony)
	l = u.main.lists[record.KindTestimony]
	l.open(tid)
	u.wait()
	attachVia(t, u, func() { u.main.shownAttachments().importFiles([]fyne.URI{uri}) })
	dismiss(t, u)
	s := l.detail.attach
	if len(s.items) != 1 {
		t.Fatalf("attached: %+v", s.items)
	}
	// Cancel is tapped once the export is under way. On a busy machine the
	// export may still finish before the tap lands (a whole copy, reported
	// as written): that copy is removed and the export tried again.
	out := filepath.Join(dir, "copy.wav")
	cancelled := false
	for try := 0; try < 5 && !cancelled; try++ {
		s.exportTo(s.items[0], out, false)
		for tr := range u.transfers {
			for tr.done.Load() == 0 && !tr.finished.Load() {
				time.Sleep(time.Millisecond)
			}
		}
		test.Tap(button(t, u, "Cancel"))
		u.wait()
		if cancelled = hasText(u, "Export cancelled. No copy was written."); !cancelled {
			dismiss(t, u)
			if err := os.Remove(out); err != nil {
				t.Fatalf("an export that was not cancelled wrote no copy: %v", err)
			}
		}
	}
	if !cancelled {
		t.Error("no message that the export was cancelled")
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("the export folder holds %d files, want only the original", len(entries))
	}
}

func TestNoPlaintextAfterAttachments(t *testing.T) {
	start := time.Now().Add(-time.Second)
	u, a := unlockedUI(t)
	l, _ := addDraftTestimony(t, u, "Расшыфроўка.")
	dir := t.TempDir()
	// Made at run time, so that the test binary does not hold it.
	marker := "Сакрэтны запіс " + randomWord(12)
	uri := writeFile(t, dir, "transcript.txt", []byte(strings.Repeat(marker+"\n", 2000)))
	attachVia(t, u, func() { u.main.shownAttachments().importFiles([]fyne.URI{uri}) })
	dismiss(t, u)
	s := l.detail.attach
	test.Tap(button(t, u, "Preview"))
	u.wait()
	if !showsText(u, marker) {
		t.Fatal("the preview does not show the text")
	}
	test.Tap(button(t, u, "Close"))
	out := filepath.Join(dir, "copy.txt")
	s.exportTo(s.items[0], out, false)
	u.wait()
	dismiss(t, u)
	// The original and the copy are removed, as the app asks.
	for _, p := range []string{uri.Path(), out} {
		if err := os.Remove(p); err != nil {
			t.Fatal(err)
		}
	}
	u.Lock()
	u.wait()
	scanForPlaintext(t, a, start, u.cfg.VaultDir, [][]byte{[]byte(marker)})
}

func TestTextLines(t *testing.T) {
	long := strings.Repeat("слова ", 50) // 300 characters
	lines := textLines("першы\r\n\tдругі\n"+long, 100)
	if lines[0] != "першы" || lines[1] != "    другі" {
		t.Errorf("lines = %q", lines[:2])
	}
	if got := strings.Join(lines[2:], ""); got != long {
		t.Errorf("the wrapped line lost text: %q", got)
	}
	for _, l := range lines[2:] {
		if utf8.RuneCountInString(l) > 100 || strings.HasPrefix(l, " ") {
			t.Errorf("line %q is longer than 100 characters or starts with a space", l)
		}
	}
	if n := len(lines); n != 6 {
		t.Errorf("%d lines, want 6", n)
	}
}

func TestSectionListsTestimonyAttachmentsAndLinkedOnes(t *testing.T) {
	u, _ := unlockedUI(t)
	v := u.vault
	person, err := v.Add(&record.Person{Names: []record.Name{{Given: "Ганна", Family: "Сінтэтычная"}}, Status: "convicted"})
	if err != nil {
		t.Fatal(err)
	}
	onlyListed, err := v.ImportAttachment(strings.NewReader("scan"), "listed.txt", "", []string{person.ID})
	if err != nil {
		t.Fatal(err)
	}
	tr, err := v.Add(&record.Testimony{Interviewee: "Сведка В", Consent: record.Consent{Scopes: []string{"legal"}},
		Text: "Тэкст.", Attachments: []string{onlyListed.ID}})
	if err != nil {
		t.Fatal(err)
	}
	about, err := v.ImportAttachment(strings.NewReader("audio"), "about.ogg", "", []string{tr.ID})
	if err != nil {
		t.Fatal(err)
	}
	u.main.selectKind(record.KindTestimony)
	l := u.main.lists[record.KindTestimony]
	l.open(tr.ID)
	u.wait()
	s := l.detail.attach
	if len(s.items) != 2 || s.items[0].id != onlyListed.ID || s.items[1].id != about.ID {
		t.Fatalf("the testimony's section lists %+v", s.items)
	}
	// The person's section shows the attachment about them.
	u.main.selectKind(record.KindPerson)
	l = u.main.lists[record.KindPerson]
	l.open(person.ID)
	u.wait()
	if s := l.detail.attach; len(s.items) != 1 || s.items[0].id != onlyListed.ID {
		t.Fatalf("the person's section lists %+v", s.items)
	}
}
