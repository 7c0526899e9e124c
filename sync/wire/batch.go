package wire

import (
	"encoding/binary"
	"fmt"
)

// MaxBatchSize is the largest body of a batch of blobs: the request of
// POST .../blobs and the answer of POST .../blobs/fetch.
const MaxBatchSize = 8 << 20

// A batch carries several blobs in one body (Content-Type
// application/octet-stream): each blob as its length in 4 big-endian bytes
// followed by its bytes, one after the other, nothing before, between or
// after. Blobs are content-addressed, so a batch names no ids: the
// receiver hashes each blob. An empty body is an empty batch.

// frameHeader is the length prefix of each blob in a batch.
const frameHeader = 4

// BatchSize returns the bytes that blobs of these sizes take in a batch.
func BatchSize(sizes ...int) int {
	n := 0
	for _, s := range sizes {
		n += frameHeader + s
	}
	return n
}

// AppendBatch appends blob to the batch b and returns the longer batch.
func AppendBatch(b, blob []byte) []byte {
	b = binary.BigEndian.AppendUint32(b, uint32(len(blob)))
	return append(b, blob...)
}

// SplitBatch returns the blobs of a batch of at most MaxBatchSize bytes:
// at most MaxIDs blobs of at most MaxBlobSize bytes each. The blobs share
// body's memory. An error wraps ErrMalformed.
func SplitBatch(body []byte) ([][]byte, error) {
	if len(body) > MaxBatchSize {
		return nil, fmt.Errorf("%w: a batch larger than %d bytes", ErrMalformed, MaxBatchSize)
	}
	var blobs [][]byte
	for rest := body; len(rest) > 0; {
		if len(blobs) == MaxIDs {
			return nil, fmt.Errorf("%w: more than %d blobs in a batch", ErrMalformed, MaxIDs)
		}
		if len(rest) < frameHeader {
			return nil, fmt.Errorf("%w: blob %d of a batch is cut off in its length", ErrMalformed, len(blobs)+1)
		}
		n := binary.BigEndian.Uint32(rest)
		rest = rest[frameHeader:]
		if uint64(n) > uint64(len(rest)) {
			return nil, fmt.Errorf("%w: blob %d of a batch is cut off: %d bytes announced, %d left", ErrMalformed, len(blobs)+1, n, len(rest))
		}
		blobs = append(blobs, rest[:n:n])
		rest = rest[n:]
	}
	return blobs, nil
}
