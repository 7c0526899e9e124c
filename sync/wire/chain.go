package wire

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
)

// LogVersion is the version of a team log's format that Info announces:
// 2 chains every entry to the one before it (ChainHash) and signs the
// point each page of the log ends at (HeadMessage). A relay that
// announces less, or serves pages without these fields, is too old for
// this client: its log could hide or rewrite entries unseen.
const LogVersion = 2

// Point is a position of a team's log with the chain hash of everything
// up to it: the state a device verified. The log's start is sequence 0
// with GenesisHash.
type Point struct {
	Seq  uint64 `json:"seq"`
	Hash []byte `json:"hash"`
}

// GenesisHash is the chain hash of the empty log: 32 zero bytes.
var GenesisHash = make([]byte, sha256.Size)

// ChainHash is the chain hash after the entry at seq with blob id, given
// prev, the chain hash after the entry before it:
//
//	SHA-256("letapis-log/v2\n" || prev || seq as 8 bytes big-endian || id)
//
// Two logs with the same chain hash at some sequence number hold the same
// ids in the same order up to there.
func ChainHash(prev []byte, seq uint64, id string) []byte {
	h := sha256.New()
	h.Write([]byte("letapis-log/v2\n"))
	h.Write(prev)
	var n [8]byte
	binary.BigEndian.PutUint64(n[:], seq)
	h.Write(n[:])
	h.Write([]byte(id))
	return h.Sum(nil)
}

// HeadMessage is what the relay signs for the point a page of a team's
// log ends at: the team, the sequence number and the chain hash there.
func HeadMessage(team string, p Point) []byte {
	return fmt.Appendf([]byte("letapis-head/v2\n"+team+"\n"), "%d %x\n", p.Seq, p.Hash)
}

// VerifyHead reports whether sig is the relay's signature, by key, of p
// in team's log.
func VerifyHead(key ed25519.PublicKey, team string, p Point, sig []byte) bool {
	return len(key) == ed25519.PublicKeySize && len(p.Hash) == sha256.Size &&
		ed25519.Verify(key, HeadMessage(team, p), sig)
}
