package envelope

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
	"testing"

	"filippo.io/age"

	"github.com/letapis/letapis/storage/hlc"
)

// testKey returns the Ed25519 key whose seed is 32 copies of b. Fixed keys
// make signatures, and so the committed fuzz corpus, reproducible.
func testKey(b byte) ed25519.PrivateKey {
	return ed25519.NewKeyFromSeed(bytes.Repeat([]byte{b}, ed25519.SeedSize))
}

// testTime is a fixed, valid revision time.
var testTime = hlc.Timestamp{Wall: 1_795_428_245_123, Logical: 2}

// testRevision returns a valid put revision written by key, with every field
// set and a body in Belarusian.
func testRevision(key ed25519.PrivateKey) Revision {
	return Revision{
		Team:    "team-0001",
		Record:  "person-0001",
		ID:      "rev-0003",
		Parents: []string{"rev-0001", "rev-0002"},
		Author:  key.Public().(ed25519.PublicKey),
		Seq:     7,
		Time:    testTime,
		Kind:    "person",
		Schema:  1,
		Op:      OpPut,
		Body:    json.RawMessage(`{"name":"Алесь Бяляцкі","detained":"2021-07-14","notes":["Вясна"]}`),
	}
}

// marshal returns the signed message Seal would write for rev.
func marshal(t testing.TB, rev Revision) []byte {
	t.Helper()
	msg, err := json.Marshal(rev)
	if err != nil {
		t.Fatal(err)
	}
	return msg
}

// sign returns key's envelope signature over msg in format Version,
// domain separation included.
func sign(key ed25519.PrivateKey, msg []byte) []byte {
	return ed25519.Sign(key, signedBytes(Version, msg))
}

// frame builds an envelope plaintext by hand: version, length, msg, sig and
// zero padding up to PaddedSize. It mirrors Seal without any of its checks,
// so that tests can build plaintexts Seal would refuse to write.
func frame(msg, sig []byte) []byte { return frameVersion(Version, msg, sig) }

// frameVersion is frame for a given format version.
func frameVersion(version byte, msg, sig []byte) []byte {
	used := headerSize + len(msg) + len(sig)
	plain := make([]byte, PaddedSize(used))
	plain[0] = version
	binary.BigEndian.PutUint32(plain[1:headerSize], uint32(len(msg)))
	copy(plain[headerSize:], msg)
	copy(plain[headerSize+len(msg):], sig)
	return plain
}

// sealPlain returns the plaintext Seal encrypts for rev signed by key.
func sealPlain(t testing.TB, rev Revision, key ed25519.PrivateKey) []byte {
	t.Helper()
	msg := marshal(t, rev)
	return frame(msg, sign(key, msg))
}

// sealPlainVersion1 returns the plaintext SealVersion1 encrypts.
func sealPlainVersion1(t testing.TB, rev Revision, key ed25519.PrivateKey) []byte {
	t.Helper()
	msg := marshal(t, rev)
	return frameVersion(Version1, msg, ed25519.Sign(key, signedBytes(Version1, msg)))
}

// encrypt age-encrypts plain to recipients, which is what Seal does after
// framing; it lets hand-built plaintexts reach Open.
func encrypt(t testing.TB, plain []byte, recipients ...age.Recipient) []byte {
	t.Helper()
	var out bytes.Buffer
	w, err := age.Encrypt(&out, recipients...)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(plain); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// decrypt returns the raw age plaintext of an envelope, bypassing Parse.
func decrypt(t testing.TB, ct []byte, id age.Identity) []byte {
	t.Helper()
	r, err := age.Decrypt(bytes.NewReader(ct), id)
	if err != nil {
		t.Fatal(err)
	}
	plain, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return plain
}

// identityKinds are the age identity types envelopes are tested with:
// hybrid for new vaults, X25519 for the classic case.
var identityKinds = []struct {
	name string
	new  func(testing.TB) (age.Identity, age.Recipient)
}{
	{"hybrid", func(t testing.TB) (age.Identity, age.Recipient) {
		id, err := age.GenerateHybridIdentity()
		if err != nil {
			t.Fatal(err)
		}
		return id, id.Recipient()
	}},
	{"X25519", func(t testing.TB) (age.Identity, age.Recipient) {
		id, err := age.GenerateX25519Identity()
		if err != nil {
			t.Fatal(err)
		}
		return id, id.Recipient()
	}},
}

// sentinels are the errors Open and Parse promise to wrap.
var sentinels = []error{ErrUndecryptable, ErrMalformed, ErrBadSignature, ErrUnsupportedVersion}

// checkErr fails t unless err wraps want and no other sentinel.
func checkErr(t testing.TB, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("error = %v, want one wrapping %q", err, want)
	}
	for _, s := range sentinels {
		if s != want && errors.Is(err, s) {
			t.Fatalf("error %v wraps %q as well as %q", err, s, want)
		}
	}
}

func TestSealOpenRoundTrip(t *testing.T) {
	key := testKey(1)
	full := testRevision(key)
	minimal := Revision{
		Record: "person-0002", ID: "rev-0004", Author: full.Author, Seq: 1,
		Time: hlc.Timestamp{Wall: 1}, Kind: "person", Schema: 1, Op: OpPut, Body: json.RawMessage(`{}`),
	}
	sealed := full
	sealed.Op = OpSeal
	deleted := full
	deleted.Op, deleted.Body = OpDelete, nil
	tombstone := full
	tombstone.Op, tombstone.Body = OpDelete, json.RawMessage(`{"v":1,"reason":"consent withdrawn"}`)

	revisions := []struct {
		name string
		rev  Revision
	}{
		{"put with every field", full},
		{"put with only required fields", minimal},
		{"seal", sealed},
		{"delete", deleted},
		{"delete with a tombstone", tombstone},
	}
	for _, kind := range identityKinds {
		for _, tc := range revisions {
			t.Run(kind.name+"/"+tc.name, func(t *testing.T) {
				id, rcpt := kind.new(t)
				ct, eid, err := Seal(tc.rev, key, rcpt)
				if err != nil {
					t.Fatal(err)
				}
				if eid != sha256.Sum256(ct) || eid != IDOf(ct) {
					t.Errorf("Seal returned id %v, want SHA-256 of the ciphertext", eid)
				}
				opened, err := Open(ct, id)
				if err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(opened.Revision, tc.rev) {
					t.Errorf("opened revision differs:\n got %+v\nwant %+v", opened.Revision, tc.rev)
				}
				if opened.ID != eid {
					t.Errorf("opened id %v, sealed id %v", opened.ID, eid)
				}
				used := headerSize + len(marshal(t, tc.rev)) + ed25519.SignatureSize
				if opened.PaddedSize != PaddedSize(used) {
					t.Errorf("PaddedSize = %d, want %d", opened.PaddedSize, PaddedSize(used))
				}
			})
		}
	}
}

func TestSealIsRandomized(t *testing.T) {
	key := testKey(1)
	id, rcpt := identityKinds[0].new(t)
	rev := testRevision(key)
	ct1, id1, err := Seal(rev, key, rcpt)
	if err != nil {
		t.Fatal(err)
	}
	ct2, id2, err := Seal(rev, key, rcpt)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(ct1, ct2) || id1 == id2 {
		t.Fatal("sealing the same revision twice gave the same ciphertext")
	}
	for _, ct := range [][]byte{ct1, ct2} {
		opened, err := Open(ct, id)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(opened.Revision, rev) {
			t.Errorf("opened revision differs: %+v", opened.Revision)
		}
	}
}

// The body is re-encoded by encoding/json on the way in: it comes back
// compact and with HTML-sensitive characters escaped, equal as JSON but not
// byte for byte. Callers must not hash or compare raw body bytes across a
// Seal.
func TestSealCompactsBody(t *testing.T) {
	key := testKey(1)
	id, rcpt := identityKinds[1].new(t)
	rev := testRevision(key)
	rev.Body = json.RawMessage("{\n  \"name\": \"Алесь Бяляцкі\",\n  \"note\": \"<b>&</b>\"\n}")
	ct, _, err := Seal(rev, key, rcpt)
	if err != nil {
		t.Fatal(err)
	}
	opened, err := Open(ct, id)
	if err != nil {
		t.Fatal(err)
	}
	const want = `{"name":"Алесь Бяляцкі","note":"\u003cb\u003e\u0026\u003c/b\u003e"}`
	if got := string(opened.Revision.Body); got != want {
		t.Errorf("body = %s, want %s", got, want)
	}
	var in, out any
	if err := json.Unmarshal(rev.Body, &in); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(opened.Revision.Body, &out); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(in, out) {
		t.Errorf("body changed meaning: %v, want %v", out, in)
	}
}

func TestPaddedSize(t *testing.T) {
	const k64 = 64 << 10
	tests := []struct{ n, want int }{
		{0, 512},
		{1, 512},
		{511, 512},
		{512, 512},
		{513, 1024},
		{1023, 1024},
		{1024, 1024},
		{1025, 2048},
		{32 << 10, 32 << 10},
		{32<<10 + 1, k64},
		{k64 - 1, k64},
		{k64, k64},
		{k64 + 1, 2 * k64},
		{2 * k64, 2 * k64},
		{2*k64 + 1, 3 * k64},
		{MaxSize - 1, MaxSize},
		{MaxSize, MaxSize},
		{MaxSize + 1, MaxSize + k64},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprint(tc.n), func(t *testing.T) {
			if got := PaddedSize(tc.n); got != tc.want {
				t.Errorf("PaddedSize(%d) = %d, want %d", tc.n, got, tc.want)
			}
		})
	}
}

// revisionOfSize returns testRevision(key) with a body chosen so that the
// envelope uses exactly used bytes before padding (header, message and
// signature).
func revisionOfSize(t testing.TB, key ed25519.PrivateKey, used int) Revision {
	t.Helper()
	rev := testRevision(key)
	rev.Body = json.RawMessage(`""`)
	fixed := headerSize + len(marshal(t, rev)) + ed25519.SignatureSize - len(rev.Body)
	bodyLen := used - fixed
	if bodyLen < 2 {
		t.Fatalf("cannot build an envelope of %d bytes: the smallest is %d", used, fixed+2)
	}
	rev.Body = json.RawMessage(`"` + strings.Repeat("x", bodyLen-2) + `"`)
	return rev
}

func TestSealPadsToSizeBuckets(t *testing.T) {
	const k64 = 64 << 10
	key := testKey(1)
	id, rcpt := identityKinds[1].new(t)
	for _, used := range []int{511, 512, 513, 1023, 1024, 1025, k64 - 1, k64, k64 + 1, 2*k64 + 1} {
		t.Run(fmt.Sprintf("used=%d", used), func(t *testing.T) {
			rev := revisionOfSize(t, key, used)
			ct, _, err := Seal(rev, key, rcpt)
			if err != nil {
				t.Fatal(err)
			}
			plain := decrypt(t, ct, id)
			if len(plain) != PaddedSize(used) {
				t.Fatalf("plaintext is %d bytes, want PaddedSize(%d) = %d", len(plain), used, PaddedSize(used))
			}
			if n := int(binary.BigEndian.Uint32(plain[1:headerSize])); headerSize+n+ed25519.SignatureSize != used {
				t.Fatalf("envelope uses %d bytes, test meant %d", headerSize+n+ed25519.SignatureSize, used)
			}
			if !bytes.Equal(plain[used:], make([]byte, len(plain)-used)) {
				t.Error("padding is not zero")
			}
			opened, err := Open(ct, id)
			if err != nil {
				t.Fatal(err)
			}
			if opened.PaddedSize != len(plain) {
				t.Errorf("Opened.PaddedSize = %d, want %d", opened.PaddedSize, len(plain))
			}
		})
	}
}

func TestSealMaxSize(t *testing.T) {
	if testing.Short() {
		t.Skip("builds two 16 MiB envelopes")
	}
	key := testKey(1)
	id, rcpt := identityKinds[1].new(t)

	t.Run("at the limit", func(t *testing.T) {
		ct, _, err := Seal(revisionOfSize(t, key, MaxSize), key, rcpt)
		if err != nil {
			t.Fatalf("a %d-byte envelope was refused: %v", MaxSize, err)
		}
		opened, err := Open(ct, id)
		if err != nil {
			t.Fatal(err)
		}
		if opened.PaddedSize != MaxSize {
			t.Errorf("PaddedSize = %d, want %d", opened.PaddedSize, MaxSize)
		}
	})
	t.Run("one byte over", func(t *testing.T) {
		ct, eid, err := Seal(revisionOfSize(t, key, MaxSize+1), key, rcpt)
		want := fmt.Sprintf("revision of %d bytes is larger than the %d-byte limit", MaxSize+1, MaxSize)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Fatalf("Seal error = %v, want one containing %q", err, want)
		}
		if ct != nil || eid != (ID{}) {
			t.Error("Seal returned output along with an error")
		}
	})
}

// An age file whose plaintext is over MaxSize is refused without reading it
// all, whatever it contains.
func TestOpenRefusesOversizedPlaintext(t *testing.T) {
	id, rcpt := identityKinds[1].new(t)
	ct := encrypt(t, make([]byte, MaxSize+1), rcpt)
	opened, err := Open(ct, id)
	checkErr(t, err, ErrMalformed)
	if opened != nil {
		t.Error("Open returned content along with an error")
	}
}

// invalidRevisions are the ways a revision fails validate, each made from
// testRevision by mutate. why is part of validate's message.
var invalidRevisions = []struct {
	name   string
	mutate func(*Revision)
	why    string
}{
	{"empty record", func(r *Revision) { r.Record = "" }, "record id is empty"},
	{"empty rev", func(r *Revision) { r.ID = "" }, "revision id is empty"},
	{"short author", func(r *Revision) { r.Author = r.Author[:31] }, "author key is 31 bytes, want 32"},
	{"no author", func(r *Revision) { r.Author = nil }, "author key is 0 bytes, want 32"},
	{"long author", func(r *Revision) { r.Author = append(r.Author, 0) }, "author key is 33 bytes, want 32"},
	{"seq 0", func(r *Revision) { r.Seq = 0 }, "author sequence number is 0"},
	{"zero time", func(r *Revision) { r.Time = hlc.Timestamp{} }, "time is zero"},
	{"empty kind", func(r *Revision) { r.Kind = "" }, "kind is empty"},
	{"schema 0", func(r *Revision) { r.Schema = 0 }, "schema version 0 is below 1"},
	{"negative schema", func(r *Revision) { r.Schema = -1 }, "schema version -1 is below 1"},
	{"unknown op", func(r *Revision) { r.Op = "update" }, `unknown operation "update"`},
	{"empty op", func(r *Revision) { r.Op = "" }, `unknown operation ""`},
	{"put without body", func(r *Revision) { r.Body = nil }, "put revision has no body"},
	{"seal without body", func(r *Revision) { r.Op, r.Body = OpSeal, nil }, "seal revision has no body"},
	{"put with a null body", func(r *Revision) { r.Body = json.RawMessage("null") }, "put revision has no body"},
}

func TestSealRefusesInvalidRevisions(t *testing.T) {
	key := testKey(1)
	_, rcpt := identityKinds[1].new(t)
	for _, tc := range invalidRevisions {
		t.Run(tc.name, func(t *testing.T) {
			rev := testRevision(key)
			tc.mutate(&rev)
			want := tc.why
			if len(rev.Author) != ed25519.PublicKeySize {
				// An author of the wrong size is not the signing key either,
				// and Seal checks that first.
				want = "author is not the signing key"
			}
			ct, _, err := Seal(rev, key, rcpt)
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Fatalf("Seal error = %v, want one containing %q", err, want)
			}
			if ct != nil {
				t.Error("Seal returned a ciphertext along with an error")
			}
		})
	}
}

func TestSealRefuses(t *testing.T) {
	key := testKey(1)
	_, rcpt := identityKinds[1].new(t)
	other := testKey(2)
	tests := []struct {
		name       string
		mutate     func(*Revision)
		recipients []age.Recipient
		want       string
	}{
		{"author is another key", func(r *Revision) { r.Author = other.Public().(ed25519.PublicKey) }, []age.Recipient{rcpt},
			"seal envelope: author is not the signing key"},
		{"body is not JSON", func(r *Revision) { r.Body = json.RawMessage(`{"name":`) }, []age.Recipient{rcpt},
			"seal envelope: encode revision"},
		{"no recipients", func(*Revision) {}, nil, "seal envelope: no recipients"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rev := testRevision(key)
			tc.mutate(&rev)
			ct, _, err := Seal(rev, key, tc.recipients...)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Seal error = %v, want one containing %q", err, tc.want)
			}
			if ct != nil {
				t.Error("Seal returned a ciphertext along with an error")
			}
		})
	}
}

// headerEnd returns the offset of the first payload byte of an age file.
func headerEnd(t testing.TB, ct []byte) int {
	t.Helper()
	i := bytes.Index(ct, []byte("\n--- "))
	if i < 0 {
		t.Fatal("no age header MAC line")
	}
	j := bytes.IndexByte(ct[i+1:], '\n')
	return i + 1 + j + 1
}

func TestOpenRejectsBitFlips(t *testing.T) {
	key := testKey(1)
	for _, kind := range identityKinds {
		id, rcpt := kind.new(t)
		ct, _, err := Seal(testRevision(key), key, rcpt)
		if err != nil {
			t.Fatal(err)
		}
		payload := headerEnd(t, ct)
		stanza := bytes.Index(ct, []byte("\n-> ")) + 1
		regions := []struct {
			name string
			off  int
		}{
			{"version line", 0},
			{"stanza type", stanza + 3},
			{"stanza body", stanza + bytes.IndexByte(ct[stanza:], '\n') + 1},
			{"header MAC", payload - 10},
			{"payload nonce", payload},
			{"payload start", payload + 16},
			{"payload middle", (payload + len(ct)) / 2},
			{"last byte", len(ct) - 1},
		}
		for _, r := range regions {
			t.Run(kind.name+"/"+r.name, func(t *testing.T) {
				bad := bytes.Clone(ct)
				bad[r.off] ^= 0x01
				opened, err := Open(bad, id)
				checkErr(t, err, ErrUndecryptable)
				if opened != nil {
					t.Error("Open returned content along with an error")
				}
			})
		}
		// Then every byte, flipping a different bit each time.
		t.Run(kind.name+"/every byte", func(t *testing.T) {
			for i := range ct {
				bad := bytes.Clone(ct)
				bad[i] ^= 1 << (i % 8)
				if _, err := Open(bad, id); !errors.Is(err, ErrUndecryptable) {
					t.Fatalf("flipping bit %d of byte %d of %d: error = %v, want ErrUndecryptable", i%8, i, len(ct), err)
				}
			}
		})
	}
}

func TestOpenRejectsTruncation(t *testing.T) {
	key := testKey(1)
	id, rcpt := identityKinds[0].new(t)
	ct, _, err := Seal(testRevision(key), key, rcpt)
	if err != nil {
		t.Fatal(err)
	}
	payload := headerEnd(t, ct)
	for _, n := range []int{0, 1, 20, payload - 1, payload, payload + 8, payload + 16, payload + 100, len(ct) - 17, len(ct) - 1} {
		t.Run(fmt.Sprintf("len=%d", n), func(t *testing.T) {
			opened, err := Open(ct[:n], id)
			checkErr(t, err, ErrUndecryptable)
			if opened != nil {
				t.Error("Open returned content along with an error")
			}
		})
	}
	t.Run("trailing byte", func(t *testing.T) {
		_, err := Open(append(bytes.Clone(ct), 0), id)
		checkErr(t, err, ErrUndecryptable)
	})

	// A two-chunk envelope cut after its first chunk: age hands out the
	// first 64 KiB before it can tell that the file ends early.
	t.Run("at chunk boundary", func(t *testing.T) {
		const chunk = 64<<10 + 16 // age's chunk size plus its tag
		ct, _, err := Seal(revisionOfSize(t, key, 100_000), key, rcpt)
		if err != nil {
			t.Fatal(err)
		}
		payload := headerEnd(t, ct)
		if len(ct) != payload+16+2*chunk {
			t.Fatalf("ciphertext is %d bytes, want a %d-byte header and two chunks", len(ct), payload)
		}
		_, err = Open(ct[:payload+16+chunk], id)
		checkErr(t, err, ErrUndecryptable)
	})
}

func TestOpenRejectsWrongIdentity(t *testing.T) {
	key := testKey(1)
	hybrid, hybridRcpt := identityKinds[0].new(t)
	otherHybrid, _ := identityKinds[0].new(t)
	x25519, x25519Rcpt := identityKinds[1].new(t)
	otherX25519, _ := identityKinds[1].new(t)
	scrypt, err := age.NewScryptIdentity("password")
	if err != nil {
		t.Fatal(err)
	}
	toHybrid, _, err := Seal(testRevision(key), key, hybridRcpt)
	if err != nil {
		t.Fatal(err)
	}
	toX25519, _, err := Seal(testRevision(key), key, x25519Rcpt)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name       string
		ct         []byte
		identities []age.Identity
	}{
		{"hybrid/other hybrid", toHybrid, []age.Identity{otherHybrid}},
		{"hybrid/X25519", toHybrid, []age.Identity{x25519}},
		{"hybrid/passphrase", toHybrid, []age.Identity{scrypt}},
		{"X25519/other X25519", toX25519, []age.Identity{otherX25519}},
		{"X25519/hybrid", toX25519, []age.Identity{hybrid}},
		{"X25519/two others", toX25519, []age.Identity{otherX25519, hybrid}},
		{"no identities", toX25519, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			opened, err := Open(tc.ct, tc.identities...)
			checkErr(t, err, ErrUndecryptable)
			if opened != nil {
				t.Error("Open returned content along with an error")
			}
		})
	}
	// The right identity among wrong ones still opens it.
	if _, err := Open(toX25519, otherX25519, hybrid, x25519); err != nil {
		t.Errorf("Open with the right identity last: %v", err)
	}
}

func TestOpenRejectsForgedSignatures(t *testing.T) {
	alice, mallory := testKey(1), testKey(2)
	id, rcpt := identityKinds[1].new(t)
	rev := testRevision(alice)
	msg := marshal(t, rev)

	// The genuine plaintext opens, so every failure below is the forgery's.
	if _, err := Open(encrypt(t, frame(msg, sign(alice, msg)), rcpt), id); err != nil {
		t.Fatalf("genuine hand-built envelope: %v", err)
	}

	// edit returns msg with old replaced by new, failing if old is absent.
	edit := func(old, new string) []byte {
		if !bytes.Contains(msg, []byte(old)) {
			t.Fatalf("message has no %q", old)
		}
		return bytes.Replace(msg, []byte(old), []byte(new), 1)
	}
	aliceB64 := base64.StdEncoding.EncodeToString(alice.Public().(ed25519.PublicKey))
	malloryB64 := base64.StdEncoding.EncodeToString(mallory.Public().(ed25519.PublicKey))

	tests := []struct {
		name     string
		msg, sig []byte
	}{
		{"author is Alice, signed by Mallory", msg, sign(mallory, msg)},
		{"body changed after signing", edit("Алесь", "Алена"), sign(alice, msg)},
		{"body shortened after signing", edit(`,"notes":["Вясна"]`, ""), sign(alice, msg)},
		{"seq changed after signing", edit(`"seq":7`, `"seq":8`), sign(alice, msg)},
		{"op changed after signing", edit(`"op":"put"`, `"op":"seal"`), sign(alice, msg)},
		{"author swapped after signing", edit(aliceB64, malloryB64), sign(alice, msg)},
		{"zero signature", msg, make([]byte, ed25519.SignatureSize)},
		{"signature without the signing context", msg, ed25519.Sign(alice, msg)},
		{"signature over another revision", msg, sign(alice, edit(`"seq":7`, `"seq":6`))},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			plain := frame(tc.msg, tc.sig)
			rev, err := Parse(plain)
			checkErr(t, err, ErrBadSignature)
			if rev != nil {
				t.Error("Parse returned a revision along with an error")
			}
			opened, err := Open(encrypt(t, plain, rcpt), id)
			checkErr(t, err, ErrBadSignature)
			if opened != nil {
				t.Error("Open returned content along with an error")
			}
		})
	}
}

func TestParseRejectsMalformed(t *testing.T) {
	key := testKey(1)
	valid := sealPlain(t, testRevision(key), key)
	if _, err := Parse(valid); err != nil {
		t.Fatalf("valid plaintext: %v", err)
	}
	n := int(binary.BigEndian.Uint32(valid[1:headerSize]))
	end := headerSize + n + ed25519.SignatureSize

	// with returns a copy of valid changed by f.
	with := func(f func(p []byte) []byte) []byte { return f(bytes.Clone(valid)) }
	// withLength returns valid with its length field set to l.
	withLength := func(l uint32) []byte {
		return with(func(p []byte) []byte { binary.BigEndian.PutUint32(p[1:headerSize], l); return p })
	}
	// signed frames msg with a good signature by key.
	signed := func(msg string) []byte { return frame([]byte(msg), sign(key, []byte(msg))) }

	tests := []struct {
		name  string
		plain []byte
		want  error
	}{
		{"empty", nil, ErrMalformed},
		{"shorter than the header", valid[:headerSize-1], ErrMalformed},
		{"header only", valid[:headerSize], ErrMalformed},
		{"version 0", with(func(p []byte) []byte { p[0] = 0; return p }), ErrUnsupportedVersion},
		{"version 3", with(func(p []byte) []byte { p[0] = 3; return p }), ErrUnsupportedVersion},
		{"version 255", with(func(p []byte) []byte { p[0] = 255; return p }), ErrUnsupportedVersion},
		{"version only", []byte{2}, ErrMalformed},
		{"length 0xffffffff", withLength(0xffffffff), ErrMalformed},
		{"length 0x80000000", withLength(0x80000000), ErrMalformed},
		{"length 0xffffffc0", withLength(0xffffffc0), ErrMalformed},
		{"length is the whole plaintext", withLength(uint32(len(valid))), ErrMalformed},
		{"signature overruns by one byte", withLength(uint32(len(valid) - headerSize - ed25519.SignatureSize + 1)), ErrMalformed},
		{"length one short", withLength(uint32(n - 1)), ErrMalformed},
		{"length one long", withLength(uint32(n + 1)), ErrMalformed},
		{"length 0", withLength(0), ErrMalformed},
		{"non-zero first padding byte", with(func(p []byte) []byte { p[end] = 1; return p }), ErrMalformed},
		{"non-zero last padding byte", with(func(p []byte) []byte { p[len(p)-1] = 0x80; return p }), ErrMalformed},
		{"no padding", valid[:end], ErrMalformed},
		{"padding one byte short", valid[:len(valid)-1], ErrMalformed},
		{"padding one byte long", append(bytes.Clone(valid), 0), ErrMalformed},
		{"padded to the next bucket", append(bytes.Clone(valid), make([]byte, len(valid))...), ErrMalformed},
		{"invalid JSON", signed(`{"record":`), ErrMalformed},
		{"JSON array", signed(`[]`), ErrMalformed},
		{"JSON null", signed(`null`), ErrMalformed},
		{"empty message", signed(``), ErrMalformed},
		{"author is not base64", signed(`{"record":"r","rev":"v","author":"!!"}`), ErrMalformed},
		{"seq is negative", signed(`{"record":"r","rev":"v","seq":-1}`), ErrMalformed},
	}
	for _, tc := range invalidRevisions {
		rev := testRevision(key)
		tc.mutate(&rev)
		tests = append(tests, struct {
			name  string
			plain []byte
			want  error
		}{"invalid revision: " + tc.name, sealPlain(t, rev, key), ErrMalformed})
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rev, err := Parse(tc.plain)
			checkErr(t, err, tc.want)
			if rev != nil {
				t.Error("Parse returned a revision along with an error")
			}
		})
	}
}

// Each validate failure reaches the caller with validate's reason.
func TestParseReportsWhy(t *testing.T) {
	key := testKey(1)
	for _, tc := range invalidRevisions {
		t.Run(tc.name, func(t *testing.T) {
			rev := testRevision(key)
			tc.mutate(&rev)
			_, err := Parse(sealPlain(t, rev, key))
			if err == nil || !strings.Contains(err.Error(), tc.why) {
				t.Fatalf("Parse error = %v, want one containing %q", err, tc.why)
			}
		})
	}
}

func TestParseID(t *testing.T) {
	var ones ID
	for i := range ones {
		ones[i] = 0xff
	}
	for _, id := range []ID{{}, ones, IDOf(nil), IDOf([]byte("age-encryption.org/v1"))} {
		s := id.String()
		if len(s) != 64 || strings.ToLower(s) != s {
			t.Errorf("String() = %q, want 64 lower-case hex digits", s)
		}
		got, err := ParseID(s)
		if err != nil || got != id {
			t.Errorf("ParseID(%q) = %v, %v; want %v", s, got, err, id)
		}
		// Upper case is accepted too and means the same id.
		if got, err := ParseID(strings.ToUpper(s)); err != nil || got != id {
			t.Errorf("ParseID(%q) = %v, %v; want %v", strings.ToUpper(s), got, err, id)
		}
	}
	if got, want := IDOf(nil).String(), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"; got != want {
		t.Errorf("IDOf(nil) = %s, want the SHA-256 of nothing, %s", got, want)
	}

	good := IDOf(nil).String()
	for _, s := range []string{
		"",
		"00",
		good[:63],
		good[:62],
		good + "0",
		good + "00",
		"g" + good[1:],
		" " + good[1:],
		good[:63] + "\n",
		"0x" + good[2:],
		"аб" + good[4:],
	} {
		t.Run(fmt.Sprintf("%q", s), func(t *testing.T) {
			id, err := ParseID(s)
			if err == nil || !strings.Contains(err.Error(), "is not 64 hex digits") {
				t.Fatalf("ParseID error = %v, want one saying it is not 64 hex digits", err)
			}
			if id != (ID{}) {
				t.Errorf("ParseID returned %v along with an error", id)
			}
		})
	}
}

// TestOpenSaysWhichIdentityOpenedIt: of several identities, Opened names
// the one that decrypted the envelope, with the audience and epoch its
// author signed, so that a receiver can compare the two.
func TestOpenSaysWhichIdentityOpenedIt(t *testing.T) {
	key := testKey(1)
	var ids []age.Identity
	var rcpts []age.Recipient
	for range 3 {
		id, rcpt := identityKinds[0].new(t)
		ids, rcpts = append(ids, id), append(rcpts, rcpt)
	}
	for i := range ids {
		rev := testRevision(key)
		rev.Audience, rev.Epoch = "aud-0001", uint64(i+1)
		ct, _, err := Seal(rev, key, rcpts[i])
		if err != nil {
			t.Fatal(err)
		}
		o, err := Open(ct, ids...)
		if err != nil {
			t.Fatal(err)
		}
		if o.Identity != ids[i] || o.Version != Version || o.Revision.Audience != "aud-0001" || o.Revision.Epoch != uint64(i+1) {
			t.Errorf("sealed to identity %d: opened by %v (identity %d is %v), version %d, audience %q epoch %d",
				i, o.Identity, i, ids[i], o.Version, o.Revision.Audience, o.Revision.Epoch)
		}
	}
}

// TestVersion1SignsNoAddress: format 1 cannot carry an audience or epoch,
// and a format 1 message that names one is read without it: nothing in
// format 1 was meant as an address.
func TestVersion1SignsNoAddress(t *testing.T) {
	key := testKey(1)
	id, rcpt := identityKinds[0].new(t)
	rev := testRevision(key)
	rev.Epoch = 3
	if _, _, err := SealVersion1(rev, key, rcpt); err == nil {
		t.Fatal("SealVersion1 wrote an epoch")
	}
	o, err := Open(encrypt(t, sealPlainVersion1(t, rev, key), rcpt), id)
	if err != nil {
		t.Fatal(err)
	}
	if o.Version != Version1 || o.Revision.Epoch != 0 || o.Revision.Audience != "" {
		t.Fatalf("format 1 read as version %d, audience %q, epoch %d", o.Version, o.Revision.Audience, o.Revision.Epoch)
	}
}
