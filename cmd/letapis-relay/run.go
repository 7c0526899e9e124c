package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/letapis/letapis/sync/relay"
	"github.com/letapis/letapis/sync/wire"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "devel"

// Exit codes.
const (
	exitOK    = 0
	exitError = 1
	exitUsage = 2
)

const usage = `letapis-relay runs a Letapis relay, through which a team's devices sync
age-encrypted records. It stores only ciphertext.

Usage:
  letapis-relay serve --data DIR [--listen ADDR] [--tls-cert FILE --tls-key FILE] [--quota-bytes N]
                      [--max-conns N] [--max-conns-per-addr N] [--open-rate N] [--open-burst N]
  letapis-relay team create --data DIR
  letapis-relay team recover --data DIR --team ID
  letapis-relay version
  letapis-relay help

Commands:
  serve         serve the relay until SIGINT or SIGTERM, logging JSON lines on
                standard error. The relay's signing key is made on the first
                start and kept in DIR/relay.key.
  team create   create a team and print its id and a one-time token with which
                the team's first device registers as admin. Run it while the
                relay is stopped.
  team recover  for a team whose admins are all lost: print a new one-time
                token with which one device that is still an active member of
                the team at this relay becomes an admin here (letapis-cli team
                recover). It replaces any unused token of the team. Run it
                while the relay is stopped. See "Recovering a team" below.
  version       print the version.

Flags:
  --data DIR               the relay's data directory (created if missing)
  --listen ADDR            address to listen on (default 127.0.0.1:8443)
  --tls-cert FILE          TLS certificate chain, PEM; without it the relay serves
  --tls-key FILE           plain HTTP, fit only for loopback or behind a TLS proxy
  --quota-bytes N          bytes of blobs each team may store (default 10 GiB;
                           0 means no limit)
  --max-conns N            open connections at most (default 2000); more wait
                           until one closes
  --max-conns-per-addr N   open connections from one client address at most
                           (default 64); more are closed at once. 0 means no
                           limit
  --open-rate N            register and join requests per minute from one
  --open-burst N           client address, beyond a burst of --open-burst
                           (defaults 10 and 20); more get 429 with Retry-After.
                           --open-rate -1 means no limit
  --team ID                the team to recover

Client addresses are the connection's: behind a reverse proxy or an onion
service every client has the proxy's address, so raise --max-conns-per-addr
and --open-rate there (or set them to 0 and -1). The addresses are counted
in memory only, never written to disk or to the log.

Recovering a team:
  The relay's roles and the team's signed roster are two things. 'team
  recover' restores the first only: the device that uses the token (one the
  relay already knows as an active member of the team, with its own key)
  becomes an admin at this relay, so that it can revoke the lost admins'
  devices here (they can no longer fetch or send anything through this
  relay), make invite tokens and approve or refuse join requests. It does
  not make the device an admin of the roster, which the devices sign among
  themselves and which no relay or operator can change: the other devices
  still refuse roster changes and team key grants from it, so it cannot
  remove a device from the roster, rotate the team's key, or bring in new
  members that the others accept. A team that has lost every roster admin
  keeps syncing among the members it has; to admit new members or shut a
  lost device out of records written from now on, found a new team and
  move the records there.
`

// usageError is a mistake in the command line.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

// run executes the command line args and returns the exit code: 0 on
// success, 1 on failure and 2 on a usage error. Errors are reported here
// and nowhere else.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	err := dispatch(ctx, args, stdout, stderr)
	var ue *usageError
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return exitOK
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "letapis-relay: %s (see 'letapis-relay help')\n", ue.msg)
		return exitUsage
	}
	fmt.Fprintf(stderr, "letapis-relay: %s\n", err)
	return exitError
}

func dispatch(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return &usageError{"no command given"}
	}
	switch args[0] {
	case "serve":
		return serve(ctx, args[1:], stdout, stderr)
	case "team":
		switch {
		case len(args) >= 2 && args[1] == "create":
			return teamCreate(ctx, args[2:], stdout, stderr)
		case len(args) >= 2 && args[1] == "recover":
			return teamRecover(ctx, args[2:], stdout, stderr)
		}
		return &usageError{"'team' needs a subcommand: create or recover"}
	case "version":
		fmt.Fprintf(stdout, "letapis-relay %s (protocol v%d)\n", version, wire.Version)
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, usage)
	default:
		return &usageError{fmt.Sprintf("unknown command %q", args[0])}
	}
	return nil
}

// newFlagSet returns a flag set that reports errors through run.
func newFlagSet(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return fs
}

// parse parses a command's flags; -h prints the usage.
func parse(fs *flag.FlagSet, args []string, stdout io.Writer) error {
	err := fs.Parse(args)
	switch {
	case errors.Is(err, flag.ErrHelp):
		fmt.Fprint(stdout, usage)
		return err
	case err != nil:
		return &usageError{fmt.Sprintf("%s: %s", fs.Name(), err)}
	case fs.NArg() > 0:
		return &usageError{fmt.Sprintf("%s: unexpected argument %q", fs.Name(), fs.Arg(0))}
	}
	return nil
}

// openStore opens the relay's store in the data directory, creating both
// if needed.
func openStore(data string, log *slog.Logger) (*relay.BadgerStore, error) {
	if err := os.MkdirAll(data, 0o700); err != nil {
		return nil, fmt.Errorf("create the data directory: %w", err)
	}
	store, err := relay.OpenBadgerStore(filepath.Join(data, "db"), relay.BadgerOptions{Logger: log})
	if err != nil {
		return nil, fmt.Errorf("open the relay data in %s: %w", data, err)
	}
	return store, nil
}
