package app

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/letapis/letapis/storage/record"
)

// mainScreen is what an unlocked app shows: a bar with Lock now, and one
// tab per record kind plus Settings.
type mainScreen struct {
	ui       *UI
	tabs     *container.AppTabs
	lists    map[record.Kind]*recordList
	settings *settingsScreen
	sync     *syncPanel
	lock     *widget.Button
	content  fyne.CanvasObject
}

// browseKinds are the kinds with a tab, in tab order.
var browseKinds = []record.Kind{record.KindPerson, record.KindTestimony, record.KindNote, record.KindCase, record.KindIncident}

// showMain shows the main screen with fresh lists.
func (u *UI) showMain() {
	if u.vault == nil {
		u.showStart()
		return
	}
	if u.main != nil {
		u.main.drop()
	}
	u.firstRun, u.unlock = nil, nil
	u.main = newMainScreen(u)
	u.show(u.main.content)
	u.main.loadShown()
}

func newMainScreen(u *UI) *mainScreen {
	m := &mainScreen{ui: u, lists: map[record.Kind]*recordList{}}
	var items []*container.TabItem
	for _, k := range browseKinds {
		l := newRecordList(u, k)
		m.lists[k] = l
		items = append(items, container.NewTabItemWithIcon(u.T(kindTitle(k)), kindIcon(k), l.content))
	}
	m.sync = newSyncPanel(u)
	items = append(items, container.NewTabItemWithIcon(u.T("Sync"), theme.ViewRefreshIcon(), m.sync.content))
	m.settings = newSettingsScreen(u)
	items = append(items, container.NewTabItemWithIcon(u.T("Settings"), theme.SettingsIcon(), m.settings.content))
	m.tabs = container.NewAppTabs(items...)
	m.tabs.OnSelected = func(*container.TabItem) {
		u.touch()
		m.loadShown()
	}
	m.lock = u.button(u.T("Lock now"), theme.VisibilityOffIcon(), u.Lock)
	m.lock.Importance = widget.WarningImportance
	hint := widget.NewLabel(u.T("Ctrl+L"))
	hint.Importance = widget.LowImportance
	title := widget.NewLabelWithStyle(Name, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	bar := container.NewHBox(title, layout.NewSpacer(), hint, m.lock)
	m.content = container.NewBorder(container.NewVBox(bar, widget.NewSeparator()), nil, nil, nil, m.tabs)
	return m
}

// drop forgets every record the screen holds.
func (m *mainScreen) drop() {
	for _, l := range m.lists {
		l.drop()
	}
	m.lists = nil
	m.sync.drop()
}

// loadShown loads the list of the selected tab if it has not been loaded
// yet: a list is read when its tab is first shown, not at unlock, so that
// unlocking reads one list, not five.
func (m *mainScreen) loadShown() {
	if i := m.tabs.SelectedIndex(); i >= 0 && i < len(browseKinds) {
		if l := m.lists[browseKinds[i]]; l != nil && !l.loaded {
			l.load()
		}
	}
}

// selectKind shows the tab of kind k.
func (m *mainScreen) selectKind(k record.Kind) {
	for i, kk := range browseKinds {
		if kk == k {
			m.tabs.SelectIndex(i)
		}
	}
}

// openRecord shows record id in the tab of its kind.
func (m *mainScreen) openRecord(kind record.Kind, id string) {
	if l := m.lists[kind]; l != nil {
		m.selectKind(kind)
		l.open(id)
	}
}

// kindTitle is the English (key) title of a kind's tab.
func kindTitle(k record.Kind) string {
	switch k {
	case record.KindPerson:
		return "People"
	case record.KindTestimony:
		return "Testimonies"
	case record.KindNote:
		return "Notes"
	case record.KindCase:
		return "Cases"
	case record.KindIncident:
		return "Incidents"
	}
	return string(k)
}

func kindIcon(k record.Kind) fyne.Resource {
	switch k {
	case record.KindPerson:
		return theme.AccountIcon()
	case record.KindTestimony:
		return theme.DocumentIcon()
	case record.KindNote:
		return theme.DocumentCreateIcon()
	case record.KindCase:
		return theme.FolderIcon()
	}
	return theme.WarningIcon()
}
