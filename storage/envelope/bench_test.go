package envelope

import (
	"encoding/json"
	"strings"
	"testing"
)

// BenchmarkOpen measures what receiving costs at the least per envelope
// on one core: decrypting a revision of about 2 KiB (the size the sync
// benchmarks move) sealed to each kind of identity, and verifying its
// signature. The sync receive budget is held against it.
func BenchmarkOpen(b *testing.B) {
	key := testKey(1)
	rev := testRevision(key)
	body, err := json.Marshal(map[string]string{"text": strings.Repeat("Сведчанне. ", 100)})
	if err != nil {
		b.Fatal(err)
	}
	rev.Body = body
	for _, kind := range identityKinds {
		b.Run(kind.name, func(b *testing.B) {
			id, rcpt := kind.new(b)
			ct, _, err := Seal(rev, key, rcpt)
			if err != nil {
				b.Fatal(err)
			}
			b.SetBytes(int64(len(ct)))
			for b.Loop() {
				if _, err := Open(ct, id); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
