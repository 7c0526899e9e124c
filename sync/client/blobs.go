package client

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"

	"github.com/letapis/letapis/sync/wire"
)

// PutBlob stores data on the relay under id, which must be its SHA-256 in
// hex (the relay checks, and refuses a mismatch with ErrRejected). Storing
// a blob the relay already has is harmless. data is not hashed here: the
// request's digest is taken from id, so a caller that has just checked
// data against id (as storage.Vault.ReadPart does) hashes it once.
func (c *Client) PutBlob(ctx context.Context, id string, data []byte) error {
	return c.PutBlobSent(ctx, id, data, nil)
}

// PutBlobSent is PutBlob that calls sent, if not nil, when the relay says
// (102 Processing) that it has an attempt's whole blob, while it still
// checks and stores it: the moment to begin sending the next blob, so that
// sending one overlaps with storing the other, and a cut of the link finds
// only the blob on its way not on the relay. sent may be called again if
// the attempt fails and is retried, and not at all by a relay (or a proxy
// before it) that does not say so: the caller then begins the next blob
// when PutBlobSent returns.
func (c *Client) PutBlobSent(ctx context.Context, id string, data []byte, sent func()) error {
	const op = "upload a blob"
	switch {
	case !wire.ValidBlobID(id):
		return fmt.Errorf("%s: the blob id is malformed", op)
	case len(data) > wire.MaxBlobSize:
		return fmt.Errorf("%s: %d bytes, more than the %d a relay accepts", op, len(data), wire.MaxBlobSize)
	}
	sum, err := hex.DecodeString(id)
	if err != nil {
		return fmt.Errorf("%s: the blob id is malformed: %w", op, err)
	}
	_, err = c.do(ctx, &call{op: op, method: http.MethodPut, url: c.team + "/blobs/" + id, signed: true, blob: data, sum: sum, sent: sent})
	return err
}

// PutBlobs stores blobs on the relay, as PutBlob does each, in batches
// (see wire.SplitBatch): one request per wire.MaxBatchSize bytes or
// wire.MaxIDs blobs rather than one per blob. A blob too large for a batch
// goes alone with PutBlob, and so does every blob if the relay does not
// know batches (ErrNotFound). A batch sent again after a lost answer
// stores nothing twice: blobs are content-addressed.
func (c *Client) PutBlobs(ctx context.Context, blobs [][]byte) error {
	const op = "upload blobs"
	var body []byte
	var ids []string
	flush := func() error {
		if len(ids) == 0 {
			return nil
		}
		var answer wire.IDs
		_, err := c.do(ctx, &call{
			op: op, method: http.MethodPost, url: c.team + "/blobs", signed: true,
			blob: body, recv: &answer,
		})
		if errors.Is(err, ErrNotFound) {
			// A relay from before batches: one blob at a time.
			answer.IDs = slices.Clone(ids)
			batch, _ := wire.SplitBatch(body)
			for i, blob := range batch {
				if err := c.PutBlob(ctx, ids[i], blob); err != nil {
					return err
				}
			}
		} else if err != nil {
			return err
		}
		if !slices.Equal(answer.IDs, ids) {
			return fmt.Errorf("%s: %w: the relay stored other blobs than those sent", op, ErrProtocol)
		}
		body, ids = body[:0], ids[:0]
		return nil
	}
	for _, blob := range blobs {
		id := blobIDOf(blob)
		if wire.BatchSize(len(blob)) > wire.MaxBatchSize {
			if err := c.PutBlob(ctx, id, blob); err != nil {
				return err
			}
			continue
		}
		if len(body)+wire.BatchSize(len(blob)) > wire.MaxBatchSize || len(ids) == wire.MaxIDs {
			if err := flush(); err != nil {
				return err
			}
		}
		body = wire.AppendBatch(body, blob)
		ids = append(ids, id)
	}
	return flush()
}

// FetchBlobs downloads the blobs of ids, in batches (see wire.SplitBatch),
// and returns them in the order of ids, each checked against its id. Every
// blob must fit in a batch: fetch larger ones with GetBlob. A relay that
// does not know batches answers ErrNotFound, as it does for a blob it
// lacks: fetch them with GetBlob then.
func (c *Client) FetchBlobs(ctx context.Context, ids []string) ([][]byte, error) {
	const op = "download blobs"
	blobs := make([][]byte, 0, len(ids))
	for len(blobs) < len(ids) {
		ask := ids[len(blobs):]
		ask = ask[:min(len(ask), wire.MaxIDs)]
		var got [][]byte
		if _, err := c.do(ctx, &call{
			op: op, method: http.MethodPost, url: c.team + "/blobs/fetch", signed: true,
			send: &wire.IDs{IDs: ask}, batch: &got,
		}); err != nil {
			return nil, err
		}
		if len(got) == 0 || len(got) > len(ask) {
			return nil, fmt.Errorf("%s: %w: %d blobs for %d asked", op, ErrProtocol, len(got), len(ask))
		}
		for i, blob := range got {
			if blobIDOf(blob) != ask[i] {
				return nil, fmt.Errorf("%s: %w: the relay served a blob that does not match its id", op, ErrProtocol)
			}
		}
		blobs = append(blobs, got...)
	}
	return blobs, nil
}

// blobIDOf returns the id of a blob: its SHA-256 in hex.
func blobIDOf(blob []byte) string {
	sum := sha256.Sum256(blob)
	return hex.EncodeToString(sum[:])
}

// Missing returns those of ids that the relay does not have, asking in
// requests of at most wire.MaxIDs ids. No ids, no request.
func (c *Client) Missing(ctx context.Context, ids []string) ([]string, error) {
	const op = "ask the relay which blobs it lacks"
	var missing []string
	for chunk := range slices.Chunk(ids, wire.MaxIDs) {
		var answer wire.IDs
		if _, err := c.do(ctx, &call{
			op: op, method: http.MethodPost, url: c.team + "/blobs/missing", signed: true,
			send: &wire.IDs{IDs: chunk}, recv: &answer,
		}); err != nil {
			return nil, err
		}
		if !subset(answer.IDs, chunk) {
			return nil, fmt.Errorf("%s: %w: it named a blob that was not asked about", op, ErrProtocol)
		}
		missing = append(missing, answer.IDs...)
	}
	return missing, nil
}

// subset reports whether every id of some is among all.
func subset(some, all []string) bool {
	if len(some) == 0 {
		return true
	}
	set := make(map[string]bool, len(all))
	for _, id := range all {
		set[id] = true
	}
	for _, id := range some {
		if !set[id] {
			return false
		}
	}
	return true
}

// GetBlob fetches blob id from byte offset on (Range: bytes=offset-), to
// resume a download that broke off. The caller reads and closes the body
// and checks the blob against its id: only the caller has the bytes
// before offset. Read promptly: an attempt during which nothing moves for
// Config.Timeout is cut off. A read error wraps ErrUnreachable and says
// where to resume.
func (c *Client) GetBlob(ctx context.Context, id string, offset int64) (io.ReadCloser, error) {
	const op = "download a blob"
	switch {
	case !wire.ValidBlobID(id):
		return nil, fmt.Errorf("%s: the blob id is malformed", op)
	case offset < 0 || offset >= wire.MaxBlobSize:
		return nil, fmt.Errorf("%s: offset %d is out of range", op, offset)
	}
	k := &call{op: op, method: http.MethodGet, url: c.team + "/blobs/" + id, signed: true, stream: true}
	if offset > 0 {
		k.header = http.Header{"Range": {fmt.Sprintf("bytes=%d-", offset)}}
	}
	resp, err := c.do(ctx, k)
	if err != nil {
		return nil, err
	}
	if err := checkRange(resp, offset); err != nil {
		resp.Body.Close()
		return nil, fmt.Errorf("%s: %w: %w", op, ErrProtocol, err)
	}
	return &blobReader{body: resp.Body, at: offset}, nil
}

// checkRange checks that the answer starts at offset: the whole blob
// (200) from 0, or a part (206) whose Content-Range starts at offset.
func checkRange(resp *http.Response, offset int64) error {
	if offset == 0 {
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("status %d for a whole blob", resp.StatusCode)
		}
		return nil
	}
	if resp.StatusCode != http.StatusPartialContent {
		return fmt.Errorf("status %d for a part of a blob", resp.StatusCode)
	}
	var start, end int64
	if _, err := fmt.Sscanf(resp.Header.Get("Content-Range"), "bytes %d-%d/", &start, &end); err != nil || start != offset || end < start {
		return errors.New("the part does not start where asked")
	}
	return nil
}

// blobReader reads a blob's body, refusing more than a blob can hold and
// explaining a break.
type blobReader struct {
	body io.ReadCloser
	at   int64 // offset in the blob of the next byte
}

func (b *blobReader) Read(p []byte) (int, error) {
	if room := wire.MaxBlobSize - b.at + 1; int64(len(p)) > room {
		p = p[:room]
	}
	n, err := b.body.Read(p)
	b.at += int64(n)
	switch {
	case b.at > wire.MaxBlobSize:
		return n, fmt.Errorf("download a blob: %w: more than %d bytes", ErrProtocol, wire.MaxBlobSize)
	case err != nil && err != io.EOF:
		return n, fmt.Errorf("download a blob: %w: broke off before byte %d (resume there): %w", ErrUnreachable, b.at, err)
	}
	return n, err
}

func (b *blobReader) Close() error { return b.body.Close() }
