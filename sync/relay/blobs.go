package relay

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/letapis/letapis/sync/wire"
)

func blobID(c *call) (string, error) {
	id := c.PathValue("id")
	if !wire.ValidBlobID(id) {
		return "", wire.Errorf(wire.CodeBadRequest, "blob id must be 64 lower-case hex digits")
	}
	return id, nil
}

// received tells the client, with 102 Processing, that the relay has a
// blob's whole body, before it checks and stores it: a client sending the
// parts of a file one after another begins the next then (see
// client.PutBlobSent), and a cut of the link loses at most the part on
// its way, never one the relay has. Until the request ends, the blob is
// in flight (see blobsInFlight).
func (s *Server) received(w http.ResponseWriter, c *call) error {
	id, err := blobID(c)
	if err != nil {
		return err
	}
	c.ended = append(c.ended, s.inFlight.begin(c.team, id))
	w.WriteHeader(http.StatusProcessing)
	return nil
}

// blobsInFlight are the blobs whose whole body the relay has and is still
// checking and storing. The question which blobs the relay lacks waits
// for them, so that a client that resumes at once after a cut of the link
// is not told to send again the parts that the relay received and was
// storing when the link broke.
type blobsInFlight struct {
	mu sync.Mutex
	m  map[string]*flight // by team/id
}

// flight is one blob in flight, in n requests; done is closed when the
// last ends.
type flight struct {
	n    int
	done chan struct{}
}

// begin marks a team's blob in flight until the returned func is called.
func (b *blobsInFlight) begin(team, id string) (end func()) {
	k := team + "/" + id
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.m == nil {
		b.m = map[string]*flight{}
	}
	f := b.m[k]
	if f == nil {
		f = &flight{done: make(chan struct{})}
		b.m[k] = f
	}
	f.n++
	return func() {
		b.mu.Lock()
		defer b.mu.Unlock()
		if f.n--; f.n == 0 {
			close(f.done)
			delete(b.m, k)
		}
	}
}

// wait returns when none of a team's blobs ids is in flight, or ctx ends.
func (b *blobsInFlight) wait(ctx context.Context, team string, ids []string) error {
	var pending []chan struct{}
	b.mu.Lock()
	for _, id := range ids {
		if f := b.m[team+"/"+id]; f != nil {
			pending = append(pending, f.done)
		}
	}
	b.mu.Unlock()
	for _, done := range pending {
		select {
		case <-done:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

// contentAddressed checks that a blob's body is what its id says, from
// the hash taken once for the request's digest and this check.
func contentAddressed(_ http.ResponseWriter, c *call) error {
	id, err := blobID(c)
	if err != nil {
		return err
	}
	if sum := c.bodySum(); hex.EncodeToString(sum[:]) != id {
		return wire.Errorf(wire.CodeHashMismatch, "the blob's SHA-256 is not its id: it was damaged on the way; send it again")
	}
	return nil
}

// putBlob stores a blob that contentAddressed has checked.
func (s *Server) putBlob(w http.ResponseWriter, c *call) error {
	id := c.PathValue("id")
	created, err := s.store.PutBlob(c.Context(), c.team, id, c.body, s.opts.QuotaBytes)
	if err != nil {
		return s.storeError(c, err, len(c.body))
	}
	if created {
		w.WriteHeader(http.StatusCreated)
	}
	return nil
}

// putBlobs stores a batch of blobs (see wire.SplitBatch), all or none, and
// answers their ids in order.
func (s *Server) putBlobs(w http.ResponseWriter, c *call) error {
	blobs, err := wire.SplitBatch(c.body)
	if err != nil {
		return err
	}
	ids := make([]string, len(blobs))
	for i, b := range blobs {
		if int64(len(b)) > s.opts.MaxBlobSize {
			return wire.Errorf(wire.CodeTooLarge, "blob %d of the batch is larger than %d bytes", i+1, s.opts.MaxBlobSize)
		}
		sum := sha256.Sum256(b)
		ids[i] = hex.EncodeToString(sum[:])
	}
	if _, err := s.store.PutBlobs(c.Context(), c.team, ids, blobs, s.opts.QuotaBytes); err != nil {
		return s.storeError(c, err, len(c.body))
	}
	return writeJSON(w, http.StatusOK, &wire.IDs{IDs: ids})
}

// storeError explains a failed PutBlob or PutBlobs of about need bytes:
// a full quota in numbers.
func (s *Server) storeError(c *call, err error, need int) error {
	if errors.Is(err, ErrQuotaExceeded) {
		if used, uerr := s.store.Usage(c.Context(), c.team); uerr == nil {
			return wire.Errorf(wire.CodeQuotaExceeded, "the team's storage quota is full: %d of %d bytes used, and this upload needs up to %d more",
				used, s.opts.QuotaBytes, need)
		}
	}
	return fmt.Errorf("store blob: %w", err)
}

func (s *Server) missingBlobs(w http.ResponseWriter, c *call) error {
	var req wire.IDs
	if err := wire.DecodeBytes(c.body, &req); err != nil {
		return err
	}
	if err := s.inFlight.wait(c.Context(), c.team, req.IDs); err != nil {
		return fmt.Errorf("wait for blobs being stored: %w", err)
	}
	missing, err := s.store.MissingBlobs(c.Context(), c.team, req.IDs)
	if err != nil {
		return fmt.Errorf("look up blobs: %w", err)
	}
	return writeJSON(w, http.StatusOK, &wire.IDs{IDs: missing})
}

// getBlob serves a blob with http.ServeContent, which answers Range,
// If-Range and If-None-Match requests; the blob's id is its ETag.
func (s *Server) getBlob(w http.ResponseWriter, c *call) error {
	id, err := blobID(c)
	if err != nil {
		return err
	}
	blob, err := s.store.OpenBlob(c.Context(), c.team, id)
	if err != nil {
		return fmt.Errorf("read blob: %w", err)
	}
	defer blob.Close()
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("ETag", `"`+id+`"`)
	http.ServeContent(w, c.Request, "", time.Time{}, blob)
	return nil
}

// fetchBlobs answers a batch of the blobs of the ids asked for, in their
// order: all of them, or as many from the first as fit in
// wire.MaxBatchSize bytes.
func (s *Server) fetchBlobs(w http.ResponseWriter, c *call) error {
	var req wire.IDs
	if err := wire.DecodeBytes(c.body, &req); err != nil {
		return err
	}
	var batch []byte
	for i, id := range req.IDs {
		blob, err := s.readBlob(c, id, wire.MaxBatchSize-len(batch))
		if errors.Is(err, errNoRoom) {
			if i == 0 {
				return wire.Errorf(wire.CodeTooLarge, "the first blob asked for is too large for a batch: fetch it alone")
			}
			break
		}
		if err != nil {
			return err
		}
		batch = wire.AppendBatch(batch, blob)
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(batch) // an error means the client has gone
	return nil
}

// errNoRoom reports a blob that does not fit in what is left of a batch.
var errNoRoom = errors.New("no room in the batch")

// readBlob reads a team's blob if it takes at most room bytes in a batch,
// and returns errNoRoom otherwise.
func (s *Server) readBlob(c *call, id string, room int) ([]byte, error) {
	blob, err := s.store.OpenBlob(c.Context(), c.team, id)
	if err != nil {
		return nil, fmt.Errorf("read blob: %w", err)
	}
	defer blob.Close()
	size, err := blob.Seek(0, io.SeekEnd)
	if err != nil {
		return nil, fmt.Errorf("read blob: %w", err)
	}
	if int64(wire.BatchSize(0))+size > int64(room) {
		return nil, errNoRoom
	}
	if _, err := blob.Seek(0, io.SeekStart); err != nil {
		return nil, fmt.Errorf("read blob: %w", err)
	}
	data := make([]byte, size)
	if _, err := io.ReadFull(blob, data); err != nil {
		return nil, fmt.Errorf("read blob: %w", err)
	}
	return data, nil
}
