package app

import (
	"slices"
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

// recordList is one tab: a filter box, a lazy list of the summaries of one
// kind, and a pane for the selected record or a form. The summaries are
// loaded into a slice off the UI goroutine; the list's callbacks only index
// it, so 100,000 rows cost nothing more than the rows on screen.
type recordList struct {
	ui     *UI
	kind   record.Kind
	all    []storage.Summary
	shown  []int          // indexes into all that match the search, best first
	at     map[string]int // index in all of each record id
	asked  int            // number of the latest search, to ignore stale answers
	list   *widget.List
	filter *widget.Entry
	count  *widget.Label
	busy   *widget.Activity
	add    *widget.Button
	pane   *fyne.Container // detail or form
	form   any             // the form in the pane, if any
	detail *detailView     // the record in the pane, if any
	// content is the tab's content.
	content fyne.CanvasObject
}

func newRecordList(u *UI, k record.Kind) *recordList {
	l := &recordList{ui: u, kind: k}
	l.list = widget.NewList(
		func() int { return len(l.shown) },
		func() fyne.CanvasObject {
			title := widget.NewLabel("")
			title.Truncation = fyne.TextTruncateEllipsis
			flags := widget.NewLabel("")
			flags.Importance = widget.LowImportance
			return container.NewBorder(nil, nil, nil, flags, title)
		},
		func(id widget.ListItemID, o fyne.CanvasObject) {
			if id < 0 || id >= len(l.shown) {
				return
			}
			s := l.all[l.shown[id]]
			c := o.(*fyne.Container)
			title := s.Title
			if title == "" {
				title = u.T("(untitled)")
			}
			c.Objects[0].(*widget.Label).SetText(title)
			c.Objects[1].(*widget.Label).SetText(l.flags(s))
		},
	)
	l.list.OnSelected = func(id widget.ListItemID) {
		u.touch()
		if id >= 0 && id < len(l.shown) {
			l.open(l.all[l.shown[id]].ID)
		}
	}
	// The same search as letapis-cli search: any spelling of a name, or
	// words of a text (storage/search).
	l.filter = u.entry(u.T("Search: any spelling of a name, or words"))
	l.filter.OnChanged = func(string) {
		u.touch()
		l.applyFilter()
	}
	l.count = widget.NewLabel("")
	l.count.Importance = widget.LowImportance
	l.busy = widget.NewActivity()
	l.busy.Hide()
	var top []fyne.CanvasObject
	if addLabel := addTitle(k); addLabel != "" {
		l.add = u.button(u.T(addLabel), theme.ContentAddIcon(), l.showForm)
		l.add.Importance = widget.HighImportance
		top = append(top, container.NewHBox(l.add, layout.NewSpacer(), l.busy, l.count))
	} else {
		top = append(top, container.NewHBox(layout.NewSpacer(), l.busy, l.count))
	}
	top = append(top, l.filter)
	left := container.NewBorder(container.NewVBox(top...), nil, nil, nil, l.list)
	l.pane = container.NewStack(l.placeholder())
	split := container.NewHSplit(left, l.pane)
	split.Offset = 0.38
	l.content = split
	return l
}

// addTitle is the English label of the add button of a kind, "" if the app
// cannot add that kind yet.
func addTitle(k record.Kind) string {
	switch k {
	case record.KindPerson:
		return "Add person"
	case record.KindTestimony:
		return "Add testimony"
	case record.KindNote:
		return "Add note"
	}
	return ""
}

func (l *recordList) placeholder() fyne.CanvasObject {
	msg := widget.NewLabel(l.ui.T("Select a record on the left."))
	msg.Importance = widget.LowImportance
	return container.NewCenter(msg)
}

// flags is the short status shown at the end of a row.
func (l *recordList) flags(s storage.Summary) string {
	var f []string
	if s.Kind == record.KindTestimony {
		if s.Sealed {
			f = append(f, l.ui.T("sealed"))
		} else {
			f = append(f, l.ui.T("draft"))
		}
	}
	if s.Conflict {
		f = append(f, l.ui.T("conflict"))
	}
	return strings.Join(f, " · ")
}

// load reads the summaries of the list's kind off the UI goroutine and
// shows them: people by name, other kinds newest first.
func (l *recordList) load() {
	u := l.ui
	l.busy.Show()
	l.busy.Start()
	kind := l.kind
	u.background(func(v *storage.Vault) func() {
		var all []storage.Summary
		err := v.List(kind, func(s storage.Summary) bool {
			all = append(all, s)
			return true
		})
		if kind == record.KindPerson {
			sortByName(all)
		} else {
			slices.SortStableFunc(all, func(a, b storage.Summary) int {
				return b.Updated.Compare(a.Updated)
			})
		}
		return func() {
			l.busy.Stop()
			l.busy.Hide()
			if err != nil {
				l.show(l.message(u.errorText(err)))
				return
			}
			l.all = all
			l.at = make(map[string]int, len(all))
			for i, s := range all {
				l.at[s.ID] = i
			}
			l.applyFilter()
		}
	})
}

// sortByName sorts summaries by title in the Unicode collation order, so
// that Latin and Cyrillic names (і, ў included) sort as people expect. The
// people's collation keys come with their summaries (storage.SortByTitle).
func sortByName(all []storage.Summary) { storage.SortByTitle(all) }

// applyFilter shows every loaded record when the search box is empty, and
// otherwise the records the vault's search finds, best first. The search
// runs off the UI goroutine; an answer to an older query is dropped.
func (l *recordList) applyFilter() {
	q := strings.TrimSpace(l.filter.Text)
	l.asked++
	if q == "" {
		l.setShown(nil, false)
		return
	}
	asked, kind := l.asked, l.kind
	l.ui.background(func(v *storage.Vault) func() {
		hits, err := v.Search(search.Query{Text: q, Kind: kind, Limit: search.MaxLimit})
		return func() {
			if asked != l.asked {
				return
			}
			if err != nil {
				l.show(l.message(l.ui.errorText(err)))
				return
			}
			shown := make([]int, 0, len(hits))
			for _, h := range hits {
				if i, ok := l.at[h.ID]; ok {
					shown = append(shown, i)
				}
			}
			l.setShown(shown, true)
		}
	})
}

// setShown shows the rows at the given indexes of all, or every row.
func (l *recordList) setShown(shown []int, searching bool) {
	if !searching {
		shown = make([]int, len(l.all))
		for i := range shown {
			shown[i] = i
		}
	}
	l.shown = shown
	l.list.UnselectAll()
	l.list.Refresh()
	if searching {
		l.count.SetText(l.ui.Tf("Shown: %d of %d", len(shown), len(l.all)))
	} else {
		l.count.SetText(l.ui.Tf("Records: %d", len(l.all)))
	}
}

// drop forgets the loaded summaries and whatever the pane shows.
func (l *recordList) drop() {
	l.all, l.shown, l.at, l.form, l.detail = nil, nil, nil, nil, nil
	l.pane.Objects = nil
}

// show puts o into the pane.
func (l *recordList) show(o fyne.CanvasObject) {
	l.form, l.detail = nil, nil
	l.pane.Objects = []fyne.CanvasObject{o}
	l.pane.Refresh()
}

// message shows a plain message in the pane.
func (l *recordList) message(text string) fyne.CanvasObject {
	return container.NewPadded(paragraph(text))
}

// showForm shows the add form of the list's kind.
func (l *recordList) showForm() {
	l.list.UnselectAll()
	saved := func(r *storage.Record) {
		l.load()
		l.open(r.ID)
	}
	cancel := func() { l.show(l.placeholder()) }
	var form any
	switch l.kind {
	case record.KindPerson:
		f := newPersonForm(l.ui, saved, cancel)
		l.show(f.content)
		form = f
	case record.KindTestimony:
		f := newTestimonyForm(l.ui, saved, cancel)
		l.show(f.content)
		form = f
	case record.KindNote:
		f := newNoteForm(l.ui, saved, cancel)
		l.show(f.content)
		form = f
	}
	l.form = form
}

// open reads record id off the UI goroutine and shows it in the pane.
func (l *recordList) open(id string) {
	u := l.ui
	u.background(func(v *storage.Vault) func() {
		d, err := loadDetail(v, id, u.Lang())
		return func() {
			if err != nil {
				l.show(l.message(u.errorText(err)))
				return
			}
			dv := newDetailView(u, d, func() {
				l.load()
				l.open(id)
			})
			l.show(dv.content)
			l.detail = dv
		}
	})
}
