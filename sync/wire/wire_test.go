package wire

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"net/http"
	"net/http/httptest"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

type memNonces struct {
	mu   sync.Mutex
	seen map[string]bool
}

func (m *memNonces) Seen(p, n string, _ time.Time) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.seen == nil {
		m.seen = map[string]bool{}
	}
	was := m.seen[p+"/"+n]
	m.seen[p+"/"+n] = true
	return was
}

const pseudonym = "abcdefghijklmnopqrstuvwxyz"

func signed(t *testing.T, key ed25519.PrivateKey, method, target string, body []byte, now time.Time) *http.Request {
	t.Helper()
	req := httptest.NewRequest(method, target, bytes.NewReader(body))
	req.Header.Set(HeaderDigest, Digest(body))
	SignRequest(req, pseudonym, key, now)
	return req
}

func TestSignedRequestsVerifyAndTamperingIsCaught(t *testing.T) {
	pub, key, _ := ed25519.GenerateKey(rand.Reader)
	_, other, _ := ed25519.GenerateKey(rand.Reader)
	now := time.Unix(1_800_000_000, 0)
	lookup := func(p string) (ed25519.PublicKey, error) {
		if p != pseudonym {
			return nil, errors.New("unknown device")
		}
		return pub, nil
	}
	body := []byte(`{"ids":[]}`)
	target := "/v1/teams/t/log?since=5"

	req := signed(t, key, "POST", target, body, now)
	if got, err := VerifyRequest(req, body, now, &memNonces{}, lookup); err != nil || got != pseudonym {
		t.Fatalf("genuine request: %q, %v", got, err)
	}
	for name, tc := range map[string]struct {
		mutate func(*http.Request) []byte
		want   error
	}{
		"other body":   {func(*http.Request) []byte { return []byte(`{"ids":["x"]}`) }, ErrBadDigest},
		"other path":   {func(r *http.Request) []byte { r.URL.Path = "/v1/teams/u/log"; return body }, ErrBadSignature},
		"other query":  {func(r *http.Request) []byte { r.URL.RawQuery = "since=0"; return body }, ErrBadSignature},
		"other method": {func(r *http.Request) []byte { r.Method = "PUT"; return body }, ErrBadSignature},
		"unsigned":     {func(r *http.Request) []byte { r.Header.Del(HeaderSignature); return body }, ErrUnsigned},
		"other nonce":  {func(r *http.Request) []byte { r.Header.Set(HeaderNonce, "AAAAAAAAAAAAAAAAAAAAAA"); return body }, ErrBadSignature},
		"bad nonce":    {func(r *http.Request) []byte { r.Header.Set(HeaderNonce, "x"); return body }, ErrBadSignature},
		"signed by other": {func(r *http.Request) []byte {
			SignRequest(r, pseudonym, other, now)
			return body
		}, ErrBadSignature},
	} {
		t.Run(name, func(t *testing.T) {
			req := signed(t, key, "POST", target, body, now)
			b := tc.mutate(req)
			if _, err := VerifyRequest(req, b, now, &memNonces{}, lookup); !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
		})
	}
	t.Run("stale and future", func(t *testing.T) {
		for _, at := range []time.Time{now.Add(-6 * time.Minute), now.Add(6 * time.Minute)} {
			req := signed(t, key, "POST", target, body, at)
			if _, err := VerifyRequest(req, body, now, &memNonces{}, lookup); !errors.Is(err, ErrStale) {
				t.Fatalf("created %v: got %v, want ErrStale", at, err)
			}
		}
	})
	t.Run("replay", func(t *testing.T) {
		nonces := &memNonces{}
		req := signed(t, key, "POST", target, body, now)
		if _, err := VerifyRequest(req, body, now, nonces, lookup); err != nil {
			t.Fatal(err)
		}
		if _, err := VerifyRequest(req, body, now.Add(time.Second), nonces, lookup); !errors.Is(err, ErrReplayed) {
			t.Fatalf("replay: got %v, want ErrReplayed", err)
		}
	})
	t.Run("re-signing for a retry is accepted", func(t *testing.T) {
		nonces := &memNonces{}
		req := signed(t, key, "POST", target, body, now)
		VerifyRequest(req, body, now, nonces, lookup)
		SignRequest(req, pseudonym, key, now.Add(2*time.Second))
		if _, err := VerifyRequest(req, body, now.Add(2*time.Second), nonces, lookup); err != nil {
			t.Fatalf("re-signed retry: %v", err)
		}
	})
}

func TestMessagesValidate(t *testing.T) {
	id := strings.Repeat("ab", 32)
	pub, _, _ := ed25519.GenerateKey(rand.Reader)
	good := map[string]Message{
		"ids":      &IDs{IDs: []string{id}},
		"page":     &Page{Entries: []Entry{{Seq: 1, ID: id, Size: 10}, {Seq: 3, ID: id}}, Head: 3},
		"register": &Register{Token: strings.Repeat("t", 22), Pseudonym: pseudonym, AuthKey: pub},
		"join":     &JoinRequest{Token: strings.Repeat("t", 22), Applicant: Applicant{Pseudonym: pseudonym, AuthKey: pub, Device: pub, Recipient: "age1..."}},
	}
	for name, m := range good {
		if err := m.Validate(); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	bad := map[string]Message{
		"id not hex":        &IDs{IDs: []string{"zz"}},
		"too many ids":      &IDs{IDs: make([]string, MaxIDs+1)},
		"seq not rising":    &Page{Entries: []Entry{{Seq: 2, ID: id}, {Seq: 2, ID: id}}, Head: 2},
		"seq beyond head":   &Page{Entries: []Entry{{Seq: 5, ID: id}}, Head: 4},
		"zero seq":          &Page{Entries: []Entry{{Seq: 0, ID: id}}},
		"short token":       &Register{Token: "x", Pseudonym: pseudonym, AuthKey: pub},
		"no auth key":       &Register{Token: strings.Repeat("t", 22), Pseudonym: pseudonym},
		"join without keys": &JoinRequest{Token: strings.Repeat("t", 22), Applicant: Applicant{Pseudonym: pseudonym}},
		"receipt missing":   &Appended{Entries: []Entry{{Seq: 1, ID: id}}},
	}
	for name, m := range bad {
		if err := m.Validate(); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if err := DecodeBytes([]byte(`{"ids":["`+id+`"]`), &IDs{}); !errors.Is(err, ErrMalformed) {
		t.Errorf("truncated JSON: %v", err)
	}
}

func TestInviteCodeRoundTripAndBadPastes(t *testing.T) {
	admin, _, _ := ed25519.GenerateKey(rand.Reader)
	c := &InviteCode{Relay: "https://relay.example:8443", Team: pseudonym, Token: strings.Repeat("k", 32), Admin: admin, Pin: strings.Repeat("f", 64)}
	s := c.String()
	if !strings.HasPrefix(s, "letapis-invite-v2:") {
		t.Fatalf("code %q is not version 2", s)
	}
	got, err := ParseInviteCode("  " + s + "\n")
	if err != nil || !reflect.DeepEqual(got, c) {
		t.Fatalf("round trip: %+v, %v", got, err)
	}
	for name, bad := range map[string]string{
		"empty":           "",
		"not ours":        "hello",
		"cut short":       s[:len(s)-10],
		"bad base64":      s[:len(s)-3] + "!!!",
		"ftp relay":       (&InviteCode{Relay: "ftp://x", Team: pseudonym, Token: c.Token, Admin: admin}).String(),
		"bad team":        (&InviteCode{Relay: c.Relay, Team: "X", Token: c.Token, Admin: admin}).String(),
		"short pin":       (&InviteCode{Relay: c.Relay, Team: pseudonym, Token: c.Token, Admin: admin, Pin: "ab"}).String(),
		"no admin key":    (&InviteCode{Relay: c.Relay, Team: pseudonym, Token: c.Token}).String(),
		"short admin key": (&InviteCode{Relay: c.Relay, Team: pseudonym, Token: c.Token, Admin: admin[:6]}).String(),
	} {
		if _, err := ParseInviteCode(bad); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// TestOldInviteCodeIsRefused: a version 1 code named the admin by a 48-bit
// fingerprint; it is refused with a request for a new code.
func TestOldInviteCodeIsRefused(t *testing.T) {
	v1 := "letapis-invite-v1:" + base64.RawURLEncoding.EncodeToString([]byte(
		`{"relay":"https://relay.example","team":"`+pseudonym+`","token":"`+strings.Repeat("k", 32)+`","admin":"0123456789ab"}`))
	_, err := ParseInviteCode(v1)
	if !errors.Is(err, ErrOldInvite) || !strings.Contains(err.Error(), "new invite code") {
		t.Fatalf("a v1 invite code: %v, want ErrOldInvite asking for a new code", err)
	}
}

// TestPlainHTTPRelaysOnlyOnLoopbackOrOnion: an invite code naming a plain
// http:// relay across a network is refused; loopback and onion are not.
func TestPlainHTTPRelaysOnlyOnLoopbackOrOnion(t *testing.T) {
	admin, _, _ := ed25519.GenerateKey(rand.Reader)
	for relay, ok := range map[string]bool{
		"https://relay.example":              true,
		"http://127.0.0.1:8080":              true,
		"http://127.8.9.10":                  true,
		"http://[::1]:80":                    true,
		"http://localhost:8443":              true,
		"http://LOCALHOST.":                  true,
		"http://abcdefghijklmnop.onion":      true,
		"http://relay.example":               false,
		"http://192.168.1.2:8443":            false,
		"http://[2001:db8::1]":               false,
		"http://localhost.relay.example":     false,
		"http://onion.example":               false,
		"http://127.0.0.1.relay.example":     false,
		"http://abcdefghijklmnop.onion.evil": false,
	} {
		code := (&InviteCode{Relay: relay, Team: pseudonym, Token: strings.Repeat("k", 32), Admin: admin}).String()
		_, err := ParseInviteCode(code)
		switch {
		case ok && err != nil:
			t.Errorf("%s: refused: %v", relay, err)
		case !ok && !errors.Is(err, ErrPlainHTTP):
			t.Errorf("%s: %v, want ErrPlainHTTP", relay, err)
		}
	}
}

func TestSafetyNumberCoversEveryKey(t *testing.T) {
	pub, _, _ := ed25519.GenerateKey(rand.Reader)
	other, _, _ := ed25519.GenerateKey(rand.Reader)
	admin, _, _ := ed25519.GenerateKey(rand.Reader)
	a := Applicant{Pseudonym: pseudonym, AuthKey: pub, Device: pub, Recipient: "age1abc"}
	n := SafetyNumber("team", admin, &a)
	if !regexp.MustCompile(`^\d{5}( \d{5}){6}$`).MatchString(n) || n != SafetyNumber("team", admin, &a) {
		t.Fatalf("safety number %q is not stable 6x5 digits", n)
	}
	for name, change := range map[string]func(*Applicant){
		"auth key":  func(x *Applicant) { x.AuthKey = other },
		"device":    func(x *Applicant) { x.Device = other },
		"recipient": func(x *Applicant) { x.Recipient = "age1abd" },
	} {
		b := a
		change(&b)
		if SafetyNumber("team", admin, &b) == n {
			t.Errorf("changing the %s does not change the safety number", name)
		}
	}
	// The whole admin key counts, down to its last byte.
	lastByte := slices.Clone(admin)
	lastByte[len(lastByte)-1] ^= 1
	if SafetyNumber("team", lastByte, &a) == n || SafetyNumber("teaM", admin, &a) == n {
		t.Error("team or the admin key's last byte not covered")
	}
}

func TestErrorsMapToStatusAndBack(t *testing.T) {
	for code, status := range statusOf {
		rec := httptest.NewRecorder()
		WriteError(rec, Errorf(code, "because %d", 7))
		if rec.Code != status {
			t.Errorf("%s: status %d, want %d", code, rec.Code, status)
		}
		got := ReadError(rec.Result())
		if got.Code != code || got.Message != "because 7" {
			t.Errorf("%s: read back %+v", code, got)
		}
	}
	resp := &http.Response{StatusCode: 502, Body: http.NoBody}
	if e := ReadError(resp); e.Code != CodeInternal {
		t.Errorf("proxy 502: %+v", e)
	}
}
