package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"

	"github.com/letapis/letapis/storage"
	"github.com/letapis/letapis/storage/record"
	"github.com/letapis/letapis/sync/client"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "devel"

// app is one invocation of the command: its streams, environment, global
// flags and the terminal it may ask questions on. Nothing in it is global,
// so tests run many invocations in one process.
type app struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	getenv         func(string) string

	// term asks questions on the user's terminal (passphrases,
	// confirmations). interactive reports whether standard input is a
	// terminal: destructive commands ask for confirmation only then.
	term        prompter
	interactive bool
	// envWarned lists the passphrase variables already warned about.
	envWarned map[string]bool

	// Global flags.
	vaultFlag  string
	json       bool
	yes        bool
	workFactor int
	minFree    int64

	dir string // the vault directory, once resolved

	// tuneClient, if set, adjusts the relay client of the sync engine
	// (retry timing); for tests.
	tuneClient func(*client.Config)
	// notice tells when the relay does not answer.
	notice relayNotice

	// flagOrder lists a command's flags in the order its help shows them;
	// flags not in it follow in alphabetical order.
	flagOrder []string
}

// run executes the command line args and returns the process exit code: 0
// on success, 1 on failure and 2 on a usage error.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) int {
	return newApp(stdin, stdout, stderr, getenv).main(args)
}

func newApp(stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) *app {
	a := &app{
		stdin:       stdin,
		stdout:      stdout,
		stderr:      stderr,
		getenv:      getenv,
		term:        &systemTerminal{stdin: stdin, stderr: stderr},
		interactive: isTerminal(stdin),
	}
	a.notice.a = a
	return a
}

func (a *app) main(args []string) int {
	return a.report(a.dispatch(args))
}

// globalFlags registers the flags that may come before the command, and
// also after it.
func (a *app) globalFlags(fs *flag.FlagSet) {
	fs.StringVar(&a.vaultFlag, "vault", a.vaultFlag, "the vault `DIR`")
	fs.BoolVar(&a.json, "json", a.json, "print JSON on standard output")
	fs.BoolVar(&a.yes, "yes", a.yes, "do not ask for confirmation")
	if a.getenv(testOnlyFlagsEnv) == "1" {
		fs.IntVar(&a.workFactor, "work-factor", a.workFactor, "scrypt work factor (log2 N) for the key file")
		fs.Int64Var(&a.minFree, "min-free", a.minFree, "free disk space in `BYTES` below which writes are refused")
	}
}

// testOnlyFlagsEnv, set to 1, enables the global flags --work-factor N
// (a fast, weak key file) and --min-free BYTES (writes on a nearly full
// disk), which exist for tests only. They appear in no help: without the
// variable they are unknown flags.
const testOnlyFlagsEnv = "LETAPIS_TEST_ONLY_FLAGS"

var globalFlagNames = map[string]bool{"vault": true, "json": true, "yes": true, "work-factor": true, "min-free": true}

func (a *app) dispatch(args []string) error {
	fs := flag.NewFlagSet("letapis-cli", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	a.globalFlags(fs)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			a.printOverview(a.stdout)
			return nil
		}
		return usageErr(nil, flagMessage(err))
	}
	args = fs.Args()
	if len(args) == 0 {
		a.printOverview(a.stderr)
		return usageErr(nil, "no command given")
	}
	if args[0] == "help" {
		return a.help(args[1:])
	}
	c, rest, err := lookup(args)
	if err != nil {
		return err
	}
	return c.run(a, c, rest)
}

// command is one thing letapis-cli does.
type command struct {
	name    string // "person add"
	args    string // positional arguments for the usage line, e.g. "ID"
	summary string // one line for the overview
	about   string // what help says about it, wrapped by hand
	group   string // section of the overview
	run     func(a *app, c *command, args []string) error
}

// Sections of the overview, in order.
const (
	groupVault   = "Vault"
	groupRecords = "Records"
	groupRead    = "Reading"
	groupAttach  = "Attachments"
	groupTeam    = "Team and sync"
	groupOther   = "Other"
)

var groups = []string{groupVault, groupRecords, groupRead, groupAttach, groupTeam, groupOther}

// commands is filled in by init functions of the files that implement
// them, so that each file carries its own commands' help.
var commands []*command

func register(cs ...*command) { commands = append(commands, cs...) }

// lookup finds the command named by the first words of args.
func lookup(args []string) (*command, []string, error) {
	first := args[0]
	var subs []string
	for _, c := range commands {
		if c.name == first {
			return c, args[1:], nil
		}
		if group, sub, ok := strings.Cut(c.name, " "); ok && group == first {
			if len(args) > 1 && args[1] == sub {
				return c, args[2:], nil
			}
			subs = append(subs, sub)
		}
	}
	if len(subs) == 0 {
		return nil, nil, usageErr(nil, fmt.Sprintf("unknown command %q", first))
	}
	if len(args) == 1 || args[1] == "help" || args[1] == "-h" || args[1] == "--help" {
		if len(args) == 1 {
			return nil, nil, usageErr(nil, fmt.Sprintf("%s needs a subcommand: %s", first, strings.Join(subs, ", ")))
		}
		return &command{name: first, run: func(a *app, _ *command, _ []string) error {
			a.printGroup(first)
			return nil
		}}, nil, nil
	}
	return nil, nil, usageErr(nil, fmt.Sprintf("unknown command %q; %s has: %s", first+" "+args[1], first, strings.Join(subs, ", ")))
}

// help prints the overview, a group's commands or one command's help.
func (a *app) help(args []string) error {
	if len(args) == 0 {
		a.printOverview(a.stdout)
		return nil
	}
	if len(args) == 1 && isGroup(args[0]) {
		a.printGroup(args[0])
		return nil
	}
	c, rest, err := lookup(args)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return usageErr(nil, fmt.Sprintf("help takes a command name, not %q", strings.Join(rest, " ")))
	}
	return c.run(a, c, []string{"-h"})
}

// isGroup reports whether name is the first word of commands such as
// "person add".
func isGroup(name string) bool {
	for _, c := range commands {
		if strings.HasPrefix(c.name, name+" ") {
			return true
		}
	}
	return false
}

func (a *app) printGroup(group string) {
	w := a.stdout
	if _, err := record.ParseKind(group); err == nil {
		fmt.Fprintf(w, "Commands for %s records:\n\n", group)
	} else {
		fmt.Fprintf(w, "The %s commands:\n\n", group)
	}
	for _, c := range commands {
		if strings.HasPrefix(c.name, group+" ") {
			fmt.Fprintf(w, "  %-24s %s\n", strings.TrimSpace(c.name+" "+c.args), c.summary)
		}
	}
	fmt.Fprintf(w, "\nRun 'letapis-cli help %s COMMAND' for the flags of one.\n", group)
}

func (a *app) printOverview(w io.Writer) {
	fmt.Fprint(w, `letapis-cli works with a Letapis vault from the terminal.

Letapis documents political prisoners: the people, their cases, what was
done to them (incidents) and what witnesses said (testimonies). Every record
is encrypted and signed in a local vault; without the passphrase nothing in
it can be read.

Usage:
  letapis-cli [global flags] COMMAND [flags] [arguments]
`)
	usage := func(c *command) string { return strings.TrimSpace(c.name + " " + c.args) }
	width := 0
	for _, c := range commands {
		width = max(width, len(usage(c)))
	}
	for _, g := range groups {
		fmt.Fprintf(w, "\n%s:\n", g)
		for _, c := range commands {
			if c.group == g {
				fmt.Fprintf(w, "  %-*s %s\n", width, usage(c), c.summary)
			}
		}
	}
	def, err := storage.DefaultDir(runtime.GOOS, a.getenv)
	if err != nil {
		def = "(unknown: " + err.Error() + ")"
	}
	fmt.Fprintf(w, `
Global flags (before or after the command):
  --vault DIR   the vault directory; default $LETAPIS_VAULT, else
                %s
  --json        print JSON on standard output, for scripts
  --yes         do not ask before destructive changes (wipe, delete, seal)
                or before admitting and removing team members

Environment:
  LETAPIS_VAULT           the vault directory
  LETAPIS_PASSPHRASE      the passphrase, for scripts (other programs running as
                          you can read it); otherwise it is asked on the terminal
  LETAPIS_NEW_PASSPHRASE  the new passphrase for passwd
  LETAPIS_PROXY           the proxy to reach the relay through, e.g.
                          socks5://127.0.0.1:9050 for Tor (see --proxy)

Command lines stay in shell history: pass sensitive text through standard
input (--text-file -, --from-json -) rather than as flag values.
Record ids can be shortened to any unique prefix: "show 3fj2" works.
Dates are YYYY, YYYY-MM or YYYY-MM-DD; ~ marks an estimate: ~2021-05.

Getting started:
  letapis-cli init
  letapis-cli person add --given Алесь --family Бяляцкі --script be-cyrl \
      --also "Ales||Bialiatski|passport" --status convicted
  letapis-cli testimony add --interviewee "Witness A" --about ID \
      --consent legal --text-file interview.txt
  letapis-cli list

Working in a team (see 'letapis-cli help team create'):
  letapis-cli team create --relay https://relay.example.org --team ID --token TOKEN
  letapis-cli team invite                  # on the admin's device
  letapis-cli team join CODE               # on the new device, an empty vault
  letapis-cli team approve                 # admin: compare the safety number
  letapis-cli sync

Run 'letapis-cli help COMMAND' for a command's flags, e.g. 'letapis-cli help person add'.
`, def)
}

// vaultDir resolves the vault directory: --vault, else $LETAPIS_VAULT,
// else the user data directory of the OS.
func (a *app) vaultDir() (string, error) {
	if a.dir != "" {
		return a.dir, nil
	}
	dir, err := storage.ResolveDir(a.vaultFlag, runtime.GOOS, a.getenv)
	if err != nil {
		return "", err
	}
	a.dir = dir
	return dir, nil
}

// options are the storage options the global flags ask for.
func (a *app) options() storage.Options {
	return storage.Options{
		WorkFactor:   a.workFactor,
		MinFreeBytes: a.minFree,
		Logger:       newLogger(a.stderr),
	}
}

func init() {
	register(&command{
		name:    "version",
		summary: "print the version of letapis-cli",
		group:   groupOther,
		about:   "Print the version of letapis-cli, the Go release it was built with and\nthe record schema version it writes.",
		run:     cmdVersion,
	})
}

func cmdVersion(a *app, c *command, args []string) error {
	fs := a.flagSet(c)
	if _, err := a.parse(c, fs, args, 0, 0); err != nil {
		return err
	}
	if a.json {
		return a.printJSON(map[string]any{
			"version": version,
			"go":      runtime.Version(),
			"os":      runtime.GOOS,
			"arch":    runtime.GOARCH,
			"schema":  record.SchemaVersion,
		})
	}
	_, err := fmt.Fprintf(a.stdout, "letapis-cli %s (%s %s/%s, record schema %d)\n",
		version, runtime.Version(), runtime.GOOS, runtime.GOARCH, record.SchemaVersion)
	return err
}

// isTerminal reports whether r is a terminal.
func isTerminal(r io.Reader) bool {
	f, ok := r.(*os.File)
	return ok && termIsTerminal(f)
}
