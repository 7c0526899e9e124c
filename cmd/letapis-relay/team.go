package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"

	"github.com/letapis/letapis/sync/relay"
	"github.com/letapis/letapis/sync/wire"
)

// teamCreate creates a team in the store of a stopped relay and prints its
// id and the operator token for its first admin device.
func teamCreate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("team create")
	data := fs.String("data", "", "")
	if err := parse(fs, args, stdout); err != nil {
		return err
	}
	if *data == "" {
		return &usageError{"team create needs --data DIR"}
	}
	return withStoppedStore(*data, "team create", stderr, func(store *relay.BadgerStore) error {
		team, token, err := relay.NewTeam(ctx, store)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "team  %s\ntoken %s\n", team, token)
		fmt.Fprintln(stderr, "Give the team id and the token to the team's first admin over a channel you trust.\n"+
			"The token registers one device, once; the relay keeps only its hash, so it cannot be shown again.")
		return nil
	})
}

// teamRecover gives a team of a stopped relay a new one-time token with
// which one of its active devices becomes an admin at the relay (see
// relay.RecoverTeam and the usage text).
func teamRecover(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("team recover")
	data := fs.String("data", "", "")
	team := fs.String("team", "", "")
	if err := parse(fs, args, stdout); err != nil {
		return err
	}
	if *data == "" || *team == "" {
		return &usageError{"team recover needs --data DIR and --team ID"}
	}
	if !wire.ValidName(*team) {
		return &usageError{"--team: a team id is 26 characters a-z and 2-7"}
	}
	return withStoppedStore(*data, "team recover", stderr, func(store *relay.BadgerStore) error {
		token, err := relay.RecoverTeam(ctx, store, *team)
		if errors.Is(err, relay.ErrNotFound) {
			return fmt.Errorf("this relay has no team %s", *team)
		}
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "token %s\n", token)
		fmt.Fprintln(stderr, "Give the token, over a channel you trust, to the owner of a device that is still in the team:\n"+
			"'letapis-cli team recover --token TOKEN' makes that device an admin at this relay, once.\n"+
			"It becomes an admin of the relay only, not of the team's signed roster (see 'letapis-relay help').")
		return nil
	})
}

// withStoppedStore opens the store of a stopped relay for an offline
// command, calls fn and closes the store.
func withStoppedStore(data, command string, stderr io.Writer, fn func(*relay.BadgerStore) error) (err error) {
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	store, err := openStore(data, log)
	if errors.Is(err, relay.ErrLocked) {
		return fmt.Errorf("%w: stop the relay, run '%s', then start the relay again", err, command)
	}
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, store.Close()) }()
	return fn(store)
}
