package client

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/letapis/letapis/sync/wire"
)

func TestBlobsAndLog(t *testing.T) {
	ctx := context.Background()
	r := newRelay(t)
	url := serve(t, r)
	admin := r.admin(t, url)
	member, _ := r.member(t, url, admin)

	a, dataA := blob("a", 1000)
	b, dataB := blob("b", 3<<20)
	c, _ := blob("c", 10)
	for id, data := range map[string][]byte{a: dataA, b: dataB} {
		if err := admin.PutBlob(ctx, id, data); err != nil {
			t.Fatal(err)
		}
	}
	if err := member.PutBlob(ctx, a, dataA); err != nil {
		t.Fatalf("storing a blob again: %v", err)
	}
	missing, err := member.Missing(ctx, []string{a, c, b})
	if err != nil || !slices.Equal(missing, []string{c}) {
		t.Fatalf("missing: %v, %v; want [c]", missing, err)
	}

	res, err := admin.Append(ctx, []string{b, a})
	if err != nil {
		t.Fatal(err)
	}
	want := []wire.Entry{{Seq: 1, ID: b, Size: int64(len(dataB))}, {Seq: 2, ID: a, Size: int64(len(dataA))}}
	if !slices.Equal(res.Entries, want) {
		t.Fatalf("appended %+v, want %+v", res.Entries, want)
	}
	if _, err := admin.Append(ctx, []string{c}); !errors.Is(err, ErrConflict) {
		t.Fatalf("appending an id without a blob: %v, want ErrConflict", err)
	}
	again, err := member.Append(ctx, []string{a, a, b})
	if err != nil || !slices.Equal(again.Entries, want) {
		t.Fatalf("appending again: %+v, %v; want the same entries", again, err)
	}

	page, err := member.Log(ctx, wire.Point{}, 0, 0)
	if err != nil || !slices.Equal(page.Entries, want) || page.Head != 2 {
		t.Fatalf("log: %+v, %v", page, err)
	}
	page, err = member.Log(ctx, wire.Point{Seq: 1}, 1, 0)
	if err != nil || !slices.Equal(page.Entries, want[1:]) {
		t.Fatalf("log after 1: %+v, %v", page, err)
	}
	if _, err := member.Log(ctx, wire.Point{Seq: 7}, 0, 0); !errors.Is(err, ErrTampered) {
		t.Fatalf("cursor beyond the relay's head (rollback): %v, want ErrTampered", err)
	}

	t.Run("long poll", func(t *testing.T) {
		// The relay holds the request beyond the client's Timeout: the
		// attempt must not be cut off while the relay may hold it.
		poller, _ := r.member(t, url, admin, func(cfg *Config) { cfg.Timeout = 300 * time.Millisecond })
		start := time.Now()
		page, err := poller.Log(ctx, wire.Point{Seq: 2}, 0, time.Second)
		if err != nil || len(page.Entries) != 0 || time.Since(start) < 900*time.Millisecond {
			t.Fatalf("empty long poll: %+v, %v after %v", page, err, time.Since(start))
		}
		if s := poller.Stats(); s.Retries != 0 {
			t.Fatalf("long poll was retried: %+v", s)
		}
		done := make(chan error, 1)
		go func() {
			page, err := poller.Log(ctx, wire.Point{Seq: 2}, 0, 30*time.Second)
			if err == nil && (len(page.Entries) != 1 || page.Entries[0].Seq != 3) {
				err = fmt.Errorf("page %+v", page)
			}
			done <- err
		}()
		time.Sleep(100 * time.Millisecond)
		d, dataD := blob("d", 100)
		if err := admin.PutBlob(ctx, d, dataD); err != nil {
			t.Fatal(err)
		}
		if _, err := admin.Append(ctx, []string{d}); err != nil {
			t.Fatal(err)
		}
		select {
		case err := <-done:
			if err != nil {
				t.Fatal(err)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("long poll did not return after an append")
		}
	})

	t.Run("download and resume", func(t *testing.T) {
		whole := readBlob(t, member, b, 0)
		if !bytes.Equal(whole, dataB) {
			t.Fatal("downloaded blob differs")
		}
		for _, offset := range []int64{1, 1 << 20, int64(len(dataB)) - 1} {
			if part := readBlob(t, member, b, offset); !bytes.Equal(part, dataB[offset:]) {
				t.Fatalf("from %d: %d bytes differ", offset, len(part))
			}
		}
		if _, err := member.GetBlob(ctx, c, 0); !errors.Is(err, ErrNotFound) {
			t.Fatalf("blob the relay lacks: %v, want ErrNotFound", err)
		}
		if _, err := member.GetBlob(ctx, b, int64(len(dataB))); !errors.Is(err, ErrRejected) {
			t.Fatalf("offset at the end: %v, want ErrRejected (416)", err)
		}
	})

	t.Run("hash mismatch is not retried", func(t *testing.T) {
		before := member.Stats()
		err := member.PutBlob(ctx, c, []byte("not c"))
		var werr *wire.Error
		if !errors.Is(err, ErrRejected) || !errors.As(err, &werr) || werr.Code != wire.CodeHashMismatch {
			t.Fatalf("blob not matching its id: %v, want ErrRejected with hash_mismatch", err)
		}
		if n := member.Stats().Requests - before.Requests; n != 1 {
			t.Fatalf("422 sent %d times, want once", n)
		}
	})

	t.Run("missing asks in chunks", func(t *testing.T) {
		ids := make([]string, wire.MaxIDs+1)
		for i := range ids {
			sum := sha256.Sum256(fmt.Append(nil, i))
			ids[i] = hex.EncodeToString(sum[:])
		}
		ids[wire.MaxIDs] = a
		before := member.Stats()
		missing, err := member.Missing(ctx, ids)
		if err != nil || !slices.Equal(missing, ids[:wire.MaxIDs]) {
			t.Fatalf("missing of %d ids: %d, %v", len(ids), len(missing), err)
		}
		if n := member.Stats().Requests - before.Requests; n != 2 {
			t.Fatalf("%d requests for %d ids, want 2", n, len(ids))
		}
		if _, err := member.Missing(ctx, nil); err != nil || member.Stats().Requests-before.Requests != 2 {
			t.Fatalf("no ids: %v, or a request was sent", err)
		}
	})
}

func readBlob(t *testing.T, c *Client, id string, offset int64) []byte {
	t.Helper()
	body, err := c.GetBlob(context.Background(), id, offset)
	if err != nil {
		t.Fatal(err)
	}
	defer body.Close()
	data, err := io.ReadAll(body)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// TestOneRecordBudget checks the sync budget of docs/ARCHITECTURE.md for
// the client's part: one new record costs at most 3 requests and 16 KiB
// on the wire, once the relay's key is known.
func TestOneRecordBudget(t *testing.T) {
	ctx := context.Background()
	r := newRelay(t)
	url := serve(t, r)
	c := r.admin(t, url)
	if _, err := c.Info(ctx); err != nil {
		t.Fatal(err)
	}
	before := c.Stats()
	id, data := blob("envelope", 4<<10) // a 2 KiB record, padded and encrypted
	missing, err := c.Missing(ctx, []string{id})
	if err != nil || len(missing) != 1 {
		t.Fatal(missing, err)
	}
	if err := c.PutBlob(ctx, id, data); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Append(ctx, []string{id}); err != nil {
		t.Fatal(err)
	}
	after := c.Stats()
	requests := after.Requests - before.Requests
	bytes := after.BytesSent - before.BytesSent + after.BytesReceived - before.BytesReceived
	t.Logf("one record: %d requests, %d bytes (%d sent, %d received)", requests, bytes,
		after.BytesSent-before.BytesSent, after.BytesReceived-before.BytesReceived)
	if requests > 3 || bytes > 16<<10 || after.BytesSent-before.BytesSent < int64(len(data)) {
		t.Fatalf("over budget or miscounted: %d requests, %d bytes", requests, bytes)
	}
}

func TestBlobBatches(t *testing.T) {
	ctx := context.Background()
	r := newRelay(t)
	c := r.admin(t, serve(t, r))

	// Enough small blobs for two batches by size, one too large for any
	// batch, and a repeat.
	var blobs [][]byte
	var ids []string
	for i := range 40 {
		id, data := blob(fmt.Sprint("small ", i), 300<<10)
		blobs, ids = append(blobs, data), append(ids, id)
	}
	bigID, big := blob("big", wire.MaxBatchSize)
	blobs, ids = append(blobs, big, blobs[0]), append(ids, bigID, ids[0])

	before := c.Stats().Requests
	if err := c.PutBlobs(ctx, blobs); err != nil {
		t.Fatal(err)
	}
	if n := c.Stats().Requests - before; n != 3 {
		t.Fatalf("%d requests to upload 12 MiB of small blobs and one large one, want 3", n)
	}
	if missing, err := c.Missing(ctx, ids); err != nil || len(missing) != 0 {
		t.Fatalf("missing after PutBlobs: %v, %v", missing, err)
	}
	if err := c.PutBlobs(ctx, blobs[:3]); err != nil {
		t.Fatalf("uploading a batch again: %v", err)
	}

	small := slices.Concat(ids[:40], ids[:1])
	got, err := c.FetchBlobs(ctx, small)
	if err != nil || len(got) != len(small) {
		t.Fatalf("fetched %d blobs, %v; want %d", len(got), err, len(small))
	}
	for i := range small {
		if !bytes.Equal(got[i], blobs[i%40]) {
			t.Fatalf("blob %d is not the one asked for", i)
		}
	}
	if _, err := c.FetchBlobs(ctx, []string{bigID}); !errors.Is(err, ErrRejected) {
		t.Fatalf("fetching a blob too large for a batch: %v, want ErrRejected", err)
	}
}

// TestBlobBatchesWithAnOlderRelay: against a relay from before batches
// (the real relay with those endpoints answering "no such endpoint"),
// PutBlobs stores the blobs one by one and FetchBlobs says ErrNotFound.
func TestBlobBatchesWithAnOlderRelay(t *testing.T) {
	ctx := context.Background()
	r := newRelay(t)
	older := http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if req.Method == http.MethodPost && (strings.HasSuffix(req.URL.Path, "/blobs") || strings.HasSuffix(req.URL.Path, "/blobs/fetch")) {
			wire.WriteError(w, wire.Errorf(wire.CodeNotFound, "no such endpoint in protocol version 1"))
			return
		}
		r.ServeHTTP(w, req)
	})
	c := r.admin(t, serve(t, older))
	var blobs [][]byte
	var ids []string
	for i := range 3 {
		id, data := blob(fmt.Sprint("blob ", i), 1000)
		blobs, ids = append(blobs, data), append(ids, id)
	}
	if err := c.PutBlobs(ctx, blobs); err != nil {
		t.Fatal(err)
	}
	if missing, err := c.Missing(ctx, ids); err != nil || len(missing) != 0 {
		t.Fatalf("missing after PutBlobs: %v, %v", missing, err)
	}
	if _, err := c.FetchBlobs(ctx, ids); !errors.Is(err, ErrNotFound) {
		t.Fatalf("FetchBlobs from an older relay: %v, want ErrNotFound", err)
	}
}
