package wire

import (
	"bytes"
	"errors"
	"reflect"
	"strings"
	"testing"
)

// FuzzDecode feeds arbitrary bytes to every message type the client or the
// relay parses: decoding never panics, and what decodes validates.
func FuzzDecode(f *testing.F) {
	id := strings.Repeat("0f", 32)
	for _, seed := range []string{
		`{"ids":["` + id + `"]}`,
		`{"entries":[{"seq":1,"id":"` + id + `","size":3}],"head":1}`,
		`{"entries":[{"seq":1,"id":"` + id + `","size":3}],"receipt":"` + strings.Repeat("A", 86) + `=="}`,
		`{"token":"tttttttttttttttttttttt","pseudonym":"abcdefghijklmnopqrstuvwxyz","auth_key":"` + strings.Repeat("A", 43) + `="}`,
		`{"joins":[{"pseudonym":"abcdefghijklmnopqrstuvwxyz"}]}`,
		`{"version":1,"relay_key":"AAAA"}`,
		`{"code":"forbidden","message":"x"}`,
		`{"role":"admin"}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, m := range []Message{&IDs{}, &Page{}, &Appended{}, &Register{}, &JoinRequest{}, &Joins{}, &Info{}, &Invite{}, &Approval{}} {
			if err := DecodeBytes(data, m); err == nil {
				if err := m.Validate(); err != nil {
					t.Fatalf("%T decoded but does not validate: %v", m, err)
				}
			}
		}
	})
}

// FuzzParseInviteCode: never panics; what parses re-encodes to a code that
// parses to the same value.
func FuzzParseInviteCode(f *testing.F) {
	f.Add((&InviteCode{Relay: "https://r.example", Team: "abcdefghijklmnopqrstuvwxyz", Token: strings.Repeat("k", 22), Admin: make([]byte, 32)}).String())
	f.Add("letapis-invite-v2:e30")
	f.Fuzz(func(t *testing.T, s string) {
		c, err := ParseInviteCode(s)
		if err != nil {
			return
		}
		again, err := ParseInviteCode(c.String())
		if err != nil || !reflect.DeepEqual(again, c) {
			t.Fatalf("re-encoded code does not round-trip: %+v, %v", again, err)
		}
	})
}

// FuzzSplitBatch: splitting never panics, what splits stays within the
// limits, and the blobs put back together are the body.
func FuzzSplitBatch(f *testing.F) {
	f.Add([]byte{})
	f.Add(AppendBatch(AppendBatch(nil, []byte("one")), nil))
	f.Add([]byte{0, 0, 0, 5, 'a'})
	f.Add([]byte{0xff, 0xff, 0xff, 0xff})
	f.Add([]byte{0, 0})
	f.Fuzz(func(t *testing.T, body []byte) {
		blobs, err := SplitBatch(body)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("error %v does not wrap ErrMalformed", err)
			}
			return
		}
		if len(blobs) > MaxIDs {
			t.Fatalf("%d blobs", len(blobs))
		}
		var again []byte
		sizes := make([]int, len(blobs))
		for i, b := range blobs {
			again = AppendBatch(again, b)
			sizes[i] = len(b)
		}
		if !bytes.Equal(again, body) || BatchSize(sizes...) != len(body) {
			t.Fatalf("%q splits into %q, which joins to %q", body, blobs, again)
		}
	})
}
