package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/letapis/letapis/internal/safefile"
	"github.com/letapis/letapis/storage"
	"github.com/letapis/letapis/storage/record"
)

func init() {
	register(
		&command{name: "attach", args: "FILE", summary: "import a file (recording, photo, scan) into the vault", group: groupAttach,
			about: `Import FILE into the vault as an encrypted attachment, optionally about
some records (--about). Its SHA-256 is taken while importing and kept for
the chain of custody. FILE - reads standard input; then --name is
required. Memory use does not grow with the size of the file. Prints the
new record's id.

The original FILE is left as it was, unencrypted: remove it if it should
not stay on this computer.`,
			run: cmdAttach},
		&command{name: "export-attachment", args: "ID", summary: "write a decrypted copy of an attachment", group: groupAttach,
			about: `Write the decrypted content of the attachment ID to the file given with
--out (- for standard output), checking it against the SHA-256 taken at
import. The copy is outside the vault and unencrypted: anyone with access
to this computer can read it. An existing file is not overwritten unless
--force is given, and a symbolic link there is refused, never followed;
if anything fails, nothing is left at --out.`,
			run: cmdExportAttachment},
	)
}

func cmdAttach(a *app, c *command, args []string) error {
	fs := a.flagSet(c)
	var about listFlag
	fs.Var(&about, "about", "record `ID` the file is about")
	mediaType := fs.String("type", "", "media `TYPE`, e.g. audio/ogg (default: guessed from the name and content)")
	name := fs.String("name", "", "file `NAME` to record (default: the name of FILE; required with -)")
	audience := fs.String("audience", "", "restricted audience `ID` that alone can read it (see 'audience list'; default: the whole team)")
	pos, err := a.parse(c, fs, args, 1, 1)
	if err != nil {
		return err
	}
	path := pos[0]
	var src io.Reader
	if path == "-" {
		if strings.TrimSpace(*name) == "" {
			return usageErr(c, "attach - reads standard input and needs --name")
		}
		src = a.stdin
	} else {
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		if st, err := f.Stat(); err != nil {
			return err
		} else if !st.Mode().IsRegular() {
			return fmt.Errorf("%s is not a regular file", path)
		}
		src = f
		if *name == "" {
			*name = filepath.Base(path)
		}
	}
	return a.withVault(func(v *storage.Vault) error {
		ctx := &applyCtx{a: a, v: v}
		var ids []string
		for _, p := range about.values() {
			id, err := ctx.ref("--about", p, toAny...)
			if err != nil {
				return err
			}
			ids = append(ids, id)
		}
		rec, err := v.ImportAttachmentTo(src, *name, *mediaType, ids, strings.TrimSpace(*audience))
		if err != nil {
			return err
		}
		if b, err := rec.Decode(); err == nil && !a.json {
			att := b.(*record.Attachment)
			a.printf("imported %s: %s, %s, SHA-256 %s", cleanLine(att.Name), att.MediaType, sizeString(att.Size), att.SHA256)
			if path != "-" {
				a.printf("the original %s is unchanged and unencrypted; remove it if it should not stay on this computer", path)
			}
		}
		return a.printID(rec.ID)
	})
}

func cmdExportAttachment(a *app, c *command, args []string) error {
	fs := a.flagSet(c)
	out := fs.String("out", "", "write the decrypted copy to `FILE` (- for standard output); required")
	force := fs.Bool("force", false, "overwrite FILE if it exists")
	pos, err := a.parse(c, fs, args, 1, 1)
	if err != nil {
		return err
	}
	if *out == "" {
		return usageErr(c, "export-attachment needs --out FILE (or --out - for standard output)")
	}
	if *out == "-" && isTerminalWriter(a.stdout) {
		return usageErr(c, "refusing to write an attachment to the terminal: redirect standard output or give --out FILE")
	}
	if *out != "-" {
		if st, err := os.Lstat(*out); err == nil && st.Mode()&os.ModeSymlink != 0 {
			return fmt.Errorf("refusing to write %s: %w; choose another name", *out, safefile.ErrSymlink)
		} else if err == nil && !*force {
			return fmt.Errorf("%s exists; pass --force to overwrite it", *out)
		}
	}
	return a.withVault(func(v *storage.Vault) error {
		ctx := &applyCtx{a: a, v: v}
		id, err := ctx.ref("", pos[0], record.KindAttachment)
		if err != nil {
			return err
		}
		r, err := v.Get(id)
		if err != nil {
			return err
		}
		b, err := r.Decode()
		if err != nil {
			return err
		}
		att := b.(*record.Attachment)
		dest := *out
		if dest == "-" {
			dest = "standard output"
		}
		a.warnf("writing a decrypted copy of %s to %s, outside the vault: anyone with access to this computer can read it", cleanLine(att.Name), dest)
		if *out == "-" {
			_, err := v.ExportAttachment(id, a.stdout)
			return damaged(err, att.Name, "what was written to standard output is incomplete or wrong; discard it")
		}
		if err := exportToFile(v, id, *out, *force); err != nil {
			return damaged(err, att.Name, "no copy was written")
		}
		if a.json {
			return a.printJSON(map[string]any{"id": id, "file": *out, "size": att.Size, "sha256": att.SHA256})
		}
		a.printf("wrote %s (%s, SHA-256 verified)", *out, sizeString(att.Size))
		return nil
	})
}

// exportToFile writes the attachment to path through an exclusive
// temporary file beside it, which is renamed into place only once the
// content has been verified and synced, and removed on any failure. A
// symbolic link at path is refused, never followed.
func exportToFile(v *storage.Vault, id, path string, force bool) error {
	err := safefile.Write(path, force, func(w io.Writer) error {
		_, err := v.ExportAttachment(id, w)
		return err
	})
	if errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("%s appeared while exporting; pass --force to overwrite it", path)
	}
	return err
}

// isTerminalWriter reports whether w is a terminal.
func isTerminalWriter(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && termIsTerminal(f)
}

// damaged words the failure of an export whose source is damaged; other
// errors pass unchanged.
func damaged(err error, name, consequence string) error {
	if errors.Is(err, storage.ErrDamaged) || errors.Is(err, storage.ErrIntegrity) {
		return &hintedError{err: err, msg: fmt.Sprintf("the encrypted file of attachment %s is damaged or was altered; %s", cleanLine(name), consequence)}
	}
	return err
}

// sizeString formats a byte count for people.
func sizeString(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d bytes", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}
