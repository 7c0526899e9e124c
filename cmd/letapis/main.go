// Command letapis is the Letapis desktop app. It only parses its flags and
// hands over to app.Run.
//
//	letapis [--vault DIR]
//
// The vault directory is --vault, else $LETAPIS_VAULT, else the user data
// directory (on Linux ~/.local/share/letapis/vault, as for letapis-cli).
package main

import (
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"

	"github.com/letapis/letapis/app"
)

func main() {
	vault := flag.String("vault", "", "the vault directory (default $LETAPIS_VAULT, else the user data directory)")
	verbose := flag.Bool("v", false, "log diagnostics to stderr (never record content)")
	flag.Parse()
	dir, err := vaultDir(*vault, runtime.GOOS, os.Getenv)
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

// vaultDir resolves the vault directory the way letapis-cli does: the flag,
// else $LETAPIS_VAULT, else the user data directory of the OS.
func vaultDir(flagDir, goos string, getenv func(string) string) (string, error) {
	dir := flagDir
	if dir == "" {
		dir = getenv("LETAPIS_VAULT")
	}
	if dir == "" {
		var err error
		if dir, err = dataDir(goos, getenv); err != nil {
			return "", fmt.Errorf("no vault directory: %v; pass --vault DIR or set LETAPIS_VAULT", err)
		}
	}
	if abs, err := filepath.Abs(dir); err == nil {
		dir = abs
	}
	return dir, nil
}

// dataDir is the default vault location (same as cmd/letapis-cli).
func dataDir(goos string, getenv func(string) string) (string, error) {
	switch goos {
	case "windows":
		if d := getenv("LOCALAPPDATA"); d != "" {
			return filepath.Join(d, "Letapis", "vault"), nil
		}
		if d := getenv("USERPROFILE"); d != "" {
			return filepath.Join(d, "AppData", "Local", "Letapis", "vault"), nil
		}
		return "", errors.New("%LOCALAPPDATA% is not set")
	case "darwin", "ios":
		if h := getenv("HOME"); h != "" {
			return filepath.Join(h, "Library", "Application Support", "Letapis", "vault"), nil
		}
		return "", errors.New("$HOME is not set")
	}
	if d := getenv("XDG_DATA_HOME"); d != "" && filepath.IsAbs(d) {
		return filepath.Join(d, "letapis", "vault"), nil
	}
	if h := getenv("HOME"); h != "" {
		return filepath.Join(h, ".local", "share", "letapis", "vault"), nil
	}
	return "", errors.New("$HOME is not set")
}
