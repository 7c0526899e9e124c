package engine

import (
	"context"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/letapis/letapis/storage"
	"github.com/letapis/letapis/storage/record"
	"github.com/letapis/letapis/sync/client"
	"github.com/letapis/letapis/sync/wire"
)

// Attachment parts go up without the client hashing them again: the relay
// checks each against its id. These tests damage a part on its way and in
// the vault, and check that the relay refuses it and the sender says which.

// flipper is an http.RoundTripper that flips one bit in the middle of the
// body of the next upload of a blob whose id is armed, after the client
// signed it: damage on the way.
type flipper struct {
	next  http.RoundTripper
	armed atomic.Pointer[string]
}

func (f *flipper) RoundTrip(req *http.Request) (*http.Response, error) {
	if id := f.armed.Load(); id != nil && req.Method == http.MethodPut && strings.HasSuffix(req.URL.Path, "/blobs/"+*id) &&
		f.armed.CompareAndSwap(id, nil) {
		data, err := io.ReadAll(req.Body)
		req.Body.Close()
		if err != nil {
			return nil, err
		}
		data[len(data)/2] ^= 0x10
		req.Body = io.NopCloser(strings.NewReader(string(data)))
	}
	return f.next.RoundTrip(req)
}

func TestAttachmentPartDamagedOnTheWayIsRefused(t *testing.T) {
	r := startRelay(t)
	ds := formTeam(t, r, 2)
	a, b := ds[0], ds[1]
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	flip := &flipper{next: tr}
	cfg := fast
	cfg.Client = func(c *client.Config) { fast.Client(c); c.Transport = flip }
	e, err := New(a.v, cfg)
	if err != nil {
		t.Fatal(err)
	}
	att := importAttachment(t, a.v, faultSeed, sizeForParts(3))
	files, err := a.v.BlobsToSend()
	if err != nil || len(files) != 1 {
		t.Fatalf("files to send: %v, %v", files, err)
	}
	damaged := files[0].Parts[1]
	flip.armed.Store(&damaged)

	_, err = e.Once(context.Background())
	var werr *wire.Error
	if !errors.Is(err, client.ErrRejected) || !errors.As(err, &werr) || werr.Code != wire.CodeHashMismatch || errors.Is(err, storage.ErrIntegrity) {
		t.Fatalf("pass with a part damaged on the way: %v, want the relay's hash_mismatch and no damage in the vault", err)
	}
	team, err := a.v.Team()
	if err != nil {
		t.Fatal(err)
	}
	missing, err := r.store.MissingBlobs(context.Background(), team.Team, []string{damaged})
	if err != nil || len(missing) != 1 {
		t.Fatalf("the relay stored the damaged part (missing %v, %v)", missing, err)
	}

	// The next pass sends it again, undamaged, and the file arrives whole.
	if rep, err := e.Once(context.Background()); err != nil || rep.FilesSent != 1 {
		t.Fatalf("pass after the damage: %+v, %v", rep, err)
	}
	if _, err := b.e.Once(context.Background()); err != nil {
		t.Fatal(err)
	}
	checkAttachment(t, b.v, att)
}

func TestAttachmentDamagedInTheVaultIsReported(t *testing.T) {
	r := startRelay(t)
	a := formTeam(t, r, 1)[0]
	importAttachment(t, a.v, faultSeed, sizeForParts(3))
	files, err := a.v.BlobsToSend()
	if err != nil || len(files) != 1 {
		t.Fatalf("files to send: %v, %v", files, err)
	}
	f, err := os.OpenFile(filepath.Join(a.v.Dir(), "blobs", files[0].Blob+".age"), os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteAt([]byte("rot"), record.PartSize+1000); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}

	if _, err := a.e.Once(context.Background()); !errors.Is(err, storage.ErrIntegrity) {
		t.Fatalf("pass with a damaged attachment file: %v, want ErrIntegrity", err)
	}
	team, err := a.v.Team()
	if err != nil {
		t.Fatal(err)
	}
	if missing, err := r.store.MissingBlobs(context.Background(), team.Team, files[0].Parts[1:2]); err != nil || len(missing) != 1 {
		t.Fatalf("the relay stored the damaged part (missing %v, %v)", missing, err)
	}
}
