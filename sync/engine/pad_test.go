package engine

import (
	"bytes"
	"context"
	"crypto/rand"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"filippo.io/age"

	"github.com/letapis/letapis/storage/record"
)

// TestRelaySeesOnlyAttachmentSizeBuckets syncs attachments of many sizes
// through the real relay and reads, from what the relay stores, the size
// of every part: each is an allowed bucket, the parts of a file are all
// the same size, and files of 3.0 and 3.9 MiB look the same.
func TestRelaySeesOnlyAttachmentSizeBuckets(t *testing.T) {
	r := startRelay(t)
	ds := formTeam(t, r, 2)
	a, b := ds[0], ds[1]
	st, err := a.v.Team()
	if err != nil {
		t.Fatal(err)
	}

	// The sizes an observer may see: a single part the size of an envelope
	// padded to a bucket up to 2 MiB, or whole parts.
	id, err := age.GenerateHybridIdentity()
	if err != nil {
		t.Fatal(err)
	}
	var hdr countingDiscard
	if _, err := age.Encrypt(&hdr, id.Recipient()); err != nil {
		t.Fatal(err)
	}
	allowed := map[int64]bool{record.PartSize: true}
	for p := int64(512); p <= 2<<20; p *= 2 { // the envelope buckets, then powers of two
		allowed[int64(hdr)+p+(p+65535)/65536*16] = true
	}

	sizes := []int{1, 1000, 5000, 70_000, 3 << 20, 3994 << 10, 4198 << 10, 5 << 20}
	datas := map[string][]byte{}
	var order []string
	for _, n := range sizes {
		data := make([]byte, n)
		rand.Read(data)
		rec, err := a.v.ImportAttachment(bytes.NewReader(data), "f.bin", "", nil)
		if err != nil {
			t.Fatal(err)
		}
		datas[rec.ID], order = data, append(order, rec.ID)
	}
	// A record whose envelope falls in the same bucket as the 5,000-byte
	// file (8 KiB).
	note, err := a.v.Add(&record.Note{Text: strings.Repeat("testimony ", 500)})
	if err != nil {
		t.Fatal(err)
	}
	syncAll(t, a, b)

	partSizes := map[string][]int64{}
	onRelay := map[string]int64{}
	for _, recID := range order {
		var got bytes.Buffer
		att, err := b.v.ExportAttachment(recID, &got)
		if err != nil || !bytes.Equal(got.Bytes(), datas[recID]) {
			t.Fatalf("%d-byte attachment on the other device: %v", len(datas[recID]), err)
		}
		for _, part := range att.Parts {
			blob, err := r.store.OpenBlob(context.Background(), st.Team, part)
			if err != nil {
				t.Fatal(err)
			}
			n, err := blob.Seek(0, io.SeekEnd)
			blob.Close()
			if err != nil {
				t.Fatal(err)
			}
			if !allowed[n] {
				t.Errorf("%d-byte attachment: a part of %d bytes on the relay, not an allowed bucket", len(datas[recID]), n)
			}
			partSizes[recID] = append(partSizes[recID], n)
			onRelay[part] = n
		}
		if ps := partSizes[recID]; slices.Min(ps) != slices.Max(ps) {
			t.Errorf("%d-byte attachment: parts of different sizes %v", len(datas[recID]), ps)
		}
	}
	h, err := a.v.History(note.ID)
	if err != nil {
		t.Fatal(err)
	}
	env, err := r.store.OpenBlob(context.Background(), st.Team, h[0].Envelope)
	if err != nil {
		t.Fatal(err)
	}
	envSize, err := env.Seek(0, io.SeekEnd)
	env.Close()
	if err != nil || envSize != partSizes[order[2]][0] {
		t.Errorf("a note's envelope is %d bytes, the 5,000-byte file's part %d: they should look alike (%v)", envSize, partSizes[order[2]][0], err)
	}
	if a, b := partSizes[order[4]], partSizes[order[5]]; !slices.Equal(a, b) {
		t.Errorf("3.0 and 3.9 MiB look different to the relay: %v and %v", a, b)
	}
	if a, b := partSizes[order[6]], partSizes[order[7]]; !slices.Equal(a, b) || len(a) != 2 {
		t.Errorf("4.1 and 5 MiB: parts %v and %v, want two whole parts each", a, b)
	}

	// The relay's own files (parts from 1 MiB are kept as files) have the
	// same sizes: nothing else on its disk tells the file's size.
	found := 0
	err = filepath.WalkDir(r.Dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		part, ok := strings.CutPrefix(d.Name(), st.Team+".")
		if want, known := onRelay[part]; ok && known {
			info, err := os.Stat(path)
			if err != nil {
				return err
			}
			if info.Size() != want {
				t.Errorf("relay file %s is %d bytes, the blob %d", d.Name(), info.Size(), want)
			}
			found++
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if found == 0 {
		t.Fatal("no part found among the relay's files")
	}
}

// countingDiscard counts the bytes written to it.
type countingDiscard int

func (c *countingDiscard) Write(p []byte) (int, error) {
	*c += countingDiscard(len(p))
	return len(p), nil
}
