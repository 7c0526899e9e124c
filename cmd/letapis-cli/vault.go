package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/letapis/letapis/storage"
)

func init() {
	register(
		&command{name: "init", summary: "create a new vault", group: groupVault,
			about: `Create a new, empty vault in the vault directory (see --vault). The
passphrase comes from LETAPIS_PASSPHRASE or is asked twice on the
terminal. Choose a long one, several words: it is the only thing that
protects the vault if this computer is taken, and it cannot be recovered.`,
			run: cmdInit},
		&command{name: "passwd", summary: "change the vault's passphrase", group: groupVault,
			about: `Change the vault's passphrase. The current one comes from
LETAPIS_PASSPHRASE or the terminal, the new one from LETAPIS_NEW_PASSPHRASE
or the terminal (asked twice). Only the key slots are rewritten, in place:
the old slot is overwritten, so the old passphrase opens nothing afterwards.`,
			run: cmdPasswd},
		&command{name: "wipe", summary: "destroy the vault at once (no passphrase needed)", group: groupVault,
			about: `Destroy the vault: the key slots are overwritten first, which makes the
rest of the vault unreadable noise, then the store and the attachments
are removed. Other files in the directory are left alone. No passphrase
is needed. Asks you to type WIPE unless --yes is given. This cannot be
undone.`,
			run: cmdWipe},
	)
}

func cmdInit(a *app, c *command, args []string) error {
	fs := a.flagSet(c)
	if _, err := a.parse(c, fs, args, 0, 0); err != nil {
		return err
	}
	dir, err := a.vaultDir()
	if err != nil {
		return err
	}
	if storage.Exists(dir) {
		return storage.ErrVaultExists
	}
	pass, err := a.newPassphrase("LETAPIS_PASSPHRASE", fmt.Sprintf("Choose a passphrase for the new vault in %s:", dir))
	if err != nil {
		return err
	}
	v, err := storage.Create(dir, pass, a.options())
	if err != nil {
		return err
	}
	device := storage.Fingerprint(v.DeviceKey())
	if err := v.Close(); err != nil {
		return err
	}
	if name, cow, err := storage.CopyOnWrite(dir); err != nil {
		a.warnf("could not tell whether the vault's file system keeps overwritten data: %v", err)
	} else if cow {
		a.warnf("the vault is on %s, a copy-on-write file system: what Letapis overwrites or deletes can stay readable on the disk; keep it on a disk with full-disk encryption", name)
	}
	if a.json {
		return a.printJSON(map[string]string{"vault": dir, "device": device})
	}
	a.printf("created a vault in %s (device key %s)", dir, device)
	a.printf("keep the passphrase safe: without it nothing in the vault can be read, and it cannot be reset")
	return nil
}

func cmdPasswd(a *app, c *command, args []string) error {
	fs := a.flagSet(c)
	if _, err := a.parse(c, fs, args, 0, 0); err != nil {
		return err
	}
	return a.withVault(func(v *storage.Vault) error {
		pass, err := a.newPassphrase("LETAPIS_NEW_PASSPHRASE", "New passphrase:")
		if err != nil {
			return err
		}
		if err := v.ChangePassphrase(pass); err != nil {
			return err
		}
		if a.json {
			return a.printJSON(map[string]string{"vault": a.dir})
		}
		a.printf("changed the passphrase of the vault in %s", a.dir)
		return nil
	})
}

func cmdWipe(a *app, c *command, args []string) error {
	fs := a.flagSet(c)
	if _, err := a.parse(c, fs, args, 0, 0); err != nil {
		return err
	}
	dir, err := a.vaultDir()
	if err != nil {
		return err
	}
	// A vault whose key file is gone but whose store remains (an
	// interrupted wipe) is wiped too; see the layout in package storage.
	if _, err := os.Stat(filepath.Join(dir, "db")); !storage.Exists(dir) && err != nil {
		return fmt.Errorf("no vault in %s; nothing to wipe", dir)
	}
	if err := a.confirmWord("wipe the vault in "+dir, fmt.Sprintf("Type WIPE to destroy the vault in %s (this cannot be undone):", dir), "WIPE"); err != nil {
		return err
	}
	if err := storage.Wipe(dir); err != nil {
		if errors.Is(err, storage.ErrNoVault) {
			return fmt.Errorf("no vault in %s; nothing to wipe", dir)
		}
		return err
	}
	if a.json {
		return a.printJSON(map[string]string{"wiped": dir})
	}
	a.printf("wiped the vault in %s", dir)
	return nil
}

// withVault unlocks the vault, runs f and locks the vault again.
func (a *app) withVault(f func(v *storage.Vault) error) (err error) {
	v, err := a.openVault()
	if err != nil {
		return err
	}
	defer func() {
		if cerr := v.Close(); cerr != nil && err == nil {
			err = cerr
		}
	}()
	return f(v)
}

// maxAttempts is how often a passphrase typed on the terminal may be wrong.
const maxAttempts = 3

func (a *app) openVault() (*storage.Vault, error) {
	dir, err := a.vaultDir()
	if err != nil {
		return nil, err
	}
	if !storage.Exists(dir) {
		// Ask for no passphrase when there is nothing to unlock.
		return nil, fmt.Errorf("unlock: %w", storage.ErrNoVault)
	}
	for attempt := 1; ; attempt++ {
		pass, prompted, err := a.passphrase()
		if err != nil {
			return nil, err
		}
		v, err := storage.Open(dir, pass, a.options())
		if err == nil {
			return v, nil
		}
		if prompted && errors.Is(err, storage.ErrWrongPassphrase) && attempt < maxAttempts {
			a.printf("wrong passphrase, try again")
			continue
		}
		return nil, err
	}
}
