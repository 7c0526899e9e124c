package main

// This file is the user interface of letapis-cli. The rules are:
//
//   - Results go to standard output: a record id alone, a table, or JSON
//     with --json. Nothing else is written there.
//   - Everything addressed to the person goes to standard error with a
//     "letapis-cli:" prefix, no capital initial and no final period. An
//     error is one such line; report is the only place that prints it and
//     picks the exit code (1, or 2 for a usage error).
//   - Questions (passphrases, confirmations) go to the terminal.
//   - Error messages never quote record content.

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"golang.org/x/term"

	"github.com/letapis/letapis/storage"
	"github.com/letapis/letapis/storage/record"
)

// Exit codes.
const (
	exitOK    = 0
	exitError = 1
	exitUsage = 2
)

// errHelpShown means a command printed its help; the exit code is 0.
var errHelpShown = errors.New("help shown")

// errNoTerminal means there is no terminal to ask a question on.
var errNoTerminal = errors.New("no terminal")

// usageError is a mistake in the command line: exit code 2.
type usageError struct {
	cmd string // the command whose help explains it, "" for the overview
	msg string
}

func (e *usageError) Error() string { return e.msg }

func usageErr(c *command, msg string) error {
	e := &usageError{msg: msg}
	if c != nil {
		e.cmd = c.name
	}
	return e
}

// hintedError replaces an error's message with a friendlier one while
// keeping it for errors.Is.
type hintedError struct {
	err error
	msg string
}

func (e *hintedError) Error() string { return e.msg }
func (e *hintedError) Unwrap() error { return e.err }

// report prints err, if any, as one line on standard error and returns the
// exit code.
func (a *app) report(err error) int {
	switch {
	case err == nil, errors.Is(err, errHelpShown):
		return exitOK
	}
	var ue *usageError
	if errors.As(err, &ue) {
		see := "letapis-cli help"
		if ue.cmd != "" {
			see += " " + ue.cmd
		}
		a.printf("%s (see '%s')", ue.msg, see)
		return exitUsage
	}
	a.printf("%s", a.explain(err))
	return exitError
}

// explain turns an error from storage or the file system into what the
// person needs to know.
func (a *app) explain(err error) string {
	dir := a.dir
	var he *hintedError
	var fe *record.FieldError
	switch {
	case errors.As(err, &he):
		return he.msg
	case errors.Is(err, storage.ErrWrongPassphrase):
		return fmt.Sprintf("wrong passphrase for the vault in %s", dir)
	case errors.Is(err, storage.ErrNoVault):
		return fmt.Sprintf("no vault in %s: create one with 'letapis-cli init', or choose another with --vault DIR or LETAPIS_VAULT", dir)
	case errors.Is(err, storage.ErrVaultExists):
		return fmt.Sprintf("a vault already exists in %s", dir)
	case errors.Is(err, storage.ErrBusy):
		return fmt.Sprintf("the vault in %s is open in another Letapis program; close it and try again", dir)
	case errors.Is(err, storage.ErrDamaged):
		return fmt.Sprintf("the vault in %s is damaged or was altered: %v", dir, err)
	case errors.As(err, &fe):
		return fe.Error()
	case errors.Is(err, context.Canceled):
		return "interrupted"
	case errors.Is(err, storage.ErrNoTeam):
		return "this vault is not part of a team: found one with 'letapis-cli team create', or join one with 'letapis-cli team join'"
	case errors.Is(err, storage.ErrJoining):
		return "this device is waiting for an admin to approve it; once approved, run 'letapis-cli sync', and then records can be written"
	case errors.Is(err, storage.ErrNotAdmin):
		return "only a team admin can do this"
	}
	if msg := relayProblem(err); msg != "" {
		return msg
	}
	return err.Error()
}

// printf writes one "letapis-cli: " line to standard error. Control
// characters are neutralised so that nothing can reach the terminal as an
// escape sequence.
func (a *app) printf(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	fmt.Fprintf(a.stderr, "letapis-cli: %s\n", cleanLine(msg))
}

func (a *app) warnf(format string, args ...any) {
	a.printf("warning: "+format, args...)
}

// printID prints the id of the record a write command created or changed.
func (a *app) printID(id string) error {
	if a.json {
		return a.printJSON(map[string]string{"id": id})
	}
	_, err := fmt.Fprintln(a.stdout, id)
	return err
}

func (a *app) printJSON(v any) error {
	enc := json.NewEncoder(a.stdout)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// cleanLine makes s safe and single-line for a terminal: line breaks and
// tabs become spaces, other control characters U+FFFD.
func cleanLine(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\n' || r == '\r' || r == '\t':
			return ' '
		case unicode.IsControl(r) || r == utf8.RuneError:
			return '\uFFFD'
		}
		return r
	}, s)
}

// cleanText is cleanLine for multi-line text: it keeps line breaks.
func cleanText(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\n':
			return r
		case r == '\t':
			return ' '
		case unicode.IsControl(r) || r == utf8.RuneError:
			return '\uFFFD'
		}
		return r
	}, s)
}

// shorten cuts s to n runes, marking the cut.
func shorten(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}

// flagMessage rewords an error of the flag package.
func flagMessage(err error) string {
	msg := err.Error()
	if name, ok := strings.CutPrefix(msg, "flag provided but not defined: "); ok {
		return "unknown flag --" + strings.TrimLeft(name, "-")
	}
	msg = strings.Replace(msg, "flag needs an argument: -", "a value is needed after --", 1)
	msg = strings.Replace(msg, " for flag -", " for --", 1)
	return msg
}

// ---------------------------------------------------------------------------
// Questions

// prompter asks questions on the terminal.
type prompter interface {
	// ReadSecret shows prompt and reads a line without echoing it.
	ReadSecret(prompt string) (string, error)
	// ReadLine shows prompt and reads a line.
	ReadLine(prompt string) (string, error)
}

// systemTerminal is the terminal the program runs in: /dev/tty (CONIN$ on
// Windows), else standard input if it is a terminal.
type systemTerminal struct {
	stdin  io.Reader
	stderr io.Writer
}

func (t *systemTerminal) with(f func(in *os.File, out io.Writer) error) error {
	if runtime.GOOS == "windows" {
		in, err := os.OpenFile("CONIN$", os.O_RDWR, 0)
		if err != nil {
			return errNoTerminal
		}
		defer in.Close()
		out, err := os.OpenFile("CONOUT$", os.O_WRONLY, 0)
		if err != nil {
			return errNoTerminal
		}
		defer out.Close()
		return f(in, out)
	}
	if tty, err := os.OpenFile("/dev/tty", os.O_RDWR, 0); err == nil {
		defer tty.Close()
		return f(tty, tty)
	}
	if in, ok := t.stdin.(*os.File); ok && termIsTerminal(in) {
		return f(in, t.stderr)
	}
	return errNoTerminal
}

func (t *systemTerminal) ReadSecret(prompt string) (string, error) {
	var s []byte
	err := t.with(func(in *os.File, out io.Writer) error {
		fmt.Fprintf(out, "%s ", prompt)
		defer fmt.Fprintln(out)
		var err error
		s, err = term.ReadPassword(int(in.Fd()))
		return err
	})
	return string(s), err
}

func (t *systemTerminal) ReadLine(prompt string) (string, error) {
	var line string
	err := t.with(func(in *os.File, out io.Writer) error {
		fmt.Fprintf(out, "%s ", prompt)
		// Byte by byte, so that nothing after the line is consumed.
		var b strings.Builder
		buf := make([]byte, 1)
		for {
			n, err := in.Read(buf)
			if n == 1 {
				if buf[0] == '\n' {
					break
				}
				b.WriteByte(buf[0])
			}
			if err == io.EOF {
				break
			}
			if err != nil {
				return err
			}
		}
		line = strings.TrimRight(b.String(), "\r")
		return nil
	})
	return line, err
}

func termIsTerminal(f *os.File) bool { return term.IsTerminal(int(f.Fd())) }

// confirm asks a yes/no question unless --yes was given. Without a
// terminal on standard input it refuses, naming the action.
func (a *app) confirm(action, question string) error {
	ok, err := a.ask(action, question)
	if err != nil {
		return err
	}
	if !ok {
		return errors.New("cancelled; nothing was changed")
	}
	return nil
}

// ask is confirm for a question among several: it reports a "no" as
// false instead of an error.
func (a *app) ask(action, question string) (bool, error) {
	if a.yes {
		return true, nil
	}
	if !a.interactive {
		return false, fmt.Errorf("refusing to %s without confirmation: pass --yes", action)
	}
	ans, err := a.term.ReadLine(question + " [y/N]")
	if err != nil {
		return false, fmt.Errorf("refusing to %s without confirmation: %v; pass --yes", action, err)
	}
	switch strings.ToLower(strings.TrimSpace(ans)) {
	case "y", "yes":
		return true, nil
	}
	return false, nil
}

// confirmWord is confirm for the most destructive actions: the person must
// type word.
func (a *app) confirmWord(action, question, word string) error {
	if a.yes {
		return nil
	}
	if !a.interactive {
		return fmt.Errorf("refusing to %s without confirmation: pass --yes", action)
	}
	ans, err := a.term.ReadLine(question)
	if err != nil {
		return fmt.Errorf("refusing to %s without confirmation: %v; pass --yes", action, err)
	}
	if strings.TrimSpace(ans) != word {
		return errors.New("cancelled; nothing was changed")
	}
	return nil
}

// ---------------------------------------------------------------------------
// Passphrases

// minPassphraseRunes is the length below which a new passphrase gets a
// warning.
const minPassphraseRunes = 12

// passphrase returns the vault passphrase from LETAPIS_PASSPHRASE or the
// terminal. prompted reports whether it was asked for.
func (a *app) passphrase() (pass string, prompted bool, err error) {
	if p := a.getenv("LETAPIS_PASSPHRASE"); p != "" {
		a.warnEnvSecret("LETAPIS_PASSPHRASE")
		return p, false, nil
	}
	p, err := a.term.ReadSecret(fmt.Sprintf("Passphrase for the vault in %s:", a.dir))
	if errors.Is(err, errNoTerminal) {
		return "", false, errors.New("no passphrase: set LETAPIS_PASSPHRASE or run in a terminal")
	}
	if err != nil {
		return "", false, fmt.Errorf("read passphrase: %w", err)
	}
	return p, true, nil
}

// newPassphrase returns a passphrase for a new key file: from the
// environment variable env, else asked twice on the terminal. It refuses
// an empty one and warns about a short one.
func (a *app) newPassphrase(env, prompt string) (string, error) {
	p := a.getenv(env)
	if p != "" {
		a.warnEnvSecret(env)
	} else {
		var err error
		p, err = a.term.ReadSecret(prompt)
		if errors.Is(err, errNoTerminal) {
			return "", fmt.Errorf("no new passphrase: set %s or run in a terminal", env)
		}
		if err != nil {
			return "", fmt.Errorf("read passphrase: %w", err)
		}
		if p == "" {
			return "", errors.New("the passphrase is empty")
		}
		again, err := a.term.ReadSecret("Type it again:")
		if err != nil {
			return "", fmt.Errorf("read passphrase: %w", err)
		}
		if again != p {
			return "", errors.New("the two passphrases differ; try again")
		}
	}
	if n := utf8.RuneCountInString(p); n < minPassphraseRunes {
		a.warnf("the passphrase has only %d characters; one of %d or more (several words) is much harder to guess", n, minPassphraseRunes)
	}
	if a.workFactor > 0 && a.workFactor < 18 {
		a.warnf("--work-factor %d makes the passphrase much faster to guess; use it only for tests", a.workFactor)
	}
	return p, nil
}

// ---------------------------------------------------------------------------
// Logging

// newLogger routes the vault's warnings and errors to standard error.
// They never contain record content.
func newLogger(w io.Writer) *slog.Logger { return slog.New(&warnHandler{w: w}) }

type warnHandler struct {
	w     io.Writer
	attrs []slog.Attr
}

func (h *warnHandler) Enabled(_ context.Context, l slog.Level) bool { return l >= slog.LevelWarn }

func (h *warnHandler) Handle(_ context.Context, r slog.Record) error {
	var b strings.Builder
	b.WriteString("letapis-cli: warning: ")
	b.WriteString(r.Message)
	add := func(at slog.Attr) bool {
		fmt.Fprintf(&b, " %s=%v", at.Key, at.Value)
		return true
	}
	for _, at := range h.attrs {
		add(at)
	}
	r.Attrs(add)
	_, err := fmt.Fprintln(h.w, cleanLine(b.String()))
	return err
}

func (h *warnHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return &warnHandler{w: h.w, attrs: append(append([]slog.Attr(nil), h.attrs...), as...)}
}

func (h *warnHandler) WithGroup(string) slog.Handler { return h }

// relayNotice tells once that the relay does not answer and that the
// client keeps trying, so that a command does not sit silent through its
// retries. The relay client reports each failed attempt in its debug log.
type relayNotice struct {
	a     *app
	mu    sync.Mutex
	shown bool
}

func (n *relayNotice) attemptFailed(reason string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if !n.shown {
		n.shown = true
		n.a.printf("the relay did not answer (%s); trying again", reason)
	}
}

// clear forgets the notice and reports whether it was shown.
func (n *relayNotice) clear() bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	shown := n.shown
	n.shown = false
	return shown
}

// noticeHandler passes the relay client's failed attempts to a notice
// and drops everything else: the sync commands report the rest
// themselves.
type noticeHandler struct{ n *relayNotice }

func (h noticeHandler) Enabled(context.Context, slog.Level) bool { return true }

func (h noticeHandler) Handle(_ context.Context, r slog.Record) error {
	if r.Message != "relay request attempt failed" {
		return nil
	}
	reason := "no answer"
	r.Attrs(func(at slog.Attr) bool {
		if at.Key == "reason" {
			reason = at.Value.String()
		}
		return true
	})
	h.n.attemptFailed(reason)
	return nil
}

func (h noticeHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h noticeHandler) WithGroup(string) slog.Handler      { return h }

// ---------------------------------------------------------------------------
// Help

func (a *app) printUsage(c *command, fs *flag.FlagSet) {
	w := bufio.NewWriter(a.stdout)
	defer w.Flush()
	line := "letapis-cli " + c.name
	hasFlags := false
	fs.VisitAll(func(f *flag.Flag) { hasFlags = hasFlags || !globalFlagNames[f.Name] })
	if hasFlags {
		line += " [flags]"
	}
	if c.args != "" {
		line += " " + c.args
	}
	fmt.Fprintf(w, "Usage: %s\n\n%s\n", line, c.about)
	if hasFlags {
		fmt.Fprintf(w, "\nFlags:\n")
		var list []*flag.Flag
		for _, n := range a.flagOrder {
			if f := fs.Lookup(n); f != nil {
				list = append(list, f)
			}
		}
		fs.VisitAll(func(f *flag.Flag) {
			if !globalFlagNames[f.Name] && !slices.Contains(a.flagOrder, f.Name) {
				list = append(list, f)
			}
		})
		for _, f := range list {
			name, usage := flag.UnquoteUsage(f)
			left := "  --" + f.Name
			if bf, ok := f.Value.(interface{ IsBoolFlag() bool }); !ok || !bf.IsBoolFlag() {
				left += " " + name
			}
			if _, ok := f.Value.(repeatable); ok {
				usage += " (repeatable)"
			}
			writeWrapped(w, left, usage, 28, 80)
		}
	}
	fmt.Fprintf(w, "\nGlobal flags (--vault DIR, --json, --yes) may come before or after the command.\n")
}

// writeWrapped writes left, then text wrapped to width in a column that
// starts at col.
func writeWrapped(w io.Writer, left, text string, col, width int) {
	pad := strings.Repeat(" ", col)
	cur := left
	if utf8.RuneCountInString(cur) >= col-1 {
		fmt.Fprintln(w, cur)
		cur = pad
	} else {
		cur += strings.Repeat(" ", col-utf8.RuneCountInString(cur))
	}
	n := col
	first := true
	for _, word := range strings.Fields(text) {
		wl := utf8.RuneCountInString(word)
		if !first && n+1+wl > width {
			fmt.Fprintln(w, cur)
			cur, n, first = pad, col, true
		}
		if !first {
			cur += " "
			n++
		}
		cur += word
		n += wl
		first = false
	}
	fmt.Fprintln(w, cur)
}
