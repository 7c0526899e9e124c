package storage

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"filippo.io/age"

	"github.com/letapis/letapis/storage/envelope"
	"github.com/letapis/letapis/storage/record"
)

// hybridHeader is the size of the age header and nonce of a file encrypted
// to one hybrid recipient, as every vault and team audience is.
func hybridHeader(t testing.TB) int64 {
	t.Helper()
	id, err := age.GenerateHybridIdentity()
	if err != nil {
		t.Fatal(err)
	}
	c := &countingWriter{w: io.Discard}
	if _, err := age.Encrypt(c, id.Recipient()); err != nil {
		t.Fatal(err)
	}
	return c.n
}

func TestAttachLayoutFillsBucketsExactly(t *testing.T) {
	// 64523 makes the first whole part end where age cannot end a stream
	// (PartSize - 64523 leaves 5 bytes after full chunks): the filler case.
	hdrs := []int64{hybridHeader(t), 184, 64523}
	sizes := []int64{0, 1, 493, 512, 513, 1000, 5000, 64 << 10, 64<<10 + 1, 70_000, 1 << 20, 2 << 20, 2<<20 + 1,
		3 << 20, 3994 << 10, 4 << 20, 4<<20 + 1, 5 << 20, 64 << 20, 128<<20 + 3, 1 << 30, 3<<30 + 7}
	for i := range 200 {
		sizes = append(sizes, int64(i)*40_961_111%(6<<30))
	}
	filler := false
	for _, hdr := range hdrs {
		for _, n := range sizes {
			padded, file := attachLayout(n, hdr)
			end, err := attachStreamEnd(file, hdr)
			switch {
			case err != nil:
				t.Fatalf("hdr %d, n %d: %v", hdr, n, err)
			case padded < n:
				t.Fatalf("hdr %d, n %d: padded to %d", hdr, n, padded)
			case end != hdr+ageStreamSize(padded) || file-end < 0 || file-end > ageTag:
				t.Fatalf("hdr %d, n %d: stream ends at %d, want %d in a file of %d", hdr, n, end, hdr+ageStreamSize(padded), file)
			case n <= envelopeBuckets && padded != int64(envelope.PaddedSize(int(n))):
				t.Fatalf("hdr %d, n %d: padded to %d, not to the envelope bucket", hdr, n, padded)
			case n > smallFileLimit && file%record.PartSize != 0:
				t.Fatalf("hdr %d, n %d: file of %d bytes is not whole parts", hdr, n, file)
			case n > 128<<20 && float64(file) > 1.035*float64(n):
				t.Fatalf("hdr %d, n %d: file of %d bytes, more than 3.5%% over", hdr, n, file)
			}
			filler = filler || file != end
		}
	}
	if !filler {
		t.Fatal("no layout needed filler after the stream: the case is not tested")
	}
}

func TestAttachmentFileSizeRevealsOnlyABucket(t *testing.T) {
	v := newVault(t)
	hdr := hybridHeader(t)
	size := func(n int) int64 {
		data := make([]byte, n)
		rand.Read(data)
		r, err := v.ImportAttachment(bytes.NewReader(data), "f.bin", "", nil)
		if err != nil {
			t.Fatal(err)
		}
		var out bytes.Buffer
		a, err := v.ExportAttachment(r.ID, &out)
		if err != nil || !bytes.Equal(out.Bytes(), data) {
			t.Fatalf("%d bytes: export: %v (%d bytes back)", n, err, out.Len())
		}
		info, err := os.Stat(v.blobPath(a.Blob))
		if err != nil {
			t.Fatal(err)
		}
		return info.Size()
	}
	for n, bucket := range map[int]int64{1: 512, 1000: 1024, 5000: 8192, 70_000: 128 << 10, 1<<20 + 1: 2 << 20} {
		if got, want := size(n), hdr+ageStreamSize(bucket); got != want {
			t.Errorf("%d bytes: file of %d bytes, want %d (bucket %d)", n, got, want, bucket)
		}
	}
	if a, b := size(3<<20), size(3994<<10); a != record.PartSize || b != record.PartSize {
		t.Errorf("3.0 and 3.9 MiB: files of %d and %d bytes, want one whole part each", a, b)
	}
	if a, b := size(4198<<10), size(5<<20); a != 2*record.PartSize || b != 2*record.PartSize {
		t.Errorf("4.1 and 5 MiB: files of %d and %d bytes, want two whole parts each", a, b)
	}
}

// importV1 imports data as the code before padding did: an age stream of
// the file alone, cut into parts of PartSize with a shorter last one.
func importV1(t *testing.T, v *Vault, data []byte) *Record {
	t.Helper()
	a := &record.Attachment{Name: "old.bin", MediaType: "application/octet-stream", Blob: NewID(), Size: int64(len(data))}
	sum := sha256.Sum256(data)
	a.SHA256 = hex.EncodeToString(sum[:])
	to, err := v.recipientFor(a)
	if err != nil {
		t.Fatal(err)
	}
	var ct bytes.Buffer
	w, err := age.Encrypt(&ct, to.to...)
	if err != nil {
		t.Fatal(err)
	}
	w.Write(data)
	w.Close()
	ph := &partHasher{}
	ph.Write(ct.Bytes())
	a.Parts = ph.ids()
	if err := os.MkdirAll(filepath.Join(v.Dir(), blobDirName), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(v.blobPath(a.Blob), ct.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	r, err := v.Add(a)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestUnpaddedAttachmentsOfOldVersionsOpenAndSync(t *testing.T) {
	log, vs := newTeam(t, 2)
	a, b := vs[0], vs[1]
	var recs []*Record
	var datas [][]byte
	for _, n := range []int{0, 1000, 70_000, 5<<20 + 3} {
		data := make([]byte, n)
		rand.Read(data)
		recs, datas = append(recs, importV1(t, a, data)), append(datas, data)
	}
	log.exchange(t, a, b)
	for i, r := range recs {
		for _, v := range []*Vault{a, b} {
			var out bytes.Buffer
			if _, err := v.ExportAttachment(r.ID, &out); err != nil || !bytes.Equal(out.Bytes(), datas[i]) {
				t.Fatalf("old attachment of %d bytes: %v (%d bytes back)", len(datas[i]), err, out.Len())
			}
		}
	}
}

func TestNonZeroPaddingIsRefused(t *testing.T) {
	v := newVault(t)
	// A member writes a file whose padding carries hidden bytes: the
	// record says 1000 bytes, the stream holds 1024 of which the last are
	// not zero.
	data := make([]byte, 1024)
	rand.Read(data)
	r := importV1(t, v, data)
	rec, _ := r.Decode()
	a := rec.(*record.Attachment)
	sum := sha256.Sum256(data[:1000])
	a.Size, a.SHA256 = 1000, hex.EncodeToString(sum[:])
	r, err := v.Update(r.ID, a)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v.ExportAttachment(r.ID, io.Discard); !errors.Is(err, ErrIntegrity) {
		t.Fatalf("export with non-zero padding: %v, want ErrIntegrity", err)
	}
}

func TestFillerAfterTheStreamIsReadAndChecked(t *testing.T) {
	v := newVault(t)
	hdr := hybridHeader(t)
	// A file length the stream cannot end at: 5 bytes past one full chunk.
	file := hdr + ageSealed + 5
	stream, _ := ageStreamFits(file - hdr)
	data := make([]byte, ageStreamPlaintext(stream))
	rand.Read(data)
	r := importV1(t, v, data)
	rec, _ := r.Decode()
	path := v.blobPath(rec.(*record.Attachment).Blob)
	for _, tc := range []struct {
		filler []byte
		want   error
	}{{make([]byte, 5), nil}, {[]byte{0, 0, 7, 0, 0}, ErrIntegrity}} {
		f, err := os.OpenFile(path, os.O_WRONLY, 0)
		if err != nil {
			t.Fatal(err)
		}
		f.WriteAt(tc.filler, hdr+stream)
		f.Close()
		var out bytes.Buffer
		_, err = v.ExportAttachment(r.ID, &out)
		if !errors.Is(err, tc.want) || (tc.want == nil && !bytes.Equal(out.Bytes(), data)) {
			t.Fatalf("filler %v: %v, want %v", tc.filler, err, tc.want)
		}
	}
}
