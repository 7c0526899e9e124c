package app

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"github.com/letapis/letapis/storage"
)

// syncWatch is the relay check of the Sync tab: the signs, from the other
// devices' heartbeats, that the relay hides or rewrites records
// (storage.Vault.Watch), and when each device was last heard from, so
// that a device the relay silences is seen too.
type syncWatch struct {
	ui       *UI
	warnings *fyne.Container
	heard    *fyne.Container
}

func newSyncWatch(u *UI) *syncWatch {
	return &syncWatch{ui: u, warnings: container.NewVBox(), heard: container.NewVBox()}
}

// readWatch reads what the relay check shows, for a device in a team.
func readWatch(v *storage.Vault, st *storage.TeamState) (*storage.WatchReport, error) {
	if st == nil || !st.Joined {
		return nil, nil
	}
	return v.Watch()
}

// card is the relay check's card.
func (w *syncWatch) card() fyne.CanvasObject {
	u := w.ui
	return card(u.T("Relay check"), u.T("Every device tells the others, signed, what it holds and which log it saw. A relay that hides or rewrites records shows up here."),
		container.NewVBox(w.warnings, widget.NewSeparator(), w.heard))
}

// show shows the report r, if there is one.
func (w *syncWatch) show(r *storage.WatchReport) {
	if r == nil {
		return
	}
	u := w.ui
	var rows []fyne.CanvasObject
	for _, warn := range r.Warnings {
		l := paragraph(w.warningText(warn))
		l.Importance = widget.DangerImportance
		rows = append(rows, l)
	}
	if len(rows) == 0 {
		rows = append(rows, paragraph(u.T("No sign of a relay hiding or rewriting records.")))
	} else {
		rows = append(rows, paragraph(u.T("Compare with the other devices in person, and tell the relay's operator.")))
	}
	w.warnings.Objects = rows
	w.warnings.Refresh()

	rows = nil
	for _, h := range r.Devices {
		if h.ThisDevice {
			continue
		}
		when := u.T("never")
		if !h.Last.IsZero() {
			when = clockTime(h.Last)
		}
		text := u.Tf("Device %s: last heard from %s", h.Fingerprint, when)
		if h.Removed {
			text += " · " + u.T("removed from the team")
		}
		l := widget.NewLabel(text)
		l.TextStyle.Monospace = true
		if h.Removed {
			l.Importance = widget.LowImportance
		}
		rows = append(rows, l)
	}
	w.heard.Objects = rows
	w.heard.Refresh()
}

// warningText says a warning in the interface language.
func (w *syncWatch) warningText(warn storage.Warning) string {
	u := w.ui
	since := clockTime(warn.Since)
	switch warn.Kind {
	case storage.WarnFork:
		if warn.Seq > warn.Own {
			return u.Tf("The relay may be showing device %s a different history: it verified the team's log up to entry %d (heartbeat of %s), this device only up to %d.", warn.Reporter, warn.Seq, since, warn.Own)
		}
		return u.Tf("The relay may be showing device %s a different history: entry %d of the team's log differs from the one this device verified (heartbeat of %s).", warn.Reporter, warn.Seq, since)
	}
	text := u.Tf("The relay may be hiding records of device %s from this device since %s. Missing: %d.", warn.Author, since, warn.Count)
	if warn.Reporter != warn.Author {
		text += " " + u.Tf("Device %s holds them.", warn.Reporter)
	}
	return text
}
