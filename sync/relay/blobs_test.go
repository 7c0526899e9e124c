package relay

import (
	"bytes"
	"net/http"
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
