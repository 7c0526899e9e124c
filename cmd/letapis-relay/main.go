// Command letapis-relay runs a Letapis relay: the small HTTP server through
// which a team's devices exchange age-encrypted records. It stores only
// ciphertext. Run "letapis-relay help" for the commands.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
