// Command letapis is the Letapis desktop app. It only parses its flags and
// hands over to app.Run.
//
//	letapis [--vault DIR] [-v]
//	letapis --version
//
// The vault directory is --vault, else $LETAPIS_VAULT, else the user data
// directory (on Linux ~/.local/share/letapis/vault, as for letapis-cli).
package main

import (
	"flag"
	"fmt"
	"log/slog"
	"os"
	"runtime"

	"github.com/letapis/letapis/app"
	"github.com/letapis/letapis/storage"
)

func main() {
	vault := flag.String("vault", "", "the vault directory (default $LETAPIS_VAULT, else the user data directory)")
	verbose := flag.Bool("v", false, "log diagnostics to stderr (never record content)")
	version := flag.Bool("version", false, "print the app's name, version, build and ID, then exit")
	flag.Parse()
	if *version {
		fmt.Println(app.About())
		return
	}
	dir, err := storage.ResolveDir(*vault, runtime.GOOS, os.Getenv)
	if err != nil {
		fmt.Fprintln(os.Stderr, "letapis:", err)
		os.Exit(2)
	}
	cfg := app.Config{VaultDir: dir}
	if *verbose {
		cfg.Logger = slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	if err := app.Run(cfg); err != nil {
		fmt.Fprintln(os.Stderr, "letapis:", err)
		os.Exit(1)
	}
}
