package relay

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/letapis/letapis/sync/wire"
)

func TestAppend(t *testing.T) {
	r := newTestRelay(t, Options{})
	member := r.newTeam().newMember()
	relayKey := r.info().RelayKey
	a, b, c := member.putBlob([]byte("a")), member.putBlob([]byte("bb")), member.putBlob([]byte("ccc"))
	absent := blobIDOf([]byte("absent"))
	r.secret(absent)

	status, body := member.do(http.MethodPost, "/log", mustJSON(t, wire.IDs{IDs: []string{a, absent}}))
	expect(t, status, body, http.StatusConflict, wire.CodeConflict)
	if !strings.Contains(string(body), "no blob for 1 of the ids") {
		t.Errorf("message %s does not say how many are missing", body)
	}

	want := []wire.Entry{{Seq: 1, ID: a, Size: 1}, {Seq: 2, ID: b, Size: 2}, {Seq: 3, ID: c, Size: 3}}
	for _, tc := range []struct {
		name string
		ids  []string
		want []wire.Entry
	}{
		{"new ids", []string{a, b}, want[:2]},
		{"retry", []string{a, b}, want[:2]},
		{"old and new, repeated", []string{b, c, a, c}, want},
		{"nothing", nil, []wire.Entry{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := member.appendIDs(tc.ids...)
			if !slices.Equal(got.Entries, tc.want) {
				t.Fatalf("entries %v, want %v", got.Entries, tc.want)
			}
			if !ed25519.Verify(relayKey, wire.ReceiptMessage(member.team, got.Entries), got.Receipt) {
				t.Fatal("the receipt does not verify with the relay key")
			}
			if ed25519.Verify(relayKey, wire.ReceiptMessage(newName(), got.Entries), got.Receipt) {
				t.Fatal("the receipt does not bind the team")
			}
		})
	}
	if page := member.readLog(""); !slices.Equal(page.Entries, want) || page.Head != 3 {
		t.Fatalf("log %v head %d: duplicates or losses", page.Entries, page.Head)
	}
}

func TestReadLogPages(t *testing.T) {
	r := newTestRelay(t, Options{})
	member := r.newTeam().newMember()
	var all []string
	for i := range 10 {
		all = append(all, member.putBlob(fmt.Appendf(nil, "blob %d", i)))
	}
	member.appendIDs(all...)

	for _, tc := range []struct {
		query      string
		first, end int // expected entries all[first:end]
	}{
		{"", 0, 10},
		{"since=0&limit=3", 0, 3},
		{"since=3&limit=3", 3, 6},
		{"since=9&limit=3", 9, 10},
		{"since=10", 10, 10},
		{"since=99", 10, 10},
		{"limit=999999", 0, 10},
		{"since=2&wait=0", 2, 10},
	} {
		t.Run(tc.query, func(t *testing.T) {
			page := member.readLog(tc.query)
			if page.Head != 10 || len(page.Entries) != tc.end-tc.first {
				t.Fatalf("page %v head %d", page.Entries, page.Head)
			}
			for i, e := range page.Entries {
				if e.Seq != uint64(tc.first+i+1) || e.ID != all[tc.first+i] {
					t.Fatalf("entry %d: %+v", i, e)
				}
			}
		})
	}
	for _, query := range []string{"since=-1", "since=x", "limit=0", "limit=-5", "wait=-1", "wait=NaN", "wait=soon"} {
		t.Run(query, func(t *testing.T) {
			status, body := member.do(http.MethodGet, "/log?"+query, nil)
			expect(t, status, body, http.StatusBadRequest, wire.CodeBadRequest)
		})
	}
}

func TestLongPoll(t *testing.T) {
	r := newTestRelay(t, Options{MaxWait: 2 * time.Second})
	admin := r.newTeam()
	reader, writer := admin.newMember(), admin.newMember()

	// poll reads the log after since, waiting up to wait, and reports the
	// page and when the answer came.
	poll := func(ctx context.Context, since uint64, wait string) (chan wire.Page, chan time.Time) {
		pages, at := make(chan wire.Page, 1), make(chan time.Time, 1)
		req := reader.request(http.MethodGet, fmt.Sprintf("/log?since=%d&wait=%s", since, wait), nil, time.Now()).WithContext(ctx)
		go func() {
			status, body, err := r.roundTrip(req)
			at <- time.Now()
			if err != nil || status != http.StatusOK {
				close(pages)
				return
			}
			pages <- decode[wire.Page](t, body)
		}()
		return pages, at
	}

	t.Run("wakes on append", func(t *testing.T) {
		id := writer.putBlob([]byte("news"))
		pages, at := poll(t.Context(), 0, "10")
		time.Sleep(200 * time.Millisecond) // the poll is waiting
		select {
		case <-at:
			t.Fatal("the poll answered before anything was appended")
		default:
		}
		appended := writer.appendIDs(id)
		done := time.Now()
		page := <-pages
		if latency := (<-at).Sub(done); latency > 100*time.Millisecond {
			t.Errorf("the poll answered %v after the append", latency)
		}
		if !slices.Equal(page.Entries, appended.Entries) || page.Head != 1 {
			t.Fatalf("page %+v", page)
		}
	})

	t.Run("times out", func(t *testing.T) {
		for _, tc := range []struct {
			wait     string
			min, max time.Duration
		}{
			{"0.3", 300 * time.Millisecond, time.Second},
			{"60", 2 * time.Second, 3 * time.Second}, // lowered to MaxWait
		} {
			start := time.Now()
			pages, at := poll(t.Context(), 1, tc.wait)
			page := <-pages
			if took := (<-at).Sub(start); took < tc.min || took > tc.max {
				t.Errorf("wait=%s answered after %v, want %v..%v", tc.wait, took, tc.min, tc.max)
			}
			if len(page.Entries) != 0 || page.Head != 1 {
				t.Errorf("wait=%s: page %+v", tc.wait, page)
			}
		}
	})

	t.Run("appends to other teams do not wake it", func(t *testing.T) {
		stranger := r.newTeam()
		id := stranger.putBlob([]byte("elsewhere"))
		start := time.Now()
		pages, at := poll(t.Context(), 1, "0.5")
		time.Sleep(100 * time.Millisecond)
		stranger.appendIDs(id)
		<-pages
		if took := (<-at).Sub(start); took < 500*time.Millisecond {
			t.Errorf("answered after %v", took)
		}
	})

	t.Run("ends when the client leaves", func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		_, at := poll(ctx, 1, "10")
		time.Sleep(100 * time.Millisecond)
		cancel()
		select {
		case <-at:
		case <-time.After(time.Second):
			t.Fatal("the poll did not end with its request")
		}
	})

	t.Run("Drain releases it", func(t *testing.T) {
		start := time.Now()
		pages, at := poll(t.Context(), 1, "10")
		time.Sleep(100 * time.Millisecond)
		r.srv.Drain()
		<-pages
		if took := (<-at).Sub(start); took > time.Second {
			t.Errorf("answered after %v", took)
		}
	})
}

func TestConcurrentAppendsOverHTTP(t *testing.T) {
	r := newTestRelay(t, Options{OpenRate: -1}) // 20 joins from one address
	admin := r.newTeam()
	const clients, each = 20, 5
	devices := make([]*device, clients)
	blobs := make([][]string, clients)
	for i := range devices {
		devices[i] = admin.newMember()
		for range each {
			blobs[i] = append(blobs[i], devices[i].putBlob(randomBytes(64)))
		}
	}
	var mu sync.Mutex
	var seqs []uint64
	var wg sync.WaitGroup
	for i, d := range devices {
		wg.Go(func() {
			for _, id := range blobs[i] {
				status, body, err := r.roundTrip(d.request(http.MethodPost, "/log", mustJSON(t, wire.IDs{IDs: []string{id, id}}), time.Now()))
				if err != nil || status != http.StatusOK {
					t.Errorf("append: %d %s %v", status, body, err)
					return
				}
				var got wire.Appended
				if err := wire.DecodeBytes(body, &got); err != nil || len(got.Entries) != 1 {
					t.Errorf("append: %s %v", body, err)
					return
				}
				mu.Lock()
				seqs = append(seqs, got.Entries[0].Seq)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	slices.Sort(seqs)
	for i, seq := range seqs {
		if seq != uint64(i+1) {
			t.Fatalf("sequence numbers %v are not 1..%d without gaps", seqs, clients*each)
		}
	}
	if page := admin.readLog(""); len(page.Entries) != clients*each || page.Head != clients*each {
		t.Fatalf("log has %d entries, head %d", len(page.Entries), page.Head)
	}
}
