package relay

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
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

func (s *Server) putBlob(w http.ResponseWriter, c *call) error {
	id, err := blobID(c)
	if err != nil {
		return err
	}
	if sum := sha256.Sum256(c.body); hex.EncodeToString(sum[:]) != id {
		return wire.Errorf(wire.CodeHashMismatch, "the blob's SHA-256 is not its id: it was damaged on the way; send it again")
	}
	created, err := s.store.PutBlob(c.Context(), c.team, id, c.body, s.opts.QuotaBytes)
	if errors.Is(err, ErrQuotaExceeded) {
		if used, uerr := s.store.Usage(c.Context(), c.team); uerr == nil {
			return wire.Errorf(wire.CodeQuotaExceeded, "the team's storage quota is full: %d of %d bytes used, and this blob needs %d more",
				used, s.opts.QuotaBytes, len(c.body))
		}
	}
	if err != nil {
		return fmt.Errorf("store blob: %w", err)
	}
	if created {
		w.WriteHeader(http.StatusCreated)
	}
	return nil
}

func (s *Server) missingBlobs(w http.ResponseWriter, c *call) error {
	var req wire.IDs
	if err := wire.DecodeBytes(c.body, &req); err != nil {
		return err
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
