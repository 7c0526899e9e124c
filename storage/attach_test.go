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
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/letapis/letapis/storage/record"
)

func TestAttachmentRoundTripRecordsPlaintextHash(t *testing.T) {
	for _, size := range []int{0, 1, 64<<10 - 1, 64 << 10, 64<<10 + 1, 3<<20 + 7, 9<<20 + 5} {
		data := make([]byte, size)
		rand.Read(data)
		v := newVault(t)
		r, err := v.ImportAttachment(bytes.NewReader(data), "../../etc/evidence.bin", "", nil)
		if err != nil {
			t.Fatalf("size %d: %v", size, err)
		}
		body, _ := r.Decode()
		a := body.(*record.Attachment)
		sum := sha256.Sum256(data)
		if a.SHA256 != hex.EncodeToString(sum[:]) || a.Size != int64(size) || a.Name != "evidence.bin" {
			t.Fatalf("size %d: recorded %+v", size, a)
		}
		ct, err := os.ReadFile(v.blobPath(a.Blob))
		if err != nil {
			t.Fatal(err)
		}
		var parts []string
		for off := 0; off < len(ct); off += record.PartSize {
			p := sha256.Sum256(ct[off:min(off+record.PartSize, len(ct))])
			parts = append(parts, hex.EncodeToString(p[:]))
		}
		if !slices.Equal(parts, a.Parts) {
			t.Fatalf("size %d: recorded parts %v, the file has %v", size, a.Parts, parts)
		}
		var out bytes.Buffer
		if _, err := v.ExportAttachment(r.ID, &out); err != nil {
			t.Fatalf("size %d: export: %v", size, err)
		}
		if !bytes.Equal(out.Bytes(), data) {
			t.Fatalf("size %d: exported bytes differ", size)
		}
	}
}

func TestAttachmentMediaTypeIsGuessed(t *testing.T) {
	v := newVault(t)
	for name, want := range map[string]string{"a.pdf": "application/pdf", "noext": "text/plain; charset=utf-8"} {
		r, err := v.ImportAttachment(strings.NewReader("plain words"), name, "", nil)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := r.Decode()
		if got := b.(*record.Attachment).MediaType; got != want {
			t.Errorf("%s: media type %q, want %q", name, got, want)
		}
	}
}

func TestDamagedAttachmentFileIsReported(t *testing.T) {
	data := bytes.Repeat([]byte("evidence "), 50_000)
	for name, damage := range map[string]func([]byte) []byte{
		"bit flip":  func(b []byte) []byte { b[len(b)/2] ^= 1; return b },
		"truncated": func(b []byte) []byte { return b[:len(b)-100] },
	} {
		t.Run(name, func(t *testing.T) {
			v := newVault(t)
			r, err := v.ImportAttachment(bytes.NewReader(data), "a.txt", "", nil)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := r.Decode()
			path := v.blobPath(b.(*record.Attachment).Blob)
			ct, _ := os.ReadFile(path)
			os.WriteFile(path, damage(ct), 0o600)
			_, err = v.ExportAttachment(r.ID, io.Discard)
			if !errors.Is(err, ErrDamaged) && !errors.Is(err, ErrIntegrity) {
				t.Fatalf("got %v, want ErrDamaged or ErrIntegrity", err)
			}
		})
	}
}

// endlessReader yields n bytes of a repeating pattern without holding them.
type endlessReader struct{ left int64 }

func (r *endlessReader) Read(p []byte) (int, error) {
	if r.left <= 0 {
		return 0, io.EOF
	}
	n := min(int64(len(p)), r.left)
	for i := range p[:n] {
		p[i] = byte(i)
	}
	r.left -= n
	return int(n), nil
}

func TestLargeAttachmentStreamsInConstantMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("writes 256 MiB")
	}
	const size = 256 << 20
	v := newVault(t)
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	r, err := v.ImportAttachment(&endlessReader{left: size}, "interview.wav", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v.ExportAttachment(r.ID, io.Discard); err != nil {
		t.Fatal(err)
	}
	runtime.ReadMemStats(&after)
	if grew := int64(after.HeapSys) - int64(before.HeapSys); grew > 64<<20 {
		t.Fatalf("heap grew by %d MiB importing and exporting %d MiB", grew>>20, size>>20)
	}
}

// failingReader yields left bytes and then fails, as a cancelled import does.
type failingReader struct{ left int64 }

var errGaveUp = errors.New("gave up")

func (r *failingReader) Read(p []byte) (int, error) {
	if r.left <= 0 {
		return 0, errGaveUp
	}
	n := min(int64(len(p)), r.left)
	clear(p[:n])
	r.left -= n
	return int(n), nil
}

func TestFailedImportLeavesNoFileAndNoRecord(t *testing.T) {
	v := newVault(t)
	_, err := v.ImportAttachment(&failingReader{left: 3<<20 + 5}, "interview.wav", "audio/wav", nil)
	if !errors.Is(err, errGaveUp) {
		t.Fatalf("import from a failing reader: %v", err)
	}
	left, err := os.ReadDir(filepath.Join(v.Dir(), blobDirName))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range left {
		t.Errorf("%s left in the attachment folder", e.Name())
	}
	if err := v.List(record.KindAttachment, func(s Summary) bool {
		t.Errorf("attachment record %s saved", s.ID)
		return true
	}); err != nil {
		t.Fatal(err)
	}
}

// failingWriter accepts left bytes and then fails.
type failingWriter struct{ left int }

func (w *failingWriter) Write(p []byte) (int, error) {
	if len(p) > w.left {
		return 0, errGaveUp
	}
	w.left -= len(p)
	return len(p), nil
}

func TestExportToFailingWriterIsNotDamage(t *testing.T) {
	v := newVault(t)
	r, err := v.ImportAttachment(&endlessReader{left: 3 << 20}, "scan.bin", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = v.ExportAttachment(r.ID, &failingWriter{left: 1 << 20})
	if !errors.Is(err, errGaveUp) || errors.Is(err, ErrDamaged) || errors.Is(err, ErrIntegrity) {
		t.Fatalf("export to a failing writer: %v; want the writer's error, not damage", err)
	}
}
