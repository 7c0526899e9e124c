package relay

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptrace"
	"net/textproto"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/letapis/letapis/sync/wire"
)

func TestPutBlob(t *testing.T) {
	r := newTestRelay(t, Options{QuotaBytes: wire.MaxBlobSize + 1000})
	member := r.newTeam().newMember()
	small := randomBytes(600)
	largest := randomBytes(wire.MaxBlobSize)
	tooLarge := append(bytes.Clone(largest), 0)
	for _, tc := range []struct {
		name   string
		id     string
		body   []byte
		status int
		code   wire.Code
	}{
		{"new", blobIDOf(small), small, http.StatusCreated, ""},
		{"again", blobIDOf(small), small, http.StatusOK, ""},
		{"hash mismatch", blobIDOf(small), small[1:], http.StatusUnprocessableEntity, wire.CodeHashMismatch},
		{"malformed id", strings.ToUpper(blobIDOf(small)), small, http.StatusBadRequest, wire.CodeBadRequest},
		{"largest", blobIDOf(largest), largest, http.StatusCreated, ""},
		{"too large", blobIDOf(tooLarge), tooLarge, http.StatusRequestEntityTooLarge, wire.CodeTooLarge},
		{"beyond the quota", blobIDOf(small[:401]), small[:401], http.StatusInsufficientStorage, wire.CodeQuotaExceeded},
		{"up to the quota", blobIDOf(small[:400]), small[:400], http.StatusCreated, ""},
		{"stored again at the quota", blobIDOf(small), small, http.StatusOK, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r.secret(tc.id)
			status, body := member.do(http.MethodPut, "/blobs/"+tc.id, tc.body)
			expect(t, status, body, tc.status, tc.code)
		})
	}
	if u, _ := r.store.Usage(t.Context(), member.team); u != wire.MaxBlobSize+1000 {
		t.Fatalf("usage %d", u)
	}
}

func TestMissingBlobs(t *testing.T) {
	r := newTestRelay(t, Options{})
	member := r.newTeam().newMember()
	have := member.putBlob([]byte("have"))
	lack := blobIDOf([]byte("lack"))
	r.secret(lack)
	status, body := member.do(http.MethodPost, "/blobs/missing", mustJSON(t, wire.IDs{IDs: []string{have, lack, lack}}))
	expect(t, status, body, http.StatusOK, "")
	if got := decode[wire.IDs](t, body).IDs; len(got) != 1 || got[0] != lack {
		t.Fatalf("missing: %v", got)
	}
	tooMany := wire.IDs{IDs: make([]string, wire.MaxIDs+1)}
	for i := range tooMany.IDs {
		tooMany.IDs[i] = lack
	}
	status, body = member.do(http.MethodPost, "/blobs/missing", mustJSON(t, tooMany))
	expect(t, status, body, http.StatusBadRequest, wire.CodeBadRequest)
}

func TestGetBlob(t *testing.T) {
	r := newTestRelay(t, Options{})
	admin := r.newTeam()
	member := admin.newMember()
	data := randomBytes(100 << 10) // in Badger's value log
	id := member.putBlob(data)
	absent := blobIDOf([]byte("absent"))
	r.secret(absent)
	etag := `"` + id + `"`

	for _, tc := range []struct {
		name    string
		id      string
		headers map[string]string
		status  int
		want    []byte
	}{
		{"whole", id, nil, http.StatusOK, data},
		{"range", id, map[string]string{"Range": "bytes=1000-1999"}, http.StatusPartialContent, data[1000:2000]},
		{"suffix range", id, map[string]string{"Range": "bytes=-10"}, http.StatusPartialContent, data[len(data)-10:]},
		{"resume with If-Range", id, map[string]string{"Range": "bytes=50000-", "If-Range": etag}, http.StatusPartialContent, data[50000:]},
		{"If-Range of another blob", id, map[string]string{"Range": "bytes=50000-", "If-Range": `"` + absent + `"`}, http.StatusOK, data},
		{"unsatisfiable range", id, map[string]string{"Range": "bytes=200000-"}, http.StatusRequestedRangeNotSatisfiable, nil},
		{"cached", id, map[string]string{"If-None-Match": etag}, http.StatusNotModified, nil},
		{"absent", absent, nil, http.StatusNotFound, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := member.request(http.MethodGet, "/blobs/"+tc.id, nil, time.Now())
			for k, v := range tc.headers {
				req.Header.Set(k, v)
			}
			resp, err := r.client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var got bytes.Buffer
			got.ReadFrom(resp.Body)
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d", resp.StatusCode, tc.status)
			}
			if tc.want != nil && !bytes.Equal(got.Bytes(), tc.want) {
				t.Fatalf("got %d bytes, want %d", got.Len(), len(tc.want))
			}
			if tc.want != nil && resp.Header.Get("Content-Type") != "application/octet-stream" {
				t.Errorf("Content-Type %q", resp.Header.Get("Content-Type"))
			}
		})
	}

	other := r.newTeam()
	status, body := other.do(http.MethodGet, "/blobs/"+id, nil)
	expect(t, status, body, http.StatusNotFound, wire.CodeNotFound)
}

func TestPutBlobs(t *testing.T) {
	r := newTestRelay(t, Options{QuotaBytes: 3000, MaxBlobSize: 2000})
	member := r.newTeam().newMember()
	a, b, c := randomBytes(600), randomBytes(1200), randomBytes(900)
	ids := []string{blobIDOf(a), blobIDOf(b), blobIDOf(c)}
	r.secret(ids...)
	batch := func(blobs ...[]byte) []byte {
		var body []byte
		for _, blob := range blobs {
			body = wire.AppendBatch(body, blob)
		}
		return body
	}

	status, body := member.do(http.MethodPost, "/blobs", batch(a, b, a))
	expect(t, status, body, http.StatusOK, "")
	if got := decode[wire.IDs](t, body).IDs; !slices.Equal(got, []string{ids[0], ids[1], ids[0]}) {
		t.Fatalf("stored %v, want the ids of the blobs in order", got)
	}
	if u, _ := r.store.Usage(t.Context(), member.team); u != 1800 {
		t.Fatalf("usage %d after a batch with a blob twice, want 1800", u)
	}
	// Sent again, as a retry would: nothing changes.
	status, body = member.do(http.MethodPost, "/blobs", batch(a, b))
	expect(t, status, body, http.StatusOK, "")
	if u, _ := r.store.Usage(t.Context(), member.team); u != 1800 {
		t.Fatalf("usage %d after a retried batch, want 1800", u)
	}

	// c fits the quota alone but not with another 900 bytes: none is stored.
	d := randomBytes(900)
	r.secret(blobIDOf(d))
	status, body = member.do(http.MethodPost, "/blobs", batch(c, d))
	expect(t, status, body, http.StatusInsufficientStorage, wire.CodeQuotaExceeded)
	if missing, _ := r.store.MissingBlobs(t.Context(), member.team, []string{ids[2], blobIDOf(d)}); len(missing) != 2 {
		t.Fatalf("a refused batch left blobs behind: missing %v", missing)
	}

	member.expectAll(t, "/blobs", []bodyCase{
		{"empty", nil, http.StatusOK, ""},
		{"cut off", batch(c)[:100], http.StatusBadRequest, wire.CodeBadRequest},
		{"a blob over the relay's limit", batch(randomBytes(2001)), http.StatusRequestEntityTooLarge, wire.CodeTooLarge},
		{"larger than a batch", make([]byte, wire.MaxBatchSize+1), http.StatusRequestEntityTooLarge, wire.CodeTooLarge},
	})
}

// bodyCase is a request body and the answer it must get.
type bodyCase struct {
	name   string
	body   []byte
	status int
	code   wire.Code
}

// expectAll posts each case's body to path, each in a subtest, and checks
// the answer.
func (d *device) expectAll(t *testing.T, path string, cases []bodyCase) {
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			status, body := d.do(http.MethodPost, path, tc.body)
			expect(t, status, body, tc.status, tc.code)
		})
	}
}

func TestFetchBlobs(t *testing.T) {
	r := newTestRelay(t, Options{})
	member := r.newTeam().newMember()
	small := member.putBlob(randomBytes(300))
	half := randomBytes(wire.MaxBatchSize / 2)
	big := member.putBlob(half)
	other := member.putBlob(randomBytes(wire.MaxBatchSize/2 - 100))
	huge := member.putBlob(randomBytes(wire.MaxBatchSize))
	absent := blobIDOf([]byte("absent"))
	r.secret(absent)

	fetch := func(ids ...string) (int, []byte) {
		return member.do(http.MethodPost, "/blobs/fetch", mustJSON(t, wire.IDs{IDs: ids}))
	}
	// What fits comes in the order asked, and the rest is left for
	// another request: small and big fit, other does not.
	status, body := fetch(small, big, other, small)
	expect(t, status, body, http.StatusOK, "")
	blobs, err := wire.SplitBatch(body)
	if err != nil || len(blobs) != 2 || blobIDOf(blobs[0]) != small || !bytes.Equal(blobs[1], half) {
		t.Fatalf("fetched %d blobs, %v; want small and big", len(blobs), err)
	}
	status, body = fetch(other, small, small)
	expect(t, status, body, http.StatusOK, "")
	if blobs, err := wire.SplitBatch(body); err != nil || len(blobs) != 3 || blobIDOf(blobs[0]) != other || blobIDOf(blobs[2]) != small {
		t.Fatalf("fetched %d blobs, %v; want other, small, small", len(blobs), err)
	}
	asking := func(ids ...string) []byte { return mustJSON(t, wire.IDs{IDs: ids}) }
	member.expectAll(t, "/blobs/fetch", []bodyCase{
		{"nothing", asking(), http.StatusOK, ""},
		{"an unknown blob", asking(small, absent), http.StatusNotFound, wire.CodeNotFound},
		{"first too large for a batch", asking(huge, small), http.StatusRequestEntityTooLarge, wire.CodeTooLarge},
	})
}

// partUpload returns a relay, a member of a team and the member's signed
// upload of an attachment part of 4 MiB.
func partUpload(t *testing.T) (*testRelay, *device, []byte, *http.Request) {
	r := newTestRelay(t, Options{})
	member := r.newTeam().newMember()
	part := randomBytes(4 << 20)
	id := blobIDOf(part)
	r.secret(id)
	return r, member, part, member.request(http.MethodPut, "/blobs/"+id, part, time.Now())
}

// An attachment part is a file of its own on the relay, announced by 102
// Processing once the relay has it whole, and served from the file.
func TestPutLargeBlobAnnouncesReceiptAndKeepsAFile(t *testing.T) {
	r, member, part, req := partUpload(t)
	id := blobIDOf(part)
	var interim []int
	req = req.WithContext(httptrace.WithClientTrace(req.Context(), &httptrace.ClientTrace{
		Got1xxResponse: func(code int, _ textproto.MIMEHeader) error {
			interim = append(interim, code)
			return nil
		},
	}))
	status, body := r.send(req)
	expect(t, status, body, http.StatusCreated, "")
	if !slices.Equal(interim, []int{http.StatusProcessing}) {
		t.Fatalf("interim answers %v, want one 102 Processing", interim)
	}
	if _, err := os.Stat(r.store.files.path(member.team, id)); err != nil {
		t.Fatalf("the part is not a file of its own: %v", err)
	}
	status, got := member.do(http.MethodGet, "/blobs/"+id, nil)
	expect(t, status, got, http.StatusOK, "")
	if !bytes.Equal(got, part) {
		t.Fatal("the part served differs from the part stored")
	}
}

// A part damaged on its way, after the client signed it, is refused, and
// nothing of it is kept.
func TestPutBlobDamagedOnTheWayIsRefused(t *testing.T) {
	r, member, part, req := partUpload(t)
	id := blobIDOf(part)
	damaged := bytes.Clone(part)
	damaged[len(damaged)/2] ^= 0x01
	req.Body = io.NopCloser(bytes.NewReader(damaged))
	status, body := r.send(req)
	expect(t, status, body, http.StatusUnprocessableEntity, wire.CodeHashMismatch)
	if missing, err := r.store.MissingBlobs(t.Context(), member.team, []string{id}); err != nil || len(missing) != 1 {
		t.Fatalf("missing after the refusal: %v, %v", missing, err)
	}
	if entries, err := os.ReadDir(r.store.files.dir); err != nil || len(entries) != 0 {
		t.Fatalf("blob files after the refusal: %v, %v", entries, err)
	}
	if u, _ := r.store.Usage(t.Context(), member.team); u != 0 {
		t.Fatalf("usage %d after the refusal", u)
	}
}

// The question which blobs are missing waits for a blob in flight, so
// that a part the relay has whole is not sent again.
func TestMissingWaitsForBlobsInFlight(t *testing.T) {
	var b blobsInFlight
	end := b.begin("team", "a")
	again := b.begin("team", "a")
	waited := make(chan error, 1)
	go func() { waited <- b.wait(t.Context(), "team", []string{"a", "b"}) }()
	end()
	select {
	case err := <-waited:
		t.Fatalf("wait returned (%v) while a request still stores the blob", err)
	case <-time.After(50 * time.Millisecond):
	}
	again()
	if err := <-waited; err != nil {
		t.Fatal(err)
	}
	if err := b.wait(t.Context(), "other", []string{"a"}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	b.begin("team", "c")
	cancel()
	if err := b.wait(ctx, "team", []string{"c"}); !errors.Is(err, context.Canceled) {
		t.Fatalf("wait with a cancelled context: %v", err)
	}
}
