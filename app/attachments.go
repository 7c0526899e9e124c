package app

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/color"
	_ "image/gif" // preview of GIF attachments
	_ "image/jpeg"
	_ "image/png"
	"io"
	"mime"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/letapis/letapis/internal/safefile"
	"github.com/letapis/letapis/storage"
	"github.com/letapis/letapis/storage/record"
)

// Limits of the in-app preview, which decrypts a file into memory only.
const (
	// previewLimit is the largest file previewed.
	previewLimit = 32 << 20
	// previewPixels is the most pixels an image may have to be previewed,
	// so that a small file cannot decode into gigabytes.
	previewPixels = 40_000_000
	// previewColumns is the most characters of a line of text previewed;
	// longer lines are wrapped.
	previewColumns = 100
)

// errCancelled ends a transfer whose Cancel was pressed, or that was running
// when the vault was locked.
var errCancelled = errors.New("cancelled")

// transfer is an import, export or preview running in the background. The
// worker counts bytes and checks for cancellation; the UI reads the counts.
type transfer struct {
	done, total atomic.Int64
	file        atomic.Int64 // index of the file being imported
	cancelled   atomic.Bool
	finished    atomic.Bool
}

// progressReader reads through a transfer: it counts the bytes and fails
// with errCancelled once the transfer is cancelled.
type progressReader struct {
	r io.Reader
	t *transfer
}

func (p *progressReader) Read(b []byte) (int, error) {
	if p.t.cancelled.Load() {
		return 0, errCancelled
	}
	n, err := p.r.Read(b)
	p.t.done.Add(int64(n))
	return n, err
}

// progressWriter is progressReader for writing.
type progressWriter struct {
	w io.Writer
	t *transfer
}

func (p *progressWriter) Write(b []byte) (int, error) {
	if p.t.cancelled.Load() {
		return 0, errCancelled
	}
	n, err := p.w.Write(b)
	p.t.done.Add(int64(n))
	return n, err
}

// startTransfer registers a transfer of total bytes, so that locking the
// vault cancels it.
func (u *UI) startTransfer(total int64) *transfer {
	t := &transfer{}
	t.total.Store(total)
	if u.transfers == nil {
		u.transfers = map[*transfer]struct{}{}
	}
	u.transfers[t] = struct{}{}
	return t
}

// cancelTransfers cancels every running transfer. Lock calls it before it
// closes the vault, which waits for the vault calls in progress.
func (u *UI) cancelTransfers() {
	for t := range u.transfers {
		t.cancelled.Store(true)
	}
	u.transfers = nil
}

// watch calls update on the UI goroutine ten times a second until t has
// finished, unless the vault was locked meanwhile.
func (u *UI) watch(t *transfer, update func()) {
	session := u.session
	go func() {
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for range tick.C {
			if t.finished.Load() {
				return
			}
			u.later(func() {
				if u.session == session {
					update()
				}
			})
		}
	}()
}

// progressView is the dialog of a running transfer: a bar, bytes done of
// the total, and Cancel.
type progressView struct {
	ui     *UI
	t      *transfer
	names  []string
	file   *widget.Label
	bar    *widget.ProgressBar
	bytes  *widget.Label
	cancel *widget.Button
	dlg    *dialog.CustomDialog
}

// showProgress shows the progress of t, titled title, for the files names.
func (u *UI) showProgress(title string, t *transfer, names []string) *progressView {
	p := &progressView{ui: u, t: t, names: names}
	p.file = widget.NewLabel("")
	p.file.Truncation = fyne.TextTruncateEllipsis
	p.bar = widget.NewProgressBar()
	p.bytes = widget.NewLabel("")
	p.cancel = u.button(u.T("Cancel"), theme.CancelIcon(), func() {
		t.cancelled.Store(true)
		p.cancel.Disable()
		p.bytes.SetText(u.T("Cancelling…"))
	})
	box := container.NewVBox(p.file, p.bar, p.bytes, container.NewHBox(layout.NewSpacer(), p.cancel))
	p.dlg = dialog.NewCustomWithoutButtons(title, box, u.win)
	p.dlg.Resize(fyne.NewSize(520, 0))
	p.update()
	p.dlg.Show()
	u.watch(t, p.update)
	return p
}

// update shows the counts of the transfer.
func (p *progressView) update() {
	u, t := p.ui, p.t
	done, total := t.done.Load(), t.total.Load()
	if len(p.names) > 1 {
		i := min(int(t.file.Load()), len(p.names)-1)
		p.file.SetText(u.Tf("File %d of %d: %s", i+1, len(p.names), p.names[i]))
	} else if len(p.names) == 1 {
		p.file.SetText(p.names[0])
	}
	if total > 0 {
		p.bar.SetValue(float64(done) / float64(total))
	} else {
		p.bar.SetValue(1)
	}
	if !t.cancelled.Load() {
		p.bytes.SetText(u.Tf("%s of %s", u.sizeText(done), u.sizeText(total)))
	}
}

// finish shows the final counts and closes the dialog.
func (p *progressView) finish() {
	p.update()
	p.dlg.Hide()
}

// attachedItem is an attachment shown in a record's Attachments section.
type attachedItem struct {
	id  string
	att *record.Attachment
}

// attachmentSection is the Attachments part of the detail view of a
// person, testimony, case, incident or note: the files that belong to the
// record, with Preview and Export decrypted copy…, and Attach files….
type attachmentSection struct {
	ui       *UI
	id       string // the record's id
	title    string
	audience string // restricted audience of a testimony, if any
	// draft is set for a draft testimony, whose Attachments field lists
	// the files attached to it.
	draft   bool
	listed  []string // ids in the testimony's Attachments field
	changed func()
	items   []attachedItem
	rows    *fyne.Container
	attach  *widget.Button
	// progress and preview are the last progress and preview dialogs
	// shown (tests read them).
	progress *progressView
	preview  *fyne.Container
	content  fyne.CanvasObject
}

// newAttachmentSection builds the Attachments section of d and starts
// loading the list, or returns nil for kinds that take no attachments.
// changed is called after an import changed the record itself.
func (u *UI) newAttachmentSection(d *detail, changed func()) *attachmentSection {
	switch d.rec.Kind {
	case record.KindPerson, record.KindTestimony, record.KindCase, record.KindIncident, record.KindNote:
	default:
		return nil
	}
	s := &attachmentSection{ui: u, id: d.rec.ID, title: record.Title(d.body), changed: changed}
	if t, ok := d.body.(*record.Testimony); ok {
		s.audience, s.listed = t.Audience, t.Attachments
		s.draft = !d.rec.Sealed
	}
	s.rows = container.NewVBox()
	s.attach = u.button(u.T("Attach files…"), theme.ContentAddIcon(), s.chooseFile)
	hint := paragraph(u.T("Or drop files onto this window. Files are encrypted into the vault; the originals stay where they are."))
	hint.Importance = widget.LowImportance
	s.content = container.NewVBox(widget.NewSeparator(),
		container.NewHBox(heading(u.T("Attachments")), layout.NewSpacer(), s.attach),
		hint, s.rows)
	s.load()
	return s
}

// load reads the record's attachments off the UI goroutine: those its
// Attachments field lists and those whose About names it.
func (s *attachmentSection) load() {
	u, id, listed := s.ui, s.id, s.listed
	u.background(func(v *storage.Vault) func() {
		items, err := attachmentsOf(v, id, listed)
		return func() {
			s.rows.RemoveAll()
			if err != nil {
				s.rows.Add(paragraph(u.errorText(err)))
				return
			}
			s.items = items
			if len(items) == 0 {
				none := widget.NewLabel(u.T("No attachments."))
				none.Importance = widget.LowImportance
				s.rows.Add(none)
			}
			for _, it := range items {
				s.rows.Add(s.row(it))
			}
		}
	})
}

// attachmentsOf returns the attachments listed (in that order) and then
// those about record id (found through the vault's links), by name.
// Attachments that cannot be read, such as those of an audience this
// device is not in, are left out.
func attachmentsOf(v *storage.Vault, id string, listed []string) ([]attachedItem, error) {
	linked, err := v.Linked(id)
	if err != nil {
		return nil, err
	}
	var items, about []attachedItem
	seen := map[string]bool{}
	get := func(aid string) *record.Attachment {
		rec, err := v.Get(aid)
		if err != nil || rec.Deleted || rec.Kind != record.KindAttachment {
			return nil
		}
		b, err := rec.Decode()
		if err != nil {
			return nil
		}
		return b.(*record.Attachment)
	}
	for _, aid := range listed {
		if a := get(aid); a != nil && !seen[aid] {
			seen[aid] = true
			items = append(items, attachedItem{aid, a})
		}
	}
	for _, sm := range linked {
		if sm.Kind != record.KindAttachment || seen[sm.ID] {
			continue
		}
		if a := get(sm.ID); a != nil && slices.Contains(a.About, id) {
			about = append(about, attachedItem{sm.ID, a})
		}
	}
	slices.SortStableFunc(about, func(x, y attachedItem) int { return strings.Compare(x.att.Name, y.att.Name) })
	return append(items, about...), nil
}

// row shows one attachment: name, type and size, Preview and Export.
func (s *attachmentSection) row(it attachedItem) fyne.CanvasObject {
	u := s.ui
	name := widget.NewLabelWithStyle(it.att.Name, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	name.Truncation = fyne.TextTruncateEllipsis
	meta := widget.NewLabel(u.sizeText(it.att.Size) + " · " + it.att.MediaType)
	meta.Importance = widget.LowImportance
	meta.Truncation = fyne.TextTruncateEllipsis
	preview := u.button(u.T("Preview"), theme.VisibilityIcon(), func() { s.showPreview(it) })
	export := u.button(u.T("Export decrypted copy…"), theme.DownloadIcon(), func() { s.confirmExport(it) })
	return container.NewBorder(nil, nil, nil, container.NewCenter(container.NewHBox(preview, export)), container.NewVBox(name, meta))
}

// chooseFile asks for a file to attach with the file dialog.
func (s *attachmentSection) chooseFile() {
	d := dialog.NewFileOpen(func(r fyne.URIReadCloser, err error) {
		s.ui.touch()
		if err != nil {
			dialog.ShowInformation(s.ui.T("Attachments"), s.ui.errorText(err), s.ui.win)
			return
		}
		if r == nil {
			return
		}
		uri := r.URI()
		r.Close()
		s.importFiles([]fyne.URI{uri})
	}, s.ui.win)
	d.SetOnClosed(s.ui.forgetFileDialogFolder)
	d.Resize(fyne.NewSize(900, 600))
	d.Show()
}

// fileDialogFolderPref is where Fyne's file dialogs remember the last
// folder shown, in the preferences file outside the vault.
const fileDialogFolderPref = "fyne:fileDialogLastFolder"

// forgetFileDialogFolder removes the folder Fyne's file dialog remembered:
// a path such as ~/evidence/prison-letters, kept in plain text outside the
// vault, would tell whoever reads the disk where the originals are.
func (u *UI) forgetFileDialogFolder() {
	u.app.Preferences().RemoveValue(fileDialogFolderPref)
}

// dropped takes files dropped onto the window: they are attached to the
// record whose detail view is shown.
func (u *UI) dropped(_ fyne.Position, uris []fyne.URI) {
	u.touch()
	if u.main == nil || len(uris) == 0 {
		return
	}
	if s := u.main.shownAttachments(); s != nil {
		s.importFiles(uris)
		return
	}
	dialog.ShowInformation(u.T("Attachments"),
		u.T("To attach files, open a person, testimony, case, incident or note first, then drop the files onto it."), u.win)
}

// shownAttachments returns the Attachments section of the record shown in
// the selected tab, or nil.
func (m *mainScreen) shownAttachments() *attachmentSection {
	i := m.tabs.SelectedIndex()
	if i < 0 || i >= len(browseKinds) {
		return nil
	}
	if l := m.lists[browseKinds[i]]; l != nil && l.detail != nil {
		return l.detail.attach
	}
	return nil
}

// importFiles asks whether to attach the files at uris to the record and
// then imports them. The file dialog and drag and drop both come here.
func (s *attachmentSection) importFiles(uris []fyne.URI) {
	u := s.ui
	var paths, names, left []string
	var total int64
	for _, uri := range uris {
		if uri.Scheme() != "file" {
			left = append(left, uri.Name())
			continue
		}
		st, err := os.Stat(uri.Path())
		if err != nil || !st.Mode().IsRegular() {
			left = append(left, uri.Name())
			continue
		}
		paths = append(paths, uri.Path())
		names = append(names, filepath.Base(uri.Path()))
		total += st.Size()
	}
	msg := ""
	if len(left) > 0 {
		msg = u.Tf("Left out, because they are not files: %s", strings.Join(left, ", ")) + "\n\n"
	}
	if len(paths) == 0 {
		dialog.ShowInformation(u.T("Attachments"), strings.TrimSpace(msg), u.win)
		return
	}
	msg += u.Tf("Encrypt these files into the vault and attach them to “%s”?", s.title) + "\n\n" +
		strings.Join(names, "\n") + "\n\n" +
		u.T("The originals stay on this computer, unencrypted: remove them afterwards if they should not stay.")
	u.confirm(u.T("Attach files?"), msg, u.T("Attach"), u.T("Cancel"), func() { s.startImport(paths, names, total) })
}

// importResult is what an import did.
type importResult struct {
	imported  int
	cancelled bool
	linked    bool // the testimony's Attachments field changed
	err       error
}

// startImport imports the files in the background with progress.
func (s *attachmentSection) startImport(paths, names []string, total int64) {
	u := s.ui
	t := u.startTransfer(total)
	s.progress = u.showProgress(u.T("Attaching files"), t, names)
	id, audience, draft := s.id, s.audience, s.draft
	u.background(func(v *storage.Vault) func() {
		res := importAll(v, t, paths, id, audience, draft)
		t.finished.Store(true)
		return func() {
			delete(u.transfers, t)
			s.progress.finish()
			s.imported(res, len(paths))
		}
	})
}

// importAll imports the files at paths as attachments about record id and,
// for a draft testimony, lists them in its Attachments field. It stops at
// the first failure or at Cancel; a file not imported completely leaves
// nothing behind.
func importAll(v *storage.Vault, t *transfer, paths []string, id, audience string, draft bool) importResult {
	var res importResult
	var ids []string
	for i, path := range paths {
		t.file.Store(int64(i))
		aid, err := importFile(v, t, path, id, audience)
		if err != nil {
			res.cancelled = errors.Is(err, errCancelled)
			res.err = err
			break
		}
		ids = append(ids, aid)
		res.imported++
	}
	if draft && len(ids) > 0 {
		linked, err := listInTestimony(v, id, ids)
		res.linked = linked
		if err != nil && res.err == nil {
			res.err = err
		}
	}
	return res
}

// importFile imports one file through t.
func importFile(v *storage.Vault, t *transfer, path, about, audience string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	rec, err := v.ImportAttachmentTo(&progressReader{r: f, t: t}, filepath.Base(path), "", []string{about}, audience)
	if err != nil {
		return "", err
	}
	return rec.ID, nil
}

// listInTestimony adds ids to the Attachments field of testimony id if it
// is still a draft; a sealed one keeps its body, and the attachments are
// about it all the same.
func listInTestimony(v *storage.Vault, id string, ids []string) (bool, error) {
	rec, err := v.Get(id)
	if err != nil {
		return false, err
	}
	if rec.Sealed {
		return false, nil
	}
	b, err := rec.Decode()
	if err != nil {
		return false, err
	}
	t := b.(*record.Testimony)
	for _, aid := range ids {
		if !slices.Contains(t.Attachments, aid) {
			t.Attachments = append(t.Attachments, aid)
		}
	}
	if _, err := v.Update(id, t); err != nil {
		if errors.Is(err, storage.ErrSealed) {
			return false, nil
		}
		return false, err
	}
	return true, nil
}

// imported shows the outcome of an import of n files and the new list.
func (s *attachmentSection) imported(res importResult, n int) {
	u := s.ui
	if res.linked {
		s.changed()
	} else {
		s.load()
	}
	var msg []string
	if res.imported > 0 || res.err == nil {
		msg = append(msg, u.Tf("Attached: %d of %d files.", res.imported, n))
	}
	switch {
	case res.cancelled:
		msg = append(msg, u.T("Cancelled. The file being imported was not kept."))
	case res.err != nil:
		msg = append(msg, u.errorText(res.err), u.T("The file being imported was not kept."))
	}
	if res.imported > 0 {
		msg = append(msg, u.T("The originals are still on this computer, unencrypted: remove them if they should not stay."))
	}
	dialog.ShowInformation(u.T("Attachments"), strings.Join(msg, "\n\n"), u.win)
}

// previewKind says how an attachment can be previewed: "image", "text",
// or "" for not at all.
func previewKind(mediaType string) string {
	mt, params, err := mime.ParseMediaType(mediaType)
	if err != nil {
		return ""
	}
	switch {
	case mt == "image/png", mt == "image/jpeg", mt == "image/gif":
		return "image"
	case strings.HasPrefix(mt, "text/"):
		switch strings.ToLower(params["charset"]) {
		case "", "utf-8", "us-ascii":
			return "text"
		}
	}
	return ""
}

// showPreview shows an image or a text attachment in a dialog, decrypted
// into memory only. Closing the dialog, or locking, drops it.
func (s *attachmentSection) showPreview(it attachedItem) {
	u := s.ui
	kind := previewKind(it.att.MediaType)
	switch {
	case kind == "":
		s.noPreview(it, u.Tf("Letapis cannot show files of this type (%s).", it.att.MediaType))
		return
	case it.att.Size > previewLimit:
		s.noPreview(it, u.Tf("This file is too large to preview (%s; the limit is %s).", u.sizeText(it.att.Size), u.sizeText(previewLimit)))
		return
	}
	busy := widget.NewActivity()
	busy.Start()
	stack := container.NewStack(container.NewCenter(container.NewHBox(busy, widget.NewLabel(u.T("Decrypting…")))))
	s.preview = stack
	t := u.startTransfer(it.att.Size)
	d := dialog.NewCustom(it.att.Name, u.T("Close"), stack, u.win)
	d.SetOnClosed(func() {
		t.cancelled.Store(true)
		busy.Stop()
		stack.RemoveAll()
	})
	d.Resize(fyne.NewSize(860, 640))
	d.Show()
	id := it.id
	u.background(func(v *storage.Vault) func() {
		content, err := decodePreview(v, t, id, kind)
		t.finished.Store(true)
		return func() {
			delete(u.transfers, t)
			busy.Stop()
			if t.cancelled.Load() {
				return
			}
			stack.Objects = []fyne.CanvasObject{s.previewContent(content, err)}
			stack.Refresh()
		}
	})
}

// decodePreview decrypts attachment id into memory and decodes it as an
// image.Image, or as text cut into lines (textLines).
func decodePreview(v *storage.Vault, t *transfer, id, kind string) (any, error) {
	var buf bytes.Buffer
	if _, err := v.ExportAttachment(id, &progressWriter{w: &buf, t: t}); err != nil {
		return nil, err
	}
	if kind == "text" {
		if !utf8.Valid(buf.Bytes()) {
			return nil, errNotUTF8
		}
		return textLines(buf.String(), previewColumns), nil
	}
	cfg, _, err := image.DecodeConfig(bytes.NewReader(buf.Bytes()))
	if err != nil {
		return nil, fmt.Errorf("%w: %w", errNotImage, err)
	}
	if int64(cfg.Width)*int64(cfg.Height) > previewPixels {
		return nil, errTooManyPixels
	}
	img, _, err := image.Decode(&buf)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", errNotImage, err)
	}
	return img, nil
}

// Reasons a preview cannot be shown.
var (
	errNotUTF8       = errors.New("the text is not UTF-8")
	errNotImage      = errors.New("the image cannot be read")
	errTooManyPixels = errors.New("the image has too many pixels")
)

// previewContent shows a decoded image or text, or why there is none.
func (s *attachmentSection) previewContent(content any, err error) fyne.CanvasObject {
	u := s.ui
	switch c := content.(type) {
	case image.Image:
		img := canvas.NewImageFromImage(c)
		img.FillMode = canvas.ImageFillContain
		b := c.Bounds()
		w, h := float32(b.Dx()), float32(b.Dy())
		scale := min(1, 820/w, 540/h)
		img.SetMinSize(fyne.NewSize(w*scale, h*scale))
		caption := widget.NewLabel(u.Tf("%d × %d pixels", b.Dx(), b.Dy()))
		caption.Importance = widget.LowImportance
		return container.NewBorder(nil, caption, nil, nil, img)
	case []string:
		// A list lays out only the lines on screen: a label of a
		// megabyte of text takes seconds.
		list := widget.NewList(func() int { return len(c) },
			func() fyne.CanvasObject {
				return canvas.NewText("", theme.Color(theme.ColorNameForeground))
			},
			func(i widget.ListItemID, o fyne.CanvasObject) {
				if i >= 0 && i < len(c) {
					o.(*canvas.Text).Text = c[i]
					o.Refresh()
				}
			})
		list.HideSeparators = true
		size := canvas.NewRectangle(color.Transparent)
		size.SetMinSize(fyne.NewSize(800, 520))
		return container.NewStack(size, list)
	}
	var msg string
	switch {
	case errors.Is(err, errNotUTF8):
		msg = u.T("This text is not in UTF-8, so Letapis cannot show it.")
	case errors.Is(err, errNotImage):
		msg = u.T("This image cannot be read: it may be damaged or of another format than its name says.")
	case errors.Is(err, errTooManyPixels):
		msg = u.T("This image has too many pixels to preview.")
	case errors.Is(err, storage.ErrIntegrity), errors.Is(err, storage.ErrDamaged):
		msg = u.T("The encrypted file is damaged or was altered: it does not match the SHA-256 taken at import.")
	default:
		msg = u.errorText(err)
	}
	return container.NewPadded(paragraph(msg + "\n\n" + u.T("You can export a decrypted copy and open it in another program.")))
}

// noPreview says why an attachment has no preview and offers to export it.
func (s *attachmentSection) noPreview(it attachedItem, why string) {
	u := s.ui
	u.confirm(it.att.Name, why+"\n\n"+u.T("You can export a decrypted copy and open it in another program."),
		u.T("Export decrypted copy…"), u.T("Close"), func() { s.confirmExport(it) })
}

// confirmExport warns that a decrypted copy is readable by anyone, then
// asks where to save it.
func (s *attachmentSection) confirmExport(it attachedItem) {
	u := s.ui
	u.confirm(u.T("Export a decrypted copy?"),
		u.Tf("The copy of %s will not be encrypted. Anyone who gets this computer or its disk, or the drive you save it to, can read it.", it.att.Name)+"\n\n"+
			u.T("Delete the copy as soon as you are done with it. Where you can, keep the file only in Letapis."),
		u.T("Choose where to save…"), u.T("Cancel"), func() { s.chooseExportFile(it) })
}

// confirm shows a question with the buttons yes and no, and calls then if
// yes is chosen.
func (u *UI) confirm(title, msg, yes, no string, then func()) {
	d := dialog.NewConfirm(title, msg, func(ok bool) {
		u.touch()
		if ok {
			then()
		}
	}, u.win)
	d.SetConfirmText(yes)
	d.SetDismissText(no)
	d.Show()
}

// chooseExportFile asks where to save the copy with the save dialog.
func (s *attachmentSection) chooseExportFile(it attachedItem) {
	u := s.ui
	d := dialog.NewFileSave(func(w fyne.URIWriteCloser, err error) {
		u.touch()
		if err != nil {
			dialog.ShowInformation(u.T("Export decrypted copy…"), u.errorText(err), u.win)
			return
		}
		if w == nil {
			return
		}
		// The dialog has created the file, empty; the copy replaces it
		// once it is complete and checked.
		uri := w.URI()
		w.Close()
		if uri.Scheme() != "file" {
			dialog.ShowInformation(u.T("Export decrypted copy…"), u.T("Choose a folder on this computer."), u.win)
			return
		}
		s.exportTo(it, uri.Path(), true)
	}, u.win)
	d.SetOnClosed(u.forgetFileDialogFolder)
	d.SetFileName(it.att.Name)
	d.Resize(fyne.NewSize(900, 600))
	d.Show()
}

// exportTo writes a decrypted copy of the attachment to path in the
// background, with progress, and says whether the SHA-256 check passed.
// The copy is written to a temporary file beside path and renamed into
// place once checked; if the export fails or is cancelled, nothing is left,
// not even the empty file the save dialog created (placeholder).
func (s *attachmentSection) exportTo(it attachedItem, path string, placeholder bool) {
	u := s.ui
	t := u.startTransfer(it.att.Size)
	s.progress = u.showProgress(u.T("Exporting a decrypted copy"), t, []string{it.att.Name})
	id := it.id
	u.background(func(v *storage.Vault) func() {
		err := exportFile(v, t, id, path)
		if err != nil && placeholder {
			if st, serr := os.Stat(path); serr == nil && st.Size() == 0 {
				os.Remove(path)
			}
		}
		t.finished.Store(true)
		return func() {
			delete(u.transfers, t)
			s.progress.finish()
			s.exported(it, path, err)
		}
	})
}

// exportFile writes attachment id to path through an exclusive temporary
// file in the same folder, removed on any failure. The save dialog has
// already asked before replacing a file, so one at path is overwritten; a
// symbolic link there is refused, never followed.
func exportFile(v *storage.Vault, t *transfer, id, path string) error {
	return safefile.Write(path, true, func(w io.Writer) error {
		_, err := v.ExportAttachment(id, &progressWriter{w: w, t: t})
		return err
	})
}

// exported says how an export ended.
func (s *attachmentSection) exported(it attachedItem, path string, err error) {
	u := s.ui
	var msg string
	switch {
	case err == nil:
		msg = u.Tf("A decrypted copy of %s is in %s.", it.att.Name, path) + "\n\n" +
			u.Tf("SHA-256 check passed: the copy is the same as the file imported into the vault (SHA-256 %s).", it.att.SHA256) + "\n\n" +
			u.T("Delete the copy as soon as you are done with it.")
	case errors.Is(err, errCancelled):
		msg = u.T("Export cancelled. No copy was written.")
	case errors.Is(err, storage.ErrIntegrity), errors.Is(err, storage.ErrDamaged):
		msg = u.T("SHA-256 check failed: the encrypted file is damaged or was altered. No copy was written.")
	default:
		msg = u.errorText(err) + "\n\n" + u.T("No copy was written.")
	}
	dialog.ShowInformation(u.T("Export decrypted copy…"), msg, u.win)
}

// textLines cuts text into lines of at most width characters, breaking
// long lines at a space where there is one. Tabs become spaces.
func textLines(text string, width int) []string {
	var out []string
	for _, line := range strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n") {
		r := []rune(strings.ReplaceAll(line, "\t", "    "))
		for len(r) > width {
			cut := width
			for i := width; i > width/2; i-- {
				if r[i] == ' ' {
					cut = i + 1
					break
				}
			}
			out = append(out, string(r[:cut]))
			r = r[cut:]
		}
		out = append(out, string(r))
	}
	return out
}

// sizeText words a byte count for people.
func (u *UI) sizeText(n int64) string {
	switch {
	case n < 1<<10:
		return u.Tf("%d bytes", n)
	case n < 1<<20:
		return u.Tf("%.1f KiB", float64(n)/(1<<10))
	case n < 1<<30:
		return u.Tf("%.1f MiB", float64(n)/(1<<20))
	}
	return u.Tf("%.1f GiB", float64(n)/(1<<30))
}
