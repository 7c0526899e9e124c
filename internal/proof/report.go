package proof

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// CountsEnv names the file in which tests append their counts when `make
// reliability` runs them (one JSON Check per line).
const CountsEnv = "LETAPIS_PROOF_COUNTS"

// Count is one figure of a reliability check. Zero, when set, says the
// count must be zero.
type Count struct {
	Name  string  `json:"name"`
	Value float64 `json:"value"`
	Zero  bool    `json:"zero,omitempty"`
}

// Check is what one reliability test reports.
type Check struct {
	Check   string  `json:"check"`
	Counts  []Count `json:"counts,omitempty"`
	Skipped string  `json:"skipped,omitempty"` // why the check did not run
}

// Report logs the counts of a reliability check and, when CountsEnv names
// a file, appends them there for the table of `make reliability`.
func Report(tb testing.TB, check string, counts ...Count) {
	tb.Helper()
	var b bytes.Buffer
	for _, c := range counts {
		fmt.Fprintf(&b, "; %s: %s", c.Name, strconv.FormatFloat(c.Value, 'f', -1, 64))
	}
	tb.Logf("%s%s", check, b.String())
	appendCheck(tb, Check{Check: check, Counts: counts})
}

// Skip reports that a reliability check cannot run here, and why, and
// skips the test.
func Skip(tb testing.TB, check, reason string) {
	tb.Helper()
	appendCheck(tb, Check{Check: check, Skipped: reason})
	tb.Skip(reason)
}

// appendCheck appends c to the file CountsEnv names, if any.
func appendCheck(tb testing.TB, c Check) {
	tb.Helper()
	path := os.Getenv(CountsEnv)
	if path == "" {
		return
	}
	line, err := json.Marshal(c)
	if err != nil {
		tb.Fatal(err)
	}
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
	if err != nil {
		tb.Fatalf("report counts: %v", err)
	}
	defer f.Close()
	if _, err := f.Write(append(line, '\n')); err != nil {
		tb.Fatalf("report counts: %v", err)
	}
}

// EnvInt returns the number in the environment variable name, or def when
// it is not set; it fails tb when the value is not a positive number.
func EnvInt(tb testing.TB, name string, def int) int {
	tb.Helper()
	s := os.Getenv(name)
	if s == "" {
		return def
	}
	n, err := strconv.Atoi(s)
	if err != nil || n <= 0 {
		tb.Fatalf("%s=%q is not a positive number", name, s)
	}
	return n
}

// EnvDuration returns the duration in the environment variable name, or
// def when it is not set.
func EnvDuration(tb testing.TB, name string, def time.Duration) time.Duration {
	tb.Helper()
	s := os.Getenv(name)
	if s == "" {
		return def
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		tb.Fatalf("%s=%q is not a positive duration such as 2m", name, s)
	}
	return d
}

// Hit is a needle found in a file.
type Hit struct{ Path, Needle string }

// Scan reads every regular file under each of dirs and returns where any
// of the needles occurs, and how many files it read. Missing directories
// are skipped.
func Scan(dirs []string, needles []string) (hits []Hit, files int, err error) {
	find := newNeedles(needles)
	for _, dir := range dirs {
		err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				if os.IsNotExist(err) {
					return nil
				}
				return err
			}
			if !d.Type().IsRegular() {
				return nil
			}
			data, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			files++
			for _, n := range find.in(data) {
				hits = append(hits, Hit{path, n})
			}
			return nil
		})
		if err != nil {
			return hits, files, fmt.Errorf("scan %s: %w", dir, err)
		}
	}
	return hits, files, nil
}

// ScanReport scans dirs for needles, fails tb on a hit, and returns the
// counts for Report: the files read and the hits.
func ScanReport(tb testing.TB, dirs []string, needles []string) []Count {
	tb.Helper()
	hits, files, err := Scan(dirs, needles)
	if err != nil {
		tb.Fatal(err)
	}
	for _, h := range hits {
		tb.Errorf("plaintext %q found in %s", h.Needle, h.Path)
	}
	return []Count{{Name: "files scanned for plaintext", Value: float64(files)}, {Name: "plaintext hits", Value: float64(len(hits)), Zero: true}}
}
