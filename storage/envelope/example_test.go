package envelope_test

import (
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"time"

	"filippo.io/age"

	"github.com/letapis/letapis/storage/envelope"
	"github.com/letapis/letapis/storage/hlc"
)

// A device seals a revision to its team's audience key, naming the team,
// the audience ("" for the team's) and the key's epoch under its
// signature; a device holding the audience identity opens it, learns which
// of its keys did, and nobody else can open it.
func ExampleSeal() {
	// Both keys live in the device's key.age in a real vault.
	_, signer, err := ed25519.GenerateKey(nil)
	if err != nil {
		log.Fatal(err)
	}
	audience, err := age.GenerateHybridIdentity()
	if err != nil {
		log.Fatal(err)
	}

	rev := envelope.Revision{
		Team:   "team-0001",
		Epoch:  1,
		Record: "person-0001",
		ID:     "rev-0001",
		Author: signer.Public().(ed25519.PublicKey),
		Seq:    1,
		Time:   hlc.Timestamp{Wall: time.Date(2026, 11, 23, 10, 4, 5, 0, time.UTC).UnixMilli()},
		Kind:   "person",
		Schema: 1,
		Op:     envelope.OpPut,
		Body:   json.RawMessage(`{"name":"Алесь Бяляцкі"}`),
	}
	ciphertext, id, err := envelope.Seal(rev, signer, audience.Recipient())
	if err != nil {
		log.Fatal(err)
	}

	opened, err := envelope.Open(ciphertext, audience)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(opened.ID == id)
	fmt.Println(opened.Revision.Kind, opened.Revision.Op, opened.Revision.Time)
	fmt.Println(string(opened.Revision.Body))
	fmt.Println(opened.PaddedSize)
	fmt.Println(opened.Version, opened.Identity == age.Identity(audience), opened.Revision.Team, opened.Revision.Epoch)

	stranger, err := age.GenerateHybridIdentity()
	if err != nil {
		log.Fatal(err)
	}
	_, err = envelope.Open(ciphertext, stranger)
	fmt.Println(errors.Is(err, envelope.ErrUndecryptable))
	// Output:
	// true
	// person put 2026-11-23T10:04:05.000Z+0
	// {"name":"Алесь Бяляцкі"}
	// 512
	// 2 true team-0001 1
	// true
}

// The relay sees only the size bucket of an envelope.
func ExamplePaddedSize() {
	for _, n := range []int{100, 513, 40_000, 65_537, 1_000_000} {
		fmt.Println(n, "->", envelope.PaddedSize(n))
	}
	// Output:
	// 100 -> 512
	// 513 -> 1024
	// 40000 -> 65536
	// 65537 -> 131072
	// 1000000 -> 1048576
}
