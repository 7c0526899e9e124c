package proof

import (
	"bytes"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// benchOutput is real `go test -bench` output of two packages, with the
// lines that are not results that go test prints around them.
const benchOutput = `goos: linux
goarch: amd64
pkg: github.com/letapis/letapis/storage
cpu: AMD EPYC
BenchmarkSave-2                  	     195	   5311269 ns/op	   0.39 MB/s	         2.388 p50-ms	        16.16 p95-ms
BenchmarkLimitAgeEncrypt2KiB-2   	    1836	    998385 ns/op	   2.05 MB/s
BenchmarkLimitFsync-2            	     255	   1000000 ns/op
BenchmarkSave-2                  	     200	   5000000 ns/op	   0.41 MB/s	         1.5 p50-ms	        15 p95-ms
BenchmarkSave-2                  	     210	   5000000 ns/op	   0.41 MB/s	         1.8 p50-ms	        15 p95-ms
--- BENCH: BenchmarkSave-2
    bench_test.go:10: a log line 3 p50-ms
PASS
ok  	github.com/letapis/letapis/storage	26.681s
pkg: github.com/letapis/letapis/sync/engine
BenchmarkSyncPush10k-2   	       1	     38755 raw-records/s	       172.2 records/s	         1.005 requests/record
BenchmarkAttachment-2   	       1	     60 MB/s	       100 raw-MB/s	         0.6 ×raw
`

func TestParseBenchAndMedian(t *testing.T) {
	res := Results{}
	if err := ParseBench(strings.NewReader(benchOutput), res); err != nil {
		t.Fatal(err)
	}
	m, runs, ok := res.Median(Module+"/storage BenchmarkSave", "p50-ms")
	if !ok || runs != 3 || m != 1.8 {
		t.Errorf("median p50 = %v over %d runs (%v), want 1.8 over 3", m, runs, ok)
	}
	if _, _, ok := res.Median(Module+"/storage BenchmarkSave", "no-such-unit"); ok {
		t.Error("a unit never reported has a median")
	}
	if v, _, _ := res.Median(Module+"/sync/engine BenchmarkSyncPush10k", "raw-records/s"); v != 38755 {
		t.Errorf("raw-records/s = %v, want 38755 (package from the second pkg: line)", v)
	}
	res2 := Results{}
	ParseBench(strings.NewReader("BenchmarkX-2 \t 4 \t 1.5 a/op \t 2.5 a/op\n"), res2)
	if m, runs, _ := res2.Median(" BenchmarkX", "a/op"); m != 2 || runs != 2 {
		t.Errorf("even count: median %v of %d, want 2 of 2", m, runs)
	}
}

func TestEvaluate(t *testing.T) {
	res := Results{}
	if err := ParseBench(strings.NewReader(benchOutput), res); err != nil {
		t.Fatal(err)
	}
	lines := Evaluate(Rows(FullSizes(3)), res, false)
	byWhat := map[string]Line{}
	for _, l := range lines {
		byWhat[l.What] = l
	}
	save := byWhat["durable save of a 2 KiB record, p50"]
	// Limit: 998385 + 1000000 ns = 2.00 ms; 1.8 / 2.0 = 0.90.
	if save.Figure != "1.80 ms" || save.Verdict != "met" || save.Ratio != "0.901×" || !strings.HasPrefix(save.Limit, "2.00 ms") {
		t.Errorf("save row = %+v", save)
	}
	push := byWhat["sync 10,000 records through a loopback relay: send"]
	if push.Verdict != "MISSED" || !push.Missed || push.Ratio != "0.00444×" {
		t.Errorf("push row = %+v", push)
	}
	att := byWhat["1 GiB attachment through a loopback relay"]
	if att.Verdict != "met" || att.Budget != "≥ 0.5 × limit" || att.Ratio != "0.6×" {
		t.Errorf("attachment row (0.6 × raw against ≥ 0.5) = %+v", att)
	}
	relay := byWhat["relay, 50 concurrent clients: envelope appends"]
	if relay.Verdict != "not measured" || !relay.Missed || relay.Runs != 0 {
		t.Errorf("a row without results = %+v", relay)
	}
	quick := Evaluate(Rows(QuickSizes()), res, true)
	if !strings.Contains(quick[2].What, "[quick: 2000 records]") {
		t.Errorf("quick row does not say its size: %q", quick[2].What)
	}
	var b strings.Builder
	if err := WriteTable(&b, lines); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(b.String(), "\n"); n != len(lines)+2 {
		t.Errorf("table has %d lines, want %d:\n%s", n, len(lines)+2, b.String())
	}
}

func TestNum(t *testing.T) {
	for v, want := range map[float64]string{123456: "123,456", 1234: "1234", 12.34: "12.3", 1.234: "1.23", 0.01234: "0.0123"} {
		if got := num(v); got != want {
			t.Errorf("num(%v) = %q, want %q", v, got, want)
		}
	}
}

func TestPlanCoversEveryRow(t *testing.T) {
	for _, s := range []Sizes{FullSizes(5), QuickSizes()} {
		planned := map[string]bool{}
		for _, r := range Plan(s) {
			planned[r.Pkg] = true
			if args := r.Args("1m"); args[len(args)-1] != r.Pkg {
				t.Errorf("args %v do not end with the package", args)
			}
		}
		for _, row := range Rows(s) {
			pkg := "./" + strings.Fields(row.Figure.Bench)[0]
			if !planned[pkg] && !(s.Quick && row.Quick == "not run") {
				t.Errorf("quick=%v: row %q needs %s, which the plan does not run", s.Quick, row.What, pkg)
			}
		}
	}
}

func TestWriteChecks(t *testing.T) {
	checks := []Check{
		{Check: "a", Counts: []Count{{Name: "runs", Value: 3}, {Name: "lost", Value: 0, Zero: true}}},
		{Check: "b", Counts: []Count{{Name: "lost", Value: 2, Zero: true}}},
		{Check: "c", Skipped: "needs root"},
	}
	var b strings.Builder
	bad := WriteChecks(&b, checks, []string{"a", "b", "c", "d"})
	if bad != 2 {
		t.Errorf("bad = %d, want 2 (b's lost and the missing d)", bad)
	}
	for _, want := range []string{"needs root", "FAILED", "no report"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, b.String())
		}
	}
}

func TestReportAppendsChecks(t *testing.T) {
	path := filepath.Join(t.TempDir(), "counts.jsonl")
	t.Setenv(CountsEnv, path)
	Report(t, "one", Count{Name: "lost", Value: 0, Zero: true})
	Report(t, "two", Count{Name: "n", Value: 1.5})
	checks, err := readChecks(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(checks) != 2 || checks[1].Check != "two" || checks[1].Counts[0].Value != 1.5 || !checks[0].Counts[0].Zero {
		t.Errorf("read back %+v", checks)
	}
	all := append(checks, Check{Check: "scan", Counts: []Count{{Name: "files scanned for plaintext", Value: 4}, {Name: "plaintext hits", Value: 1}}})
	p := plaintextCheck(all, 2, 0)
	if p.Counts[0].Value != 4 || p.Counts[1].Value != 1 || p.Counts[2].Value != 2 {
		t.Errorf("plaintext check = %+v", p)
	}
}

func TestScanAndLeftovers(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "a"), []byte("noise save 12 of pid 345 noise"), 0o600)
	os.MkdirAll(filepath.Join(dir, "sub"), 0o700)
	os.WriteFile(filepath.Join(dir, "sub", "b"), []byte("ciphertext"), 0o600)
	hits, files, err := Scan([]string{dir, filepath.Join(dir, "missing")}, []string{"save 12", "absent"})
	if err != nil || files != 2 || len(hits) != 1 || hits[0].Needle != "save 12" {
		t.Errorf("Scan = %v, %d files, %v", hits, files, err)
	}
	files, n, err := scanLeftovers(dir)
	if err != nil || files != 2 || n != 1 {
		t.Errorf("scanLeftovers = %d files, %d hits, %v; want 2, 1", files, n, err)
	}
}

func TestFuzzTargets(t *testing.T) {
	root := t.TempDir()
	write := func(path, src string) {
		os.MkdirAll(filepath.Dir(filepath.Join(root, path)), 0o700)
		os.WriteFile(filepath.Join(root, path), []byte(src), 0o600)
	}
	write("a/x_test.go", "package a\nfunc FuzzOne(f *testing.F) {}\n// func FuzzNot(\nfunc FuzzTwo(f *testing.F) {}\n")
	write("a/x.go", "package a\nfunc FuzzNotATest(f *testing.F) {}\n")
	write("a/testdata/y_test.go", "package a\nfunc FuzzIgnored(f *testing.F) {}\n")
	ts, err := FuzzTargets(root)
	if err != nil {
		t.Fatal(err)
	}
	if len(ts) != 2 || ts[0].Name != "FuzzOne" || ts[1].Name != "FuzzTwo" || !strings.HasSuffix(ts[0].Dir, "/a") {
		t.Errorf("targets = %+v", ts)
	}
}

// TestNeedleSetAgreesWithContains checks the one-pass search against
// bytes.Contains for each needle: short and long needles, needles that
// share a start, overlap, repeat, or sit at the very end of the data.
func TestNeedleSetAgreesWithContains(t *testing.T) {
	dice := rand.New(rand.NewPCG(1, 2))
	data := make([]byte, 1<<16)
	for i := range data {
		data[i] = "abcd "[dice.IntN(5)]
	}
	var list []string
	for range 2000 {
		n, at := 1+dice.IntN(20), dice.IntN(len(data))
		if dice.IntN(2) == 0 || at+n > len(data) {
			b := make([]byte, n) // most of these are absent
			for i := range b {
				b[i] = "abcde"[dice.IntN(5)]
			}
			list = append(list, string(b))
			continue
		}
		list = append(list, string(data[at:at+n]))
	}
	list = append(list, string(data[len(data)-12:]), list[0])
	got := map[string]bool{}
	for _, s := range newNeedles(list).in(data) {
		if got[s] {
			t.Errorf("%q reported twice", s)
		}
		got[s] = true
	}
	for _, s := range list {
		if want := bytes.Contains(data, []byte(s)); got[s] != want {
			t.Errorf("%q: found %v, bytes.Contains says %v", s, got[s], want)
		}
	}
}
