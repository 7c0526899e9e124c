package app

import (
	"errors"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/letapis/letapis/storage"
	"github.com/letapis/letapis/storage/record"
)

// deletionPanel, in the team's roster card, lists the records pending
// deletion (what, who deleted it, why, when it is purged) with Restore
// for admins. The rules are the vault's (storage/deletions.go): this only
// asks and shows.
type deletionPanel struct {
	ui   *UI
	box  *fyne.Container
	list *fyne.Container
	note *widget.Label
	// restores are the Restore buttons by record id, for tests.
	restores map[string]*widget.Button
	facts    *syncFacts
}

func newDeletionPanel(u *UI) *deletionPanel {
	p := &deletionPanel{ui: u, list: container.NewVBox(), note: note(), restores: map[string]*widget.Button{}}
	p.box = container.NewVBox(widget.NewSeparator(), heading(u.T("Pending deletions")),
		paragraph(u.T("A deleted record is kept on every device for the team's hold, during which an admin can restore it; then every device purges it.")),
		p.list, p.note)
	return p
}

// show lists the pending deletions of the vault, for the team facts f.
func (p *deletionPanel) show(f *syncFacts) {
	p.facts = f
	showLoaded(p.ui, p.note, p.ui.errorText, (*storage.Vault).PendingDeletions, p.showList)
}

func (p *deletionPanel) showList(ps []storage.PendingDeletion) {
	u := p.ui
	rows := []fyne.CanvasObject{}
	clear(p.restores)
	for _, d := range ps {
		title := d.Title
		if title == "" {
			title = shortID(d.Record)
		}
		reason := d.Reason
		if reason == "" {
			reason = u.T("no reason given")
		}
		label := paragraph(u.Tf("%s · deleted by %s · %s · purged after %s", title,
			storage.Fingerprint(d.By), reason, d.PurgeAt.Local().Format("2006-01-02 15:04")))
		row := container.NewBorder(nil, nil, nil, nil, label)
		if p.facts != nil && p.facts.admin {
			id := d.Record
			b := u.button(u.T("Restore"), theme.ContentUndoIcon(), func() { p.restore(id) })
			p.restores[id] = b
			row = container.NewBorder(nil, nil, nil, b, label)
		}
		rows = append(rows, row)
	}
	if len(ps) == 0 {
		rows = append(rows, paragraph(u.T("No record is pending deletion.")))
	}
	p.list.Objects = rows
	p.list.Refresh()
}

// restore brings back record id on every device.
func (p *deletionPanel) restore(id string) {
	u := p.ui
	u.touch()
	u.background(func(v *storage.Vault) func() {
		err := v.Restore(id)
		return func() {
			if err != nil {
				say(p.note, u.deletionError(err), true)
				return
			}
			say(p.note, u.T("Restored. The other devices restore it with the next sync."), false)
			u.kickSync()
			p.show(p.facts)
		}
	})
}

// deleteForm is the dialog that deletes a record, for tests.
type deleteForm struct {
	reason *widget.Entry
	submit func()
}

// confirmDelete asks before deleting rec, with a reason (needed for a
// sealed testimony or its attachments in a team), deletes it in the
// background and calls deleted; a refusal is shown in problem.
func (u *UI) confirmDelete(rec *storage.Record, problem *widget.Label, deleted func()) *deleteForm {
	f := &deleteForm{reason: u.entry(u.T("why it is deleted (the team can read it)"))}
	f.reason.MultiLine = true
	msg := u.T("The record's content will be purged from this vault and cannot be recovered.")
	if _, err := u.vault.Team(); err == nil {
		msg = u.T("Every device keeps the record for the team's hold, during which an admin can restore it; then it is purged everywhere.")
	}
	if rec.Sealed || rec.Kind == record.KindAttachment {
		f.reason.SetPlaceHolder(u.T("a reason is needed to delete sealed evidence (the team can read it)"))
	}
	f.submit = func() {
		u.touch()
		reason := trimmed(f.reason)
		u.background(func(v *storage.Vault) func() {
			err := v.DeleteWithReason(rec.ID, reason)
			return func() {
				if err != nil {
					problem.SetText(u.deletionError(err))
					problem.Show()
					return
				}
				u.kickSync()
				deleted()
			}
		})
	}
	items := []*widget.FormItem{
		widget.NewFormItem("", paragraph(msg)),
		widget.NewFormItem(u.T("Reason"), f.reason),
	}
	d := dialog.NewForm(u.T("Delete this record?"), u.T("Delete"), u.T("Cancel"), items, func(ok bool) {
		if ok {
			f.submit()
		}
	}, u.win)
	d.Resize(fyne.NewSize(520, 320))
	d.Show()
	return f
}

// deletionError words the vault's refusals of deletes and restores.
func (u *UI) deletionError(err error) string {
	switch {
	case errors.Is(err, storage.ErrReasonNeeded):
		return u.T("Deleting sealed evidence needs a reason: write why, then delete again. Nothing was changed.")
	case errors.Is(err, storage.ErrDeleteRefused):
		return u.T("The team's rules do not allow this delete: a member may delete only records it wrote that are not sealed, and only an admin may delete sealed evidence. Nothing was changed.")
	case errors.Is(err, storage.ErrNotAdmin):
		return u.T("Only a team admin can restore a deleted record.")
	case errors.Is(err, storage.ErrNotPending):
		return u.T("This record is no longer pending deletion.")
	}
	return u.errorText(err)
}
