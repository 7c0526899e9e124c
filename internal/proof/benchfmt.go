package proof

import (
	"bufio"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// Results holds the values each benchmark reported, per unit, one value
// per run. A benchmark is named "package BenchmarkName/sub" with the
// GOMAXPROCS suffix dropped.
type Results map[string]map[string][]float64

// procsSuffix is the "-N" that go test appends to a benchmark's name.
var procsSuffix = regexp.MustCompile(`-\d+$`)

// ParseBench reads the standard output of `go test -bench`: "pkg:" lines
// name the package of the benchmark lines that follow, and each benchmark
// line is a name, an iteration count, and pairs of value and unit. Other
// lines (logs, PASS, ok) are ignored.
func ParseBench(r io.Reader, into Results) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	pkg := ""
	for sc.Scan() {
		line := sc.Text()
		if p, ok := strings.CutPrefix(line, "pkg: "); ok {
			pkg = strings.TrimSpace(p)
			continue
		}
		f := strings.Fields(line)
		if len(f) < 4 || !strings.HasPrefix(f[0], "Benchmark") || len(f)%2 != 0 {
			continue
		}
		if _, err := strconv.ParseInt(f[1], 10, 64); err != nil {
			continue
		}
		name := pkg + " " + procsSuffix.ReplaceAllString(f[0], "")
		for i := 2; i+1 < len(f); i += 2 {
			v, err := strconv.ParseFloat(f[i], 64)
			if err != nil {
				return fmt.Errorf("benchmark line %q: value %q: %w", line, f[i], err)
			}
			if into[name] == nil {
				into[name] = map[string][]float64{}
			}
			into[name][f[i+1]] = append(into[name][f[i+1]], v)
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("read benchmark output: %w", err)
	}
	return nil
}

// Median returns the median of the values bench reported in unit, and
// how many runs reported it. ok is false when none did.
func (r Results) Median(bench, unit string) (median float64, runs int, ok bool) {
	vs := slices.Clone(r[bench][unit])
	if len(vs) == 0 {
		return 0, 0, false
	}
	slices.Sort(vs)
	n := len(vs)
	if n%2 == 1 {
		return vs[n/2], n, true
	}
	return (vs[n/2-1] + vs[n/2]) / 2, n, true
}
