package app

import (
	"bytes"
	"encoding/json"
	"errors"
	"image/color"
	"slices"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/letapis/letapis/storage"
	"github.com/letapis/letapis/storage/envelope"
	"github.com/letapis/letapis/storage/record"
)

// errHeadsMoved says that another version of the record arrived while the
// conflict view was open.
var errHeadsMoved = errors.New("another version of this record arrived meanwhile")

// Choices of a fieldPick besides the index of a version.
const (
	pickNone    = -1 // nothing chosen yet
	pickWritten = -2 // the value typed into the merge field
)

// fieldPick is a field on which the versions of a record in conflict
// disagree, and the user's choice for it.
type fieldPick struct {
	spec    fieldSpec
	values  []json.RawMessage // of each version, nil where not set
	chosen  int               // index of a version, pickNone or pickWritten
	keep    []*widget.Button  // one "Use this" per version
	write   *widget.Button    // nil unless the field is text
	written *widget.Entry
}

// conflictView shows the versions (heads) of a record in conflict side by
// side, field by field. The user picks a version for each field on which
// they disagree, or writes a merged text, and saves the result as the
// revision that ends the conflict. A sealed testimony never merges: the
// view then only shows the versions and confirms the sealed one.
type conflictView struct {
	ui      *UI
	h       *recordHistory
	heads   []*storage.HistoryEntry // oldest first
	sealed  bool
	agreed  map[string]json.RawMessage
	picks   []*fieldPick
	save    *widget.Button
	cancel  *widget.Button
	problem *widget.Label
	busy    *widget.Activity
	saving  bool
	content fyne.CanvasObject
}

// newConflictView shows the conflict of h.rec; cancel returns to the record
// unchanged, resolved is called once the resolution is saved.
func newConflictView(u *UI, h *recordHistory, cancel, resolved func()) *conflictView {
	cv := &conflictView{ui: u, h: h, sealed: h.rec.Sealed, agreed: map[string]json.RawMessage{}}
	for _, id := range h.rec.Heads {
		if e := h.byID[id]; e != nil {
			cv.heads = append(cv.heads, e)
		}
	}
	slices.SortStableFunc(cv.heads, func(a, b *storage.HistoryEntry) int { return a.Time.Compare(b.Time) })
	title := h.title
	if title == "" {
		title = u.T("(untitled)")
	}
	head := heading(u.Tf("Conflict: %s", title))
	head.Wrapping = fyne.TextWrapWord
	var intro string
	if cv.sealed {
		intro = u.T("This testimony was sealed on one device while it was edited on another. A sealed testimony is evidence and never merges: its sealed content stays. The other version remains in the history. Confirm to end the conflict; to correct the testimony, amend it.")
	} else {
		intro = u.T("These versions were saved on different devices before they had synced. For each highlighted field, choose the version to keep or, for text, write a merged one. Fields on which the versions agree are shown once, below.")
	}
	items := []fyne.CanvasObject{head, paragraph(intro)}

	fields := make([]map[string]json.RawMessage, len(cv.heads))
	keys := map[string]bool{}
	for i, e := range cv.heads {
		fields[i] = flatFields(e.Body)
		for k := range fields[i] {
			keys[k] = true
		}
	}
	var base map[string]json.RawMessage
	if b := h.commonBase(cv.heads); b != nil {
		base = flatFields(b.Body)
	}
	columns := make([]fyne.CanvasObject, len(cv.heads))
	for i, e := range cv.heads {
		name := u.Tf("Version %d", i+1)
		if e.Op == envelope.OpSeal {
			name = u.Tf("Version %d (sealed)", i+1)
		}
		by := widget.NewLabel(h.author(u, e.Author) + " · " + localTime(e.Time))
		by.Importance = widget.LowImportance
		columns[i] = container.NewVBox(heading(name), by)
	}
	items = append(items, widget.NewSeparator(), container.NewGridWithColumns(len(cv.heads), columns...))

	var same []string
	for _, k := range fieldOrder(h.rec.Kind, keys) {
		values := make([]json.RawMessage, len(cv.heads))
		for i := range cv.heads {
			values[i] = fields[i][k]
		}
		if !slices.ContainsFunc(values[1:], func(v json.RawMessage) bool { return !bytes.Equal(v, values[0]) }) {
			cv.agreed[k] = values[0]
			same = append(same, k)
			continue
		}
		p := &fieldPick{spec: specOf(h.rec.Kind, k), values: values, chosen: pickNone}
		items = append(items, cv.pickRow(p, base))
	}
	if len(cv.picks) == 0 && !cv.sealed {
		items = append(items, paragraph(u.T("The versions do not differ in any field.")))
	}
	if len(same) > 0 {
		rows := container.New(layout.NewFormLayout())
		for _, k := range same {
			f := specOf(h.rec.Kind, k)
			addRow(rows, u.T(f.label), selectable(h.names.show(f, cv.agreed[k])))
		}
		items = append(items, widget.NewSeparator(), heading(u.T("The same in every version")), rows)
	}

	cv.problem = paragraph("")
	cv.problem.Importance = widget.DangerImportance
	cv.busy = widget.NewActivity()
	cv.busy.Hide()
	saveLabel := u.T("Save resolution")
	if cv.sealed {
		saveLabel = u.T("Keep the sealed version")
	}
	cv.save = u.button(saveLabel, theme.DocumentSaveIcon(), func() { cv.resolve(resolved) })
	cv.save.Importance = widget.HighImportance
	cv.cancel = u.button(u.T("Cancel"), theme.CancelIcon(), cancel)
	items = append(items, widget.NewSeparator(), cv.problem,
		container.NewHBox(layout.NewSpacer(), cv.busy, cv.cancel, cv.save))
	cv.content = container.NewVScroll(container.NewPadded(container.NewVBox(items...)))
	return cv
}

// pickRow shows the values of a disagreeing field side by side, highlighted,
// with a button under each to keep it. A field only one version changed
// since their common base starts out with that version chosen; a field
// several versions changed waits for the user.
func (cv *conflictView) pickRow(p *fieldPick, base map[string]json.RawMessage) fyne.CanvasObject {
	u, h := cv.ui, cv.h
	var changers []int
	for i, v := range p.values {
		if !bytes.Equal(v, base[p.spec.key]) {
			changers = append(changers, i)
		}
	}
	name := u.T(p.spec.label)
	oneSided := base != nil && !slices.ContainsFunc(changers, func(i int) bool {
		return !bytes.Equal(p.values[i], p.values[changers[0]])
	})
	if oneSided {
		p.chosen = changers[0]
		name = u.Tf("%s — changed in version %d only", name, changers[0]+1)
	} else {
		name = u.Tf("%s — the versions disagree", name)
	}
	texts := make([]string, len(p.values))
	for i, v := range p.values {
		texts[i] = h.names.show(p.spec, v)
	}
	long := isLong(p.spec, texts...)
	cells := make([]fyne.CanvasObject, len(p.values))
	for i, text := range texts {
		var value fyne.CanvasObject
		switch {
		case text == "":
			l := widget.NewLabel(u.T("(not set)"))
			l.Importance = widget.LowImportance
			value = l
		case long:
			value = u.longText(text)
		default:
			value = selectable(text)
		}
		if cv.sealed {
			cells[i] = value
			continue
		}
		p.keep = append(p.keep, u.button(u.T("Use this"), nil, func() { cv.choose(p, i) }))
		cells[i] = container.NewBorder(nil, container.NewHBox(p.keep[i]), nil, nil, value)
	}
	block := []fyne.CanvasObject{heading(name), container.NewGridWithColumns(len(cells), cells...)}
	if !cv.sealed && cv.isText(p) {
		p.written = u.multiLine(u.T("The merged text"), 4)
		p.written.Hide()
		p.write = u.button(u.T("Write a merged text…"), theme.DocumentCreateIcon(), func() { cv.choose(p, pickWritten) })
		block = append(block, container.NewHBox(p.write), p.written)
	}
	if !cv.sealed {
		cv.picks = append(cv.picks, p)
		cv.choose(p, p.chosen)
	}
	bg := canvas.NewRectangle(highlight(oneSided))
	bg.CornerRadius = theme.InputRadiusSize()
	return container.NewStack(bg, container.NewPadded(container.NewVBox(block...)))
}

// highlight is the background of a disagreeing field: warm where the user
// must choose, faint where a choice was made for them.
func highlight(oneSided bool) color.Color {
	c := color.NRGBAModel.Convert(theme.Color(theme.ColorNameWarning)).(color.NRGBA)
	c.A = 0x40
	if oneSided {
		c.A = 0x18
	}
	return c
}

// isText reports whether every version of the field is text (or not set),
// so that a merged value can be written.
func (cv *conflictView) isText(p *fieldPick) bool {
	if k := p.spec.kind; k != fieldText && k != fieldLong && k != fieldOther {
		return false
	}
	for _, v := range p.values {
		var s string
		if v != nil && json.Unmarshal(v, &s) != nil {
			return false
		}
	}
	return true
}

// choose records the choice for p and shows it.
func (cv *conflictView) choose(p *fieldPick, i int) {
	if cv.saving {
		return
	}
	if i == pickWritten && p.chosen != pickWritten {
		// Start from the chosen version, or from every version.
		var texts []string
		for j, v := range p.values {
			var s string
			if json.Unmarshal(v, &s) == nil && s != "" && (p.chosen < 0 || p.chosen == j) && !slices.Contains(texts, s) {
				texts = append(texts, s)
			}
		}
		p.written.SetText(strings.Join(texts, "\n\n"))
	}
	p.chosen = i
	for j, b := range p.keep {
		if j == i {
			b.Importance = widget.HighImportance
			b.SetIcon(theme.ConfirmIcon())
		} else {
			b.Importance = widget.MediumImportance
			b.SetIcon(nil)
		}
		b.Refresh()
	}
	if p.written != nil {
		if i == pickWritten {
			p.write.Importance = widget.HighImportance
			p.written.Show()
		} else {
			p.write.Importance = widget.MediumImportance
			p.written.Hide()
		}
		p.write.Refresh()
	}
}

// body builds the resolved content from the choices; every field must
// have one.
func (cv *conflictView) body() (record.Body, error) {
	if cv.sealed {
		return cv.h.rec.Decode()
	}
	fields := make(map[string]json.RawMessage, len(cv.agreed)+len(cv.picks))
	for k, v := range cv.agreed {
		fields[k] = v
	}
	for _, p := range cv.picks {
		switch p.chosen {
		case pickWritten:
			if text := strings.TrimSpace(p.written.Text); text != "" {
				v, err := json.Marshal(text)
				if err != nil {
					return nil, err
				}
				fields[p.spec.key] = v
			}
		default:
			if v := p.values[p.chosen]; v != nil {
				fields[p.spec.key] = v
			}
		}
	}
	data, err := unflatFields(fields)
	if err != nil {
		return nil, err
	}
	return record.Decode(cv.h.rec.Kind, data)
}

// resolve saves the chosen content in the background; resolved runs once
// it is saved.
func (cv *conflictView) resolve(resolved func()) {
	u := cv.ui
	if cv.saving {
		return
	}
	for _, p := range cv.picks {
		if p.chosen == pickNone {
			cv.problem.SetText(u.Tf("%s: choose a version, or write a merged text.", u.T(p.spec.label)))
			return
		}
	}
	b, err := cv.body()
	if err != nil {
		cv.problem.SetText(u.saveError(err))
		return
	}
	cv.saving = true
	cv.save.Disable()
	cv.cancel.Disable()
	cv.problem.SetText("")
	cv.busy.Show()
	cv.busy.Start()
	id, heads := cv.h.rec.ID, slices.Sorted(slices.Values(cv.h.rec.Heads))
	u.background(func(v *storage.Vault) func() {
		cur, err := v.Get(id)
		if err == nil && !slices.Equal(slices.Sorted(slices.Values(cur.Heads)), heads) {
			err = errHeadsMoved
		}
		if err == nil {
			_, err = v.ResolveConflict(id, b)
		}
		return func() {
			cv.saving = false
			cv.busy.Stop()
			cv.busy.Hide()
			cv.save.Enable()
			cv.cancel.Enable()
			switch {
			case errors.Is(err, errHeadsMoved):
				cv.problem.SetText(u.T("Another version of this record arrived meanwhile. Go back and open the conflict again to see it."))
			case err != nil:
				cv.problem.SetText(u.saveError(err))
			default:
				resolved()
			}
		}
	})
}

// commonBase returns the latest revision every head descends from, nil if
// none is stored.
func (h *recordHistory) commonBase(heads []*storage.HistoryEntry) *storage.HistoryEntry {
	var common map[string]bool
	for _, head := range heads {
		seen := map[string]bool{}
		stack := []string{head.ID}
		for len(stack) > 0 {
			id := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			if e := h.byID[id]; e != nil && !seen[id] {
				seen[id] = true
				stack = append(stack, e.Parents...)
			}
		}
		if common == nil {
			common = seen
			continue
		}
		for id := range common {
			if !seen[id] {
				delete(common, id)
			}
		}
	}
	var best *storage.HistoryEntry
	for id := range common {
		if e := h.byID[id]; best == nil || e.Time.Compare(best.Time) > 0 {
			best = e
		}
	}
	return best
}

// showConflict reads the record's versions off the UI goroutine and shows
// them in place of the record; changed runs once the conflict is resolved.
func (dv *detailView) showConflict(changed func()) {
	dv.showHistoryAs(func(h *recordHistory) fyne.CanvasObject {
		return newConflictView(dv.ui, h, dv.back, changed).content
	})
}
