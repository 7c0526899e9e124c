// Package keyfile reads and writes key files, which hold a device's
// secrets under the vault passphrase, and the key slots (slots.go) that
// hold them in a vault.
//
// # Format (version 1)
//
//	letapis-key/v1\n
//	sha256:<64 lower-case hex digits>\n
//	<age file encrypted with an scrypt passphrase recipient>
//
// The age plaintext is the JSON encoding of Secrets. The SHA-256 line covers
// the age file that follows it. It is not a security measure (age already
// authenticates the file) but what lets Letapis tell a damaged key file from
// a wrong passphrase: to age both look the same, an unwrapping failure.
package keyfile

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"filippo.io/age"
)

const magic = "letapis-key/v1\n"
const sumPrefix = "sha256:"
const headerLen = len(magic) + len(sumPrefix) + 2*sha256.Size + 1

// maxFileSize bounds what Parse accepts; a real key file is a few KiB.
const maxFileSize = 1 << 20

// DefaultWorkFactor is the scrypt work factor (log2 N) used when the caller
// does not choose one: age's own default, about a second on a laptop.
const DefaultWorkFactor = 18

// maxWorkFactor is the highest work factor accepted when decrypting, so a
// planted key file cannot make unlocking take hours.
const maxWorkFactor = 22

// Errors returned by Decode. Callers test with errors.Is.
var (
	// ErrWrongPassphrase means the file is intact but the passphrase does
	// not open it.
	ErrWrongPassphrase = errors.New("wrong passphrase")
	// ErrDamaged means the file is truncated, altered or not a key file.
	ErrDamaged = errors.New("key file is damaged")
)

// Secrets are a device's keys. They never leave a key file in the clear.
type Secrets struct {
	// SigningKey is the seed of the device's Ed25519 signing key.
	SigningKey []byte `json:"signing_seed"`
	// Identity is the device's age identity, in age's text form; a
	// post-quantum hybrid (ML-KEM-768 + X25519) identity for new vaults.
	Identity string `json:"age_identity"`
	// StoreKey is the 32-byte master key of the encrypted Badger store.
	StoreKey []byte `json:"store_key"`
	// StoreGeneration names the store directory under db/ that StoreKey
	// opens. A purge rewrites the store into a new generation under a new
	// key and then replaces this file, which makes the old one noise.
	StoreGeneration uint64 `json:"store_generation"`
}

// Signer returns the Ed25519 private key.
func (s *Secrets) Signer() ed25519.PrivateKey { return ed25519.NewKeyFromSeed(s.SigningKey) }

func (s *Secrets) validate() error {
	if len(s.SigningKey) != ed25519.SeedSize {
		return fmt.Errorf("signing key is %d bytes, want %d", len(s.SigningKey), ed25519.SeedSize)
	}
	if len(s.StoreKey) != 32 {
		return fmt.Errorf("store key is %d bytes, want 32", len(s.StoreKey))
	}
	if _, err := age.ParseHybridIdentity(s.Identity); err != nil {
		if _, err2 := age.ParseX25519Identity(s.Identity); err2 != nil {
			return fmt.Errorf("age identity: %w", err)
		}
	}
	return nil
}

// Encode encrypts the secrets with passphrase at the given scrypt work
// factor (log2 N; 0 means DefaultWorkFactor) and returns the file bytes.
func Encode(s *Secrets, passphrase string, workFactor int) ([]byte, error) {
	if err := s.validate(); err != nil {
		return nil, fmt.Errorf("encode key file: %w", err)
	}
	if passphrase == "" {
		return nil, errors.New("encode key file: passphrase is empty")
	}
	if workFactor == 0 {
		workFactor = DefaultWorkFactor
	}
	if workFactor < 1 || workFactor > maxWorkFactor {
		return nil, fmt.Errorf("encode key file: work factor %d is outside 1..%d", workFactor, maxWorkFactor)
	}
	plain, err := json.Marshal(s)
	if err != nil {
		return nil, fmt.Errorf("encode key file: %w", err)
	}
	defer clear(plain)
	r, err := age.NewScryptRecipient(passphrase)
	if err != nil {
		return nil, fmt.Errorf("encode key file: %w", err)
	}
	r.SetWorkFactor(workFactor)
	var ct bytes.Buffer
	w, err := age.Encrypt(&ct, r)
	if err != nil {
		return nil, fmt.Errorf("encode key file: %w", err)
	}
	if _, err := w.Write(plain); err != nil {
		return nil, fmt.Errorf("encode key file: %w", err)
	}
	if err := w.Close(); err != nil {
		return nil, fmt.Errorf("encode key file: %w", err)
	}
	sum := sha256.Sum256(ct.Bytes())
	out := make([]byte, 0, headerLen+ct.Len())
	out = append(out, magic...)
	out = append(out, sumPrefix...)
	out = hex.AppendEncode(out, sum[:])
	out = append(out, '\n')
	return append(out, ct.Bytes()...), nil
}

// Parse checks the framing and checksum of a key file and returns the age
// ciphertext inside it. It needs no passphrase; an error wraps ErrDamaged.
func Parse(file []byte) ([]byte, error) {
	if len(file) > maxFileSize {
		return nil, fmt.Errorf("%w: %d bytes is larger than any key file", ErrDamaged, len(file))
	}
	if len(file) < headerLen || string(file[:len(magic)]) != magic {
		return nil, fmt.Errorf("%w: it does not start with the key file header", ErrDamaged)
	}
	line := file[len(magic) : headerLen-1]
	if string(line[:len(sumPrefix)]) != sumPrefix || file[headerLen-1] != '\n' {
		return nil, fmt.Errorf("%w: checksum line is malformed", ErrDamaged)
	}
	var want [sha256.Size]byte
	digits := line[len(sumPrefix):]
	// hex.Decode accepts upper case too; the format is lower case only, so
	// that no bit of the file can change without Parse noticing.
	if _, err := hex.Decode(want[:], digits); err != nil || hex.EncodeToString(want[:]) != string(digits) {
		return nil, fmt.Errorf("%w: checksum line is malformed", ErrDamaged)
	}
	ct := file[headerLen:]
	if sha256.Sum256(ct) != want {
		return nil, fmt.Errorf("%w: checksum does not match (truncated or altered)", ErrDamaged)
	}
	return ct, nil
}

// Decode parses a key file and decrypts it with passphrase. It returns an
// error wrapping ErrWrongPassphrase when the file is intact but the
// passphrase is not the one it was written with, and ErrDamaged otherwise.
func Decode(file []byte, passphrase string) (*Secrets, error) {
	ct, err := Parse(file)
	if err != nil {
		return nil, err
	}
	id, err := age.NewScryptIdentity(passphrase)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrWrongPassphrase, err)
	}
	id.SetMaxWorkFactor(maxWorkFactor)
	r, err := age.Decrypt(bytes.NewReader(ct), id)
	if err != nil {
		// The checksum matched, so the bytes are the ones that were
		// written: a failed unwrap of the one scrypt stanza can only be
		// the passphrase. A file with other stanzas was never written
		// with a passphrase at all.
		var noMatch *age.NoIdentityMatchError
		if errors.As(err, &noMatch) && slices.Equal(noMatch.StanzaTypes, []string{"scrypt"}) {
			return nil, ErrWrongPassphrase
		}
		return nil, fmt.Errorf("%w: %w", ErrDamaged, err)
	}
	plain, err := io.ReadAll(io.LimitReader(r, maxFileSize))
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrDamaged, err)
	}
	defer clear(plain)
	var s Secrets
	if err := json.Unmarshal(plain, &s); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrDamaged, err)
	}
	if err := s.validate(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrDamaged, err)
	}
	return &s, nil
}

// WorkFactor returns the scrypt work factor (log2 N) a key file was
// written with, read from its age header without the passphrase.
func WorkFactor(file []byte) (int, error) {
	ct, err := Parse(file)
	if err != nil {
		return 0, err
	}
	// The header starts "age-encryption.org/v1\n-> scrypt SALT LOGN\n".
	lines := bytes.SplitN(ct, []byte("\n"), 3)
	if len(lines) < 3 {
		return 0, fmt.Errorf("%w: no recipient line", ErrDamaged)
	}
	f := strings.Fields(string(lines[1]))
	if len(f) != 4 || f[0] != "->" || f[1] != "scrypt" {
		return 0, fmt.Errorf("%w: not a passphrase-encrypted key file", ErrDamaged)
	}
	n, err := strconv.Atoi(f[3])
	if err != nil || n < 1 || n > maxWorkFactor {
		return 0, fmt.Errorf("%w: work factor %q", ErrDamaged, f[3])
	}
	return n, nil
}
