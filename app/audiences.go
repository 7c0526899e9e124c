package app

import (
	"crypto/ed25519"
	"errors"
	"slices"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/letapis/letapis/storage"
)

// audiencePanel, in the team's roster card, lists the restricted
// audiences and lets their creator or an admin make and change them
// (members are picked from the roster); admins can also rotate the team
// key. The rules are the vault's (storage/restricted.go): this only asks
// and shows.
type audiencePanel struct {
	ui    *UI
	box   *fyne.Container
	list  *fyne.Container
	add   *widget.Button
	turn  *widget.Button
	note  *widget.Label
	facts *syncFacts
	// form is the open dialog's content, for tests.
	form *audienceForm
}

// audienceForm is the dialog that makes or changes an audience.
type audienceForm struct {
	name    *widget.Entry
	members *widget.CheckGroup
	save    func()
}

func newAudiencePanel(u *UI) *audiencePanel {
	a := &audiencePanel{ui: u, list: container.NewVBox(), note: note()}
	a.add = u.button(u.T("New restricted audience…"), theme.ContentAddIcon(), func() { a.open(nil) })
	a.turn = u.button(u.T("Rotate the team key…"), theme.ViewRefreshIcon(), a.confirmRotate)
	a.turn.Hide()
	a.box = container.NewVBox(widget.NewSeparator(), heading(u.T("Restricted audiences")),
		paragraph(u.T("Records written to a restricted audience can be read only by its members' devices. Its name and members are visible to the whole team.")),
		a.list, container.NewHBox(a.add, a.turn), a.note)
	return a
}

// show lists the audiences of the vault, for the team facts f.
func (a *audiencePanel) show(f *syncFacts) {
	a.facts = f
	if f.admin {
		a.turn.Show()
	} else {
		a.turn.Hide()
	}
	showLoaded(a.ui, a.note, a.ui.audienceError, (*storage.Vault).AllAudiences, a.showList)
}

func (a *audiencePanel) showList(all []storage.Restricted) {
	u := a.ui
	rows := []fyne.CanvasObject{}
	for _, r := range all {
		fps := make([]string, len(r.Members))
		for i, m := range r.Members {
			fps[i] = storage.Fingerprint(m)
		}
		label := paragraph(r.Name + " · " + strings.Join(fps, " "))
		row := container.NewBorder(nil, nil, nil, nil, label)
		if a.canEdit(&r) {
			r := r
			row = container.NewBorder(nil, nil, nil, u.button(u.T("Change members…"), theme.DocumentCreateIcon(), func() { a.open(&r) }), label)
		}
		rows = append(rows, row)
	}
	if len(all) == 0 {
		rows = append(rows, paragraph(u.T("No restricted audiences yet.")))
	}
	a.list.Objects = rows
	a.list.Refresh()
}

// canEdit reports whether this device may change r: its creator or an
// admin, and not an audience made by an older version.
func (a *audiencePanel) canEdit(r *storage.Restricted) bool {
	return len(r.Creator) > 0 && (a.facts.admin || storage.Fingerprint(r.Creator) == a.facts.self)
}

// open shows the dialog that makes an audience (r nil) or changes r's
// members.
func (a *audiencePanel) open(r *storage.Restricted) {
	u := a.ui
	f := &audienceForm{name: u.entry(u.T("e.g. lawyers of the case"))}
	var options []string
	devices := map[string]ed25519.PublicKey{}
	for _, m := range a.facts.members {
		if fp := m.Fingerprint(); !m.Removed && (r != nil || fp != a.facts.self) {
			options = append(options, fp)
			devices[fp] = m.Device
		}
	}
	f.members = widget.NewCheckGroup(options, nil)
	items := []*widget.FormItem{widget.NewFormItem(u.T("Members"), f.members)}
	title := u.T("New restricted audience")
	if r == nil {
		items = append([]*widget.FormItem{widget.NewFormItem(u.T("Name"), f.name)}, items...)
	} else {
		title = r.Name
		for _, m := range r.Members {
			f.members.Selected = append(f.members.Selected, storage.Fingerprint(m))
		}
	}
	f.save = func() {
		u.touch()
		chosen := slices.Clone(f.members.Selected)
		name := trimmed(f.name)
		u.background(func(v *storage.Vault) func() {
			err := a.apply(v, r, name, chosen, devices)
			return func() {
				if err != nil {
					say(a.note, u.audienceError(err), true)
					return
				}
				say(a.note, u.T("Saved. The members get the audience's key with the next sync."), false)
				a.show(a.facts)
			}
		})
	}
	a.form = f
	d := dialog.NewForm(title, u.T("Save"), u.T("Cancel"), items, func(ok bool) {
		if ok {
			f.save()
		}
	}, u.win)
	d.Resize(fyne.NewSize(480, 360))
	d.Show()
}

// apply makes the audience or changes its members in the vault.
func (a *audiencePanel) apply(v *storage.Vault, r *storage.Restricted, name string, chosen []string, devices map[string]ed25519.PublicKey) error {
	if r == nil {
		var keys []ed25519.PublicKey
		for _, fp := range chosen {
			keys = append(keys, devices[fp])
		}
		_, err := v.CreateAudience(name, keys)
		return err
	}
	for _, fp := range chosen {
		if !slices.ContainsFunc(r.Members, func(m ed25519.PublicKey) bool { return storage.Fingerprint(m) == fp }) {
			if err := v.AddAudienceMember(r.ID, devices[fp]); err != nil {
				return err
			}
		}
	}
	for _, m := range r.Members {
		if !slices.Contains(chosen, storage.Fingerprint(m)) {
			if err := v.RemoveAudienceMember(r.ID, m); err != nil {
				return err
			}
		}
	}
	return nil
}

// confirmRotate asks before starting a new team key, then starts it.
func (a *audiencePanel) confirmRotate() {
	u := a.ui
	u.confirm(u.T("Rotate the team key?"),
		u.T("What is written from now on is encrypted to a new key that every member gets with the next sync. Do this when a device's key may have leaked."),
		u.T("Rotate"), u.T("Cancel"), func() {
			u.background(func(v *storage.Vault) func() {
				err := v.RotateTeamKey()
				return func() {
					if err != nil {
						say(a.note, u.audienceError(err), true)
						return
					}
					say(a.note, u.T("The team has a new key."), false)
				}
			})
		})
}

// audienceError words the vault's refusals of audience changes.
func (u *UI) audienceError(err error) string {
	switch {
	case errors.Is(err, storage.ErrAudienceName):
		return u.T("The audience needs a name (up to 200 characters).")
	case errors.Is(err, storage.ErrNotAudienceEditor):
		return u.T("Only the audience's creator or a team admin can change it.")
	case errors.Is(err, storage.ErrLegacyAudience):
		return u.T("This audience was made by an older version of Letapis and cannot be changed: make a new one.")
	case errors.Is(err, storage.ErrNotAdmin):
		return u.T("Only a team admin can do this.")
	}
	return u.errorText(err)
}
