package engine

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"io"
	"math/rand/v2"
	"testing"

	"github.com/letapis/letapis/storage"
	"github.com/letapis/letapis/storage/record"
	"github.com/letapis/letapis/sync/internal/faultproxy"
)

// Helpers shared by the fault tests and the benchmarks: a fault proxy in
// front of the test relay, and attachments of known content and size.

// startProxy puts a fault-injecting proxy, faults off, in front of r. It
// returns the proxy and a view of r whose URL is the proxy's: the devices
// formTeam makes with it reach the relay only through the proxy.
func startProxy(t testing.TB, r *testRelay, s faultproxy.Schedule, seed uint64) (*faultproxy.Proxy, *testRelay) {
	t.Helper()
	p, err := faultproxy.New(r.URL, s, seed)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	via := *r
	via.URL = p.URL
	return p, &via
}

// sizeForParts returns a plaintext size whose attachment file (the age
// ciphertext, a little larger) is cut into exactly n parts.
func sizeForParts(n int) int64 { return int64(n)*record.PartSize - record.PartSize/4 }

// pseudoRandom returns n bytes of a deterministic, incompressible stream
// (like recorded audio) for seed, without holding them in memory.
func pseudoRandom(seed uint64, n int64) io.Reader {
	var key [32]byte
	binary.LittleEndian.PutUint64(key[:], seed)
	return io.LimitReader(rand.NewChaCha8(key), n)
}

// attachment is an attachment a test imported, with what it must be
// everywhere.
type attachment struct {
	ID    string
	Size  int64    // plaintext bytes
	Sum   [32]byte // plaintext SHA-256
	Parts int
	Wire  int64 // bytes of the encrypted file, as it travels
}

// importAttachment imports size pseudo-random bytes for seed into v as an
// attachment.
func importAttachment(t testing.TB, v *storage.Vault, seed uint64, size int64) attachment {
	t.Helper()
	h := sha256.New()
	rec, err := v.ImportAttachment(io.TeeReader(pseudoRandom(seed, size), h), "recording.ogg", "audio/ogg", nil)
	if err != nil {
		t.Fatal(err)
	}
	body, err := rec.Decode()
	if err != nil {
		t.Fatal(err)
	}
	a := attachment{ID: rec.ID, Size: size, Parts: len(body.(*record.Attachment).Parts)}
	copy(a.Sum[:], h.Sum(nil))
	files, err := v.BlobsToSend()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if f.Blob != body.(*record.Attachment).Blob {
			continue
		}
		last, err := v.ReadPart(f, len(f.Parts)-1, nil)
		if err != nil {
			t.Fatal(err)
		}
		a.Wire = int64(len(f.Parts)-1)*record.PartSize + int64(len(last))
	}
	return a
}

// checkAttachment fails the test unless v holds a's exact content.
func checkAttachment(t testing.TB, v *storage.Vault, a attachment) {
	t.Helper()
	h := sha256.New()
	if _, err := v.ExportAttachment(a.ID, h); err != nil {
		t.Fatalf("attachment %s: %v", a.ID, err)
	}
	if got := h.Sum(nil); !bytes.Equal(got, a.Sum[:]) {
		t.Fatalf("attachment %s: SHA-256 %x, want %x", a.ID, got, a.Sum)
	}
}
