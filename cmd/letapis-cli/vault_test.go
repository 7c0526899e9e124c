package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/letapis/letapis/storage"
)

func TestInitAsksForThePassphraseTwice(t *testing.T) {
	tests := []struct {
		name    string
		answers []string
		code    int
		msg     string // last stderr line
		warn    bool   // warns about a short passphrase
	}{
		{"same twice", []string{"a passphrase of several words", "a passphrase of several words"}, 0, "", false},
		{"short", []string{"short", "short"}, 0, "", true},
		{"differ", []string{"a passphrase of several words", "a passphrase of several wordz"}, 1, "the two passphrases differ; try again", false},
		{"empty", []string{""}, 1, "the passphrase is empty", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			delete(h.env, "LETAPIS_PASSPHRASE")
			h.term = &fakeTerminal{answers: tt.answers}
			r := h.run("", "init")
			if r.code != tt.code {
				t.Fatalf("init: %v", r)
			}
			if tt.msg != "" && !strings.HasSuffix(r.stderr, "letapis-cli: "+tt.msg+"\n") {
				t.Errorf("init said %q, want %q", r.stderr, tt.msg)
			}
			if got := strings.Contains(r.stderr, "warning: the passphrase has only"); got != tt.warn {
				t.Errorf("short-passphrase warning %v, want %v: %q", got, tt.warn, r.stderr)
			}
			if storage.Exists(h.dir) != (tt.code == 0) {
				t.Errorf("vault exists: %v", storage.Exists(h.dir))
			}
			if tt.code == 0 {
				h.term = &fakeTerminal{answers: tt.answers[:1]}
				h.ok("", "list")
			}
		})
	}
}

func TestInitJSON(t *testing.T) {
	h := newHarness(t)
	var out map[string]string
	h.okJSON(&out, "", "init")
	if out["vault"] != h.dir || len(out["device"]) != 12 {
		t.Errorf("init --json: %v", out)
	}
}

func TestPasswd(t *testing.T) {
	h := newVaultHarness(t)
	p := h.ok("", "person", "add", "--family", "Колесникова")

	// Without a terminal the new passphrase comes from the environment.
	if msg := h.fail(exitError, "", "passwd"); msg != "no new passphrase: set LETAPIS_NEW_PASSPHRASE or run in a terminal" {
		t.Errorf("passwd without a new passphrase: %q", msg)
	}
	h.env["LETAPIS_NEW_PASSPHRASE"] = "a new passphrase of many words"
	h.ok("", "passwd")
	delete(h.env, "LETAPIS_NEW_PASSPHRASE")
	if msg := h.fail(exitError, "", "show", p); msg != "wrong passphrase for the vault in "+h.dir {
		t.Errorf("old passphrase after passwd: %q", msg)
	}
	h.env["LETAPIS_PASSPHRASE"] = "a new passphrase of many words"
	h.ok("", "show", p)

	// On a terminal: the current one, then the new one twice.
	delete(h.env, "LETAPIS_PASSPHRASE")
	h.term = &fakeTerminal{answers: []string{"a new passphrase of many words", "third one, also long", "third one, also long"}}
	r := h.run("", "passwd")
	if r.code != 0 || !strings.Contains(r.stderr, "changed the passphrase of the vault in "+h.dir) {
		t.Fatalf("passwd on a terminal: %v", r)
	}
	if len(h.term.asked) != 3 || !strings.HasPrefix(h.term.asked[0], "Passphrase for the vault in ") || h.term.asked[1] != "New passphrase:" {
		t.Errorf("passwd asked %q", h.term.asked)
	}
	h.term = &fakeTerminal{answers: []string{"third one, also long"}}
	h.ok("", "show", p)
}

func TestWipe(t *testing.T) {
	h := newVaultHarness(t)
	h.ok("secret", "attach", "-", "--name", "a.txt")
	mine := filepath.Join(h.dir, "notes.txt")
	if err := os.WriteFile(mine, []byte("not part of the vault"), 0o600); err != nil {
		t.Fatal(err)
	}

	if msg := h.fail(exitError, "", "wipe"); msg != "refusing to wipe the vault in "+h.dir+" without confirmation: pass --yes" {
		t.Errorf("wipe without confirmation: %q", msg)
	}
	h.interactive = true
	h.term = &fakeTerminal{answers: []string{"yes"}}
	if msg := h.fail(exitError, "", "wipe"); msg != "cancelled; nothing was changed" {
		t.Errorf("wipe answered yes instead of WIPE: %q", msg)
	}
	if want := "Type WIPE to destroy the vault in " + h.dir + " (this cannot be undone):"; h.term.asked[0] != want {
		t.Errorf("wipe asked %q", h.term.asked[0])
	}
	if !storage.Exists(h.dir) {
		t.Fatal("cancelled wipe destroyed the vault")
	}

	// No passphrase is needed.
	delete(h.env, "LETAPIS_PASSPHRASE")
	h.term = &fakeTerminal{answers: []string{"WIPE"}}
	r := h.run("", "wipe")
	if r.code != 0 || r.stderr != "letapis-cli: wiped the vault in "+h.dir+"\n" {
		t.Fatalf("wipe: %v", r)
	}
	entries, err := os.ReadDir(h.dir)
	if err != nil || len(entries) != 1 || entries[0].Name() != "notes.txt" {
		t.Errorf("after wipe the directory holds %v (%v)", entries, err)
	}
	h.interactive, h.term = false, nil
	if msg := h.fail(exitError, "", "--yes", "wipe"); msg != "no vault in "+h.dir+"; nothing to wipe" {
		t.Errorf("second wipe: %q", msg)
	}
}
