package keyfile

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"filippo.io/age"
)

var update = flag.Bool("update", false, "rewrite the seed corpora under testdata/fuzz")

// vectorSecrets are the secrets in the key file committed as
// testdata/fuzz/FuzzDecode/v1, encrypted with testPassphrase at
// testWorkFactor. They are test keys and protect nothing.
func vectorSecrets() *Secrets {
	s := &Secrets{
		SigningKey:      make([]byte, 32),
		Identity:        "AGE-SECRET-KEY-PQ-1PYQ2U32RMRLMFW4P7XZSHDV5MGUDGNYH39LJT8N8F79AGMA8MKPQ07SELM",
		StoreKey:        make([]byte, 32),
		StoreGeneration: 3,
	}
	for i := range 32 {
		s.SigningKey[i] = byte(i)
		s.StoreKey[i] = byte(32 + i)
	}
	return s
}

// parseSeed is a file FuzzParse starts from; ok says whether Parse accepts it.
type parseSeed struct {
	name string
	file []byte
	ok   bool
}

// parseSeeds returns the FuzzParse seeds derived from a real key file.
func parseSeeds(file []byte) []parseSeed {
	upper := bytes.Clone(file)
	copy(upper[len(magic):], strings.ToUpper(string(upper[len(magic):headerLen])))
	return []parseSeed{
		{"v1", file, true},
		{"truncated", file[:len(file)/2], false},
		{"header-only", file[:headerLen], false},
		{"other-magic", append([]byte("letapis-key/v2\n"), file[len(magic):]...), false},
		{"upper-case-checksum", upper, false},
		{"empty", []byte{}, false},
	}
}

// writeCorpusFile writes b as a one-value Go fuzz corpus file.
func writeCorpusFile(t testing.TB, path string, b []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	data := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", b)
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

// readCorpusFile reads a one-value []byte Go fuzz corpus file.
func readCorpusFile(t testing.TB, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lit, ok := strings.CutPrefix(string(data), "go test fuzz v1\n[]byte(")
	lit, ok2 := strings.CutSuffix(lit, ")\n")
	if !ok || !ok2 {
		t.Fatalf("%s is not a one-value []byte fuzz corpus file", path)
	}
	s, err := strconv.Unquote(lit)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return []byte(s)
}

// TestCorpus checks the committed seed corpora. FuzzDecode/v1 is a key
// file written by an earlier build: it must still open, to the secrets it
// was written with. The FuzzParse and FuzzDecodeCiphertext seeds are
// derived from it and must still match. Run with -update to write a new v1
// (age encryption is randomized, so every update changes the bytes).
func TestCorpus(t *testing.T) {
	path := filepath.Join("testdata", "fuzz", "FuzzDecode", "v1")
	if *update {
		file, err := Encode(vectorSecrets(), testPassphrase, testWorkFactor)
		if err != nil {
			t.Fatal(err)
		}
		writeCorpusFile(t, path, file)
	}
	file := readCorpusFile(t, path)
	s, err := Decode(file, testPassphrase)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if !reflect.DeepEqual(s, vectorSecrets()) {
		t.Errorf("%s decodes to %+v, want %+v", path, s, vectorSecrets())
	}
	_, err = Decode(file, "not the passphrase")
	checkErr(t, err, ErrWrongPassphrase)

	for _, seed := range parseSeeds(file) {
		t.Run("FuzzParse/"+seed.name, func(t *testing.T) {
			path := filepath.Join("testdata", "fuzz", "FuzzParse", seed.name)
			if *update {
				writeCorpusFile(t, path, seed.file)
			}
			if !bytes.Equal(readCorpusFile(t, path), seed.file) {
				t.Fatalf("%s is not derived from FuzzDecode/v1 (run with -update)", path)
			}
			if _, err := Parse(seed.file); (err == nil) != seed.ok {
				t.Errorf("Parse error = %v, want ok = %v", err, seed.ok)
			}
		})
	}
	t.Run("FuzzDecodeCiphertext/v1", func(t *testing.T) {
		path := filepath.Join("testdata", "fuzz", "FuzzDecodeCiphertext", "v1")
		if *update {
			writeCorpusFile(t, path, file[headerLen:])
		}
		if !bytes.Equal(readCorpusFile(t, path), file[headerLen:]) {
			t.Fatalf("%s is not derived from FuzzDecode/v1 (run with -update)", path)
		}
	})
}

func FuzzParse(f *testing.F) {
	for _, seed := range parseSeeds(encode(f, newSecrets(f, false))) {
		f.Add(seed.file)
	}
	f.Fuzz(func(t *testing.T, file []byte) {
		ct, err := Parse(file)
		if err != nil {
			if !errors.Is(err, ErrDamaged) || ct != nil {
				t.Fatalf("Parse = %d bytes, %v; want nil, ErrDamaged", len(ct), err)
			}
			return
		}
		// Accepted means: exactly the header Encode writes for these bytes.
		sum := sha256.Sum256(ct)
		if want := magic + sumPrefix + hex.EncodeToString(sum[:]) + "\n"; string(file[:headerLen]) != want {
			t.Fatalf("Parse accepted header %q, want %q", file[:headerLen], want)
		}
		if !bytes.Equal(ct, file[headerLen:]) {
			t.Fatal("Parse returned other bytes than those after the header")
		}
	})
}

// checkDecode is the property both Decode fuzz targets check: no panic, an
// error that is exactly one of the two sentinels, and valid secrets on
// success.
func checkDecode(t *testing.T, file []byte) {
	s, err := Decode(file, testPassphrase)
	if err != nil {
		if s != nil {
			t.Fatal("Decode returned secrets along with an error")
		}
		if errors.Is(err, ErrDamaged) == errors.Is(err, ErrWrongPassphrase) {
			t.Fatalf("error %v does not wrap exactly one of ErrDamaged and ErrWrongPassphrase", err)
		}
		if _, perr := Parse(file); perr != nil && !errors.Is(err, ErrDamaged) {
			t.Fatalf("Parse refused the file (%v) but Decode said %v", perr, err)
		}
		return
	}
	if err := s.validate(); err != nil {
		t.Fatalf("Decode returned invalid secrets: %v", err)
	}
	if _, err := Parse(file); err != nil {
		t.Fatalf("Decode accepted a file Parse refuses: %v", err)
	}
}

func FuzzDecode(f *testing.F) {
	f.Add(encode(f, newSecrets(f, false)))
	f.Add(encode(f, newSecrets(f, true)))
	f.Fuzz(checkDecode)
}

// FuzzDecodeCiphertext fuzzes the age file inside a key file, framed with
// a correct checksum, so that the fuzzer gets past the checksum to age, the
// JSON and the validation.
func FuzzDecodeCiphertext(f *testing.F) {
	// Seeds at work factor 1, so that their mutations cost no scrypt time.
	for _, x25519 := range []bool{false, true} {
		file, err := Encode(newSecrets(f, x25519), testPassphrase, 1)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(file[headerLen:])
	}
	r, err := age.NewScryptRecipient(testPassphrase)
	if err != nil {
		f.Fatal(err)
	}
	r.SetWorkFactor(1)
	f.Add(encryptTo(f, []byte(`{"signing_seed":"","age_identity":"","store_key":""}`), r))
	f.Fuzz(func(t *testing.T, ct []byte) {
		if costlyWorkFactor(ct) {
			t.Skip("scrypt work factor too slow to fuzz; TestDecodeRefusesHighWorkFactor covers the limit")
		}
		checkDecode(t, frame(ct))
	})
}

// costlyWorkFactor reports whether the age header of ct has an scrypt
// stanza, split into arguments as age does, whose work factor is above 12.
// Decode would accept up to 22, which takes seconds and gigabytes per input.
func costlyWorkFactor(ct []byte) bool {
	for line := range strings.SplitSeq(string(ct), "\n") {
		if strings.HasPrefix(line, "---") {
			break
		}
		args := strings.Split(line, " ")
		if len(args) == 4 && args[0] == "->" && args[1] == "scrypt" {
			if n, err := strconv.Atoi(args[3]); err == nil && n > 12 {
				return true
			}
		}
	}
	return false
}
