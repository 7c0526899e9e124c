package app

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"github.com/letapis/letapis/storage"
)

// maxSetAsideShown is how many set-aside envelopes the Sync panel lists.
const maxSetAsideShown = 20

// setAsideFacts are the envelopes the vault keeps without applying them:
// quarantined and held, oldest first, and the counts of the caps.
type setAsideFacts struct {
	list   []storage.Quarantine
	counts storage.SetAside
}

// readSetAside reads what the vault set aside.
func readSetAside(v *storage.Vault) (setAsideFacts, error) {
	var f setAsideFacts
	var err error
	if f.list, err = v.SetAsideEnvelopes(); err != nil {
		return f, err
	}
	f.counts, err = v.SetAside()
	return f, err
}

// setAsideCard lists the set-aside envelopes with their reasons.
func (p *syncPanel) setAsideCard() fyne.CanvasObject {
	u := p.ui
	return card(u.T("Set aside"), u.T("Envelopes from the relay that were not applied, and why. Nothing of their content is shown or used."), p.setAsideList)
}

// showSetAside fills the set-aside card; it hides when nothing is set
// aside.
func (p *syncPanel) showSetAside() {
	u, f := p.ui, p.facts
	var rows []fyne.CanvasObject
	for i, q := range f.setAside.list {
		if i == maxSetAsideShown {
			rows = append(rows, widget.NewLabel(u.Tf("And %d more.", len(f.setAside.list)-i)))
			break
		}
		state := u.T("Quarantined")
		if q.Held {
			state = u.T("Held")
		}
		head := paragraph(state + " · " + clockTime(q.Received) + " · " + u.reasonText(q.Code))
		head.Importance = widget.WarningImportance
		detail := paragraph(q.Reason)
		detail.Importance = widget.LowImportance
		rows = append(rows, container.NewVBox(head, detail))
	}
	if c := f.setAside.counts; c.Dropped > 0 {
		d := paragraph(u.Tf("%d envelopes were dropped, the last at %s: this device already keeps as many envelopes it cannot apply as it may. The relay still has them.", c.Dropped, clockTime(c.LastDropped)))
		d.Importance = widget.DangerImportance
		rows = append(rows, d)
	}
	p.setAsideList.Objects = rows
	if len(rows) == 0 {
		p.setAsideList.Objects = []fyne.CanvasObject{widget.NewLabel(u.T("Nothing is set aside."))}
	}
	p.setAsideList.Refresh()
}

// reasonText words a set-aside reason code for the reader.
func (u *UI) reasonText(code string) string {
	switch code {
	case storage.ReasonOtherTeam:
		return u.T("Addressed to another team.")
	case storage.ReasonAddress:
		return u.T("Encrypted to another key than the one its author named.")
	case storage.ReasonDowngrade:
		return u.T("In the old envelope format, from a device that already writes the new one: a downgrade.")
	case storage.ReasonBody:
		return u.T("Its content is not a valid record.")
	case storage.ReasonKind:
		return u.T("A kind of entry this version does not know.")
	case storage.ReasonIDs:
		return u.T("Its identifiers are not valid.")
	case storage.ReasonNewer:
		return u.T("Written by a newer version of Letapis: kept, and applied once this device is updated.")
	}
	return u.T("It failed verification.")
}
