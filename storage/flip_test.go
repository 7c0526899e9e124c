package storage

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/letapis/letapis/internal/proof"
	"github.com/letapis/letapis/storage/record"
	"github.com/letapis/letapis/storage/synth"
)

// TestStoreFileByteFlips damages a closed vault's files, one copy per
// trial (RELIABILITY_FLIP_TRIALS, default 12): it flips one to four bytes
// at random places in one of Badger's value log, table, MANIFEST or
// KEYREGISTRY files, in the table checksums (tablesums.go) or in key.age,
// taking the files in turn (every other time a table's without its
// recorded checksum), then unlocks the copy and reads every record. Each
// trial must end in an error (on unlock or on reading) or in exactly the
// records that were saved: never a panic, never a record that reads
// differently or goes missing from the list without an error. A copy
// that unlocks then gets more records and is locked, which lets Badger
// compact its tables, and unlocked again: every record it read before
// must still read the same, or the damage be reported. A failing trial
// is logged with the file and its flips (offset^value).
func TestStoreFileByteFlips(t *testing.T) {
	trials := proof.EnvInt(t, "RELIABILITY_FLIP_TRIALS", 12)
	v := newVault(t)
	gen := synth.New(uint64(time.Now().UnixNano()))
	tag := NewID()[:10]
	want := map[string][]byte{}
	var bodies []record.Body
	for i := range 60 {
		var b record.Body = gen.Person()
		if i%3 == 0 {
			b = &record.Note{Text: fmt.Sprintf("flip test %s note %d: %s", tag, i, gen.TestimonyText(256, 2048))}
		}
		bodies = append(bodies, b)
	}
	for _, b := range bodies[:20] { // saved one by one, then in bulk
		r := mustAdd(t, v, b)
		want[r.ID] = r.Body
	}
	saved, err := v.Import(bodies[20:])
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range saved {
		want[r.ID] = r.Body
	}
	dir := v.Dir()
	v.Close()
	targets := damageTargets(t, dir)

	dice := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 3))
	tally := map[string]int{}
	for i := range trials {
		target := targets[i%len(targets)]
		copyDir := filepath.Join(t.TempDir(), "vault")
		if err := os.CopyFS(copyDir, os.DirFS(dir)); err != nil {
			t.Fatal(err)
		}
		if filepath.Ext(target) == ".sst" && i/len(targets)%2 == 1 {
			// Every other time, as if the session that wrote the table
			// had been killed before recording its checksum: unlock
			// then reads it block by block.
			if err := os.Remove(filepath.Join(copyDir, filepath.Dir(target), tableSumsName)); err != nil {
				t.Fatal(err)
			}
		}
		flips := flipBytes(t, filepath.Join(copyDir, target), 1+dice.IntN(4), dice)
		outcome, detail := readDamaged(copyDir, want)
		tally[outcome]++
		if outcome == "panic" || outcome == "silently wrong" {
			t.Errorf("trial %d, %s damaged at %v: %s: %s", i, target, flips, outcome, detail)
		}
		if outcome == "intact" || outcome == "reported on reading" {
			outcome, detail = relockDamaged(copyDir, want, fmt.Sprintf("flip test %s note after trial %d", tag, i))
			tally[outcome]++
			if outcome == "panic after relock" || outcome == "silently lost after relock" {
				t.Errorf("trial %d, %s damaged at %v: %s: %s", i, target, flips, outcome, detail)
			}
		}
		os.RemoveAll(copyDir)
	}
	t.Logf("damaged files in turn: %s", strings.Join(targets, ", "))
	counts := []proof.Count{
		{Name: "trials", Value: float64(trials)},
		{Name: "damage refused at unlock", Value: float64(tally["refused at unlock"])},
		{Name: "damage reported on reading", Value: float64(tally["reported on reading"])},
		{Name: "all records intact", Value: float64(tally["intact"])},
		{Name: "panics", Value: float64(tally["panic"]), Zero: true},
		{Name: "silently wrong", Value: float64(tally["silently wrong"]), Zero: true},
		{Name: "unlocked, then saved, locked, unlocked: records kept", Value: float64(tally["kept after relock"])},
		{Name: "unlocked, then saved, locked, unlocked: damage reported", Value: float64(tally["reported after relock"])},
		{Name: "panics after relock", Value: float64(tally["panic after relock"]), Zero: true},
		{Name: "records silently lost after relock", Value: float64(tally["silently lost after relock"]), Zero: true},
	}
	proof.Report(t, "byte flips in store files and key file", append(counts, proof.ScanReport(t, []string{dir}, []string{tag})...)...)
}

// damageTargets lists the files of a closed vault that TestStoreFileByteFlips
// damages, relative to dir.
func damageTargets(t *testing.T, dir string) []string {
	var targets []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		name := d.Name()
		ext := filepath.Ext(name)
		if ext == ".vlog" || ext == ".sst" || strings.HasPrefix(name, "MANIFEST") || name == "KEYREGISTRY" || name == tableSumsName || name == keyFileName {
			rel, _ := filepath.Rel(dir, path)
			targets = append(targets, rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(targets) < 4 {
		t.Fatalf("found only %v to damage in the vault", targets)
	}
	return targets
}

// flipBytes XORs n bytes at random offsets of the file at path with
// random non-zero values, and returns them as offset^value.
func flipBytes(t *testing.T, path string, n int, dice *rand.Rand) []string {
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(data) == 0 {
		t.Fatalf("%s is empty", path)
	}
	var flips []string
	for range n {
		at, x := dice.IntN(len(data)), byte(1+dice.IntN(255))
		data[at] ^= x
		flips = append(flips, fmt.Sprintf("%d^%#x", at, x))
	}
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return flips
}

// readDamaged unlocks the vault in dir and reads every record of want,
// directly and in the list, and says how that ended: "refused at
// unlock", "reported on reading", "intact", "silently wrong" (a record
// reads differently, or the list misses or adds one, without an error)
// or "panic", with a detail.
func readDamaged(dir string, want map[string][]byte) (outcome, detail string) {
	defer func() {
		if p := recover(); p != nil {
			outcome, detail = "panic", fmt.Sprint(p)
		}
	}()
	v, err := Open(dir, testPassphrase, testOptions)
	if err != nil {
		return "refused at unlock", err.Error()
	}
	defer v.Close()
	var reported []string
	readable := map[string]bool{}
	for id, body := range want {
		r, err := v.Get(id)
		if err != nil {
			reported = append(reported, err.Error())
			continue
		}
		if !bytes.Equal(r.Body, body) {
			return "silently wrong", "record " + id + " reads differently"
		}
		readable[id] = true
	}
	listed := map[string]bool{}
	if err := v.List("", func(s Summary) bool { listed[s.ID] = true; return true }); err != nil {
		reported = append(reported, err.Error())
	} else {
		for id := range readable {
			if !listed[id] {
				return "silently wrong", "record " + id + " reads but is missing from the list"
			}
		}
		for id := range listed {
			if want[id] == nil {
				return "silently wrong", "the list shows record " + id + " that was never saved"
			}
		}
	}
	if len(reported) > 0 {
		return "reported on reading", reported[0]
	}
	return "intact", ""
}

// relockDamaged unlocks the damaged vault in dir that readDamaged could
// unlock, notes which records of want read as saved, saves a few notes
// (text, numbered), locks it, and unlocks it again. It says how that
// ended: "kept after relock" (each record read before reads the same and
// is listed), "reported after relock" (an error on the way, or on
// reading one of them), "silently lost after relock" (one of them no
// longer reads or is listed, without an error) or "panic after relock".
func relockDamaged(dir string, want map[string][]byte, text string) (outcome, detail string) {
	defer func() {
		if p := recover(); p != nil {
			outcome, detail = "panic after relock", fmt.Sprint(p)
		}
	}()
	v, err := Open(dir, testPassphrase, testOptions)
	if err != nil {
		return "reported after relock", err.Error()
	}
	kept := map[string][]byte{}
	for id, body := range want {
		if r, err := v.Get(id); err == nil && bytes.Equal(r.Body, body) {
			kept[id] = body
		}
	}
	var notes []record.Body
	for i := range 40 {
		notes = append(notes, &record.Note{Text: fmt.Sprintf("%s, %d", text, i)})
	}
	_, err = v.Import(notes)
	if cerr := v.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return "reported after relock", err.Error()
	}
	if v, err = Open(dir, testPassphrase, testOptions); err != nil {
		return "reported after relock", err.Error()
	}
	defer v.Close()
	listed := map[string]bool{}
	if err := v.List("", func(s Summary) bool { listed[s.ID] = true; return true }); err != nil {
		return "reported after relock", err.Error()
	}
	for id, body := range kept {
		r, err := v.Get(id)
		switch {
		case errors.Is(err, ErrNotFound):
			return "silently lost after relock", "record " + id + " is gone"
		case err != nil:
			return "reported after relock", err.Error()
		case !bytes.Equal(r.Body, body):
			return "silently lost after relock", "record " + id + " reads differently"
		case !listed[id]:
			return "silently lost after relock", "record " + id + " is missing from the list"
		}
	}
	return "kept after relock", ""
}
