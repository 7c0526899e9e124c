package app

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/letapis/letapis/storage"
)

// firstRunScreen creates a vault: the passphrase twice, its strength, and
// the reason the Create button is not available yet.
type firstRunScreen struct {
	ui       *UI
	phrase   *passphraseFields
	create   *widget.Button
	busy     *widget.Activity
	problem  *widget.Label
	content  fyne.CanvasObject
	creating bool
}

func newFirstRunScreen(u *UI) *firstRunScreen {
	s := &firstRunScreen{ui: u}
	s.create = u.button(u.T("Create vault"), theme.ConfirmIcon(), s.submit)
	s.create.Importance = widget.HighImportance
	s.phrase = u.newPassphraseFields(func(ok bool) {
		if ok && !s.creating {
			s.create.Enable()
		} else {
			s.create.Disable()
		}
	}, s.submit)
	s.problem = paragraph("")
	s.problem.Importance = widget.DangerImportance
	s.busy = widget.NewActivity()
	s.busy.Hide()

	form := container.NewVBox(
		heading(u.T("Welcome to Letapis")),
		paragraph(u.T("Everything you record is kept encrypted in a vault on this computer. Choose a passphrase to protect it: several random words are easier to remember and harder to guess than a short password.")),
		paragraph(u.Tf("Vault folder: %s", u.cfg.VaultDir)),
		s.phrase.content,
		container.NewHBox(s.create, s.busy),
		s.problem,
		widget.NewSeparator(),
		container.NewHBox(widget.NewLabel(u.T("Language")), u.languageSelect()),
	)
	s.content = container.NewCenter(container.New(layout.NewGridWrapLayout(fyne.NewSize(560, 640)), container.NewVScroll(form)))
	return s
}

// submit creates the vault; key derivation runs off the UI goroutine.
func (s *firstRunScreen) submit() {
	u := s.ui
	if s.creating || s.create.Disabled() {
		return
	}
	s.creating = true
	s.create.Disable()
	s.phrase.enable(false)
	s.problem.SetText("")
	spin(s.busy, true)
	pass, dir, opts := s.phrase.pass.Text, u.cfg.VaultDir, u.options()
	u.async(func() func() {
		v, err := storage.Create(dir, pass, opts)
		// If the file system cannot be told, the kit's general advice
		// on full-disk encryption still stands.
		fsName, cow, _ := storage.CopyOnWrite(dir)
		return func() {
			spin(s.busy, false)
			s.creating = false
			s.phrase.enable(true)
			if err != nil {
				s.problem.SetText(u.errorText(err))
				s.phrase.check()
				return
			}
			s.phrase.clear()
			u.vault = v
			u.unlocked()
			if !cow {
				fsName = ""
			}
			kit := newRecoveryScreen(u, fsName)
			u.show(kit.content)
			u.win.Canvas().Focus(kit.understand)
		}
	})
}

// recoveryScreen is the recovery kit: what to do with the passphrase, and
// what an overwrite cannot destroy on this disk.
type recoveryScreen struct {
	ui         *UI
	understand *widget.Button
	content    fyne.CanvasObject
}

// newRecoveryScreen shows the kit; copyOnWrite names the vault's file
// system if it keeps old copies of overwritten data ("" if not).
func newRecoveryScreen(u *UI, copyOnWrite string) *recoveryScreen {
	s := &recoveryScreen{ui: u}
	s.understand = u.button(u.T("I understand"), theme.ConfirmIcon(), u.showMain)
	s.understand.Importance = widget.HighImportance
	box := container.NewVBox(
		heading(u.T("Your recovery kit")),
		paragraph(u.T("1. Write the passphrase on paper now. Keep the paper somewhere safe and apart from this laptop: not in its bag, not on a sticker, not in a file or photo on this computer or your phone.")),
		paragraph(u.T("2. Nobody can reset the passphrase: not your coordinator, not the Letapis developers. If it is lost, the records in this vault are lost with it, except what was already synced to your team.")),
		paragraph(u.T("3. Wiping the vault destroys everything in it at once and for good. Use it only when you must.")),
		paragraph(u.T("4. Lock Letapis (Ctrl+L) whenever you step away. It also locks itself after a few minutes without use.")),
		paragraph(u.T("5. Turn on full-disk encryption for this computer (BitLocker, FileVault, LUKS). Letapis overwrites its keys when the passphrase is changed or the vault wiped, but SSDs, some file systems, snapshots and backups can keep old copies of what was overwritten; only full-disk encryption makes those copies unreadable too.")),
	)
	if copyOnWrite != "" {
		warn := paragraph(u.Tf("This vault is on %s, a file system that keeps old copies of whatever is overwritten or deleted. Keep it only on a disk with full-disk encryption.", copyOnWrite))
		warn.Importance = widget.DangerImportance
		box.Add(warn)
	}
	box.Add(container.NewHBox(layout.NewSpacer(), s.understand))
	s.content = container.NewCenter(container.New(layout.NewGridWrapLayout(fyne.NewSize(560, 620)), container.NewVScroll(box)))
	return s
}
