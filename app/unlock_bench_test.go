package app

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"

	"github.com/letapis/letapis/internal/proof"
	"github.com/letapis/letapis/storage"
	"github.com/letapis/letapis/storage/record"
	"github.com/letapis/letapis/storage/search"
	"github.com/letapis/letapis/storage/synth"
)

// appUnlockEnv names the vault directory when this test binary runs as the
// child process of BenchmarkAppUnlockToFirstList; appHeapProfileEnv, if
// set, names a file for the child's heap profile once the list is shown
// and the search index loaded (and the same name with ".locked" after the
// last lock).
const (
	appUnlockEnv      = "LETAPIS_TEST_APP_UNLOCK_VAULT"
	appHeapProfileEnv = "LETAPIS_TEST_APP_HEAPPROFILE"
)

// appCycles is how many times the child locks and unlocks again after its
// first unlock, to show memory that locking leaves behind.
const appCycles = 5

// BenchmarkAppUnlockToFirstList measures the row "unlocked vault of
// 100,000 records to first list: ≤ 1 s after the key derivation; RSS ≤
// 250 MB" of docs/ARCHITECTURE.md for the app itself: each iteration
// starts a fresh process that builds the UI on Fyne's test app (no
// display; the real app adds its OpenGL driver), unlocks the vault of
// storage's BenchmarkUnlockToFirstList (LETAPIS_BENCH_VAULT_RECORDS
// records, shared through LETAPIS_BENCH_CACHE) through the unlock screen
// and waits for the people list. It reports the medians of: the time from
// the vault's opening to the people list shown (list-ms) and to the search
// index loaded (index-ms); the process's
// peak RSS (rss-MB, key derivation included) and its peak from the
// vault's opening on, the search index's load included (rss-after-kdf-MB);
// its RSS when the list is shown (rss-list-MB) and once unlocked again
// after appCycles locks (rss-cycled-MB); and the Go heap still live after
// the last lock (heap-locked-MB).
func BenchmarkAppUnlockToFirstList(b *testing.B) {
	if runtime.GOOS != "linux" {
		b.Skip("reads peak RSS from /proc/self/status")
	}
	n := proof.EnvInt(b, "LETAPIS_BENCH_VAULT_RECORDS", 100_000)
	dir := largeVault(b, n)
	names := []string{"list-ms", "index-ms", "rss-MB", "rss-after-kdf-MB", "rss-list-MB", "rss-cycled-MB", "heap-locked-MB"}
	figures := make([][]float64, len(names))
	for b.Loop() {
		out := proof.RunChild(b, "TestAppUnlockListChild", appUnlockEnv+"="+dir)
		i := bytes.Index(out, []byte("app unlocked "))
		if i < 0 {
			b.Fatalf("unlock child said %q", out)
		}
		var people int
		f := make([]float64, len(names))
		if _, err := fmt.Sscanf(string(out[i:]), "app unlocked %d people list-ms=%g index-ms=%g rss-MB=%g rss-after-kdf-MB=%g rss-list-MB=%g rss-cycled-MB=%g heap-locked-MB=%g",
			&people, &f[0], &f[1], &f[2], &f[3], &f[4], &f[5], &f[6]); err != nil {
			b.Fatalf("unlock child said %q: %v", out[i:], err)
		}
		if people == 0 {
			b.Fatal("the unlocked vault listed no people")
		}
		for j := range f {
			figures[j] = append(figures[j], f[j])
		}
	}
	for j, name := range names {
		b.ReportMetric(proof.Median(figures[j]), name)
	}
	b.ReportMetric(0, "ns/op") // the list-ms above says it
}

// largeVault returns the vault of storage's BenchmarkUnlockToFirstList
// (proof.LargeVaultDir), building it if that benchmark has not: n
// synthetic records with the passphrase testPass.
func largeVault(b *testing.B, n int) string {
	return proof.LargeVaultDir(b, n, func(dir string, wf int) {
		v, err := storage.Create(dir, testPass, storage.Options{WorkFactor: wf, MinFreeBytes: 1 << 20})
		if err != nil {
			b.Fatal(err)
		}
		err = synth.Vault(synth.New(11), n, v.Import, func(r *storage.Record) string { return r.ID })
		if err == nil { // a complete search index, as the app leaves it
			_, err = v.Search(search.Query{Text: "a"})
		}
		if err := errors.Join(err, v.Close()); err != nil {
			b.Fatal(err)
		}
	})
}

// TestAppUnlockListChild is not a test on its own: run as the child
// process of BenchmarkAppUnlockToFirstList, it unlocks the vault through
// the unlock screen, waits for the people list and the search index, locks
// and unlocks appCycles times, and prints its figures.
func TestAppUnlockListChild(t *testing.T) {
	dir := os.Getenv(appUnlockEnv)
	if dir == "" {
		t.Skip("runs only as the child of BenchmarkAppUnlockToFirstList")
	}
	limitMemory()
	// The peak of the key derivation, read when the vault is open, before
	// the peak is counted again from there.
	var peakKDF float64
	var kdfErr error
	opened := func() {
		if peakKDF, kdfErr = proof.PeakRSS(); kdfErr == nil {
			kdfErr = proof.ResetPeakRSS()
		}
	}
	u, _ := newTestUI(t, Config{VaultDir: dir, opened: opened})
	profile := os.Getenv(appHeapProfileEnv)

	list, listRSS, people := unlockToList(t, u)
	waitIndex(t, u)
	index := time.Since(u.unlockedAt)
	if kdfErr != nil {
		t.Fatal(kdfErr)
	}
	u.cfg.opened = nil
	afterKDF := must(proof.PeakRSS())
	if profile != "" {
		writeHeapProfile(t, profile)
	}
	var cycled float64
	for range appCycles {
		u.Lock()
		u.wait()
		unlockToList(t, u)
		waitIndex(t, u)
		cycled = must(proof.RSS())
	}
	u.Lock()
	u.wait()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	if profile != "" {
		writeHeapProfile(t, profile+".locked")
	}
	fmt.Printf("app unlocked %d people list-ms=%g index-ms=%g rss-MB=%g rss-after-kdf-MB=%g rss-list-MB=%g rss-cycled-MB=%g heap-locked-MB=%g\n",
		people, float64(list)/1e6, float64(index)/1e6, max(peakKDF, afterKDF), afterKDF, listRSS, cycled, float64(m.HeapAlloc)/1e6)
}

// unlockToList unlocks u through the unlock screen and runs its UI
// callbacks until the people list is shown. It returns the time from the
// vault's opening to then, the RSS then, and the number of people.
func unlockToList(t *testing.T, u *UI) (time.Duration, float64, int) {
	t.Helper()
	test.Type(u.unlock.pass, testPass)
	test.Tap(u.unlock.unlock)
	for {
		select {
		case f := <-uiQueues[u]:
			f()
		case <-time.After(5 * time.Minute):
			t.Fatal("the people list was not shown")
		}
		if u.main == nil {
			continue
		}
		if l := u.main.lists[record.KindPerson]; l.all != nil {
			return time.Since(u.unlockedAt), must(proof.RSS()), len(l.all)
		}
	}
}

// waitIndex runs u's UI callbacks until no background work is left and
// the search index is loaded.
func waitIndex(t *testing.T, u *UI) {
	t.Helper()
	u.wait()
	if _, err := u.vault.Search(search.Query{Text: "Іван"}); err != nil {
		t.Fatal(err)
	}
	u.wait()
}

// writeHeapProfile writes a heap profile of live memory to path.
func writeHeapProfile(t *testing.T, path string) {
	t.Helper()
	runtime.GC()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := errors.Join(pprof.Lookup("heap").WriteTo(f, 0), f.Close()); err != nil {
		t.Fatal(err)
	}
	t.Logf("heap profile in %s", path)
}

// must returns v, and panics if err is not nil.
func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
