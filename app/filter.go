package app

import (
	"cmp"
	"slices"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/widget"

	"github.com/letapis/letapis/storage"
	"github.com/letapis/letapis/storage/record"
	"github.com/letapis/letapis/storage/search"
)

// listFilter is the filter and sort bar of a list: the filters that apply
// to its kind (status for people, incident type for incidents and
// testimonies, place of detention for cases and incidents, a period for
// every kind) and the order of the rows.
//
// Status and period are checked on the loaded summaries, so they keep every
// match of 100,000 records; incident type and place need the search index,
// which returns at most search.MaxLimit records.
type listFilter struct {
	ui       *UI
	kind     record.Kind
	status   *vocabSelect
	incident *vocabSelect
	facility *widget.Entry
	from, to *widget.Entry
	order    *widget.Select
	orders   []listOrder
	problem  *widget.Label
	// content is the bar, shown below the search box.
	content fyne.CanvasObject
}

// listOrder is an order of a list's rows.
type listOrder int

const (
	// orderRelevance keeps the search's order, best match first.
	orderRelevance listOrder = iota
	orderTitle
	orderDateNewest
	orderDateOldest
	orderUpdated
)

// orderLabels are the English keys of the orders.
var orderLabels = map[listOrder]string{
	orderRelevance:  "Best match",
	orderTitle:      "Name or title",
	orderDateNewest: "Date, newest first",
	orderDateOldest: "Date, oldest first",
	orderUpdated:    "Last changed",
}

// newListFilter builds the bar for lists of kind k; changed is called
// whenever a filter or the order changes.
func (u *UI) newListFilter(k record.Kind, changed func()) *listFilter {
	f := &listFilter{ui: u, kind: k}
	touched := func() {
		u.touch()
		changed()
	}
	// Drop-downs each take a row (their width is their longest label);
	// the text fields share a grid.
	var selects, fields []fyne.CanvasObject
	if k == record.KindPerson {
		f.status = u.newVocabSelect(record.VocabStatus, "")
		f.status.Select.PlaceHolder = u.T("Any status")
		f.status.Select.OnChanged = func(string) { touched() }
		selects = append(selects, f.status.Select)
	}
	if k == record.KindIncident || k == record.KindTestimony {
		f.incident = u.newVocabSelect(record.VocabIncidentType, "")
		f.incident.Select.PlaceHolder = u.T("Any violation")
		f.incident.Select.OnChanged = func(string) { touched() }
		selects = append(selects, f.incident.Select)
	}
	if k == record.KindCase || k == record.KindIncident {
		f.facility = u.entry(u.T("Place of detention"))
		f.facility.OnChanged = func(string) { touched() }
		fields = append(fields, f.facility)
	}
	f.from = u.entry(u.T("From (date)"))
	f.to = u.entry(u.T("To (date)"))
	f.from.OnChanged = func(string) { touched() }
	f.to.OnChanged = func(string) { touched() }
	fields = append(fields, f.from, f.to)

	// The first order after Best match is the kind's usual one.
	f.orders = []listOrder{orderRelevance, orderTitle, orderDateNewest, orderDateOldest, orderUpdated}
	if k != record.KindPerson {
		f.orders = []listOrder{orderRelevance, orderUpdated, orderDateNewest, orderDateOldest, orderTitle}
	}
	labels := make([]string, len(f.orders))
	for i, o := range f.orders {
		labels[i] = u.T(orderLabels[o])
	}
	f.order = widget.NewSelect(labels, nil)
	f.order.SetSelectedIndex(0)
	f.order.OnChanged = func(string) { touched() }
	f.problem = widget.NewLabel("")
	f.problem.Importance = widget.DangerImportance
	f.problem.Hide()
	sortBy := container.NewBorder(nil, nil, widget.NewLabel(u.T("Sort:")), nil, f.order)
	f.content = container.NewVBox(append(selects,
		container.New(layout.NewGridLayout(2), fields...),
		sortBy,
		f.problem,
	)...)
	return f
}

// filters reads the filter fields into a search query (Kind and Text left
// empty). A malformed date is reported as an error worded for people.
func (f *listFilter) filters() (search.Query, error) {
	var q search.Query
	var err error
	if f.status != nil {
		q.Status = f.status.Code()
	}
	if f.incident != nil {
		q.IncidentType = f.incident.Code()
	}
	if f.facility != nil {
		q.Facility = strings.TrimSpace(f.facility.Text)
	}
	if q.From, err = f.ui.parseDateField("From (date)", f.from.Text); err != nil {
		return q, err
	}
	if q.To, err = f.ui.parseDateField("To (date)", f.to.Text); err != nil {
		return q, err
	}
	return q, nil
}

// showProblem shows (or, for "", hides) why the filters cannot apply.
func (f *listFilter) showProblem(text string) {
	f.problem.SetText(text)
	f.problem.Hidden = text == ""
	f.problem.Refresh()
}

// needsIndex reports whether q filters on something only the search index
// knows.
func needsIndex(q search.Query) bool {
	return q.IncidentType != "" || q.Facility != ""
}

// keep reports whether a summary passes the filters a summary can answer:
// status and period.
func keep(s *storage.Summary, q search.Query) bool {
	if q.Status != "" && s.Status != q.Status {
		return false
	}
	if q.From.IsZero() && q.To.IsZero() {
		return true
	}
	if s.Date.IsZero() {
		return false
	}
	if !q.From.IsZero() && s.Date.Last() < q.From.First() {
		return false
	}
	return q.To.IsZero() || s.Date.First() <= q.To.Last()
}

// orderOf returns the chosen order. "Best match" keeps a search's order,
// best first; with nothing searched it is the kind's usual order: people
// by name, other records last changed first.
func (f *listFilter) orderOf(searching bool) listOrder {
	o := orderRelevance
	if i := f.order.SelectedIndex(); i >= 0 {
		o = f.orders[i]
	}
	if o == orderRelevance && !searching {
		return f.orders[1]
	}
	return o
}

// sortRows orders rows (indexes into all, which is in title order) by o;
// orderRelevance leaves them as they are.
func sortRows(all []storage.Summary, rows []int, o listOrder) {
	byDate := func(a, b int) int {
		if c := cmp.Compare(all[a].Date.First(), all[b].Date.First()); c != 0 {
			return c
		}
		return all[a].Updated.Compare(all[b].Updated)
	}
	switch o {
	case orderTitle:
		slices.Sort(rows)
	case orderDateNewest:
		slices.SortStableFunc(rows, func(a, b int) int { return byDate(b, a) })
	case orderDateOldest:
		slices.SortStableFunc(rows, byDate)
	case orderUpdated:
		slices.SortStableFunc(rows, func(a, b int) int { return all[b].Updated.Compare(all[a].Updated) })
	}
}
