package storage

import (
	"bufio"
	"errors"
	"fmt"
	"math"
	mrand "math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/letapis/letapis/internal/proof"
	"github.com/letapis/letapis/storage/keyfile"
	"github.com/letapis/letapis/storage/record"
)

// Environment of the child processes of the kill -9 tests: the vault
// directory, and "save" or "import".
const (
	saverEnv     = "LETAPIS_TEST_SAVER_VAULT"
	saverModeEnv = "LETAPIS_TEST_SAVER_MODE"
)

// otherPassphrase is the passphrase the child of mode "passphrase"
// changes testPassphrase to and back.
const otherPassphrase = "a second passphrase for the kill test"

// openEither unlocks the vault in dir with testPassphrase or, failing
// that, otherPassphrase, and returns it and the passphrase that opened it.
func openEither(dir string) (*Vault, string, error) {
	v, err := Open(dir, testPassphrase, testOptions)
	if errors.Is(err, ErrWrongPassphrase) {
		v, err = Open(dir, otherPassphrase, testOptions)
		return v, otherPassphrase, err
	}
	return v, testPassphrase, err
}

// TestSaverChild is not a test on its own: run as a child process, it
// saves notes in a loop, one by one (mode "save"; "purge" purges after
// each, "passphrase" changes the passphrase after each) or in batches of
// 50 (mode "import"), and prints "id text" for each save that returned. It
// exits with status 3 when the vault does not open.
func TestSaverChild(t *testing.T) {
	dir := os.Getenv(saverEnv)
	if dir == "" {
		t.Skip("runs only as the child of the kill -9 tests")
	}
	v, pass, err := openEither(dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(3)
	}
	mode := os.Getenv(saverModeEnv)
	batch := 1
	if mode == "import" {
		batch = 50
	}
	for i := 0; ; i += batch {
		bodies := make([]record.Body, batch)
		for j := range bodies {
			bodies[j] = &record.Note{Text: fmt.Sprintf("save %d of pid %d", i+j, os.Getpid())}
		}
		var saved []*Record
		if batch == 1 {
			var r *Record
			r, err = v.Add(bodies[0])
			saved = []*Record{r}
		} else {
			saved, err = v.Import(bodies)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(4)
		}
		// Written only after the save returned: the save is reported done.
		w := bufio.NewWriter(os.Stdout)
		for j, r := range saved {
			fmt.Fprintf(w, "%s %s\n", r.ID, bodies[j].(*record.Note).Text)
		}
		w.Flush()
		switch mode {
		case "purge":
			err = v.Purge()
		case "passphrase":
			pass = map[string]string{testPassphrase: otherPassphrase, otherPassphrase: testPassphrase}[pass]
			err = v.ChangePassphrase(pass)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(4)
		}
	}
}

// TestKill9LosesNoSavedRecord kills a process that is saving records one
// by one with SIGKILL at random moments and checks that every save it
// reported is there after reopening.
func TestKill9LosesNoSavedRecord(t *testing.T) { testKill9(t, "save") }

// TestKill9DuringImportLosesNoRecord does the same to bulk imports.
func TestKill9DuringImportLosesNoRecord(t *testing.T) { testKill9(t, "import") }

// TestKill9DuringPurgeLeavesAVault kills a process that saves a record and
// purges, over and over: after each kill the vault opens with every record
// reported saved, one intact key slot and one store generation.
func TestKill9DuringPurgeLeavesAVault(t *testing.T) { testKill9KeyChange(t, "purge") }

// TestKill9DuringPassphraseChangeLeavesAVault does the same to a process
// that changes the passphrase back and forth: the vault opens with one of
// the two, and its key slots then open with that one only.
func TestKill9DuringPassphraseChangeLeavesAVault(t *testing.T) { testKill9KeyChange(t, "passphrase") }

// testKill9KeyChange kills a child saving in mode (a key change after each
// save) RELIABILITY_KILL_CYCLES times (default 8), each time after a random
// time up to 300 ms from its first save, and after each kill reads the key
// slots raw (both intact means the kill fell between the write of the new
// slot and the overwrite of the old one) and unlocks the vault.
func testKill9KeyChange(t *testing.T, mode string) {
	if runtime.GOOS == "windows" {
		t.Skip("needs SIGKILL")
	}
	cycles := proof.EnvInt(t, "RELIABILITY_KILL_CYCLES", 8)
	v := newVault(t)
	dir := v.Dir()
	v.Close()
	dice := mrand.New(mrand.NewPCG(uint64(time.Now().UnixNano()), 13))
	reported := map[string]string{}
	failedOpens, lost, midSwitch := 0, 0, 0
	for range cycles {
		lines, status := proof.KillChild(t, "TestSaverChild", false, time.Duration(dice.Int64N(int64(300*time.Millisecond))),
			saverEnv+"="+dir, saverModeEnv+"="+mode)
		if status == 3 {
			failedOpens++
		}
		for _, line := range lines {
			id, text, _ := strings.Cut(line, " ")
			reported[id] = text
		}
		if slots, err := keyfile.ParseSlots(readSlots(t, dir)); err == nil && len(slots) == 2 {
			midSwitch++
		}
		w, pass, err := openEither(dir)
		if err != nil {
			failedOpens++
			t.Errorf("unlock after kill -9: %v", err)
			continue
		}
		lost += checkKeyChangeSurvivors(t, w, pass, mode, reported)
		w.Close()
	}
	proof.Report(t, "kill -9 during "+mode+" key changes",
		proof.Count{Name: "kills", Value: float64(cycles)},
		proof.Count{Name: "kills between the two slot writes", Value: float64(midSwitch)},
		proof.Count{Name: "saves reported", Value: float64(len(reported))},
		proof.Count{Name: "saved records lost", Value: float64(lost), Zero: true},
		proof.Count{Name: "failed reopenings", Value: float64(failedOpens), Zero: true})
	if lost > 0 || failedOpens > 0 {
		t.Errorf("%d saved records lost, %d failed reopenings", lost, failedOpens)
	}
}

// checkKeyChangeSurvivors checks the vault w, just unlocked with pass
// after a kill: one intact key slot, which the other passphrase does not
// open, one store generation, and every record of reported. It returns
// the number of records lost.
func checkKeyChangeSurvivors(t *testing.T, w *Vault, pass, mode string, reported map[string]string) int {
	t.Helper()
	data := readSlots(t, w.Dir())
	if slots, err := keyfile.ParseSlots(data); err != nil || len(slots) != 1 {
		t.Errorf("after the unlock %d key slots are intact (%v), want 1", len(slots), err)
	}
	if mode == "passphrase" {
		other := map[string]string{testPassphrase: otherPassphrase, otherPassphrase: testPassphrase}[pass]
		if _, _, _, err := keyfile.DecodeSlots(data, other); !errors.Is(err, keyfile.ErrWrongPassphrase) {
			t.Errorf("after unlocking with one passphrase the key slots answer the other with %v, want a wrong passphrase", err)
		}
	}
	if gens, _ := os.ReadDir(filepath.Join(w.Dir(), dbDirName)); len(gens) != 1 {
		t.Errorf("%d store generations after the unlock, want 1", len(gens))
	}
	lost := 0
	for id, text := range reported {
		r, err := w.Get(id)
		if err != nil {
			lost++
			continue
		}
		if b, err := r.Decode(); err != nil || b.(*record.Note).Text != text {
			t.Errorf("record %s reads %v, %v; want %q", id, b, err, text)
		}
	}
	return lost
}

// testKill9 kills a child that saves in mode at random moments
// (proof.KillCycles), RELIABILITY_KILL_CYCLES times (default 3). A child
// that cannot open the vault counts as a failed reopening.
func testKill9(t *testing.T, mode string) {
	if runtime.GOOS == "windows" {
		t.Skip("needs SIGKILL")
	}
	cycles := proof.EnvInt(t, "RELIABILITY_KILL_CYCLES", 3)
	v := newVault(t)
	dir := v.Dir()
	v.Close()
	reported, failedOpens := proof.KillCycles(t, "TestSaverChild", cycles, 600*time.Millisecond, saverEnv+"="+dir, saverModeEnv+"="+mode)

	w, err := Open(dir, testPassphrase, testOptions)
	if err != nil {
		failedOpens++
		proof.Report(t, "kill -9 during "+mode+"s", proof.Count{Name: "failed reopenings", Value: float64(failedOpens), Zero: true})
		t.Fatalf("reopen after kill -9: %v", err)
	}
	defer w.Close()
	lost, wrong := 0, 0
	needles := make([]string, 0, len(reported))
	for id, text := range reported {
		needles = append(needles, text)
		r, err := w.Get(id)
		if err != nil {
			lost++
			continue
		}
		b, err := r.Decode()
		if err != nil || b.(*record.Note).Text != text {
			wrong++
			t.Errorf("record %s reads %v, %v; want %q", id, b, err, text)
		}
	}
	if lost > 0 || failedOpens > 0 {
		t.Errorf("%d of %d reported saves lost after kill -9, %d failed reopenings", lost, len(reported), failedOpens)
	}
	w.Close()
	counts := []proof.Count{
		{Name: "kills", Value: float64(cycles)},
		{Name: "saves reported", Value: float64(len(reported))},
		{Name: "saved records lost", Value: float64(lost), Zero: true},
		{Name: "saved records wrong", Value: float64(wrong), Zero: true},
		{Name: "failed reopenings", Value: float64(failedOpens), Zero: true},
	}
	proof.Report(t, "kill -9 during "+mode+"s", append(counts, proof.ScanReport(t, []string{dir}, needles)...)...)
}

// TestEmptyLogsLeftByAKillDoNotStopUnlock leaves the empty memtable log
// and value log that a process killed right after creating them leaves
// behind (Badger refuses such a store: dgraph-io/badger issue 2207), and
// checks that the vault unlocks, read-write and read-only, with every
// record.
func TestEmptyLogsLeftByAKillDoNotStopUnlock(t *testing.T) {
	for _, readOnly := range []bool{false, true} {
		t.Run(fmt.Sprintf("readOnly=%v", readOnly), func(t *testing.T) {
			v := newVault(t)
			recs, err := v.Import([]record.Body{&record.Note{Text: "kept across the kill"}})
			if err != nil {
				t.Fatal(err)
			}
			dir := v.Dir()
			v.Close()
			s := testSecrets(t, dir)
			db := storeDir(dir, s.StoreGeneration)
			for _, name := range []string{"00099.mem", "000099.vlog"} {
				if err := os.WriteFile(filepath.Join(db, name), nil, 0o600); err != nil {
					t.Fatal(err)
				}
			}
			opts := testOptions
			if readOnly {
				opts.MinFreeBytes = math.MaxInt64 // as on a nearly full disk
			}
			w, err := Open(dir, testPassphrase, opts)
			if err != nil {
				t.Fatalf("unlock with empty logs left by a kill: %v", err)
			}
			defer w.Close()
			if _, err := w.Get(recs[0].ID); err != nil {
				t.Errorf("the record saved before: %v", err)
			}
		})
	}
}
