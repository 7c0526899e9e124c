// Package envelope seals record revisions into the encrypted, signed
// envelopes that Letapis stores locally and sends through the relay.
//
// # Format (version 2)
//
// An envelope is an age file. Its plaintext is:
//
//	offset  size  field
//	0       1     format version, 0x02
//	1       4     N, big-endian length of the signed message
//	5       N     signed message: the JSON encoding of a Revision
//	5+N     64    Ed25519 signature by Revision.Author over
//	              "letapis/envelope/v2\n" || signed message
//	69+N    …     zero padding up to the size bucket (see PaddedSize)
//
// Version 2 signs, inside the revision, the team it belongs to and the
// audience and epoch whose key it is encrypted to, so that a receiver can
// check that what opened it is what its author meant (Opened.Identity).
// Version 1, written by older builds, has the same layout with format byte
// 0x01 and the context "letapis/envelope/v1\n", and signs no audience or
// epoch; Open still reads it and says so in Opened.Version.
//
// The signature sits inside the encryption, so the relay learns neither who
// wrote a revision nor what it says, and age (which does not authenticate
// senders) is backed by a signature that nobody without the author's key can
// forge. The padding hides the exact size of the record. The envelope id is
// the SHA-256 of the whole age ciphertext.
//
// Open decrypts and verifies the whole envelope before returning anything:
// age may hand out plaintext before it has seen a damaged tail, so nothing
// is parsed until every byte has been authenticated.
package envelope

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"filippo.io/age"

	"github.com/letapis/letapis/storage/hlc"
)

// Version is the envelope format version Seal writes. Open reads it and
// Version1.
const Version = 2

// Version1 is the format of builds before Version 2: no audience or epoch
// is signed.
const Version1 = 1

// MaxSize is the largest envelope plaintext accepted, padding included.
// Large content (audio, photos) travels as attachments, not in envelopes.
const MaxSize = 16 << 20

// signingContexts separate envelope signatures from any other use of a
// device key, and each format version's from the other's, by version.
var signingContexts = [...]string{Version1: "letapis/envelope/v1\n", Version: "letapis/envelope/v2\n"}

const headerSize = 1 + 4

// Errors returned by Open and Parse. Callers test with errors.Is.
var (
	// ErrUndecryptable means the envelope could not be decrypted with the
	// identities given: it is damaged, truncated, or not addressed to us.
	ErrUndecryptable = errors.New("envelope cannot be decrypted (damaged, truncated or not addressed to this vault)")
	// ErrMalformed means the decrypted plaintext does not follow the format.
	ErrMalformed = errors.New("envelope is malformed")
	// ErrBadSignature means the signature does not match the author's key.
	ErrBadSignature = errors.New("envelope signature is not valid")
	// ErrUnsupportedVersion means the envelope was written in a format
	// version this build does not know.
	ErrUnsupportedVersion = errors.New("envelope format version is not supported")
)

// ID identifies an envelope: the SHA-256 of its ciphertext.
type ID [sha256.Size]byte

// IDOf returns the id of an envelope ciphertext.
func IDOf(ciphertext []byte) ID { return sha256.Sum256(ciphertext) }

// String returns the id in lower-case hex.
func (id ID) String() string { return hex.EncodeToString(id[:]) }

// ParseID parses the hex form returned by String.
func ParseID(s string) (ID, error) {
	var id ID
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != len(id) {
		return id, fmt.Errorf("envelope id %q is not 64 hex digits", s)
	}
	copy(id[:], b)
	return id, nil
}

// Revision is one signed change to a record. Every field is covered by the
// author's signature.
type Revision struct {
	// Team is the team the revision belongs to; empty in a vault that has
	// not joined a team.
	Team string `json:"team"`
	// Record is the id of the record this revision changes.
	Record string `json:"record"`
	// ID is the revision id, unique across all records.
	ID string `json:"rev"`
	// Parents are the revision ids this revision supersedes; empty for the
	// first revision of a record.
	Parents []string `json:"parents,omitempty"`
	// Author is the Ed25519 public key of the device that wrote it.
	Author ed25519.PublicKey `json:"author"`
	// Seq is the author's sequence number: 1 for its first revision, and
	// one more for each after, so gaps and replays can be detected.
	Seq uint64 `json:"seq"`
	// Time is the author's hybrid logical clock when it wrote the revision.
	Time hlc.Timestamp `json:"time"`
	// Kind is the record kind, e.g. "person" or "testimony".
	Kind string `json:"kind"`
	// Schema is the version of the body's schema for this kind.
	Schema int `json:"schema"`
	// Op says what the revision does: "put", "seal" or "delete".
	Op string `json:"op"`
	// Body is the record content as JSON; for a delete, the tombstone
	// (storage.Tombstone), or empty in deletes written before it.
	Body json.RawMessage `json:"body,omitempty"`
	// Audience names the key the envelope is encrypted to: "" for the
	// team's audience key, a restricted audience's id, or AudienceDevice
	// for one device's own key. Signed from Version 2 on.
	Audience string `json:"audience,omitempty"`
	// Epoch is the epoch of that audience's key; 0 for AudienceDevice.
	// Signed from Version 2 on.
	Epoch uint64 `json:"epoch,omitempty"`
}

// AudienceDevice is the Audience of an envelope encrypted to one device's
// own key (a key grant). It cannot be a restricted audience's id.
const AudienceDevice = "@device"

// Opened is a decrypted and verified envelope.
type Opened struct {
	// ID is the SHA-256 of the ciphertext.
	ID ID
	// Revision is the verified content.
	Revision Revision
	// PaddedSize is the size of the plaintext, padding included.
	PaddedSize int
	// Version is the format version it was written in: Version, or
	// Version1 (whose Revision.Audience and Epoch are not signed).
	Version int
	// Identity is the one of the identities given to Open that decrypted
	// it; nil when the envelope was not opened by Open.
	Identity age.Identity
}

// PaddedSize returns the plaintext size an envelope of n meaningful bytes is
// padded to: the next power of two from 512 bytes up to 64 KiB, and the
// next multiple of 64 KiB above that. An observer of the ciphertext learns
// the bucket, not the size.
func PaddedSize(n int) int {
	const small, step = 512, 64 << 10
	if n <= small {
		return small
	}
	if n <= step {
		p := small
		for p < n {
			p <<= 1
		}
		return p
	}
	return (n + step - 1) / step * step
}

// Seal signs rev with key, pads it and encrypts it to the recipients, in
// format Version. The revision's Author must be key's public key.
func Seal(rev Revision, key ed25519.PrivateKey, recipients ...age.Recipient) ([]byte, ID, error) {
	return seal(Version, rev, key, recipients)
}

// SealVersion1 seals rev as builds before Version 2 did: the audience and
// epoch are not signed and must be empty. Receivers use what it writes to
// tell old devices from downgraded ones; nothing in Letapis writes it for
// real any more.
func SealVersion1(rev Revision, key ed25519.PrivateKey, recipients ...age.Recipient) ([]byte, ID, error) {
	if rev.Audience != "" || rev.Epoch != 0 {
		return nil, ID{}, errors.New("seal envelope: format 1 cannot carry an audience or epoch")
	}
	return seal(Version1, rev, key, recipients)
}

func seal(version byte, rev Revision, key ed25519.PrivateKey, recipients []age.Recipient) ([]byte, ID, error) {
	if !bytes.Equal(rev.Author, key.Public().(ed25519.PublicKey)) {
		return nil, ID{}, errors.New("seal envelope: author is not the signing key")
	}
	if err := rev.validate(); err != nil {
		return nil, ID{}, fmt.Errorf("seal envelope: %w", err)
	}
	msg, err := json.Marshal(rev)
	if err != nil {
		return nil, ID{}, fmt.Errorf("seal envelope: encode revision: %w", err)
	}
	used := headerSize + len(msg) + ed25519.SignatureSize
	size := PaddedSize(used)
	if size > MaxSize {
		return nil, ID{}, fmt.Errorf("seal envelope: revision of %d bytes is larger than the %d-byte limit", used, MaxSize)
	}
	plain := make([]byte, size)
	plain[0] = version
	binary.BigEndian.PutUint32(plain[1:headerSize], uint32(len(msg)))
	copy(plain[headerSize:], msg)
	copy(plain[headerSize+len(msg):], ed25519.Sign(key, signedBytes(version, msg)))

	var out bytes.Buffer
	out.Grow(size + 2048)
	w, err := age.Encrypt(&out, recipients...)
	if err != nil {
		return nil, ID{}, fmt.Errorf("seal envelope: %w", err)
	}
	if _, err := w.Write(plain); err != nil {
		return nil, ID{}, fmt.Errorf("seal envelope: %w", err)
	}
	if err := w.Close(); err != nil {
		return nil, ID{}, fmt.Errorf("seal envelope: %w", err)
	}
	clear(plain)
	ct := out.Bytes()
	return ct, IDOf(ct), nil
}

// Open decrypts the whole ciphertext with the identities, parses it and
// verifies the author's signature. It returns an error wrapping
// ErrUndecryptable, ErrUnsupportedVersion, ErrMalformed or ErrBadSignature
// when any of that fails, and never returns partial content.
func Open(ciphertext []byte, identities ...age.Identity) (*Opened, error) {
	// Decrypted at a known size, straight into one buffer: age's
	// streaming reader would allocate two 64 KiB chunk buffers for it.
	used := -1
	tracked := make([]age.Identity, len(identities))
	for i, id := range identities {
		tracked[i] = &trackedIdentity{Identity: id, used: &used, i: i}
	}
	r, size, err := age.DecryptReaderAt(bytes.NewReader(ciphertext), int64(len(ciphertext)), tracked...)
	if err == nil && used < 0 {
		err = errors.New("no identity unwrapped the file key")
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrUndecryptable, err)
	}
	if size > MaxSize {
		return nil, fmt.Errorf("%w: plaintext larger than %d bytes", ErrMalformed, MaxSize)
	}
	plain := make([]byte, size)
	if n, err := r.ReadAt(plain, 0); n < len(plain) {
		if err == nil {
			err = io.ErrUnexpectedEOF
		}
		return nil, fmt.Errorf("%w: %w", ErrUndecryptable, err)
	}
	rev, err := Parse(plain)
	if err != nil {
		return nil, err
	}
	return &Opened{ID: IDOf(ciphertext), Revision: *rev, PaddedSize: len(plain), Version: int(plain[0]), Identity: identities[used]}, nil
}

// trackedIdentity notes in used which identity unwrapped the file key.
type trackedIdentity struct {
	age.Identity
	used *int
	i    int
}

// Unwrap implements age.Identity.
func (t *trackedIdentity) Unwrap(stanzas []*age.Stanza) ([]byte, error) {
	key, err := t.Identity.Unwrap(stanzas)
	if err == nil {
		*t.used = t.i
	}
	return key, err
}

// Parse parses a decrypted envelope plaintext, in format Version or
// Version1, and verifies its signature.
func Parse(plain []byte) (*Revision, error) {
	if len(plain) < headerSize {
		return nil, fmt.Errorf("%w: %d bytes is shorter than the header", ErrMalformed, len(plain))
	}
	version := plain[0]
	if version != Version && version != Version1 {
		return nil, fmt.Errorf("%w: version %d", ErrUnsupportedVersion, version)
	}
	// Compare in 64 bits: on 32-bit platforms int(n) can be negative.
	n32 := binary.BigEndian.Uint32(plain[1:headerSize])
	if uint64(n32)+headerSize+ed25519.SignatureSize > uint64(len(plain)) {
		return nil, fmt.Errorf("%w: signed message of %d bytes does not fit in %d bytes", ErrMalformed, n32, len(plain))
	}
	n := int(n32)
	end := headerSize + n + ed25519.SignatureSize
	if len(plain) != PaddedSize(end) {
		return nil, fmt.Errorf("%w: padded to %d bytes, want %d", ErrMalformed, len(plain), PaddedSize(end))
	}
	for _, b := range plain[end:] {
		if b != 0 {
			return nil, fmt.Errorf("%w: padding is not zero", ErrMalformed)
		}
	}
	msg := plain[headerSize : headerSize+n]
	sig := plain[headerSize+n : end]

	var rev Revision
	if err := json.Unmarshal(msg, &rev); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	if err := rev.validate(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	if !ed25519.Verify(rev.Author, signedBytes(version, msg), sig) {
		return nil, ErrBadSignature
	}
	if version == Version1 {
		// Format 1 has no audience or epoch: a field of that name in its
		// message is not one.
		rev.Audience, rev.Epoch = "", 0
	}
	return &rev, nil
}

func signedBytes(version byte, msg []byte) []byte {
	return append([]byte(signingContexts[version]), msg...)
}

// Ops a revision may carry.
const (
	OpPut    = "put"
	OpSeal   = "seal"
	OpDelete = "delete"
)

func (r *Revision) validate() error {
	switch {
	case r.Record == "":
		return errors.New("record id is empty")
	case r.ID == "":
		return errors.New("revision id is empty")
	case len(r.Author) != ed25519.PublicKeySize:
		return fmt.Errorf("author key is %d bytes, want %d", len(r.Author), ed25519.PublicKeySize)
	case r.Seq == 0:
		return errors.New("author sequence number is 0")
	case r.Time.IsZero():
		return errors.New("time is zero")
	case r.Kind == "":
		return errors.New("kind is empty")
	case r.Schema < 1:
		return fmt.Errorf("schema version %d is below 1", r.Schema)
	}
	switch r.Op {
	case OpPut, OpSeal:
		if len(r.Body) == 0 || string(r.Body) == "null" {
			return fmt.Errorf("%s revision has no body", r.Op)
		}
	case OpDelete:
		// A delete's body, if any, is its tombstone (reason, seal hash,
		// authors); deletes written before tombstones had none.
	default:
		return fmt.Errorf("unknown operation %q", r.Op)
	}
	return nil
}
