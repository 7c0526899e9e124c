package storage

import (
	"errors"
	"fmt"
	"path/filepath"
)

// ResolveDir returns the vault directory every Letapis program uses, so
// that the desktop app and letapis-cli open the same vault: dir if it is
// set (a --vault flag), else $LETAPIS_VAULT, else DefaultDir. The result is
// absolute. getenv reads the environment (os.Getenv outside tests).
func ResolveDir(dir, goos string, getenv func(string) string) (string, error) {
	if dir == "" {
		dir = getenv("LETAPIS_VAULT")
	}
	if dir == "" {
		var err error
		if dir, err = DefaultDir(goos, getenv); err != nil {
			return "", fmt.Errorf("no vault directory: %w; pass --vault DIR or set LETAPIS_VAULT", err)
		}
	}
	if abs, err := filepath.Abs(dir); err == nil {
		dir = abs
	}
	return dir, nil
}

// DefaultDir returns the default vault directory on goos: the per-user
// application data directory, which on Linux and other Unixes follows the
// XDG base directory specification.
func DefaultDir(goos string, getenv func(string) string) (string, error) {
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
