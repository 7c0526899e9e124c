package storage

import (
	"fmt"
	"io"
	"math/bits"

	"github.com/letapis/letapis/storage/envelope"
	"github.com/letapis/letapis/storage/record"
)

// Attachment files, version 2, are padded so that their size, on disk and
// on the relay, tells only a size bucket:
//
//	age header and nonce | age stream of (file ‖ zeros) | filler zeros
//
// The plaintext inside the age stream is the file followed by zero bytes up
// to a bucket; the Attachment record, signed and encrypted, keeps the
// file's size and SHA-256, and a reader takes exactly Size bytes and checks
// that what follows is zero. A file of up to 2 MiB is padded like an
// envelope (envelope.PaddedSize up to 64 KiB, then the next power of two),
// so its single part has the size of an envelope of the same bucket. A
// larger file fills whole parts of record.PartSize: the Padmé size
// (Nikitin et al., 2019) of its ciphertext rounded up to whole parts, so
// every part is exactly PartSize and the relay sees a part count, coarser
// still above 128 MiB. age cannot end a stream at every length (each 64 KiB
// chunk adds a 16-byte tag and the last chunk is never empty), so up to 16
// filler zero bytes after the stream make the file exactly that size.
//
// Version 1 files (the file unpadded, no filler) are read by the same
// rule: their plaintext is exactly Size bytes, and their length is one the
// stream can end at, so the filler is empty.

// Sizes of the age payload: a 16-byte nonce, then chunks of up to 64 KiB
// of plaintext each followed by a 16-byte tag.
const (
	ageNonceSize = 16
	ageChunk     = 64 << 10
	ageTag       = 16
	ageSealed    = ageChunk + ageTag // a full chunk as stored
)

// envelopeBuckets is the size up to which attachments are padded like
// envelopes; powers of two take over above it, up to smallFileLimit.
const (
	envelopeBuckets = 64 << 10
	smallFileLimit  = 2 << 20
)

// ageStreamSize returns the size of the age stream, without header and
// nonce, of p plaintext bytes.
func ageStreamSize(p int64) int64 {
	chunks := max(1, (p+ageChunk-1)/ageChunk)
	return p + chunks*ageTag
}

// ageStreamFits returns the largest age stream size, without header and
// nonce, that is at most room, and false if not even an empty stream fits.
func ageStreamFits(room int64) (int64, bool) {
	if room < ageTag {
		return 0, false
	}
	full, rest := room/ageSealed, room%ageSealed
	if rest == 0 || rest > ageTag || full == 0 {
		return room, true
	}
	// The last chunk would hold 1 to 16 bytes of tag and no plaintext.
	return full * ageSealed, true
}

// ageStreamPlaintext returns the plaintext size of an age stream of size s,
// one that ageStreamFits returned.
func ageStreamPlaintext(s int64) int64 {
	return s - (s+ageSealed-1)/ageSealed*ageTag
}

// padme rounds n up so that only the top ⌊log2 E⌋+1 bits of its E-bit
// exponent vary: at most 1/32 more for the sizes it is used at here.
func padme(n int64) int64 {
	if n < 2 {
		return n
	}
	e := 63 - bits.LeadingZeros64(uint64(n)) // ⌊log2 n⌋
	s := 64 - bits.LeadingZeros64(uint64(e)) // ⌊log2 e⌋ + 1
	mask := int64(1)<<(e-s) - 1
	return (n + mask) &^ mask
}

// attachLayout returns, for an attachment of n bytes whose file starts with
// an age header and nonce of hdr bytes, the plaintext size it is padded to
// inside the stream and the size of the whole file.
func attachLayout(n, hdr int64) (padded, file int64) {
	if n <= smallFileLimit {
		padded = int64(envelope.PaddedSize(int(n)))
		if n > envelopeBuckets {
			padded = 1 << (64 - bits.LeadingZeros64(uint64(n-1)))
		}
		return padded, hdr + ageStreamSize(padded)
	}
	file = padme(hdr+ageStreamSize(n)) + record.PartSize - 1
	file -= file % record.PartSize
	stream, _ := ageStreamFits(file - hdr)
	return ageStreamPlaintext(stream), file
}

// attachStreamEnd returns where the age stream ends in an attachment file
// of size file whose header and nonce take hdr bytes: the filler, if any,
// follows.
func attachStreamEnd(file, hdr int64) (int64, error) {
	stream, ok := ageStreamFits(file - hdr)
	if !ok {
		return 0, fmt.Errorf("%w: the file is %d bytes, too short for its header", ErrDamaged, file)
	}
	return hdr + stream, nil
}

// writeZeros writes n zero bytes to w, buf at a time.
func writeZeros(w io.Writer, n int64, buf []byte) error {
	clear(buf)
	for n > 0 {
		k := min(n, int64(len(buf)))
		if _, err := w.Write(buf[:k]); err != nil {
			return err
		}
		n -= k
	}
	return nil
}

// checkZeros reads r, the padding of an attachment file, to its end and
// reports a byte that is not zero (ErrIntegrity) or a failure to read it
// (ErrDamaged).
func checkZeros(r io.Reader, buf []byte) error {
	for {
		n, err := r.Read(buf)
		for _, b := range buf[:n] {
			if b != 0 {
				return fmt.Errorf("%w: the padding after the file is not zero", ErrIntegrity)
			}
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("%w: %w", ErrDamaged, err)
		}
	}
}
