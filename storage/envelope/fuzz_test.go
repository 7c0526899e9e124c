package envelope

import (
	"bytes"
	"crypto/ed25519"
	"encoding/binary"
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

// fuzzIdentity is the identity FuzzOpen decrypts with. It is fixed so that
// the envelope committed under testdata/fuzz/FuzzOpen stays openable; it is
// a test key and protects nothing.
const fuzzIdentity = "AGE-SECRET-KEY-PQ-1DLHHN86QHT5S2M7XCJ4QQ5EP0AAXARMGDRR0T73TS20QM0J9ULASGSKQ54"

func parseFuzzIdentity(t testing.TB) *age.HybridIdentity {
	t.Helper()
	id, err := age.ParseHybridIdentity(fuzzIdentity)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// parseSeed is a plaintext FuzzParse starts from and the error Parse
// returns for it (nil for a valid envelope).
type parseSeed struct {
	name  string
	plain []byte
	want  error
}

// parseSeeds returns the FuzzParse seeds: real plaintexts and a few
// mutations of them. They are built from fixed keys, so they come out the
// same byte for byte every time; TestParseCorpus checks that the copies
// committed under testdata/fuzz/FuzzParse still match, which makes them
// format vectors as well as fuzz seeds.
func parseSeeds(t testing.TB) []parseSeed {
	alice, mallory := testKey(1), testKey(2)
	put := testRevision(alice)
	del := put
	del.Op, del.Body = OpDelete, nil
	sealed := put
	sealed.Op = OpSeal
	sealed.Body = []byte(`{"testimony":"Мяне затрымалі 14 ліпеня ў Менску.","language":"be"}`)
	msg := marshal(t, put)
	valid := sealPlain(t, put, alice)

	badVersion := bytes.Clone(valid)
	badVersion[0] = 3
	v1 := sealPlainVersion1(t, put, alice)
	v1Context := bytes.Clone(v1) // a format 1 signature under format 2
	v1Context[0] = Version
	v2Context := bytes.Clone(valid) // and the other way round
	v2Context[0] = Version1
	addressed := put
	addressed.Team, addressed.Audience, addressed.Epoch = "team-0001", "aud-0001", 7
	badLength := bytes.Clone(valid)
	binary.BigEndian.PutUint32(badLength[1:headerSize], 0xffffffff)
	badPadding := bytes.Clone(valid)
	badPadding[len(badPadding)-1] = 1
	delWithBody := del
	delWithBody.Body = []byte(`{}`)
	badJSON := []byte(`{"record":"person-0001","rev":`)

	return []parseSeed{
		{"put", valid, nil},
		{"delete", sealPlain(t, del, alice), nil},
		{"seal", sealPlain(t, sealed, alice), nil},
		{"bucket-1024", sealPlain(t, revisionOfSize(t, alice, 513), alice), nil},
		{"audience", sealPlain(t, addressed, alice), nil},
		{"version-3", badVersion, ErrUnsupportedVersion},
		{"v1-put", v1, nil},
		{"v1-delete", sealPlainVersion1(t, del, alice), nil},
		{"v1-seal", sealPlainVersion1(t, sealed, alice), nil},
		{"v1-signature-as-v2", v1Context, ErrBadSignature},
		{"v2-signature-as-v1", v2Context, ErrBadSignature},
		{"length-overflow", badLength, ErrMalformed},
		{"nonzero-padding", badPadding, ErrMalformed},
		{"unpadded", valid[:headerSize+len(msg)+ed25519.SignatureSize], ErrMalformed},
		{"invalid-json", frame(badJSON, sign(alice, badJSON)), ErrMalformed},
		{"delete-with-body", sealPlain(t, delWithBody, alice), nil}, // a tombstone, since storage's tombstones v1
		{"signed-by-other-key", frame(msg, sign(mallory, msg)), ErrBadSignature},
		{"zero-signature", frame(msg, make([]byte, ed25519.SignatureSize)), ErrBadSignature},
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

// TestParseCorpus checks the committed FuzzParse seeds: each is still what
// parseSeeds builds and still parses (or fails) as it should. Run with
// -update to rewrite them after a deliberate format change.
func TestParseCorpus(t *testing.T) {
	for _, seed := range parseSeeds(t) {
		t.Run(seed.name, func(t *testing.T) {
			path := filepath.Join("testdata", "fuzz", "FuzzParse", seed.name)
			if *update {
				writeCorpusFile(t, path, seed.plain)
			}
			if got := readCorpusFile(t, path); !bytes.Equal(got, seed.plain) {
				t.Fatalf("%s no longer matches the plaintext the test builds (run with -update if the format changed on purpose)", path)
			}
			rev, err := Parse(seed.plain)
			if seed.want == nil {
				if err != nil {
					t.Fatalf("Parse: %v", err)
				}
				if !rev.Author.Equal(testKey(1).Public()) {
					t.Errorf("author = %x, want test key 1", rev.Author)
				}
				return
			}
			checkErr(t, err, seed.want)
		})
	}
}

// TestOpenCorpus opens the envelopes committed under
// testdata/fuzz/FuzzOpen: put-v1, written by a build of format 1 (never
// rewritten), and put-v2, of the current format; envelopes written by an
// earlier build must still open.
func TestOpenCorpus(t *testing.T) {
	id := parseFuzzIdentity(t)
	key := testKey(1)
	for name, version := range map[string]int{"put-v1": Version1, "put-v2": Version} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join("testdata", "fuzz", "FuzzOpen", name)
			if *update && version == Version {
				ct, _, err := Seal(testRevision(key), key, id.Recipient())
				if err != nil {
					t.Fatal(err)
				}
				writeCorpusFile(t, path, ct)
			}
			ct := readCorpusFile(t, path)
			opened, err := Open(ct, id)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(opened.Revision, testRevision(key)) {
				t.Errorf("opened revision differs:\n got %+v\nwant %+v", opened.Revision, testRevision(key))
			}
			if opened.ID != IDOf(ct) || opened.PaddedSize != 512 || opened.Version != version || opened.Identity != id {
				t.Errorf("opened id %v, padded size %d, version %d, identity %v; want %v, 512, %d, the one given",
					opened.ID, opened.PaddedSize, opened.Version, opened.Identity, IDOf(ct), version)
			}
		})
	}
}

// wrapsOneSentinel reports whether err wraps exactly one of the errors Open
// and Parse promise.
func wrapsOneSentinel(err error) bool {
	n := 0
	for _, s := range sentinels {
		if errors.Is(err, s) {
			n++
		}
	}
	return n == 1
}

func FuzzParse(f *testing.F) {
	for _, seed := range parseSeeds(f) {
		f.Add(seed.plain)
	}
	f.Fuzz(func(t *testing.T, plain []byte) {
		rev, err := Parse(plain)
		if err != nil {
			if rev != nil {
				t.Fatal("Parse returned a revision along with an error")
			}
			if !wrapsOneSentinel(err) {
				t.Fatalf("error %v does not wrap exactly one sentinel", err)
			}
			return
		}
		if err := rev.validate(); err != nil {
			t.Fatalf("Parse accepted an invalid revision: %v", err)
		}
		// Accepted means: framed and padded as the format says, and signed
		// by the author the revision names.
		n := int(binary.BigEndian.Uint32(plain[1:headerSize]))
		end := headerSize + n + ed25519.SignatureSize
		if (plain[0] != Version && plain[0] != Version1) || len(plain) != PaddedSize(end) {
			t.Fatalf("Parse accepted version %d, %d bytes padded to %d", plain[0], end, len(plain))
		}
		if !bytes.Equal(plain[end:], make([]byte, len(plain)-end)) {
			t.Fatal("Parse accepted non-zero padding")
		}
		msg, sig := plain[headerSize:headerSize+n], plain[headerSize+n:end]
		if !ed25519.Verify(rev.Author, signedBytes(plain[0], msg), sig) {
			t.Fatal("Parse accepted a signature its author did not make")
		}
	})
}

func FuzzOpen(f *testing.F) {
	id := parseFuzzIdentity(f)
	key := testKey(1)
	for _, rev := range []Revision{testRevision(key), revisionOfSize(f, key, 600)} {
		ct, _, err := Seal(rev, key, id.Recipient())
		if err != nil {
			f.Fatal(err)
		}
		f.Add(ct)
		f.Add(ct[:len(ct)-1])
	}
	forged := testRevision(key)
	msg := marshal(f, forged)
	f.Add(encrypt(f, frame(msg, sign(testKey(2), msg)), id.Recipient()))

	f.Fuzz(func(t *testing.T, ct []byte) {
		opened, err := Open(ct, id)
		if err != nil {
			if opened != nil {
				t.Fatal("Open returned content along with an error")
			}
			if !wrapsOneSentinel(err) {
				t.Fatalf("error %v does not wrap exactly one sentinel", err)
			}
			return
		}
		if err := opened.Revision.validate(); err != nil {
			t.Fatalf("Open accepted an invalid revision: %v", err)
		}
		if opened.ID != IDOf(ct) {
			t.Fatalf("Opened.ID = %v, want %v", opened.ID, IDOf(ct))
		}
		if p := opened.PaddedSize; p < 512 || p > MaxSize || PaddedSize(p) != p {
			t.Fatalf("Opened.PaddedSize = %d is not a size bucket", p)
		}
	})
}
