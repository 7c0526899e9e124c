package proof

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"time"
)

// Driver runs go test commands from the module root and reports what it
// does.
type Driver struct {
	Go  string    // the go command
	Dir string    // the module root
	Log io.Writer // progress and the commands' own output
	// Env is added to every command's environment.
	Env []string
}

// goTest runs `go test args...` with env added and returns its standard
// output, which is also copied to d.Log with its standard error.
func (d *Driver) goTest(ctx context.Context, args, env []string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, d.Go, args...)
	cmd.Dir = d.Dir
	cmd.Env = append(append(os.Environ(), d.Env...), env...)
	var out bytes.Buffer
	cmd.Stdout = io.MultiWriter(&out, d.Log)
	cmd.Stderr = d.Log
	fmt.Fprintf(d.Log, "$ %s\n", strings.Join(append(append(env, "go"), args...), " "))
	err := cmd.Run()
	return out.Bytes(), err
}

// Bench runs the benchmark plan for sizes s and returns the table's lines.
// A run that fails is reported in the log and leaves its rows "not
// measured"; the other runs go on.
func (d *Driver) Bench(ctx context.Context, s Sizes, timeout string) ([]Line, error) {
	res := Results{}
	var failed []string
	for _, r := range Plan(s) {
		start := time.Now()
		out, err := d.goTest(ctx, r.Args(timeout), r.Env)
		if perr := ParseBench(bytes.NewReader(out), res); perr != nil {
			return nil, perr
		}
		fmt.Fprintf(d.Log, "(%s %s took %v)\n", r.Pkg, r.Bench, time.Since(start).Round(time.Second))
		if err != nil {
			if ctx.Err() != nil {
				return nil, fmt.Errorf("benchmarks stopped: %w", ctx.Err())
			}
			failed = append(failed, fmt.Sprintf("%s %s: %v", r.Pkg, r.Bench, err))
		}
	}
	lines := Evaluate(Rows(s), res, s.Quick)
	if len(failed) > 0 {
		return lines, fmt.Errorf("benchmark runs failed (see the log above): %s", strings.Join(failed, "; "))
	}
	return lines, nil
}

// Machine describes the machine and its load, for the tables' headers.
func Machine() string {
	cpu := "unknown CPU"
	if info, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for line := range strings.Lines(string(info)) {
			if name, ok := strings.CutPrefix(line, "model name"); ok {
				cpu = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(name), ":"))
				break
			}
		}
	}
	return fmt.Sprintf("%s, %d cores, %s/%s, %s; load average %s", cpu, runtime.NumCPU(), runtime.GOOS, runtime.GOARCH, runtime.Version(), LoadAverage())
}

// LoadAverage returns the 1, 5 and 15 minute load averages, or "unknown".
func LoadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}
