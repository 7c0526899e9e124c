package safefile

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

const secret = "decrypted testimony: the witness saw the beating"

func writeSecret(w io.Writer) error {
	_, err := io.WriteString(w, secret)
	return err
}

// plantVictim makes a file the attacker wants overwritten and a link to
// it at target.
func plantVictim(t *testing.T, dir, target string) string {
	t.Helper()
	victim := filepath.Join(t.TempDir(), "victim")
	if err := os.WriteFile(victim, []byte("the victim's own content"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(victim, target); err != nil {
		t.Skipf("cannot make a symbolic link here: %v", err)
	}
	return victim
}

func checkVictim(t *testing.T, victim string) {
	t.Helper()
	b, err := os.ReadFile(victim)
	if err != nil || string(b) != "the victim's own content" {
		t.Fatalf("the file the link points to was changed: %q, %v", b, err)
	}
}

// onlyFiles fails unless dir holds exactly the named entries.
func onlyFiles(t *testing.T, dir string, names ...string) {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(es) != len(names) {
		var got []string
		for _, e := range es {
			got = append(got, e.Name())
		}
		t.Fatalf("folder holds %q, want %q", got, names)
	}
	for i, e := range es {
		if e.Name() != names[i] {
			t.Fatalf("folder holds %q, want %q", e.Name(), names[i])
		}
	}
}

func TestWriteRefusesSymlinkAtTarget(t *testing.T) {
	for _, overwrite := range []bool{false, true} {
		dir := t.TempDir()
		target := filepath.Join(dir, "copy.ogg")
		victim := plantVictim(t, dir, target)
		err := Write(target, overwrite, writeSecret)
		if !errors.Is(err, ErrSymlink) {
			t.Fatalf("overwrite=%v: err = %v, want ErrSymlink", overwrite, err)
		}
		checkVictim(t, victim)
		onlyFiles(t, dir, "copy.ogg") // the link, and no temporary file
	}
}

func TestWriteRefusesSymlinkPlantedWhileWriting(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "copy.ogg")
	var victim string
	err := Write(target, true, func(w io.Writer) error {
		victim = plantVictim(t, dir, target)
		return writeSecret(w)
	})
	if !errors.Is(err, ErrSymlink) {
		t.Fatalf("err = %v, want ErrSymlink", err)
	}
	checkVictim(t, victim)
	onlyFiles(t, dir, "copy.ogg")
}

func TestWriteKeepsExistingFileUnlessOverwrite(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "copy.ogg")
	if err := os.WriteFile(target, []byte("kept"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := Write(target, false, writeSecret); !errors.Is(err, fs.ErrExist) {
		t.Fatalf("err = %v, want fs.ErrExist", err)
	}
	if b, _ := os.ReadFile(target); string(b) != "kept" {
		t.Fatalf("existing file changed to %q", b)
	}
	if err := Write(target, true, writeSecret); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(target)
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(target); string(b) != secret {
		t.Fatalf("target holds %q", b)
	}
	if perm := st.Mode().Perm(); perm != 0o600 && os.PathSeparator == '/' {
		t.Fatalf("copy has mode %o, want 600", perm)
	}
	onlyFiles(t, dir, "copy.ogg")
}

func TestWriteFailureLeavesNothing(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "copy.ogg")
	boom := errors.New("boom")
	err := Write(target, false, func(w io.Writer) error {
		if err := writeSecret(w); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v", err)
	}
	onlyFiles(t, dir)
}

// A file or link that already has the chosen temporary name is never
// opened: another name is taken and the planted ones stay as they were.
func TestCreateTempNeverReusesAnExistingName(t *testing.T) {
	dir := t.TempDir()
	planted := filepath.Join(dir, ".x.partial-a")
	if err := os.WriteFile(planted, []byte("planted"), 0o644); err != nil {
		t.Fatal(err)
	}
	victim := plantVictim(t, dir, filepath.Join(dir, ".x.partial-b"))
	names := []string{"a", "b", "c"}
	next := func() string { n := names[0]; names = names[1:]; return n }
	f, err := createTemp(dir, ".x.partial-", next)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if f.Name() != filepath.Join(dir, ".x.partial-c") {
		t.Fatalf("temporary file is %s, want the first free name", f.Name())
	}
	if err := writeSecret(f); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(planted); string(b) != "planted" {
		t.Fatalf("pre-existing file was reused: %q", b)
	}
	checkVictim(t, victim)
	st, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	if perm := st.Mode().Perm(); perm != 0o600 && os.PathSeparator == '/' {
		t.Fatalf("temporary file has mode %o, want 600", perm)
	}

	taken := func() string { return "a" }
	if _, err := createTemp(dir, ".x.partial-", taken); err == nil {
		t.Fatal("createTemp succeeded although every name was taken")
	}
	if _, err := openExclusive(planted); !errors.Is(err, fs.ErrExist) {
		t.Fatalf("openExclusive of an existing file: %v, want fs.ErrExist", err)
	}
}
