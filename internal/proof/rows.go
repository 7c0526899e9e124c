package proof

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// Module is the import path prefix of the project's packages.
const Module = "github.com/letapis/letapis"

// Metric names one figure of the benchmark output: a benchmark, as
// Results names it, and a unit it reported.
type Metric struct {
	Bench string // "storage BenchmarkSave": package relative to Module, then the name
	Unit  string
}

func (m Metric) key() string { return Module + "/" + strings.Replace(m.Bench, " ", " Benchmark", 1) }

// Row is one row of the performance budget table (docs/ARCHITECTURE.md).
type Row struct {
	What   string // the budget row, as the design states it
	Quick  string // the size of the figure under BENCH_QUICK=1, when it differs
	Figure Metric
	Unit   string // how the figure is shown: "ms", "records/s", ...
	// Scale converts the metric to Unit (0 means 1).
	Scale  float64
	Budget float64
	// AtMost says the figure must be at most Budget (latency, size);
	// otherwise at least (throughput).
	AtMost bool
	// OfLimit says Budget is a fraction of the limit, not a figure.
	OfLimit bool
	// Limit returns the limit measured in the same run, in the figure's
	// unit, and what it is; nil when none can be measured.
	Limit func(Results) (float64, string, bool)
}

// Line is a row evaluated against the results of a run.
type Line struct {
	What, Figure, Budget, Limit, Ratio, Verdict string
	Runs                                        int
	Missed                                      bool
}

// Evaluate holds each row to its budget and limit.
func Evaluate(rows []Row, res Results, quick bool) []Line {
	var lines []Line
	for _, r := range rows {
		l := Line{What: r.What, Figure: "—", Limit: "—", Ratio: "—"}
		if quick && r.Quick != "" {
			l.What += " [quick: " + r.Quick + "]"
		}
		cmp := "≥"
		if r.AtMost {
			cmp = "≤"
		}
		if r.OfLimit {
			l.Budget = fmt.Sprintf("%s %s × limit", cmp, num(r.Budget))
		} else {
			l.Budget = fmt.Sprintf("%s %s %s", cmp, num(r.Budget), r.Unit)
		}
		fig, runs, ok := res.Median(r.Figure.key(), r.Figure.Unit)
		l.Runs = runs
		if !ok {
			l.Verdict = "not measured"
			l.Missed = true
			lines = append(lines, l)
			continue
		}
		if r.Scale != 0 {
			fig *= r.Scale
		}
		l.Figure = num(fig) + " " + r.Unit
		limit, about, haveLimit := 0.0, "", false
		if r.Limit != nil {
			limit, about, haveLimit = r.Limit(res)
		}
		if haveLimit && limit > 0 {
			l.Limit = fmt.Sprintf("%s %s (%s)", num(limit), r.Unit, about)
			l.Ratio = num(fig/limit) + "×"
		}
		target := r.Budget
		switch {
		case r.OfLimit && !haveLimit:
			l.Verdict = "no limit measured"
			l.Missed = true
			lines = append(lines, l)
			continue
		case r.OfLimit:
			target = r.Budget * limit
		}
		met := fig >= target
		if r.AtMost {
			met = fig <= target
		}
		l.Verdict = "met"
		if !met {
			l.Verdict = "MISSED"
			l.Missed = true
		}
		lines = append(lines, l)
	}
	return lines
}

// num formats a figure with three significant digits, and thousands
// separated by commas from 10,000 up.
func num(v float64) string {
	switch {
	case v >= 10000:
		s := fmt.Sprintf("%.0f", v)
		var b strings.Builder
		for i, c := range s {
			if i > 0 && (len(s)-i)%3 == 0 {
				b.WriteByte(',')
			}
			b.WriteRune(c)
		}
		return b.String()
	case v >= 100:
		return fmt.Sprintf("%.0f", v)
	case v >= 10:
		return fmt.Sprintf("%.1f", v)
	case v >= 1:
		return fmt.Sprintf("%.2f", v)
	default:
		return fmt.Sprintf("%.3g", v)
	}
}

// WriteTable prints lines as a Markdown table, which reads well in a
// terminal too.
func WriteTable(w io.Writer, lines []Line) error {
	tw := tabwriter.NewWriter(w, 0, 0, 1, ' ', 0)
	fmt.Fprintln(tw, "| row\t| median\t| runs\t| budget\t| limit (same run)\t| × limit\t| verdict\t|")
	fmt.Fprintln(tw, "|---\t|---\t|---\t|---\t|---\t|---\t|---\t|")
	for _, l := range lines {
		fmt.Fprintf(tw, "| %s\t| %s\t| %d\t| %s\t| %s\t| %s\t| %s\t|\n", l.What, l.Figure, l.Runs, l.Budget, l.Limit, l.Ratio, l.Verdict)
	}
	return tw.Flush()
}
