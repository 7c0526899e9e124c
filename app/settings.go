package app

import (
	"fmt"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"
)

// settingsScreen is the Settings tab: language, and what auto-lock does.
type settingsScreen struct {
	ui       *UI
	language *widget.Select
	content  fyne.CanvasObject
}

func newSettingsScreen(u *UI) *settingsScreen {
	s := &settingsScreen{ui: u}
	s.language = u.languageSelect()
	form := widget.NewForm(
		widget.NewFormItem(u.T("Language"), s.language),
		widget.NewFormItem(u.T("Auto-lock"), paragraph(u.Tf("Letapis locks itself after %s without use.", u.duration()))),
		widget.NewFormItem(u.T("Vault folder"), paragraph(u.cfg.VaultDir)),
	)
	s.content = container.NewVScroll(container.NewPadded(container.NewVBox(heading(u.T("Settings")), form)))
	return s
}

// duration words the auto-lock delay.
func (u *UI) duration() string {
	d := u.cfg.IdleLock
	if d%60e9 == 0 {
		return u.Tf("%d min", int(d.Minutes()))
	}
	return fmt.Sprintf("%s", d)
}

// SetLanguage switches the interface language, remembers it (the only
// preference Letapis stores) and rebuilds the window in it. An unlocked
// vault stays unlocked; the lists are read again.
func (u *UI) SetLanguage(code string) {
	u.tr.set(code)
	u.app.Preferences().SetString(prefLanguage, u.tr.lang)
	u.setMenu()
	if u.vault == nil {
		u.showStart()
		return
	}
	u.showMain()
	u.main.tabs.SelectIndex(len(u.main.tabs.Items) - 1)
}
