package app

import (
	"strings"
	"time"

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
	loaded bool           // load has been called (the tab was shown)
	list   *widget.List
	filter *widget.Entry
	// filters is the filter and sort bar below the search box.
	filters *listFilter
	count   *widget.Label
	busy    *widget.Activity
	add     *widget.Button
	pane    *fyne.Container // detail or form
	form    any             // the form in the pane, if any
	detail  *detailView     // the record in the pane, if any
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
		l.add = u.button(u.T(addLabel), theme.ContentAddIcon(), func() { l.showForm(formMode{}) })
		l.add.Importance = widget.HighImportance
		top = append(top, container.NewHBox(l.add, layout.NewSpacer(), l.busy, l.count))
	} else {
		top = append(top, container.NewHBox(layout.NewSpacer(), l.busy, l.count))
	}
	l.filters = u.newListFilter(k, l.applyFilter)
	top = append(top, l.filter, l.filters.content)
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
	case record.KindCase:
		return "Add case"
	case record.KindIncident:
		return "Add incident"
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

// load reads the summaries of the list's kind off the UI goroutine, keeps
// them in title order (sortRows relies on it) and shows them in the order
// the filter bar asks for.
func (l *recordList) load() {
	u := l.ui
	l.loaded = true
	spin(l.busy, true)
	kind := l.kind
	u.background(func(v *storage.Vault) func() {
		var all []storage.Summary
		err := v.List(kind, func(s storage.Summary) bool {
			all = append(all, s)
			return true
		})
		sortByName(all)
		return func() {
			spin(l.busy, false)
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
			u.log.Info("list shown", "kind", kind, "records", len(all), "since_unlock", time.Since(u.unlockedAt).Round(time.Millisecond))
		}
	})
}

// sortByName sorts summaries by title in the Unicode collation order, so
// that Latin and Cyrillic names (і, ў included) sort as people expect. The
// people's collation keys come with their summaries (storage.SortByTitle).
func sortByName(all []storage.Summary) { storage.SortByTitle(all) }

// applyFilter shows the loaded records that pass the search box and the
// filter bar, in the chosen order. Status and period are checked here on
// the summaries; words and the filters only the index knows go to the
// vault's search, off the UI goroutine, and an answer to an older query is
// dropped.
func (l *recordList) applyFilter() {
	text := strings.TrimSpace(l.filter.Text)
	l.asked++
	q, err := l.filters.filters()
	if err != nil {
		l.filters.showProblem(err.Error())
		return
	}
	l.filters.showProblem("")
	if text == "" && !needsIndex(q) {
		rows := make([]int, 0, len(l.all))
		for i := range l.all {
			if keep(&l.all[i], q) {
				rows = append(rows, i)
			}
		}
		sortRows(l.all, rows, l.filters.orderOf(false))
		l.setShown(rows, false)
		return
	}
	q.Text, q.Kind, q.Limit = text, l.kind, search.MaxLimit
	asked, order := l.asked, l.filters.orderOf(text != "")
	l.ui.background(func(v *storage.Vault) func() {
		hits, err := v.Search(q)
		return func() {
			if asked != l.asked {
				return
			}
			if err != nil {
				l.show(l.message(l.ui.errorText(err)))
				return
			}
			rows := make([]int, 0, len(hits))
			for _, h := range hits {
				if i, ok := l.at[h.ID]; ok && keep(&l.all[i], q) {
					rows = append(rows, i)
				}
			}
			sortRows(l.all, rows, order)
			l.setShown(rows, len(hits) >= q.Limit)
		}
	})
}

// setShown shows the rows at the given indexes of all; capped says the
// search stopped at its limit.
func (l *recordList) setShown(rows []int, capped bool) {
	l.shown = rows
	l.list.UnselectAll()
	l.list.Refresh()
	switch {
	case capped:
		l.count.SetText(l.ui.Tf("Shown: the best %d matches of %d records", len(rows), len(l.all)))
	case len(rows) != len(l.all):
		l.count.SetText(l.ui.Tf("Shown: %d of %d", len(rows), len(l.all)))
	default:
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

// showForm shows the form of the list's kind in the pane: for a new
// record, or (mode.id set) to edit or amend the record shown.
func (l *recordList) showForm(mode formMode) {
	if !mode.editing() {
		l.list.UnselectAll()
	}
	saved := func(r *storage.Record) {
		l.load()
		l.open(r.ID)
	}
	cancel := func() {
		if mode.editing() {
			l.open(mode.id)
			return
		}
		l.show(l.placeholder())
	}
	form, content := l.ui.newForm(l.kind, mode, saved, cancel)
	if form == nil {
		return
	}
	l.show(content)
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
			}, l.showForm)
			l.show(dv.content)
			l.detail = dv
		}
	})
}
