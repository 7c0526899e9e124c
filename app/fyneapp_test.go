package app

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/BurntSushi/toml"

	"github.com/letapis/letapis/assets"
)

// TestFyneAppTOML checks that FyneApp.toml at the repository root, which
// `make package` (fyne package) and development builds read, agrees with the
// code: the ID that Run gives Fyne, the name in the window title, the icon
// that the window shows, and the fyneDo migration that the UI relies on.
func TestFyneAppTOML(t *testing.T) {
	root := ".."
	var meta struct {
		Details struct {
			Icon, Name, ID, Version string
			Build                   int
		}
		Migrations map[string]bool
	}
	if _, err := toml.DecodeFile(filepath.Join(root, "FyneApp.toml"), &meta); err != nil {
		t.Fatal(err)
	}
	d := meta.Details
	if d.ID != ID {
		t.Errorf("FyneApp.toml ID = %q, app.ID = %q", d.ID, ID)
	}
	if d.Name != Name {
		t.Errorf("FyneApp.toml Name = %q, app.Name = %q", d.Name, Name)
	}
	// fyne package accepts x, x.y or x.y.z; we use x.y.z.
	if !regexp.MustCompile(`^[0-9]+\.[0-9]+\.[0-9]+$`).MatchString(d.Version) {
		t.Errorf("FyneApp.toml Version = %q, want x.y.z", d.Version)
	}
	if d.Build < 1 {
		t.Errorf("FyneApp.toml Build = %d, want 1 or more", d.Build)
	}
	if !meta.Migrations["fyneDo"] {
		t.Error("FyneApp.toml lacks [Migrations] fyneDo = true")
	}
	// Relative to the repository root: make run finds it from there, and make
	// package makes it absolute in the copy it hands to fyne package.
	if !filepath.IsLocal(d.Icon) {
		t.Fatalf("FyneApp.toml Icon = %q, want a path inside the repository", d.Icon)
	}
	icon, err := os.ReadFile(filepath.Join(root, d.Icon))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(icon, assets.Icon.Content()) {
		t.Errorf("FyneApp.toml Icon %s differs from assets.Icon (assets/icon.png)", d.Icon)
	}
}
