package engine

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/letapis/letapis/internal/proof"
	"github.com/letapis/letapis/storage"
	"github.com/letapis/letapis/storage/record"
)

// syncerEnv names the vault directory when this test binary runs as the
// child process of TestKill9DuringSync.
const syncerEnv = "LETAPIS_TEST_SYNCER_VAULT"

// TestSyncerChild is not a test on its own: run as a child process, it
// opens a team member's vault, and saves notes and syncs in turn, printing
// "id text" for each save that returned. It exits with status 3 when the
// vault does not open.
func TestSyncerChild(t *testing.T) {
	dir := os.Getenv(syncerEnv)
	if dir == "" {
		t.Skip("runs only as the child of TestKill9DuringSync")
	}
	v, err := storage.Open(dir, "test passphrase", storage.Options{WorkFactor: 10, MinFreeBytes: 1 << 20})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(3)
	}
	e, err := New(v, fast)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(4)
	}
	for i := 0; ; i++ {
		text := fmt.Sprintf("synced note %d of pid %d", i, os.Getpid())
		r, err := v.Add(&record.Note{Text: text})
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(4)
		}
		fmt.Printf("%s %s\n", r.ID, text)
		if i%3 == 0 {
			e.Once(context.Background()) // failures are retried on the next pass
		}
	}
}

// TestKill9DuringSync kills a device that saves and syncs with SIGKILL at
// random moments (RELIABILITY_KILL_CYCLES times, default 3) while a second
// device saves and syncs through the same relay. After reopening, every
// save the killed device reported must be there, and the two devices must
// converge to the same records with no envelope twice in the relay's log.
func TestKill9DuringSync(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("needs SIGKILL")
	}
	cycles := proof.EnvInt(t, "RELIABILITY_KILL_CYCLES", 3)
	r := startRelay(t)
	ds := formTeam(t, r, 2)
	a, b := ds[0], ds[1]
	dirA := a.v.Dir()
	a.v.Close()

	// The other device writes and syncs all along.
	var bIDs []string
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() {
		for i := 0; ctx.Err() == nil; i++ {
			rec, err := b.v.Add(&record.Note{Text: fmt.Sprintf("note %d of the device that stays", i)})
			if err != nil {
				t.Errorf("device b: save: %v", err)
				return
			}
			bIDs = append(bIDs, rec.ID)
			b.e.Once(ctx)
			time.Sleep(20 * time.Millisecond)
		}
	})

	reported, failedOpens := proof.KillCycles(t, "TestSyncerChild", cycles, 800*time.Millisecond, syncerEnv+"="+dirA)
	cancel()
	wg.Wait()

	va, err := storage.Open(dirA, "test passphrase", storage.Options{WorkFactor: 10, MinFreeBytes: 1 << 20})
	if err != nil {
		proof.Report(t, "kill -9 during sync", proof.Count{Name: "failed reopenings", Value: float64(failedOpens + 1), Zero: true})
		t.Fatalf("reopen after kill -9: %v", err)
	}
	defer va.Close()
	ea, err := New(va, fast)
	if err != nil {
		t.Fatal(err)
	}
	lost := 0
	for id := range reported {
		if _, err := va.Get(id); err != nil {
			lost++
		}
	}
	start := time.Now()
	converge(t, 2*time.Minute, ea, b.e)
	took := time.Since(start)

	team, err := va.Team()
	if err != nil {
		t.Fatal(err)
	}
	duplicated := 0
	inLog := map[string]bool{}
	for _, en := range relayLog(t, r, team.Team) {
		if inLog[en.ID] {
			duplicated++
		}
		inLog[en.ID] = true
	}
	lists := make([]map[string]bool, 2)
	for i, v := range []*storage.Vault{va, b.v} {
		lists[i] = map[string]bool{}
		if err := v.List("", func(s storage.Summary) bool {
			if lists[i][s.ID] {
				duplicated++
			}
			lists[i][s.ID] = true
			return true
		}); err != nil {
			t.Fatal(err)
		}
	}
	notConverged := 0
	for id := range merged(lists...) {
		if !lists[0][id] || !lists[1][id] {
			notConverged++
		}
	}
	for id := range reported {
		if !lists[1][id] {
			lost++ // saved on a, never reached b
		}
	}
	for _, id := range bIDs {
		if !lists[0][id] {
			lost++
		}
	}
	if lost+duplicated+notConverged+failedOpens > 0 {
		t.Errorf("after %d kills: %d lost, %d duplicated, %d records on one device only, %d failed reopenings", cycles, lost, duplicated, notConverged, failedOpens)
	}
	needles := []string{}
	for _, text := range reported {
		needles = append(needles, text)
		if len(needles) == 200 {
			break
		}
	}
	counts := []proof.Count{
		{Name: "kills", Value: float64(cycles)},
		{Name: "saves reported by the killed device", Value: float64(len(reported))},
		{Name: "saves of the other device", Value: float64(len(bIDs))},
		{Name: "seconds to converge after the last kill", Value: took.Round(time.Millisecond).Seconds()},
		{Name: "saved records lost", Value: float64(lost), Zero: true},
		{Name: "duplicated", Value: float64(duplicated), Zero: true},
		{Name: "not converged", Value: float64(notConverged), Zero: true},
		{Name: "failed reopenings", Value: float64(failedOpens), Zero: true},
	}
	// Both vaults are scanned locked, as a seized laptop's would be, and
	// so that no compaction removes a file while it is read.
	for _, v := range []*storage.Vault{va, b.v} {
		if err := v.Close(); err != nil {
			t.Fatal(err)
		}
	}
	proof.Report(t, "kill -9 during sync", append(counts, proof.ScanReport(t, []string{dirA, b.v.Dir(), r.Dir}, needles)...)...)
}
