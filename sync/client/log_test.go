package client

import (
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"strings"
	"testing"

	"github.com/letapis/letapis/sync/wire"
)

// TestCheckPage: what a relay might answer to a log read from a point a
// device verified, and what the device makes of it.
func TestCheckPage(t *testing.T) {
	pub, key, _ := ed25519.GenerateKey(rand.Reader)
	const team = "aaaaaaaaaaaaaaaaaaaaaaaaaa"
	ids := []string{strings.Repeat("1", 64), strings.Repeat("2", 64), strings.Repeat("3", 64), strings.Repeat("4", 64)}
	chain := [][]byte{wire.GenesisHash}
	for i, id := range ids {
		chain = append(chain, wire.ChainHash(chain[i], uint64(i+1), id))
	}
	// page is the honest page after since, up to last, signed with k.
	page := func(since, last uint64, k ed25519.PrivateKey) *wire.Page {
		p := &wire.Page{Head: uint64(len(ids)), Prev: chain[since], Hash: chain[last]}
		for s := since + 1; s <= last; s++ {
			p.Entries = append(p.Entries, wire.Entry{Seq: s, ID: ids[s-1]})
		}
		p.Sig = ed25519.Sign(k, wire.HeadMessage(team, wire.Point{Seq: last, Hash: chain[last]}))
		return p
	}
	_, other, _ := ed25519.GenerateKey(rand.Reader)
	for _, c := range []struct {
		name string
		from wire.Point
		page func() *wire.Page
		want error  // nil: accepted
		says string // in the error
	}{
		{"from the start", wire.Point{}, func() *wire.Page { return page(0, 4, key) }, nil, ""},
		{"from a verified point", wire.Point{Seq: 2, Hash: chain[2]}, func() *wire.Page { return page(2, 3, key) }, nil, ""},
		{"a vault from before chains", wire.Point{Seq: 2}, func() *wire.Page { return page(2, 4, key) }, nil, ""},
		{"at the head", wire.Point{Seq: 4, Hash: chain[4]}, func() *wire.Page { return page(4, 4, key) }, nil, ""},
		{"a gap", wire.Point{}, func() *wire.Page {
			p := page(0, 4, key)
			p.Entries = append(p.Entries[:1], p.Entries[2:]...)
			return p
		}, ErrTampered, "entries 2 are missing"},
		{"history rewritten", wire.Point{Seq: 2, Hash: chain[1]}, func() *wire.Page { return page(2, 4, key) }, ErrTampered, "rewritten"},
		{"entries swapped", wire.Point{}, func() *wire.Page {
			p := page(0, 4, key)
			p.Entries[0].ID, p.Entries[1].ID = p.Entries[1].ID, p.Entries[0].ID
			return p
		}, ErrTampered, "do not hash"},
		{"signed with another key", wire.Point{}, func() *wire.Page { return page(0, 4, other) }, ErrTampered, "not signed"},
		{"rolled back", wire.Point{Seq: 4, Hash: chain[4]}, func() *wire.Page {
			p := page(2, 2, key)
			p.Head = 2
			return p
		}, ErrTampered, "rolled back"},
		{"a head with nothing shown", wire.Point{Seq: 1, Hash: chain[1]}, func() *wire.Page { return page(1, 1, key) }, ErrTampered, "holds none"},
		{"a relay that does not chain", wire.Point{}, func() *wire.Page {
			return &wire.Page{Head: 1, Entries: []wire.Entry{{Seq: 1, ID: ids[0]}}}
		}, ErrProtocol, "upgrade the relay"},
	} {
		err := CheckPage(pub, team, c.from, c.page())
		switch {
		case c.want == nil && err != nil:
			t.Errorf("%s: %v, want it accepted", c.name, err)
		case c.want != nil && (!errors.Is(err, c.want) || !strings.Contains(err.Error(), c.says)):
			t.Errorf("%s: %v, want %v saying %q", c.name, err, c.want, c.says)
		}
	}
}
