package engine

import (
	"context"
	"testing"
	"time"

	"github.com/letapis/letapis/storage/record"
	"github.com/letapis/letapis/sync/internal/faultproxy"
)

// TestPassReceivesWhileTheDeviceKeepsWriting guards against a regression:
// sendEnvelopes used to loop until the outbox was empty, so while the device saves records faster
// than one batch goes up (Missing, the PUTs and Append: three round trips
// at least), a pass never gets to receive, and the device learns nothing
// from its team for as long as it writes. Over Tor a round trip takes
// hundreds of milliseconds, so a fieldworker saving a record every second
// or two is enough. Found by TestConvergesThroughFaults, where devices
// writing 45 records a second through the faulty link spent their whole
// first pass (6 s) sending and received nothing.
//
// Here the link has 60 ms of latency and A saves a record every 100 ms
// for 4 s; a batch takes about 200 ms, so the outbox never empties and
// the pass ends only when A stops writing.
//
// A pass should send what was waiting when it began (or alternate
// batches of sending and receiving), then receive.
func TestPassReceivesWhileTheDeviceKeepsWriting(t *testing.T) {
	r := startRelay(t)
	p, via := startProxy(t, r, faultproxy.Schedule{Latency: 60 * time.Millisecond}, faultSeed)
	ds := formTeam(t, via, 2)
	a, b := ds[0], ds[1]
	news, err := b.v.Add(&record.Note{Text: "written on B"})
	if err != nil {
		t.Fatal(err)
	}
	syncAll(t, b)

	p.Enable()
	if _, err := a.v.Add(&record.Note{Text: "written on A"}); err != nil {
		t.Fatal(err)
	}
	const writeFor = 4 * time.Second
	ctx, stop := context.WithTimeout(context.Background(), writeFor)
	defer stop()
	writing := make(chan struct{})
	go func() {
		defer close(writing)
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			if _, err := a.v.Add(&record.Note{Text: "written on A"}); err != nil {
				t.Errorf("save on A: %v", err)
				return
			}
		}
	}()
	start := time.Now()
	if _, err := a.e.Once(context.Background()); err != nil {
		t.Fatal(err)
	}
	took := time.Since(start)
	stop()
	<-writing
	if _, err := a.v.Get(news.ID); err != nil {
		t.Fatalf("after a pass, A lacks B's note: %v", err)
	}
	if took > writeFor/2 {
		t.Fatalf("the pass took %v: it received only once A stopped writing", took.Round(time.Millisecond))
	}
}
