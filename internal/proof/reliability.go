package proof

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
)

// Settings are the lengths of `make reliability`, from RELIABILITY_*
// variables.
type Settings struct {
	KillCycles    string // RELIABILITY_KILL_CYCLES, kill -9 cycles per kind of work
	ProxyDuration string // RELIABILITY_PROXY_DURATION, how long the proxy injects faults
	FlipTrials    string // RELIABILITY_FLIP_TRIALS, damaged copies of a vault
	FuzzTime      string // RELIABILITY_FUZZTIME, -fuzztime of each fuzz target
}

// SettingsFrom reads the settings, with the defaults of the long run.
func SettingsFrom(getenv func(string) string) Settings {
	return Settings{
		KillCycles:    or(getenv("RELIABILITY_KILL_CYCLES"), "200"),
		ProxyDuration: or(getenv("RELIABILITY_PROXY_DURATION"), "2m"),
		FlipTrials:    or(getenv("RELIABILITY_FLIP_TRIALS"), "300"),
		FuzzTime:      or(getenv("RELIABILITY_FUZZTIME"), "1m"),
	}
}

func (s Settings) env() []string {
	return []string{"RELIABILITY_KILL_CYCLES=" + s.KillCycles, "RELIABILITY_PROXY_DURATION=" + s.ProxyDuration,
		"RELIABILITY_FLIP_TRIALS=" + s.FlipTrials}
}

// ReliabilityTests are the tests `make reliability` runs: a package and
// a -run pattern. The checks they report are Expected.
var ReliabilityTests = [][2]string{
	{"./storage", "^(TestKill9LosesNoSavedRecord|TestKill9DuringImportLosesNoRecord|TestRealDiskFull|TestStoreFileByteFlips|TestNoPlaintextInVaultOrTempDir|TestKill9DuringPurgeLeavesAVault|TestKill9DuringPassphraseChangeLeavesAVault|TestSeizedExt4Disk.*)$"},
	{"./sync/engine", "^(TestKill9DuringSync|TestConvergesThroughFaults)$"},
	{"./sync/relay", "^TestRelayKeepsNothingReadable$"},
}

// Expected are the checks the reliability tests report (see Report).
var Expected = []string{
	"kill -9 during saves", "kill -9 during imports", "kill -9 during sync",
	"fault-injecting proxy, three devices", "disk full on a 160 MB tmpfs",
	"byte flips in store files and key file",
	"kill -9 during purge key changes", "kill -9 during passphrase key changes",
	"seized ext4 disk after a wipe", "seized ext4 disk after a passphrase change",
	"seized ext4 disk after the move of key.age", "seized ext4 disk after purges",
}

// leftoverText matches the texts the reliability tests save, for the scan
// of what they leave in the temporary directory.
var leftoverText = regexp.MustCompile(`(save|synced note) \d+ of pid \d+|seen by device \d+, visit \d+|note \d+ of the device that stays|flip test [0-9a-f]+ note`)

// ReliabilityMain is `letapis-proof reliability`: it runs the reliability
// tests with the long settings and every fuzz target, in a temporary
// directory of its own, and prints the table of counts to out.
func ReliabilityMain(ctx context.Context, out, log io.Writer, getenv func(string) string) error {
	set := SettingsFrom(getenv)
	tmp, err := os.MkdirTemp("", "letapis-reliability-")
	if err != nil {
		return fmt.Errorf("reliability: %w", err)
	}
	defer os.RemoveAll(tmp)
	counts := filepath.Join(tmp, "counts.jsonl")
	work := filepath.Join(tmp, "tmp")
	if err := os.Mkdir(work, 0o700); err != nil {
		return fmt.Errorf("reliability: %w", err)
	}
	d := &Driver{Go: or(getenv("GO"), "go"), Dir: ".", Log: log, Env: append(set.env(), CountsEnv+"="+counts, "TMPDIR="+work)}
	before := Machine()
	start := time.Now()
	var failed []string
	for _, r := range ReliabilityTests {
		args := []string{"test", "-count=1", "-v", "-timeout=3h", "-run=" + r[1], r[0]}
		if _, err := d.goTest(ctx, args, nil); err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			failed = append(failed, fmt.Sprintf("go test %s: %v", r[0], err))
		}
	}
	fuzz, err := d.fuzzAll(ctx, set.FuzzTime)
	if err != nil {
		return err
	}
	checks, err := readChecks(counts)
	if err != nil {
		return err
	}
	checks = append(checks, fuzz)
	leftovers, hits, err := scanLeftovers(work)
	if err != nil {
		return err
	}
	checks = append(checks, plaintextCheck(checks, leftovers, hits))

	fmt.Fprintf(out, "\nLetapis reliability (docs/ARCHITECTURE.md, Proof), %s\n", time.Now().UTC().Format("2006-01-02 15:04 MST"))
	fmt.Fprintf(out, "machine: %s at the start, %s at the end\n", before, LoadAverage())
	fmt.Fprintf(out, "settings: RELIABILITY_KILL_CYCLES=%s RELIABILITY_PROXY_DURATION=%s RELIABILITY_FLIP_TRIALS=%s RELIABILITY_FUZZTIME=%s; took %v\n\n",
		set.KillCycles, set.ProxyDuration, set.FlipTrials, set.FuzzTime, time.Since(start).Round(time.Second))
	bad := WriteChecks(out, checks, Expected)
	for _, f := range failed {
		fmt.Fprintln(out, "FAILED:", f)
	}
	if bad > 0 || len(failed) > 0 {
		return fmt.Errorf("%d counts that must be zero are not, or checks did not report; %d test runs failed", bad, len(failed))
	}
	fmt.Fprintln(out, "\nEvery count that must be zero is zero.")
	return nil
}

// readChecks reads the counts the tests appended to path.
func readChecks(path string) ([]Check, error) {
	data, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read the tests' counts: %w", err)
	}
	var checks []Check
	for line := range strings.Lines(string(data)) {
		var c Check
		if err := json.Unmarshal([]byte(line), &c); err != nil {
			return nil, fmt.Errorf("read the tests' counts: %w", err)
		}
		checks = append(checks, c)
	}
	return checks, nil
}

// plaintextCheck adds up the plaintext scans of the checks, and the scan
// of the files the tests left in the temporary directory.
func plaintextCheck(checks []Check, leftovers, leftoverHits int) Check {
	var files, hits float64
	for _, c := range checks {
		for _, n := range c.Counts {
			switch n.Name {
			case "files scanned for plaintext":
				files += n.Value
			case "plaintext hits":
				hits += n.Value
			}
		}
	}
	return Check{Check: "plaintext scan of every vault, relay and temp directory touched", Counts: []Count{
		{Name: "files of vaults and relays scanned (by the checks above)", Value: files},
		{Name: "hits in them", Value: hits, Zero: true},
		{Name: "files left in the tests' temp directory", Value: float64(leftovers)},
		{Name: "hits in those", Value: float64(leftoverHits), Zero: true},
	}}
}

// scanLeftovers reads every file under dir, where the tests' temporary
// directories were, and counts the files and those holding a text the
// tests saved.
func scanLeftovers(dir string) (files, hits int, err error) {
	err = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		files++
		if leftoverText.Match(data) {
			hits++
		}
		return nil
	})
	if err != nil {
		return 0, 0, fmt.Errorf("scan the tests' temp directory: %w", err)
	}
	return files, hits, nil
}

// WriteChecks prints the checks as a Markdown table, with a row for each
// expected check that did not report, and returns how many counts that
// must be zero are not, plus the missing checks.
func WriteChecks(w io.Writer, checks []Check, expected []string) int {
	bad := 0
	tw := tabwriter.NewWriter(w, 0, 0, 1, ' ', 0)
	fmt.Fprintln(tw, "| check\t| count\t| value\t| must be\t| verdict\t|")
	fmt.Fprintln(tw, "|---\t|---\t|---\t|---\t|---\t|")
	seen := map[string]bool{}
	for _, c := range checks {
		seen[c.Check] = true
		if c.Skipped != "" {
			fmt.Fprintf(tw, "| %s\t| skipped\t| —\t| —\t| %s\t|\n", c.Check, c.Skipped)
			continue
		}
		for _, n := range c.Counts {
			must, verdict := "", ""
			if n.Zero {
				must, verdict = "0", "ok"
				if n.Value != 0 {
					verdict = "FAILED"
					bad++
				}
			}
			fmt.Fprintf(tw, "| %s\t| %s\t| %s\t| %s\t| %s\t|\n", c.Check, n.Name, strconv.FormatFloat(n.Value, 'f', -1, 64), must, verdict)
		}
	}
	for _, e := range expected {
		if !seen[e] {
			fmt.Fprintf(tw, "| %s\t| no report: the test crashed or failed before counting\t| —\t| —\t| FAILED\t|\n", e)
			bad++
		}
	}
	tw.Flush()
	return bad
}

// FuzzTarget is a fuzz function and the package directory it is in.
type FuzzTarget struct{ Dir, Name string }

var fuzzFunc = regexp.MustCompile(`(?m)^func (Fuzz[A-Za-z0-9_]*)\(`)

// FuzzTargets finds every fuzz target under root, as the Makefile's
// fuzz_all does: `func FuzzXxx(` at the start of a line of a _test.go
// file, testdata and hidden directories left out.
func FuzzTargets(root string) ([]FuzzTarget, error) {
	var ts []FuzzTarget
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if path != root && (d.Name() == "testdata" || strings.HasPrefix(d.Name(), ".") || d.Name() == "bin") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, "_test.go") {
			return nil
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, m := range fuzzFunc.FindAllSubmatch(src, -1) {
			ts = append(ts, FuzzTarget{Dir: "./" + filepath.ToSlash(filepath.Dir(path)), Name: string(m[1])})
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("find fuzz targets: %w", err)
	}
	return ts, nil
}

// execsLine is the progress line the fuzzer prints.
var execsLine = regexp.MustCompile(`fuzz: elapsed: \S+, execs: (\d+)`)

// fuzzAll runs every fuzz target for fuzztime and counts them, their
// inputs, and the crashes: runs that failed with a failing input. A run
// that ended only with Go's "context deadline exceeded" (golang/go#75804)
// is counted apart.
func (d *Driver) fuzzAll(ctx context.Context, fuzztime string) (Check, error) {
	ts, err := FuzzTargets(d.Dir)
	if err != nil {
		return Check{}, err
	}
	var execs, crashes, deadline int
	for _, t := range ts {
		out, err := d.goTest(ctx, []string{"test", "-run=NONE", "-fuzz=^" + t.Name + "$", "-fuzztime=" + fuzztime, t.Dir}, nil)
		if ctx.Err() != nil {
			return Check{}, ctx.Err()
		}
		last := 0
		sc := bufio.NewScanner(bytes.NewReader(out))
		for sc.Scan() {
			if m := execsLine.FindStringSubmatch(sc.Text()); m != nil {
				last, _ = strconv.Atoi(m[1])
			}
		}
		execs += last
		switch {
		case err == nil:
		case bytes.Contains(out, []byte("context deadline exceeded")) && !bytes.Contains(out, []byte("Failing input written to")):
			deadline++
		default:
			crashes++
		}
	}
	return Check{Check: "every fuzz target for " + fuzztime, Counts: []Count{
		{Name: "targets", Value: float64(len(ts))},
		{Name: "inputs run", Value: float64(execs)},
		{Name: "runs ended by Go's fuzzing deadline bug (golang/go#75804), not a crash", Value: float64(deadline)},
		{Name: "crashes", Value: float64(crashes), Zero: true},
	}}, nil
}
