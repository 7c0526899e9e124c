package app

import (
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/letapis/letapis/storage"
	"github.com/letapis/letapis/storage/record"
	"github.com/letapis/letapis/storage/search"
)

// Field widgets the record forms share: repeatable rows, a picker of linked
// records, partial-date and one-per-line entries.

// repeater is a growing list of rows of fields, each with a Remove button,
// and an Add button below: a person's name spellings, claims, the places of
// detention of a case. V is the value a row edits, R the row's own struct of
// widgets.
type repeater[V, R any] struct {
	ui      *UI
	newRow  func(V) (R, fyne.CanvasObject)
	rows    []R
	objects []fyne.CanvasObject
	box     *fyne.Container
	// Content is what to put in a form.
	Content fyne.CanvasObject
}

// newRepeater makes a repeater whose Add button says addLabel (an English
// key) and adds an empty row; newRow builds the widgets of a row showing a
// value. It starts with a row for each of values.
func newRepeater[V, R any](u *UI, addLabel string, values []V, newRow func(V) (R, fyne.CanvasObject)) *repeater[V, R] {
	r := &repeater[V, R]{ui: u, newRow: newRow, box: container.NewVBox()}
	add := u.button(u.T(addLabel), theme.ContentAddIcon(), func() {
		var zero V
		r.Add(zero)
	})
	for _, v := range values {
		r.Add(v)
	}
	r.Content = container.NewVBox(r.box, container.NewHBox(add))
	return r
}

// Add appends a row showing v.
func (r *repeater[V, R]) Add(v V) {
	row, o := r.newRow(v)
	var line *fyne.Container
	remove := r.ui.button("", theme.DeleteIcon(), func() { r.remove(line) })
	line = container.NewBorder(nil, nil, nil, remove, o)
	r.rows = append(r.rows, row)
	r.objects = append(r.objects, line)
	r.box.Add(line)
}

// remove takes out the row shown as line.
func (r *repeater[V, R]) remove(line fyne.CanvasObject) {
	for i, o := range r.objects {
		if o == line {
			r.rows = append(r.rows[:i], r.rows[i+1:]...)
			r.objects = append(r.objects[:i], r.objects[i+1:]...)
			r.box.Remove(line)
			return
		}
	}
}

// Rows returns the rows in order.
func (r *repeater[V, R]) Rows() []R { return r.rows }

// pickerResults is how many search results a record picker offers.
const pickerResults = 6

// picked is a record chosen in a recordPicker.
type picked struct {
	id, title string
}

// recordPicker chooses linked records (the person a case is about, the
// victims of an incident) by searching as the user types: any spelling of a
// name, or words of a text. It holds record ids; titles are for display.
type recordPicker struct {
	ui     *UI
	kind   record.Kind // "" for any kind
	multi  bool
	query  *widget.Entry
	found  *fyne.Container // result buttons
	shown  *fyne.Container // chosen records
	asked  int             // number of the latest search, to drop stale answers
	chosen []picked
	// Content is what to put in a form.
	Content fyne.CanvasObject
}

// newRecordPicker makes a picker of records of kind ("" for any), one
// (multi false) or several, starting with the records ids.
func (u *UI) newRecordPicker(kind record.Kind, multi bool, ids []string) *recordPicker {
	p := &recordPicker{ui: u, kind: kind, multi: multi, found: container.NewVBox(), shown: container.NewVBox()}
	p.query = u.entry(u.T("Type a name or words to find the record"))
	p.query.OnChanged = func(string) {
		u.touch()
		p.search()
	}
	p.Content = container.NewVBox(p.shown, p.query, p.found)
	for _, id := range ids {
		if id != "" {
			p.chosen = append(p.chosen, picked{id: id, title: id})
		}
	}
	p.render()
	if len(p.chosen) > 0 {
		p.loadTitles()
	}
	return p
}

// loadTitles replaces the ids shown for the starting records with their
// titles.
func (p *recordPicker) loadTitles() {
	ids := p.IDs()
	p.ui.background(func(v *storage.Vault) func() {
		titles := make(map[string]string, len(ids))
		for _, id := range ids {
			titles[id] = recordTitle(v, id)
		}
		return func() {
			for i, c := range p.chosen {
				if t, ok := titles[c.id]; ok && t != "" {
					p.chosen[i].title = t
				}
			}
			p.render()
		}
	})
}

// recordTitle is the list title of record id, or "" if it cannot be read.
func recordTitle(v *storage.Vault, id string) string {
	r, err := v.Get(id)
	if err != nil {
		return ""
	}
	b, err := r.Decode()
	if err != nil {
		return ""
	}
	return record.Title(b)
}

// search offers the records matching the query, off the UI goroutine.
func (p *recordPicker) search() {
	q := strings.TrimSpace(p.query.Text)
	p.asked++
	if q == "" {
		p.offer(nil)
		return
	}
	asked := p.asked
	p.ui.background(func(v *storage.Vault) func() {
		hits, err := v.Search(search.Query{Text: q, Kind: p.kind, Limit: pickerResults})
		var offers []picked
		if err == nil {
			for _, h := range hits {
				if t := recordTitle(v, h.ID); t != "" {
					offers = append(offers, picked{id: h.ID, title: t})
				}
			}
		}
		return func() {
			if asked == p.asked {
				p.offer(offers)
			}
		}
	})
}

// offer shows search results as buttons that pick the record.
func (p *recordPicker) offer(offers []picked) {
	p.found.RemoveAll()
	for _, o := range offers {
		b := p.ui.button(o.title+"  ·  "+shortID(o.id), theme.ContentAddIcon(), func() { p.pick(o) })
		b.Alignment = widget.ButtonAlignLeading
		b.Importance = widget.LowImportance
		p.found.Add(b)
	}
	if len(offers) == 0 && strings.TrimSpace(p.query.Text) != "" {
		l := widget.NewLabel(p.ui.T("Nothing found."))
		l.Importance = widget.LowImportance
		p.found.Add(l)
	}
}

// pick chooses o: in addition to the others, or instead of the one chosen.
func (p *recordPicker) pick(o picked) {
	for _, c := range p.chosen {
		if c.id == o.id {
			p.clearQuery()
			return
		}
	}
	if p.multi {
		p.chosen = append(p.chosen, o)
	} else {
		p.chosen = []picked{o}
	}
	p.clearQuery()
	p.render()
}

func (p *recordPicker) clearQuery() {
	p.query.SetText("")
	p.offer(nil)
}

// render shows the chosen records, each with a Remove button.
func (p *recordPicker) render() {
	p.shown.RemoveAll()
	if len(p.chosen) == 0 {
		l := widget.NewLabel(p.ui.T("(none chosen)"))
		l.Importance = widget.LowImportance
		p.shown.Add(l)
		return
	}
	for _, c := range p.chosen {
		title := widget.NewLabel(c.title)
		title.Truncation = fyne.TextTruncateEllipsis
		remove := p.ui.button("", theme.CancelIcon(), func() { p.unpick(c.id) })
		p.shown.Add(container.NewBorder(nil, nil, nil, container.NewHBox(layout.NewSpacer(), remove), title))
	}
}

func (p *recordPicker) unpick(id string) {
	for i, c := range p.chosen {
		if c.id == id {
			p.chosen = append(p.chosen[:i], p.chosen[i+1:]...)
			break
		}
	}
	p.render()
}

// IDs returns the ids of the chosen records, in the order chosen.
func (p *recordPicker) IDs() []string {
	var ids []string
	for _, c := range p.chosen {
		ids = append(ids, c.id)
	}
	return ids
}

// ID returns the first chosen record's id, or "".
func (p *recordPicker) ID() string {
	if len(p.chosen) == 0 {
		return ""
	}
	return p.chosen[0].id
}

// shortID is the start of a record id, enough to tell records apart.
func shortID(id string) string {
	if len(id) > 8 {
		return id[:8]
	}
	return id
}

// dateEntry makes a partial-date field showing d.
func (u *UI) dateEntry(d record.Date) *widget.Entry {
	e := u.entry(u.T("YYYY, YYYY-MM or YYYY-MM-DD"))
	e.SetText(d.String())
	return e
}

// linesEntry makes a multi-line field with one item per line.
func (u *UI) linesEntry(placeholder string, items []string) *widget.Entry {
	e := u.multiLine(placeholder, 3)
	e.SetText(strings.Join(items, "\n"))
	return e
}

// lines returns the non-empty trimmed lines of a field.
func lines(e *widget.Entry) []string {
	var out []string
	for _, l := range strings.Split(e.Text, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

// textEntry makes a one-line field showing s.
func (u *UI) textEntry(s string) *widget.Entry {
	e := u.entry("")
	e.SetText(s)
	return e
}
