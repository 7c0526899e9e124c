package relay

import (
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/letapis/letapis/sync/wire"
)

// BenchmarkAppend measures envelope appends (one id per signed request)
// from 50 concurrent clients, each a device of one team, over loopback
// HTTP into a Badger store on disk. Budget (docs/ARCHITECTURE.md): 1,000 appends/s or
// more, p99 at most 100 ms. The blobs are stored beforehand, untimed.
func BenchmarkAppend(b *testing.B) {
	const clients = 50
	r := newTestRelay(b, Options{OpenRate: -1}) // 50 devices join from one address
	admin := r.newTeam()
	devices := make([]*device, clients)
	for i := range devices {
		devices[i] = admin.newMember()
	}
	ids := make([]string, b.N)
	var wg sync.WaitGroup
	for c := range clients {
		wg.Go(func() {
			for i := c; i < b.N; i += clients {
				data := randomBytes(2 << 10)
				ids[i] = blobIDOf(data)
				if _, err := r.store.PutBlob(b.Context(), admin.team, ids[i], data, 0); err != nil {
					b.Error(err)
				}
			}
		})
	}
	wg.Wait()
	bodies := make([][]byte, b.N)
	for i, id := range ids {
		bodies[i] = mustJSON(b, wire.IDs{IDs: []string{id}})
	}

	latencies := make([]time.Duration, b.N)
	var next atomic.Int64
	b.ResetTimer()
	start := time.Now()
	for _, d := range devices {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= b.N {
					return
				}
				t0 := time.Now()
				status, body, err := r.roundTrip(d.request(http.MethodPost, "/log", bodies[i], t0))
				latencies[i] = time.Since(t0)
				if err != nil || status != http.StatusOK {
					b.Errorf("append: %d %s %v", status, body, err)
					return
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()

	slices.Sort(latencies)
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "appends/s")
	b.ReportMetric(float64(latencies[(len(latencies)-1)*99/100].Microseconds())/1000, "p99-ms")
	b.ReportMetric(0, "ns/op") // the appends/s above says it for concurrent clients
}

// BenchmarkLogPage measures one page of 1,000 entries of a team's log read
// from a Badger store on disk, as a device catching up reads them: the
// store's read, and the page as served with the chain hash at its cursor
// and the relay's signature of its end (log version 2).
func BenchmarkLogPage(b *testing.B) {
	r := newTestRelay(b, Options{})
	admin := r.newTeam()
	ids := make([]string, 1000)
	for i := range ids {
		data := randomBytes(64)
		ids[i] = blobIDOf(data)
		if _, err := r.store.PutBlob(b.Context(), admin.team, ids[i], data, 0); err != nil {
			b.Fatal(err)
		}
	}
	if _, err := r.store.Append(b.Context(), admin.team, ids); err != nil {
		b.Fatal(err)
	}
	b.Run("read", func(b *testing.B) {
		for b.Loop() {
			if _, err := r.store.ReadLog(b.Context(), admin.team, 0, 1000); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("served", func(b *testing.B) {
		for b.Loop() {
			lr, err := r.store.ReadLog(b.Context(), admin.team, 0, 1000)
			if err != nil {
				b.Fatal(err)
			}
			if p := r.srv.page(admin.team, 0, lr); len(p.Sig) == 0 {
				b.Fatal("page not signed")
			}
		}
	})
}
