package storage

import (
	"bytes"
	"crypto/rand"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"filippo.io/age"

	"github.com/letapis/letapis/storage/record"
)

// note2KiB is a note whose JSON body is about 2 KiB, the record size of
// the save budget in docs/ARCHITECTURE.md.
func note2KiB() *record.Note {
	return &record.Note{Text: string(bytes.Repeat([]byte("Сведчанне "), 2048/len("Сведчанне ")))}
}

// BenchmarkSave measures one durable save of a 2 KiB record: validate,
// sign, encrypt, store, index and fsync. Budget: p50 ≤ 2 ms.
func BenchmarkSave(b *testing.B) {
	v := newVault(b)
	n := note2KiB()
	b.SetBytes(2048)
	var lat []time.Duration
	for b.Loop() {
		start := time.Now()
		if _, err := v.Add(n); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(start))
	}
	reportPercentiles(b, lat)
}

// reportPercentiles adds the median and 95th percentile of the latencies
// to the benchmark's output, in milliseconds.
func reportPercentiles(b *testing.B, lat []time.Duration) {
	slices.Sort(lat)
	at := func(p float64) float64 { return float64(lat[int(p*float64(len(lat)-1))]) / 1e6 }
	b.ReportMetric(at(0.50), "p50-ms")
	b.ReportMetric(at(0.95), "p95-ms")
}

// BenchmarkLimitAgeEncrypt2KiB is the limit for BenchmarkSave's crypto:
// raw age encryption of the same bytes to the same kind of recipient.
func BenchmarkLimitAgeEncrypt2KiB(b *testing.B) {
	id, _ := age.GenerateHybridIdentity()
	data := make([]byte, 2048)
	b.SetBytes(2048)
	for b.Loop() {
		w, _ := age.Encrypt(&bytes.Buffer{}, id.Recipient())
		w.Write(data)
		w.Close()
	}
}

// BenchmarkLimitFsync is the limit for BenchmarkSave's durability: one
// 2 KiB write and fsync of a file on the same file system.
func BenchmarkLimitFsync(b *testing.B) {
	f, err := os.Create(filepath.Join(b.TempDir(), "f"))
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	data := make([]byte, 2048)
	rand.Read(data)
	for b.Loop() {
		f.Write(data)
		if err := f.Sync(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkImport measures bulk import in batches. Budget: ≥ 3,000
// records/s.
func BenchmarkImport(b *testing.B) {
	for _, batch := range []int{1, 100, 1000} {
		b.Run(fmt.Sprintf("batch=%d", batch), func(b *testing.B) {
			v := newVault(b)
			bodies := make([]record.Body, batch)
			for i := range bodies {
				bodies[i] = note2KiB()
			}
			n := 0
			for b.Loop() {
				if _, err := v.Import(bodies); err != nil {
					b.Fatal(err)
				}
				n += batch
			}
			b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "records/s")
		})
	}
}
