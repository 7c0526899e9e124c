package storage

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"mime"
	"net/http"
	"os"
	"path/filepath"
	"strings"

	"filippo.io/age"

	"github.com/letapis/letapis/storage/record"
)

// copyBufferSize is the unit in which attachments are streamed; memory use
// does not grow with the file.
const copyBufferSize = 1 << 20

// shredBytes is how much of an attachment file is overwritten when it is
// destroyed: the age header, with the wrapped file key, and well beyond.
const shredBytes = 64 << 10

func (v *Vault) blobPath(blob string) string {
	return filepath.Join(v.dir, blobDirName, blob+".age")
}

// ImportAttachment streams src into the vault as an encrypted attachment
// and saves an Attachment record for it. The SHA-256 of the plaintext is
// taken while importing and recorded for the chain of custody. mediaType
// may be empty, in which case it is guessed from the name and content.
// Memory use is constant whatever the size of src.
func (v *Vault) ImportAttachment(src io.Reader, name, mediaType string, about []string) (*Record, error) {
	return v.ImportAttachmentTo(src, name, mediaType, about, "")
}

// ImportAttachmentTo is ImportAttachment for a file that only the members
// of a restricted audience may read (see Testimony.Audience); an empty
// audience means the whole team.
func (v *Vault) ImportAttachmentTo(src io.Reader, name, mediaType string, about []string, audience string) (*Record, error) {
	name = filepath.Base(strings.TrimSpace(name))
	if name == "." || name == string(filepath.Separator) {
		return nil, errors.New("import attachment: the file name is empty")
	}
	br := bufio.NewReaderSize(src, copyBufferSize)
	if mediaType == "" {
		mediaType = guessMediaType(name, br)
	}
	a := &record.Attachment{Name: name, MediaType: mediaType, Blob: NewID(), About: about, Audience: audience}
	var err error
	if a.Size, a.SHA256, a.Parts, err = v.writeBlob(a, br); err != nil {
		return nil, fmt.Errorf("import attachment %s: %w", name, err)
	}
	rec, err := v.Add(a)
	if err != nil {
		if rmErr := os.Remove(v.blobPath(a.Blob)); rmErr != nil {
			v.opts.Logger.Warn("removing an attachment file whose record was not saved failed", "err", rmErr)
		}
		return nil, fmt.Errorf("import attachment %s: %w", name, err)
	}
	return rec, nil
}

func guessMediaType(name string, br *bufio.Reader) string {
	if t := mime.TypeByExtension(strings.ToLower(filepath.Ext(name))); t != "" {
		return t
	}
	head, _ := br.Peek(512)
	return http.DetectContentType(head)
}

// writeBlob encrypts src into the file of attachment a, padded as
// attachLayout says, through a synced temp file and returns the plaintext
// size and SHA-256, and the ids of the file's parts.
func (v *Vault) writeBlob(a *record.Attachment, src io.Reader) (size int64, sum string, parts []string, err error) {
	v.mu.RLock()
	defer v.mu.RUnlock()
	if err := v.recordsWritable(copyBufferSize); err != nil {
		return 0, "", nil, err
	}
	to, err := v.recipientFor(a)
	if err != nil {
		return 0, "", nil, err
	}
	dir := filepath.Join(v.dir, blobDirName)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return 0, "", nil, err
	}
	tmp, err := os.CreateTemp(dir, ".tmp-*")
	if err != nil {
		return 0, "", nil, err
	}
	defer os.Remove(tmp.Name()) // no-op after the rename
	defer tmp.Close()

	ph := &partHasher{}
	out := &countingWriter{w: io.MultiWriter(&spaceCheckingWriter{w: tmp, dir: v.dir, min: v.opts.MinFreeBytes}, ph)}
	w, err := age.Encrypt(out, to.to...)
	if err != nil {
		return 0, "", nil, err
	}
	hdr := out.n // age.Encrypt has written the header and nonce
	h := sha256.New()
	buf := make([]byte, copyBufferSize)
	if size, err = io.CopyBuffer(w, io.TeeReader(src, h), buf); err != nil {
		return 0, "", nil, err
	}
	padded, file := attachLayout(size, hdr)
	if err := writeZeros(w, padded-size, buf); err != nil {
		return 0, "", nil, err
	}
	if err := w.Close(); err != nil {
		return 0, "", nil, err
	}
	if err := writeZeros(out, file-out.n, buf); err != nil {
		return 0, "", nil, err
	}
	if err := tmp.Sync(); err != nil {
		return 0, "", nil, err
	}
	if err := tmp.Close(); err != nil {
		return 0, "", nil, err
	}
	if err := os.Rename(tmp.Name(), v.blobPath(a.Blob)); err != nil {
		return 0, "", nil, err
	}
	if err := syncDir(dir); err != nil {
		return 0, "", nil, err
	}
	return size, hex.EncodeToString(h.Sum(nil)), ph.ids(), nil
}

// partHasher hashes a stream in record.PartSize pieces.
type partHasher struct {
	h     hash.Hash
	n     int
	parts []string
}

func (p *partHasher) Write(b []byte) (int, error) {
	written := len(b)
	for len(b) > 0 {
		if p.h == nil {
			p.h, p.n = sha256.New(), 0
		}
		k := min(len(b), record.PartSize-p.n)
		p.h.Write(b[:k])
		p.n += k
		b = b[k:]
		if p.n == record.PartSize {
			p.flush()
		}
	}
	return written, nil
}

func (p *partHasher) flush() {
	p.parts = append(p.parts, hex.EncodeToString(p.h.Sum(nil)))
	p.h = nil
}

// ids returns the part ids, the last partial part included.
func (p *partHasher) ids() []string {
	if p.h != nil {
		p.flush()
	}
	return p.parts
}

// countingWriter counts the bytes written through it.
type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// spaceCheckingWriter refuses to write once free space on the vault's
// file system drops below min.
type spaceCheckingWriter struct {
	w       io.Writer
	dir     string
	min     int64
	pending int64
}

func (s *spaceCheckingWriter) Write(p []byte) (int, error) {
	s.pending += int64(len(p))
	if s.pending >= copyBufferSize {
		if err := checkFree(s.dir, s.min+s.pending); err != nil {
			return 0, err
		}
		s.pending = 0
	}
	return s.w.Write(p)
}

// ExportAttachment writes the decrypted content of attachment id to dst and
// checks it against the SHA-256 recorded at import. If the file was
// damaged, the error wraps ErrIntegrity or ErrDamaged, and what was
// already written to dst must be discarded by the caller.
func (v *Vault) ExportAttachment(id string, dst io.Writer) (*record.Attachment, error) {
	rec, err := v.Get(id)
	if err != nil {
		return nil, fmt.Errorf("export attachment: %w", err)
	}
	if rec.Kind != record.KindAttachment {
		return nil, fmt.Errorf("export attachment %s: it is a %s, not an attachment", id, rec.Kind)
	}
	body, err := rec.Decode()
	if err != nil {
		return nil, fmt.Errorf("export attachment: %w", err)
	}
	a := body.(*record.Attachment)

	v.mu.RLock()
	defer v.mu.RUnlock()
	if v.db == nil {
		return nil, fmt.Errorf("export attachment: %w", ErrLocked)
	}
	f, err := os.Open(v.blobPath(a.Blob))
	if err != nil {
		return nil, fmt.Errorf("export attachment %s: the encrypted file is missing: %w", a.Name, err)
	}
	defer f.Close()
	r, filler, err := v.openBlob(f)
	if err != nil {
		return nil, fmt.Errorf("export attachment %s: %w", a.Name, err)
	}
	h := sha256.New()
	out := &destWriter{w: dst}
	buf := make([]byte, copyBufferSize)
	n, err := io.CopyBuffer(io.MultiWriter(out, h), io.LimitReader(r, a.Size), buf)
	if err != nil {
		if out.err != nil {
			// The destination failed or gave up: the file is not damaged.
			return nil, fmt.Errorf("export attachment %s: %w", a.Name, out.err)
		}
		return nil, fmt.Errorf("export attachment %s: %w", a.Name, classifyReadErr(err))
	}
	if err := checkZeros(r, buf); err != nil {
		return nil, fmt.Errorf("export attachment %s: %w", a.Name, err)
	}
	if err := checkZeros(filler, buf); err != nil {
		return nil, fmt.Errorf("export attachment %s: %w", a.Name, err)
	}
	if got := hex.EncodeToString(h.Sum(nil)); n != a.Size || got != a.SHA256 {
		return nil, fmt.Errorf("export attachment %s: %w (size %d, recorded %d)", a.Name, ErrIntegrity, n, a.Size)
	}
	return a, nil
}

// openBlob opens the age stream of an attachment file, of either version
// (see attachLayout), and returns its plaintext and the filler after it.
func (v *Vault) openBlob(f *os.File) (plain, filler io.Reader, err error) {
	info, err := f.Stat()
	if err != nil {
		return nil, nil, err
	}
	hdr, err := age.ExtractHeader(bufio.NewReader(f))
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %w", ErrDamaged, err)
	}
	end, err := attachStreamEnd(info.Size(), int64(len(hdr))+ageNonceSize)
	if err != nil {
		return nil, nil, err
	}
	r, err := age.Decrypt(bufio.NewReaderSize(io.NewSectionReader(f, 0, end), copyBufferSize), v.identities()...)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %w", ErrDamaged, err)
	}
	return r, io.NewSectionReader(f, end, info.Size()-end), nil
}

// destWriter remembers the error of the writer an attachment is exported
// to, so that it is not taken for damage to the attachment's file.
type destWriter struct {
	w   io.Writer
	err error
}

func (d *destWriter) Write(p []byte) (int, error) {
	n, err := d.w.Write(p)
	if err != nil {
		d.err = err
	}
	return n, err
}

// classifyReadErr marks age stream failures (a damaged or truncated file)
// as ErrDamaged, leaving errors of the destination as they are.
func classifyReadErr(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return err
	}
	return fmt.Errorf("%w: %w", ErrDamaged, err)
}

// attachmentOf decodes an attachment record's body.
func attachmentOf(body json.RawMessage) (*record.Attachment, error) {
	var a record.Attachment
	if err := json.Unmarshal(body, &a); err != nil {
		return nil, err
	}
	return &a, nil
}
