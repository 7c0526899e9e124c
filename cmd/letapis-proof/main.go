// Command letapis-proof runs the project's benchmarks or its long
// reliability tests and prints one table of the results: `make bench` and
// `make reliability` call it (package internal/proof has the logic).
//
//	letapis-proof bench        BENCH_QUICK=1 for small sizes, BENCHCOUNT runs
//	letapis-proof reliability  RELIABILITY_* variables set the lengths
//	letapis-proof table        the table of saved benchmark output on stdin
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"

	"github.com/letapis/letapis/internal/proof"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: letapis-proof bench|reliability|table")
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	var err error
	switch os.Args[1] {
	case "bench":
		err = proof.BenchMain(ctx, os.Stdout, os.Stderr, os.Getenv)
	case "reliability":
		err = proof.ReliabilityMain(ctx, os.Stdout, os.Stderr, os.Getenv)
	case "table":
		err = proof.TableMain(os.Stdin, os.Stdout, os.Getenv)
	default:
		err = fmt.Errorf("unknown command %q: want bench, reliability or table", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "letapis-proof:", err)
		os.Exit(1)
	}
}
