package relay

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"filippo.io/age"

	"github.com/letapis/letapis/sync/wire"
)

// TestRelayKeepsNothingReadable syncs age-encrypted records that hold
// known marker strings through a relay, then scans every file of its data
// directory and its log: no marker and no one-time token may appear on
// disk, and the log names no team, device or blob either.
func TestRelayKeepsNothingReadable(t *testing.T) {
	markers := []string{
		"Ales Bialiatski", "Алесь Бяляцкі", "Viasna human rights centre",
		"punishment cell SHIZO", "testimony of the cellmate", "article 342",
	}
	identity, err := age.GenerateHybridIdentity()
	if err != nil {
		t.Fatal(err)
	}
	encrypt := func(plaintext []byte) []byte {
		var buf bytes.Buffer
		w, err := age.Encrypt(&buf, identity.Recipient())
		if err != nil {
			t.Fatal(err)
		}
		w.Write(plaintext)
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		return buf.Bytes()
	}

	r := newTestRelay(t, Options{})
	team, token, err := NewTeam(t.Context(), r.store)
	if err != nil {
		t.Fatal(err)
	}
	r.secret(token)
	admin := r.newDevice(team)
	status, body := admin.register(token)
	expect(t, status, body, http.StatusCreated, "")
	inviteToken := admin.invite()
	tokens := []string{token, inviteToken}
	member := r.newDevice(admin.team)
	join := wire.JoinRequest{Token: inviteToken, Applicant: member.applicant()}
	join.Recipient = identity.Recipient().String()
	status, body = r.post("/v1/teams/"+team+"/join", join)
	expect(t, status, body, http.StatusAccepted, "")
	status, body = admin.do(http.MethodPost, "/devices/"+member.pseudonym+"/approve", nil)
	expect(t, status, body, http.StatusNoContent, "")

	var ids []string
	for i, m := range markers {
		// Padding makes the last records big enough for the value log.
		padding := hex.EncodeToString(randomBytes(i * 20 << 10))
		record := fmt.Appendf(nil, `{"kind":"testimony","n":%d,"text":%q,"padding":%q}`, i, m, padding)
		ids = append(ids, member.putBlob(encrypt(record)))
	}
	member.appendIDs(ids...)
	for _, id := range ids {
		if status, body := admin.do(http.MethodGet, "/blobs/"+id, nil); status != http.StatusOK {
			t.Fatalf("get: %d %s", status, body)
		}
	}
	admin.readLog("since=0")
	if err := r.store.Close(); err != nil { // flushes memtables into tables
		t.Fatal(err)
	}

	secrets := append(markers, tokens...)
	err = filepath.WalkDir(r.dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, s := range secrets {
			if bytes.Contains(data, []byte(s)) {
				t.Errorf("%s holds %q in clear", path, s)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	r.secret(markers...)
}
