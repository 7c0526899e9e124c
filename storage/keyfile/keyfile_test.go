package keyfile

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"filippo.io/age"
)

// testWorkFactor keeps scrypt to about a millisecond, so tests can decode
// hundreds of files.
const testWorkFactor = 10

const testPassphrase = "Жыве Беларусь! correct horse battery staple"

// newSecrets returns valid secrets with random keys and a fresh identity:
// hybrid (as new vaults use) unless x25519 is set.
func newSecrets(t testing.TB, x25519 bool) *Secrets {
	t.Helper()
	var identity string
	if x25519 {
		id, err := age.GenerateX25519Identity()
		if err != nil {
			t.Fatal(err)
		}
		identity = id.String()
	} else {
		id, err := age.GenerateHybridIdentity()
		if err != nil {
			t.Fatal(err)
		}
		identity = id.String()
	}
	return &Secrets{
		SigningKey:      randomBytes(t, ed25519.SeedSize),
		Identity:        identity,
		StoreKey:        randomBytes(t, 32),
		StoreGeneration: 3,
	}
}

func randomBytes(t testing.TB, n int) []byte {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}

// encode is Encode at testWorkFactor with testPassphrase.
func encode(t testing.TB, s *Secrets) []byte {
	t.Helper()
	file, err := Encode(s, testPassphrase, testWorkFactor)
	if err != nil {
		t.Fatal(err)
	}
	return file
}

// frame puts an age ciphertext behind the key file header with its correct
// checksum, as Encode does. Tests use it to build files whose checksum
// matches but whose contents were crafted.
func frame(ct []byte) []byte {
	sum := sha256.Sum256(ct)
	return append([]byte(magic+sumPrefix+hex.EncodeToString(sum[:])+"\n"), ct...)
}

// encryptTo age-encrypts plain to r.
func encryptTo(t testing.TB, plain []byte, r age.Recipient) []byte {
	t.Helper()
	var ct bytes.Buffer
	w, err := age.Encrypt(&ct, r)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(plain); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return ct.Bytes()
}

// encryptScrypt age-encrypts plain to testPassphrase at testWorkFactor.
func encryptScrypt(t testing.TB, plain []byte) []byte {
	t.Helper()
	r, err := age.NewScryptRecipient(testPassphrase)
	if err != nil {
		t.Fatal(err)
	}
	r.SetWorkFactor(testWorkFactor)
	return encryptTo(t, plain, r)
}

// scryptFile is an scrypt age ciphertext split into the parts tests alter:
// the text of the stanza's salt, work factor and body, the header MAC, and
// the binary payload (nonce and chunks).
type scryptFile struct {
	salt, workFactor, body, mac string
	payload                     []byte
}

var scryptHeader = regexp.MustCompile(`^age-encryption\.org/v1\n-> scrypt (\S+) (\S+)\n(\S+)\n--- (\S+)\n`)

func splitScrypt(t testing.TB, ct []byte) scryptFile {
	t.Helper()
	m := scryptHeader.FindSubmatchIndex(ct)
	if m == nil {
		t.Fatalf("not a one-stanza scrypt age file: %q", ct[:min(len(ct), 200)])
	}
	part := func(i int) string { return string(ct[m[2*i]:m[2*i+1]]) }
	return scryptFile{part(1), part(2), part(3), part(4), ct[m[1]:]}
}

// bytes reassembles the age ciphertext.
func (f scryptFile) bytes() []byte {
	hdr := "age-encryption.org/v1\n-> scrypt " + f.salt + " " + f.workFactor + "\n" + f.body + "\n--- " + f.mac + "\n"
	return append([]byte(hdr), f.payload...)
}

// flipB64 returns the base64 text s with its first character replaced, so
// that the bytes it encodes change but it stays valid base64.
func flipB64(s string) string {
	if s[0] == 'A' {
		return "B" + s[1:]
	}
	return "A" + s[1:]
}

// checkErr fails t unless err wraps want and not the other sentinel.
func checkErr(t testing.TB, err, want error) {
	t.Helper()
	other := ErrDamaged
	if want == ErrDamaged {
		other = ErrWrongPassphrase
	}
	if !errors.Is(err, want) || errors.Is(err, other) {
		t.Fatalf("error = %v, want one wrapping %q and not %q", err, want, other)
	}
}

func TestEncodeDecodeRoundTrip(t *testing.T) {
	tests := []struct {
		name       string
		x25519     bool
		passphrase string
		generation uint64
	}{
		{"hybrid", false, testPassphrase, 3},
		{"X25519", true, testPassphrase, 3},
		{"ASCII passphrase", false, "hunter2", 0},
		{"one-byte passphrase", false, "x", 1 << 63},
		{"passphrase with newline and NUL", false, "line\nnext\x00", 42},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newSecrets(t, tc.x25519)
			s.StoreGeneration = tc.generation
			file, err := Encode(s, tc.passphrase, testWorkFactor)
			if err != nil {
				t.Fatal(err)
			}
			got, err := Decode(file, tc.passphrase)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, s) {
				t.Errorf("decoded secrets differ:\n got %+v\nwant %+v", got, s)
			}
			if !got.Signer().Public().(ed25519.PublicKey).Equal(ed25519.NewKeyFromSeed(s.SigningKey).Public()) {
				t.Error("Signer does not derive from the signing seed")
			}
		})
	}
}

// The file is what the package comment says, readable with age alone.
func TestEncodeFormat(t *testing.T) {
	s := newSecrets(t, false)
	file := encode(t, s)

	head, ct, ok := bytes.Cut(file, []byte("\nage-encryption.org/v1\n"))
	if !ok {
		t.Fatalf("no age file after the header: %q", file[:min(len(file), 120)])
	}
	ct = append([]byte("age-encryption.org/v1\n"), ct...)
	sum := sha256.Sum256(ct)
	if want := "letapis-key/v1\nsha256:" + hex.EncodeToString(sum[:]); string(head) != want {
		t.Errorf("header = %q, want %q", head, want)
	}
	if got, err := Parse(file); err != nil || !bytes.Equal(got, ct) {
		t.Errorf("Parse = %d bytes, %v; want the %d-byte age file", len(got), err, len(ct))
	}
	if wf := splitScrypt(t, ct).workFactor; wf != fmt.Sprint(testWorkFactor) {
		t.Errorf("scrypt work factor %s, want %d", wf, testWorkFactor)
	}

	id, err := age.NewScryptIdentity(testPassphrase)
	if err != nil {
		t.Fatal(err)
	}
	r, err := age.Decrypt(bytes.NewReader(ct), id)
	if err != nil {
		t.Fatal(err)
	}
	plain, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	var fields map[string]any
	if err := json.Unmarshal(plain, &fields); err != nil {
		t.Fatal(err)
	}
	keys := slices.Sorted(maps.Keys(fields))
	if want := []string{"age_identity", "signing_seed", "store_generation", "store_key"}; !slices.Equal(keys, want) {
		t.Errorf("plaintext has fields %v, want %v", keys, want)
	}

	// Every Encode uses a fresh salt and file key.
	if again := encode(t, s); bytes.Equal(again, file) {
		t.Error("encoding the same secrets twice gave the same file")
	}
}

func TestEncodeDefaultWorkFactor(t *testing.T) {
	if testing.Short() {
		t.Skip("scrypt at the default work factor takes about a second")
	}
	file, err := Encode(newSecrets(t, false), testPassphrase, 0)
	if err != nil {
		t.Fatal(err)
	}
	ct, err := Parse(file)
	if err != nil {
		t.Fatal(err)
	}
	if wf := splitScrypt(t, ct).workFactor; wf != fmt.Sprint(DefaultWorkFactor) {
		t.Errorf("work factor 0 wrote %s, want DefaultWorkFactor %d", wf, DefaultWorkFactor)
	}
}

func TestEncodeRefuses(t *testing.T) {
	x25519, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name       string
		mutate     func(*Secrets)
		passphrase string
		workFactor int
		want       string
	}{
		{"empty passphrase", nil, "", testWorkFactor, "passphrase is empty"},
		{"negative work factor", nil, testPassphrase, -1, "work factor -1 is outside 1..22"},
		{"work factor over the maximum", nil, testPassphrase, maxWorkFactor + 1, "work factor 23 is outside 1..22"},
		{"work factor age would panic on", nil, testPassphrase, 31, "work factor 31 is outside 1..22"},
		{"no signing key", func(s *Secrets) { s.SigningKey = nil }, testPassphrase, testWorkFactor, "signing key is 0 bytes, want 32"},
		{"short signing key", func(s *Secrets) { s.SigningKey = s.SigningKey[:31] }, testPassphrase, testWorkFactor, "signing key is 31 bytes, want 32"},
		{"private key instead of seed", func(s *Secrets) { s.SigningKey = ed25519.NewKeyFromSeed(s.SigningKey) }, testPassphrase, testWorkFactor, "signing key is 64 bytes, want 32"},
		{"short store key", func(s *Secrets) { s.StoreKey = s.StoreKey[:16] }, testPassphrase, testWorkFactor, "store key is 16 bytes, want 32"},
		{"long store key", func(s *Secrets) { s.StoreKey = append(s.StoreKey, 0) }, testPassphrase, testWorkFactor, "store key is 33 bytes, want 32"},
		{"no identity", func(s *Secrets) { s.Identity = "" }, testPassphrase, testWorkFactor, "age identity"},
		{"garbled identity", func(s *Secrets) { s.Identity = "AGE-SECRET-KEY-PQ-1XYZ" }, testPassphrase, testWorkFactor, "age identity"},
		{"recipient instead of identity", func(s *Secrets) { s.Identity = x25519.Recipient().String() }, testPassphrase, testWorkFactor, "age identity"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newSecrets(t, false)
			if tc.mutate != nil {
				tc.mutate(s)
			}
			file, err := Encode(s, tc.passphrase, tc.workFactor)
			if err == nil || !strings.HasPrefix(err.Error(), "encode key file: ") || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Encode error = %v, want \"encode key file: …%s…\"", err, tc.want)
			}
			if errors.Is(err, ErrDamaged) || errors.Is(err, ErrWrongPassphrase) {
				t.Errorf("Encode error %v wraps a Decode error", err)
			}
			if file != nil {
				t.Error("Encode returned a file along with an error")
			}
		})
	}
}

func TestDecodeWrongPassphrase(t *testing.T) {
	file := encode(t, newSecrets(t, false))
	for _, pass := range []string{
		"hunter2",
		strings.ToLower(testPassphrase),
		testPassphrase + "\n",
		" " + testPassphrase,
		testPassphrase[:len(testPassphrase)-1],
		"",
	} {
		t.Run(fmt.Sprintf("%q", pass), func(t *testing.T) {
			s, err := Decode(file, pass)
			checkErr(t, err, ErrWrongPassphrase)
			if s != nil {
				t.Error("Decode returned secrets along with an error")
			}
		})
	}
}

func TestDecodeTruncated(t *testing.T) {
	file := encode(t, newSecrets(t, false))
	ct := headerLen
	payload := len(file) - len(splitScrypt(t, file[ct:]).payload)
	for _, tc := range []struct {
		name string
		n    int
	}{
		{"empty", 0},
		{"one byte", 1},
		{"inside magic", len(magic) / 2},
		{"magic only", len(magic)},
		{"inside sha256: prefix", len(magic) + 3},
		{"inside checksum digits", len(magic) + len(sumPrefix) + 31},
		{"checksum without newline", headerLen - 1},
		{"header only", headerLen},
		{"inside age version line", ct + 10},
		{"inside scrypt stanza", ct + 40},
		{"before payload", payload},
		{"inside nonce", payload + 8},
		{"inside payload", (payload + len(file)) / 2},
		{"without tag", len(file) - 16},
		{"last byte removed", len(file) - 1},
	} {
		t.Run(fmt.Sprintf("%s/len=%d", tc.name, tc.n), func(t *testing.T) {
			s, err := Decode(file[:tc.n], testPassphrase)
			checkErr(t, err, ErrDamaged)
			if s != nil {
				t.Error("Decode returned secrets along with an error")
			}
			if _, err := Parse(file[:tc.n]); !errors.Is(err, ErrDamaged) {
				t.Errorf("Parse error = %v, want ErrDamaged", err)
			}
		})
	}
	t.Run("trailing byte", func(t *testing.T) {
		_, err := Decode(append(bytes.Clone(file), '\n'), testPassphrase)
		checkErr(t, err, ErrDamaged)
	})
	t.Run("larger than any key file", func(t *testing.T) {
		_, err := Decode(append(bytes.Clone(file), make([]byte, maxFileSize)...), testPassphrase)
		checkErr(t, err, ErrDamaged)
	})
}

// Every single-bit change anywhere in the file is damage: in the header, in
// the checksum digits (including upper-casing one) and in the age file.
func TestDecodeEveryBitFlip(t *testing.T) {
	file := encode(t, newSecrets(t, false))
	for i := range file {
		for bit := range 8 {
			bad := bytes.Clone(file)
			bad[i] ^= 1 << bit
			s, err := Decode(bad, testPassphrase)
			if !errors.Is(err, ErrDamaged) || errors.Is(err, ErrWrongPassphrase) || s != nil {
				t.Fatalf("flipping bit %d of byte %d (%q) of %d: Decode = %v, %v; want ErrDamaged",
					bit, i, file[i], len(file), s != nil, err)
			}
		}
	}
}

// Someone who can write key.age can recompute the checksum. Such a file must
// never open, but since the checksum no longer helps, what Decode reports
// depends on what was altered. Changing the salt or the wrapped file key
// looks exactly like a wrong passphrase to age (the unwrap fails), and is
// reported as one; everything after the unwrap is reported as damage.
func TestDecodeCraftedFiles(t *testing.T) {
	s := newSecrets(t, false)
	ct, err := Parse(encode(t, s))
	if err != nil {
		t.Fatal(err)
	}
	orig := splitScrypt(t, ct)

	// altered returns the file with one part of its age header changed and
	// its checksum recomputed.
	altered := func(f func(*scryptFile)) []byte {
		p := orig
		p.payload = bytes.Clone(p.payload)
		f(&p)
		return frame(p.bytes())
	}
	secretsJSON := func(f func(*Secrets)) []byte {
		c := *s
		f(&c)
		b, err := json.Marshal(&c)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	x25519, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	plain := secretsJSON(func(*Secrets) {})

	tests := []struct {
		name string
		file []byte
		want error
	}{
		{"salt changed", altered(func(p *scryptFile) { p.salt = flipB64(p.salt) }), ErrWrongPassphrase},
		{"wrapped file key changed", altered(func(p *scryptFile) { p.body = flipB64(p.body) }), ErrWrongPassphrase},
		{"header MAC changed", altered(func(p *scryptFile) { p.mac = flipB64(p.mac) }), ErrDamaged},
		{"salt not base64", altered(func(p *scryptFile) { p.salt = "!" + p.salt[1:] }), ErrDamaged},
		{"short salt", altered(func(p *scryptFile) { p.salt = p.salt[:11] }), ErrDamaged},
		{"payload nonce changed", altered(func(p *scryptFile) { p.payload[0] ^= 1 }), ErrDamaged},
		{"payload byte changed", altered(func(p *scryptFile) { p.payload[len(p.payload)/2] ^= 1 }), ErrDamaged},
		{"payload tag changed", altered(func(p *scryptFile) { p.payload[len(p.payload)-1] ^= 1 }), ErrDamaged},
		{"payload truncated", altered(func(p *scryptFile) { p.payload = p.payload[:len(p.payload)-1] }), ErrDamaged},
		{"payload removed", altered(func(p *scryptFile) { p.payload = nil }), ErrDamaged},
		{"work factor 0", altered(func(p *scryptFile) { p.workFactor = "0" }), ErrDamaged},
		{"work factor with leading zero", altered(func(p *scryptFile) { p.workFactor = "010" }), ErrDamaged},
		{"work factor changed", altered(func(p *scryptFile) { p.workFactor = "11" }), ErrWrongPassphrase},
		{"not an age file", frame([]byte("hello")), ErrDamaged},
		{"empty age file", frame(nil), ErrDamaged},
		{"encrypted to a key, not a passphrase", frame(encryptTo(t, plain, x25519.Recipient())), ErrDamaged},
		{"plaintext is not JSON", frame(encryptScrypt(t, []byte("not json"))), ErrDamaged},
		{"plaintext is empty", frame(encryptScrypt(t, nil)), ErrDamaged},
		{"plaintext is {}", frame(encryptScrypt(t, []byte("{}"))), ErrDamaged},
		{"short signing key", frame(encryptScrypt(t, secretsJSON(func(s *Secrets) { s.SigningKey = s.SigningKey[:16] }))), ErrDamaged},
		{"short store key", frame(encryptScrypt(t, secretsJSON(func(s *Secrets) { s.StoreKey = nil }))), ErrDamaged},
		{"bad identity", frame(encryptScrypt(t, secretsJSON(func(s *Secrets) { s.Identity = "AGE-SECRET-KEY-1" }))), ErrDamaged},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Decode(tc.file, testPassphrase)
			checkErr(t, err, tc.want)
			if got != nil {
				t.Error("Decode returned secrets along with an error")
			}
		})
	}
	// The same crafting with nothing altered opens: the failures above are
	// the alterations', not the helpers'.
	if _, err := Decode(altered(func(*scryptFile) {}), testPassphrase); err != nil {
		t.Errorf("reassembled unaltered file: %v", err)
	}
	if _, err := Decode(frame(encryptScrypt(t, plain)), testPassphrase); err != nil {
		t.Errorf("hand-encrypted file: %v", err)
	}
}

// A work factor above the maximum is refused before any scrypt work is
// done, and reported as damage: Encode never writes one, so it was planted.
// (logN 23 would need 8 GiB of memory; this test would not finish if the
// limit were not enforced.)
func TestDecodeRefusesHighWorkFactor(t *testing.T) {
	ct, err := Parse(encode(t, newSecrets(t, false)))
	if err != nil {
		t.Fatal(err)
	}
	for _, wf := range []string{"23", "30", "31", "64", "99999999999999999999"} {
		t.Run(wf, func(t *testing.T) {
			p := splitScrypt(t, ct)
			p.workFactor = wf
			start := time.Now()
			s, err := Decode(frame(p.bytes()), testPassphrase)
			checkErr(t, err, ErrDamaged)
			if s != nil {
				t.Error("Decode returned secrets along with an error")
			}
			if d := time.Since(start); d > 2*time.Second {
				t.Errorf("refusing took %v", d)
			}
		})
	}
}

func TestParse(t *testing.T) {
	file := encode(t, newSecrets(t, false))
	ct, err := Parse(file)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(ct, file[headerLen:]) {
		t.Error("Parse did not return the bytes after the header")
	}

	digits := string(file[len(magic)+len(sumPrefix) : headerLen-1])
	// withHeader returns the file with its first headerLen bytes replaced.
	withHeader := func(h string) []byte { return append([]byte(h), ct...) }
	for _, tc := range []struct {
		name string
		file []byte
	}{
		{"other magic", withHeader("letapis-key/v2\n" + sumPrefix + digits + "\n")},
		{"upper-case magic", withHeader("LETAPIS-KEY/V1\n" + sumPrefix + digits + "\n")},
		{"other hash name", withHeader(magic + "sha512:" + digits + "\n")},
		{"upper-case digits", withHeader(magic + sumPrefix + strings.ToUpper(digits) + "\n")},
		{"digits not hex", withHeader(magic + sumPrefix + "g" + digits[1:] + "\n")},
		{"CRLF", withHeader(magic + sumPrefix + digits[:63] + "\r\n")},
		{"no newline", withHeader(magic + sumPrefix + digits + " ")},
		{"checksum of something else", frame(append(bytes.Clone(ct), 0))[:len(file)]},
		{"bare age file", ct},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Parse(tc.file)
			if !errors.Is(err, ErrDamaged) || got != nil {
				t.Fatalf("Parse = %d bytes, %v; want ErrDamaged", len(got), err)
			}
		})
	}
}

func TestWorkFactorIsReadWithoutThePassphrase(t *testing.T) {
	for _, wf := range []int{9, 11} {
		file, err := Encode(newSecrets(t, false), "pass", wf)
		if err != nil {
			t.Fatal(err)
		}
		if got, err := WorkFactor(file); err != nil || got != wf {
			t.Fatalf("WorkFactor = %d, %v; want %d", got, err, wf)
		}
	}
	if _, err := WorkFactor([]byte("nonsense")); !errors.Is(err, ErrDamaged) {
		t.Fatalf("WorkFactor of nonsense: %v", err)
	}
}
