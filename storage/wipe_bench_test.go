package storage

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/letapis/letapis/internal/proof"
)

// BenchmarkWipe measures a wipe of a vault of LETAPIS_BENCH_VAULT_RECORDS
// synthetic records (default 100,000; the vault of
// BenchmarkUnlockToFirstList, copied afresh for each iteration). It
// reports the median over the iterations of the time until both key slots
// are overwritten and synced (keys-ms: from then on nothing on the disk
// opens with the passphrase) and of the whole wipe (wipe-ms), the two
// steps of Wipe.
func BenchmarkWipe(b *testing.B) {
	n := proof.EnvInt(b, "LETAPIS_BENCH_VAULT_RECORDS", 100_000)
	src := largeVault(b, n)
	size, err := dirSize(src)
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("vault of %d records, %d MiB", n, size>>20)
	var keys, whole []float64
	for b.Loop() {
		b.StopTimer()
		dir := filepath.Join(b.TempDir(), "vault")
		if err := os.CopyFS(dir, os.DirFS(src)); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		start := time.Now()
		if err := wipeKeys(dir); err != nil {
			b.Fatal(err)
		}
		k := time.Since(start)
		if err := wipeStore(dir); err != nil {
			b.Fatal(err)
		}
		keys, whole = append(keys, float64(k)/1e6), append(whole, float64(time.Since(start))/1e6)
		if Exists(dir) {
			b.Fatal("the vault survived the wipe")
		}
	}
	b.ReportMetric(proof.Median(keys), "keys-ms")
	b.ReportMetric(proof.Median(whole), "wipe-ms")
}
