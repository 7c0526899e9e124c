package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"

	"github.com/letapis/letapis/sync/relay"
)

// teamCreate creates a team in the store of a stopped relay and prints its
// id and the operator token for its first admin device.
func teamCreate(ctx context.Context, args []string, stdout, stderr io.Writer) (err error) {
	fs := newFlagSet("team create")
	data := fs.String("data", "", "")
	if err := parse(fs, args, stdout); err != nil {
		return err
	}
	if *data == "" {
		return &usageError{"team create needs --data DIR"}
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	store, err := openStore(*data, log)
	if errors.Is(err, relay.ErrLocked) {
		return fmt.Errorf("%w: stop the relay, run 'team create', then start the relay again", err)
	}
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, store.Close()) }()
	team, token, err := relay.NewTeam(ctx, store)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "team  %s\ntoken %s\n", team, token)
	fmt.Fprintln(stderr, "Give the team id and the token to the team's first admin over a channel you trust.\n"+
		"The token registers one device, once; the relay keeps only its hash, so it cannot be shown again.")
	return nil
}
