package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/letapis/letapis/storage"
	"github.com/letapis/letapis/sync/client"
)

const testPassphrase = "correct horse battery staple"

// harness runs letapis-cli in-process against a vault in a temp dir, with
// cheap key derivation and no free-space floor.
type harness struct {
	t   *testing.T
	dir string
	env map[string]string
	// term answers questions; nil means there is no terminal.
	term *fakeTerminal
	// interactive pretends standard input is a terminal.
	interactive bool
	// tune adjusts the relay client of sync commands.
	tune func(*client.Config)
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	return &harness{
		t:   t,
		dir: filepath.Join(t.TempDir(), "vault"),
		env: map[string]string{"LETAPIS_PASSPHRASE": testPassphrase, testOnlyFlagsEnv: "1"},
	}
}

// newVaultHarness is newHarness with a vault created.
func newVaultHarness(t *testing.T) *harness {
	t.Helper()
	h := newHarness(t)
	h.ok("", "init")
	return h
}

type result struct {
	stdout, stderr string
	code           int
}

func (r result) String() string {
	return fmt.Sprintf("exit %d\nstdout: %s\nstderr: %s", r.code, r.stdout, r.stderr)
}

// with returns the harness for a subtest.
func (h *harness) with(t *testing.T) *harness {
	c := *h
	c.t = t
	return &c
}

func (h *harness) getenv(k string) string { return h.env[k] }

func (h *harness) run(stdin string, args ...string) result {
	h.t.Helper()
	var out, errb bytes.Buffer
	a := newApp(strings.NewReader(stdin), &out, &errb, h.getenv)
	if h.term != nil {
		a.term = h.term
	} else {
		a.term = noTerminal{}
	}
	a.interactive = h.interactive
	a.tuneClient = h.tune
	full := append([]string{"--vault", h.dir, "--work-factor", "10", "--min-free", "1"}, args...)
	code := a.main(full)
	return result{stdout: out.String(), stderr: errb.String(), code: code}
}

// ok runs a command that must succeed and returns its trimmed output.
func (h *harness) ok(stdin string, args ...string) string {
	h.t.Helper()
	r := h.run(stdin, args...)
	if r.code != 0 {
		h.t.Fatalf("letapis-cli %s: %v", strings.Join(args, " "), r)
	}
	return strings.TrimSpace(r.stdout)
}

// fail runs a command that must fail with code and returns its one error
// line without the prefix.
func (h *harness) fail(code int, stdin string, args ...string) string {
	h.t.Helper()
	r := h.run(stdin, args...)
	if r.code != code {
		h.t.Fatalf("letapis-cli %s: want exit %d, got %v", strings.Join(args, " "), code, r)
	}
	lines := strings.Split(strings.TrimSpace(r.stderr), "\n")
	last := lines[len(lines)-1]
	if !strings.HasPrefix(last, "letapis-cli: ") {
		h.t.Fatalf("letapis-cli %s: error line %q lacks the prefix", strings.Join(args, " "), last)
	}
	return strings.TrimPrefix(last, "letapis-cli: ")
}

// okJSON runs a command with --json and decodes its output into v.
func (h *harness) okJSON(v any, stdin string, args ...string) {
	h.t.Helper()
	out := h.ok(stdin, append([]string{"--json"}, args...)...)
	if err := json.Unmarshal([]byte(out), v); err != nil {
		h.t.Fatalf("letapis-cli --json %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// fakeTerminal answers questions from a script and records them.
type fakeTerminal struct {
	answers []string
	asked   []string
	// decide, if set, answers instead of answers.
	decide func(prompt string) string
}

func (f *fakeTerminal) next(prompt string) (string, error) {
	f.asked = append(f.asked, prompt)
	if f.decide != nil {
		return f.decide(prompt), nil
	}
	if len(f.answers) == 0 {
		return "", errors.New("fake terminal: no answer left")
	}
	a := f.answers[0]
	f.answers = f.answers[1:]
	return a, nil
}

func (f *fakeTerminal) ReadSecret(p string) (string, error) { return f.next(p) }
func (f *fakeTerminal) ReadLine(p string) (string, error)   { return f.next(p) }

// noTerminal is a process without a terminal.
type noTerminal struct{}

func (noTerminal) ReadSecret(string) (string, error) { return "", errNoTerminal }
func (noTerminal) ReadLine(string) (string, error)   { return "", errNoTerminal }

func TestRunThroughEntryPoint(t *testing.T) {
	var out, errb bytes.Buffer
	code := run([]string{"version"}, strings.NewReader(""), &out, &errb, func(string) string { return "" })
	if code != 0 || !strings.HasPrefix(out.String(), "letapis-cli ") || !strings.Contains(out.String(), "record schema 1") {
		t.Fatalf("version: exit %d, stdout %q, stderr %q", code, out.String(), errb.String())
	}
	dir := filepath.Join(t.TempDir(), "v")
	env := map[string]string{"LETAPIS_VAULT": dir, "LETAPIS_PASSPHRASE": testPassphrase, testOnlyFlagsEnv: "1"}
	code = run([]string{"--work-factor", "10", "--min-free", "1", "init"}, strings.NewReader(""), &out, &errb, func(k string) string { return env[k] })
	if code != 0 || !strings.Contains(errb.String(), "created a vault in "+dir) {
		t.Fatalf("init through LETAPIS_VAULT: exit %d, stderr %q", code, errb.String())
	}
}

func TestHelp(t *testing.T) {
	h := newHarness(t)
	overview := h.ok("", "help")
	for _, c := range commands {
		if !strings.Contains(overview, "  "+c.name) {
			t.Errorf("help does not list %q", c.name)
		}
		// Every command has help through "help X", "X -h" and "X help".
		args := strings.Fields(c.name)
		for _, form := range [][]string{
			append([]string{"help"}, args...),
			append(append([]string{}, args...), "-h"),
			append(append([]string{}, args...), "--help"),
			append(append([]string{}, args...), "help"),
		} {
			out := h.ok("", form...)
			if !strings.HasPrefix(out, "Usage: letapis-cli "+c.name) {
				t.Errorf("letapis-cli %s: help starts %q", strings.Join(form, " "), firstLine(out))
			}
		}
	}
	for _, want := range []string{"LETAPIS_PASSPHRASE", "--vault DIR", "Getting started", "init"} {
		if !strings.Contains(overview, want) {
			t.Errorf("help lacks %q", want)
		}
	}
	if out := h.ok("", "help", "testimony"); !strings.Contains(out, "testimony seal ID") {
		t.Errorf("help testimony:\n%s", out)
	}
	if out := h.ok("", "help", "person", "add"); !strings.Contains(out, "--also SPELLING") || !strings.Contains(out, "(repeatable)") {
		t.Errorf("help person add lacks --also:\n%s", out)
	}
}

func firstLine(s string) string { l, _, _ := strings.Cut(s, "\n"); return l }

func TestUsageErrors(t *testing.T) {
	h := newVaultHarness(t)
	tests := []struct {
		args []string
		want string
	}{
		{nil, "no command given"},
		{[]string{"frobnicate"}, `unknown command "frobnicate"`},
		{[]string{"person"}, "person needs a subcommand: add, edit"},
		{[]string{"person", "remove"}, `unknown command "person remove"`},
		{[]string{"--bogus", "list"}, "unknown flag --bogus"},
		{[]string{"list", "--bogus"}, "unknown flag --bogus (see 'letapis-cli help list')"},
		{[]string{"list", "extra"}, `list takes no arguments, got "extra"`},
		{[]string{"list", "--kind", "prisoner"}, `unknown record kind "prisoner"`},
		{[]string{"list", "--limit", "-1"}, "--limit must not be negative"},
		{[]string{"show"}, "show needs ID"},
		{[]string{"show", "a", "b"}, `too many arguments for show: "b"`},
		{[]string{"person", "add", "--birth", "1962-13"}, `invalid value "1962-13" for --birth: month 13 is outside 1–12`},
		{[]string{"person", "add", "--also", "Ales|Bialiatski"}, `want "Given|Patronymic|Family"`},
		{[]string{"person", "add", "--family"}, "a value is needed after --family"},
		{[]string{"person", "edit", "abc"}, "nothing to change"},
		{[]string{"testimony", "add", "--text", "a", "--text-file", "f"}, "give only one of --text and --text-file"},
		{[]string{"testimony", "amend", "abc"}, "an amendment needs the corrected text"},
		{[]string{"attach", "-"}, "attach - reads standard input and needs --name"},
		{[]string{"export-attachment", "abc"}, "export-attachment needs --out FILE"},
		{[]string{"generate"}, "generate needs --people N"},
		{[]string{"help", "nothing"}, `unknown command "nothing"`},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			msg := h.with(t).fail(exitUsage, "", tt.args...)
			if !strings.Contains(msg, tt.want) {
				t.Errorf("error %q does not contain %q", msg, tt.want)
			}
			if !strings.Contains(msg, "(see 'letapis-cli help") {
				t.Errorf("error %q does not point to help", msg)
			}
		})
	}
}

func TestVaultErrors(t *testing.T) {
	h := newHarness(t)
	msg := h.fail(exitError, "", "list")
	if want := "no vault in " + h.dir + ": create one with 'letapis-cli init'"; !strings.HasPrefix(msg, want) {
		t.Errorf("missing vault: %q, want prefix %q", msg, want)
	}
	h.ok("", "init")
	if msg := h.fail(exitError, "", "init"); msg != "a vault already exists in "+h.dir {
		t.Errorf("init twice: %q", msg)
	}

	h.env["LETAPIS_PASSPHRASE"] = "not the passphrase"
	if msg := h.fail(exitError, "", "list"); msg != "wrong passphrase for the vault in "+h.dir {
		t.Errorf("wrong passphrase: %q", msg)
	}

	delete(h.env, "LETAPIS_PASSPHRASE")
	if msg := h.fail(exitError, "", "list"); msg != "no passphrase: set LETAPIS_PASSPHRASE or run in a terminal" {
		t.Errorf("no passphrase: %q", msg)
	}

	// Typed on a terminal, a wrong passphrase may be retried.
	h.term = &fakeTerminal{answers: []string{"wrong", testPassphrase}}
	r := h.run("", "list")
	if r.code != 0 || !strings.Contains(r.stderr, "wrong passphrase, try again") || len(h.term.asked) != 2 {
		t.Errorf("retry: %v, asked %q", r, h.term.asked)
	}
	h.term = &fakeTerminal{answers: []string{"a", "b", "c", testPassphrase}}
	if msg := h.fail(exitError, "", "list"); msg != "wrong passphrase for the vault in "+h.dir || len(h.term.asked) != maxAttempts {
		t.Errorf("three wrong passphrases: %q after %d questions", msg, len(h.term.asked))
	}
}

func TestVaultLocation(t *testing.T) {
	// --vault wins over LETAPIS_VAULT, which wins over the default.
	h := newHarness(t)
	other := filepath.Join(t.TempDir(), "other")
	h.env["LETAPIS_VAULT"] = other
	h.ok("", "init")
	if !storage.Exists(h.dir) || storage.Exists(other) {
		t.Fatalf("init with --vault and LETAPIS_VAULT did not use --vault")
	}
	var out, errb bytes.Buffer
	a := newApp(strings.NewReader(""), &out, &errb, h.getenv)
	a.term = noTerminal{}
	if code := a.main([]string{"--work-factor", "10", "--min-free", "1", "init"}); code != 0 {
		t.Fatalf("init in LETAPIS_VAULT: %s", errb.String())
	}
	if !storage.Exists(other) || !strings.Contains(errb.String(), "created a vault in "+other) {
		t.Errorf("init without --vault: %q", errb.String())
	}
}

func TestErrorsAreOneLine(t *testing.T) {
	h := newVaultHarness(t)
	r := h.run("", "person", "add", "--family", "X", "--gender", "m")
	if r.code != exitError || strings.Count(r.stderr, "\n") != 1 || r.stdout != "" {
		t.Fatalf("validation error: %v", r)
	}
	// Control characters from the command line cannot reach the terminal.
	r = h.run("", "show", "ab\x1b[2Jcd\nnext")
	if strings.ContainsAny(r.stderr[:len(r.stderr)-1], "\x1b\n") {
		t.Errorf("error line carries control characters: %q", r.stderr)
	}
}

// --work-factor and --min-free weaken a vault; they are for tests only:
// no help mentions them and without LETAPIS_TEST_ONLY_FLAGS=1 they are
// unknown flags.
func TestTestOnlyFlagsAreHidden(t *testing.T) {
	h := newHarness(t)
	helps := []string{h.ok("", "help"), h.ok("", "--help")}
	for _, c := range commands {
		helps = append(helps, h.ok("", append([]string{"help"}, strings.Fields(c.name)...)...))
	}
	for _, out := range helps {
		for _, flag := range []string{"work-factor", "min-free", testOnlyFlagsEnv} {
			if strings.Contains(out, flag) {
				t.Fatalf("help mentions %s:\n%s", flag, out)
			}
		}
	}
	delete(h.env, testOnlyFlagsEnv)
	for _, flag := range []string{"--work-factor", "--min-free"} {
		var out, errb bytes.Buffer
		code := newApp(strings.NewReader(""), &out, &errb, h.getenv).main([]string{"--vault", h.dir, flag, "10", "init"})
		if code != exitUsage || !strings.Contains(errb.String(), flag) {
			t.Errorf("%s without %s: exit %d, stderr %q", flag, testOnlyFlagsEnv, code, errb.String())
		}
	}
	if storage.Exists(h.dir) {
		t.Errorf("a vault was created with a test-only flag refused")
	}
}

// The passphrase in LETAPIS_PASSPHRASE is readable by other processes of
// the user: someone at a terminal is told so, a script is not.
func TestEnvPassphraseWarningOnlyAtTerminal(t *testing.T) {
	in, err := os.CreateTemp(t.TempDir(), "stdin")
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	errf, err := os.CreateTemp(t.TempDir(), "stderr")
	if err != nil {
		t.Fatal(err)
	}
	defer errf.Close()
	is := func(want *os.File) func(*os.File) bool {
		return func(f *os.File) bool { return f == want }
	}
	never := func(*os.File) bool { return false }
	for _, tc := range []struct {
		name   string
		stdin  io.Reader
		stderr io.Writer
		isTerm func(*os.File) bool
		want   bool
	}{
		{"stdin a terminal", in, errf, is(in), true},
		{"stderr a terminal", in, errf, is(errf), true},
		{"files, not terminals", in, errf, never, false},
		{"pipes in a test", strings.NewReader(""), &bytes.Buffer{}, func(*os.File) bool { return true }, false},
	} {
		if got := envSecretAtTerminal(tc.stdin, tc.stderr, tc.isTerm); got != tc.want {
			t.Errorf("%s: envSecretAtTerminal = %v, want %v", tc.name, got, tc.want)
		}
	}

	// Through a whole command: no terminal, no warning.
	h := newVaultHarness(t)
	if r := h.run("", "list"); r.code != 0 || strings.Contains(r.stderr, "LETAPIS_PASSPHRASE is set") {
		t.Errorf("list without a terminal: %v", r)
	}
}
