package proof

import (
	"context"
	"fmt"
	"io"
	"os"
	"strconv"
	"time"
)

// BenchMain is `letapis-proof bench`: it runs the benchmark plan in the
// current directory (the module root) and prints the table to out, the
// benchmarks' own output to log. getenv supplies BENCH_QUICK, BENCHCOUNT
// (runs per benchmark, default 5), BENCHTIMEOUT (per go test, default
// 60m) and GO (the go command).
func BenchMain(ctx context.Context, out, log io.Writer, getenv func(string) string) error {
	count := 5
	if s := getenv("BENCHCOUNT"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			return fmt.Errorf("BENCHCOUNT=%q is not a positive number", s)
		}
		count = n
	}
	sizes := FullSizes(count)
	if getenv("BENCH_QUICK") == "1" {
		sizes = QuickSizes()
	}
	cache, err := os.MkdirTemp("", "letapis-bench-")
	if err != nil {
		return fmt.Errorf("bench: %w", err)
	}
	defer os.RemoveAll(cache)
	d := &Driver{Go: or(getenv("GO"), "go"), Dir: ".", Log: log, Env: []string{"LETAPIS_BENCH_CACHE=" + cache}}
	before := Machine()
	start := time.Now()
	lines, runErr := d.Bench(ctx, sizes, or(getenv("BENCHTIMEOUT"), "60m"))
	if lines == nil {
		return runErr
	}
	mode := fmt.Sprintf("full sizes, median of up to %d runs (fewer for the rows whose setup is large; see the runs column)", sizes.Count)
	if sizes.Quick {
		mode = "BENCH_QUICK=1: small sizes, one run each; a check of the harness, not of the budgets"
	}
	fmt.Fprintf(out, "\nLetapis performance budgets (docs/ARCHITECTURE.md), %s\n", time.Now().UTC().Format("2006-01-02 15:04 MST"))
	fmt.Fprintf(out, "machine: %s at the start, %s at the end\n", before, LoadAverage())
	fmt.Fprintf(out, "mode: %s; took %v\n\n", mode, time.Since(start).Round(time.Second))
	if err := WriteTable(out, lines); err != nil {
		return err
	}
	missed := 0
	for _, l := range lines {
		if l.Missed {
			missed++
		}
	}
	fmt.Fprintf(out, "\n%d of %d rows missed or not measured.\n", missed, len(lines))
	return runErr
}

// TableMain is `letapis-proof table`: it reads `go test -bench` output
// saved from a run (the standard error of `make bench`) on in and prints
// the table of the rows it holds; BENCH_QUICK=1 says the run was quick.
func TableMain(in io.Reader, out io.Writer, getenv func(string) string) error {
	sizes := FullSizes(0)
	if getenv("BENCH_QUICK") == "1" {
		sizes = QuickSizes()
	}
	res := Results{}
	if err := ParseBench(in, res); err != nil {
		return err
	}
	return WriteTable(out, Evaluate(Rows(sizes), res, sizes.Quick))
}

// or returns s, or def when s is empty.
func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
