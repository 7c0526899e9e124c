package proof

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The benchmarks of a process's first list (storage's and the app's) run
// their work in a fresh child process, so that its memory figures are its
// own: RunChild starts it, and the child reads its figures with PeakRSS,
// ResetPeakRSS and RSS.

// RunChild runs the test named test of the running test binary in a new
// process, with env added to the environment, and returns its standard
// output. It fails tb if the child fails.
func RunChild(tb testing.TB, test string, env ...string) []byte {
	tb.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^"+test+"$", "-test.count=1")
	cmd.Env = append(os.Environ(), env...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		tb.Fatalf("%s: %v: %s%s", test, err, out, stderr.String())
	}
	return out
}

// PeakRSS returns the peak resident set size of this process (VmHWM of
// /proc/self/status, Linux only) in MB. It may be called from any
// goroutine.
func PeakRSS() (float64, error) { return statusMB("VmHWM:") }

// RSS returns the resident set size of this process (VmRSS) in MB.
func RSS() (float64, error) { return statusMB("VmRSS:") }

// ResetPeakRSS sets the peak RSS back to the current RSS (Linux 4.0 and
// later), so that PeakRSS counts from here on. It may be called from any
// goroutine.
func ResetPeakRSS() error {
	if err := os.WriteFile("/proc/self/clear_refs", []byte("5"), 0); err != nil {
		return fmt.Errorf("reset peak RSS: %w", err)
	}
	return nil
}

// statusMB reads the field of /proc/self/status, given in kB, in MB.
func statusMB(field string) (float64, error) {
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, err
	}
	for line := range strings.Lines(string(status)) {
		if rest, ok := strings.CutPrefix(line, field); ok {
			kb, err := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(rest), " kB"))
			if err != nil {
				return 0, fmt.Errorf("%s %w", field, err)
			}
			return float64(kb) / 1000, nil
		}
	}
	return 0, fmt.Errorf("no %s in /proc/self/status", field)
}

// Median returns the median of vs, which it sorts.
func Median(vs []float64) float64 {
	slices.Sort(vs)
	return vs[len(vs)/2]
}

// CacheDir returns the directory name under LETAPIS_BENCH_CACHE (a
// temporary directory of tb when that is not set), calling build to make
// it first if it does not exist. build writes into the directory it is
// given, which is renamed to the returned one once build has returned, so
// that an interrupted build is not taken for a finished one. Benchmarks
// that need the same data pass the same name and share it within a `make
// bench` run.
func CacheDir(tb testing.TB, name string, build func(dir string)) string {
	tb.Helper()
	cache := os.Getenv("LETAPIS_BENCH_CACHE")
	if cache == "" {
		cache = tb.TempDir()
	}
	dir := filepath.Join(cache, name)
	if _, err := os.Stat(dir); err == nil {
		return dir
	}
	building := dir + ".building"
	if err := os.RemoveAll(building); err != nil {
		tb.Fatal(err)
	}
	build(building)
	if err := os.Rename(building, dir); err != nil {
		tb.Fatal(fmt.Errorf("keep %s: %w", name, err))
	}
	return dir
}

// LargeVaultDir returns the directory of the vault of n records that the
// benchmarks of the first list share (storage's and the app's) under
// LETAPIS_BENCH_CACHE, calling build to make it in dir first if need be,
// with the scrypt work factor that LETAPIS_BENCH_WORK_FACTOR sets (0, the
// production one, when it is not set).
func LargeVaultDir(tb testing.TB, n int, build func(dir string, workFactor int)) string {
	tb.Helper()
	wf := os.Getenv("LETAPIS_BENCH_WORK_FACTOR")
	return CacheDir(tb, fmt.Sprintf("unlock-vault-%d-%s", n, wf), func(dir string) {
		workFactor := 0
		if wf != "" {
			workFactor = EnvInt(tb, "LETAPIS_BENCH_WORK_FACTOR", 0)
		}
		build(dir, workFactor)
	})
}

// CPUTime returns the CPU time this process has used, user and system,
// on all its threads, from /proc/self/stat, in clock ticks of 10 ms.
func CPUTime() (time.Duration, error) {
	stat, err := os.ReadFile("/proc/self/stat")
	if err != nil {
		return 0, fmt.Errorf("read CPU time: %w", err)
	}
	// The fields after the command name, which is in parentheses: utime
	// and stime are the 12th and 13th of them.
	f := strings.Fields(string(stat[bytes.LastIndexByte(stat, ')')+1:]))
	if len(f) < 13 {
		return 0, fmt.Errorf("read CPU time: /proc/self/stat has %d fields after the name", len(f))
	}
	utime, err1 := strconv.Atoi(f[11])
	stime, err2 := strconv.Atoi(f[12])
	if err := errors.Join(err1, err2); err != nil {
		return 0, fmt.Errorf("read CPU time: %w", err)
	}
	return time.Duration(utime+stime) * 10 * time.Millisecond, nil
}
