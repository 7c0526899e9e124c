package main

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/letapis/letapis/storage/record"
)

func TestAttachAndExport(t *testing.T) {
	h := newVaultHarness(t)
	p := h.ok("", "person", "add", "--family", "Бабарыка")
	content := make([]byte, 3<<20+17) // more than one copy buffer
	rand.Read(content)
	src := filepath.Join(t.TempDir(), "scan.pdf")
	if err := os.WriteFile(src, content, 0o600); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(content)

	r := h.run("", "attach", src, "--about", p[:6])
	if r.code != 0 {
		t.Fatalf("attach: %v", r)
	}
	id := strings.TrimSpace(r.stdout)
	if !record.IsID(id) {
		t.Fatalf("attach printed %q", id)
	}
	if !strings.Contains(r.stderr, "imported scan.pdf: application/pdf, 3.0 MiB, SHA-256 "+hex.EncodeToString(sum[:])) ||
		!strings.Contains(r.stderr, "unchanged and unencrypted") {
		t.Errorf("attach told: %q", r.stderr)
	}
	att := body[record.Attachment](h, id)
	if att.Name != "scan.pdf" || att.Size != int64(len(content)) || att.SHA256 != hex.EncodeToString(sum[:]) || len(att.About) != 1 || att.About[0] != p {
		t.Errorf("attachment record: %+v", att)
	}

	out := filepath.Join(t.TempDir(), "copy.pdf")
	r = h.run("", "export-attachment", id[:5], "--out", out)
	if r.code != 0 || r.stdout != "" {
		t.Fatalf("export-attachment: %v", r)
	}
	if !strings.Contains(r.stderr, "warning: writing a decrypted copy of scan.pdf to "+out+", outside the vault") {
		t.Errorf("no warning about the decrypted copy: %q", r.stderr)
	}
	got, err := os.ReadFile(out)
	if err != nil || !bytes.Equal(got, content) {
		t.Fatalf("exported copy differs (%v)", err)
	}
	if st, _ := os.Stat(out); st.Mode().Perm() != 0o600 {
		t.Errorf("exported copy has mode %v", st.Mode())
	}

	// An existing file is kept unless --force.
	if err := os.WriteFile(out, []byte("mine"), 0o600); err != nil {
		t.Fatal(err)
	}
	if msg := h.fail(exitError, "", "export-attachment", id, "--out", out); msg != out+" exists; pass --force to overwrite it" {
		t.Errorf("overwrite: %q", msg)
	}
	if got, _ := os.ReadFile(out); string(got) != "mine" {
		t.Errorf("existing file was changed")
	}
	h.ok("", "export-attachment", id, "--out", out, "--force")
	if got, _ := os.ReadFile(out); !bytes.Equal(got, content) {
		t.Errorf("--force did not overwrite")
	}

	// To standard output.
	r = h.run("", "export-attachment", id, "--out", "-")
	if r.code != 0 || r.stdout != string(content) || !strings.Contains(r.stderr, "to standard output") {
		t.Errorf("export to stdout: exit %d, %d bytes, stderr %q", r.code, len(r.stdout), r.stderr)
	}

	// From standard input.
	sid := h.ok("voice memo", "attach", "-", "--name", "memo.txt", "--type", "text/plain")
	if a := body[record.Attachment](h, sid); a.Name != "memo.txt" || a.MediaType != "text/plain" || a.Size != 10 {
		t.Errorf("attach -: %+v", a)
	}

	if msg := h.fail(exitError, "", "export-attachment", p, "--out", out+"2"); msg != p+" is a person, not an attachment" {
		t.Errorf("export of a person: %q", msg)
	}
	if msg := h.fail(exitError, "", "attach", filepath.Join(t.TempDir(), "missing")); !strings.Contains(msg, "no such file or directory") {
		t.Errorf("attach of a missing file: %q", msg)
	}
	if msg := h.fail(exitError, "", "attach", t.TempDir()); !strings.HasSuffix(msg, "is not a regular file") {
		t.Errorf("attach of a directory: %q", msg)
	}
}

func TestExportOfDamagedAttachmentLeavesNothing(t *testing.T) {
	h := newVaultHarness(t)
	id := h.ok(strings.Repeat("evidence ", 100000), "attach", "-", "--name", "e.txt")
	blob := filepath.Join(h.dir, "blobs", body[record.Attachment](h, id).Blob+".age")
	data, err := os.ReadFile(blob)
	if err != nil {
		t.Fatal(err)
	}
	data[len(data)/2] ^= 1
	if err := os.WriteFile(blob, data, 0o600); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "e.txt")
	msg := h.fail(exitError, "", "export-attachment", id, "--out", out)
	if msg != "the encrypted file of attachment e.txt is damaged or was altered; no copy was written" {
		t.Errorf("export of a damaged file: %q", msg)
	}
	entries, _ := os.ReadDir(filepath.Dir(out))
	if len(entries) != 0 {
		t.Errorf("export left %v behind", entries)
	}
}

// A symbolic link planted at --out, or at the temporary name beside it
// that an older letapis-cli used, never receives the decrypted copy: the
// export is refused and the file the link points to is unchanged.
func TestExportRefusesSymlinkAtTarget(t *testing.T) {
	h := newVaultHarness(t)
	id := h.ok("the witness's own words", "attach", "-", "--name", "w.txt")
	dir := t.TempDir()
	victim := filepath.Join(t.TempDir(), "victim")
	if err := os.WriteFile(victim, []byte("not yours"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "w.txt")
	if err := os.Symlink(victim, out); err != nil {
		t.Skipf("cannot make a symbolic link: %v", err)
	}
	if err := os.Symlink(victim, out+".partial"); err != nil {
		t.Fatal(err)
	}
	for _, force := range [][]string{nil, {"--force"}} {
		msg := h.fail(exitError, "", append([]string{"export-attachment", id, "--out", out}, force...)...)
		if msg != "refusing to write "+out+": it is a symbolic link, which could point anywhere; choose another name" {
			t.Errorf("export to a link %v: %q", force, msg)
		}
		if got, _ := os.ReadFile(victim); string(got) != "not yours" {
			t.Fatalf("the linked file was changed: %q", got)
		}
	}
	// Through the planted .partial link beside a fresh name: still
	// unchanged, and the export goes to a file of its own.
	if err := os.Remove(out); err != nil {
		t.Fatal(err)
	}
	h.ok("", "export-attachment", id, "--out", out)
	if got, _ := os.ReadFile(victim); string(got) != "not yours" {
		t.Fatalf("the file linked at the old temporary name was changed: %q", got)
	}
	if got, _ := os.ReadFile(out); string(got) != "the witness's own words" {
		t.Fatalf("export wrote %q", got)
	}
}
