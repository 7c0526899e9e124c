package storage

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"testing"
	"time"

	"github.com/letapis/letapis/internal/proof"
	"github.com/letapis/letapis/storage/keyfile"
	"github.com/letapis/letapis/storage/record"
	"github.com/letapis/letapis/storage/synth"
)

// unlockEnv names the vault directory when this test binary runs as the
// child process of BenchmarkUnlockToFirstList.
const unlockEnv = "LETAPIS_TEST_UNLOCK_VAULT"

// BenchmarkUnlockToFirstList measures the row "unlocked vault of 100,000
// records to first list: ≤ 1 s after the key derivation; RSS ≤ 250 MB"
// of docs/ARCHITECTURE.md. Each iteration starts a fresh process that
// unlocks a vault of LETAPIS_BENCH_VAULT_RECORDS records (default
// 100,000) with the production key derivation cost and lists the people,
// as the app's first screen does. It reports the median over the
// iterations of the time from the end of the key derivation to the full
// list (list-ms), of the key derivation (kdf-ms), of the process's peak
// RSS (rss-MB), of its peak RSS counted from the end of the key
// derivation (rss-after-kdf-MB), and of the CPU time the process spent
// from the end of the key derivation to the full list, on all its
// threads (list-cpu-ms; the machine's load lengthens list-ms, not it).
// The vault is built once and kept under LETAPIS_BENCH_CACHE when that
// names a directory, so that repeated runs (-count) share it. The vault's key derivation has the production cost
// unless LETAPIS_BENCH_WORK_FACTOR sets a lower one.
func BenchmarkUnlockToFirstList(b *testing.B) {
	if runtime.GOOS != "linux" {
		b.Skip("reads peak RSS from /proc/self/status")
	}
	n := proof.EnvInt(b, "LETAPIS_BENCH_VAULT_RECORDS", 100_000)
	dir := largeVault(b, n)
	var list, kdf, rss, rssAfter, cpu []float64
	for b.Loop() {
		out := proof.RunChild(b, "TestUnlockListChild", unlockEnv+"="+dir)
		var people int
		var l, k, r, ra, c float64
		line := string(out[bytes.Index(out, []byte("unlocked ")):])
		if _, err := fmt.Sscanf(line, "unlocked %d people kdf-ms=%g list-ms=%g rss-MB=%g rss-after-kdf-MB=%g list-cpu-ms=%g", &people, &k, &l, &r, &ra, &c); err != nil {
			b.Fatalf("unlock child said %q: %v", out, err)
		}
		if people == 0 {
			b.Fatal("the unlocked vault listed no people")
		}
		list, kdf, rss, rssAfter = append(list, l), append(kdf, k), append(rss, r), append(rssAfter, ra)
		cpu = append(cpu, c)
	}
	b.ReportMetric(proof.Median(list), "list-ms")
	b.ReportMetric(proof.Median(kdf), "kdf-ms")
	b.ReportMetric(proof.Median(rss), "rss-MB")
	b.ReportMetric(proof.Median(rssAfter), "rss-after-kdf-MB")
	b.ReportMetric(proof.Median(cpu), "list-cpu-ms")
	b.ReportMetric(0, "ns/op") // the list-ms above says it
}

// largeVault returns the directory of a vault of n synthetic records
// (synth's Vault mix) with the passphrase testPassphrase, built with the
// production key derivation cost unless LETAPIS_BENCH_WORK_FACTOR sets a
// lower one, and shared with the app's benchmark of the same row.
func largeVault(b *testing.B, n int) string {
	return proof.LargeVaultDir(b, n, func(dir string, wf int) {
		start := time.Now()
		v, err := Create(dir, testPassphrase, Options{WorkFactor: wf, MinFreeBytes: 1 << 20})
		if err != nil {
			b.Fatal(err)
		}
		err = synth.Vault(synth.New(11), n, v.Import, func(r *Record) string { return r.ID })
		v.waitIndex() // a complete index, as the app leaves it
		if err := errors.Join(err, v.Close()); err != nil {
			b.Fatal(err)
		}
		b.Logf("built a vault of %d records in %v", n+(200-n%200)%200, time.Since(start).Round(time.Second))
	})
}

// TestUnlockListChild is not a test on its own: run as the child process
// of BenchmarkUnlockToFirstList, it does what Open does, timing the key
// derivation apart, then lists the people, and prints the times and its
// peak RSS.
func TestUnlockListChild(t *testing.T) {
	dir := os.Getenv(unlockEnv)
	if dir == "" {
		t.Skip("runs only as the child of BenchmarkUnlockToFirstList")
	}
	file, err := os.ReadFile(filepath.Join(dir, keyFileName))
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	s, slot, _, err := keyfile.DecodeSlots(file, testPassphrase)
	if err != nil {
		t.Fatal(err)
	}
	kdf := time.Since(start)
	// What the key derivation held is garbage now; count the peak from
	// here on apart from the peak it reached.
	runtime.GC()
	debug.FreeOSMemory()
	peakKDF, err := proof.PeakRSS()
	if err != nil {
		t.Fatal(err)
	}
	if err := proof.ResetPeakRSS(); err != nil {
		t.Fatal(err)
	}

	start, cpuStart := time.Now(), cpuTime(t)
	opts := Options{}
	opts.fill()
	opts.WorkFactor, _ = keyfile.WorkFactor(slot.File)
	v, err := open(dir, s, slotRef{index: slot.Index, counter: slot.Counter}, testPassphrase, opts)
	if err != nil {
		t.Fatal(err)
	}
	var people []Summary
	if err := v.List(record.KindPerson, func(s Summary) bool {
		people = append(people, s)
		return true
	}); err != nil {
		t.Fatal(err)
	}
	list, cpu := time.Since(start), cpuTime(t)-cpuStart
	after, err := proof.PeakRSS()
	if err != nil {
		t.Fatal(err)
	}
	fmt.Printf("unlocked %d people kdf-ms=%g list-ms=%g rss-MB=%g rss-after-kdf-MB=%g list-cpu-ms=%g\n", len(people),
		float64(kdf)/1e6, float64(list)/1e6, max(peakKDF, after), after, float64(cpu)/1e6)
	v.Close()
}

// cpuTime returns the CPU time this process has used (proof.CPUTime).
func cpuTime(t *testing.T) time.Duration {
	d, err := proof.CPUTime()
	if err != nil {
		t.Fatal(err)
	}
	return d
}
