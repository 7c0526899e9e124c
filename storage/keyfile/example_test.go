package keyfile_test

import (
	"crypto/rand"
	"errors"
	"fmt"
	"log"

	"filippo.io/age"

	"github.com/letapis/letapis/storage/keyfile"
)

// Unlocking tells a wrong passphrase from a damaged file, so the user is
// asked to try again only when trying again can help.
func ExampleDecode() {
	identity, err := age.GenerateHybridIdentity()
	if err != nil {
		log.Fatal(err)
	}
	secrets := &keyfile.Secrets{
		SigningKey: make([]byte, 32),
		Identity:   identity.String(),
		StoreKey:   make([]byte, 32),
	}
	rand.Read(secrets.SigningKey)
	rand.Read(secrets.StoreKey)

	// A low work factor keeps the example fast; vaults pass 0 for
	// DefaultWorkFactor.
	file, err := keyfile.Encode(secrets, "Жыве Беларусь!", 10)
	if err != nil {
		log.Fatal(err)
	}

	_, err = keyfile.Decode(file, "Жыве беларусь!")
	fmt.Println("wrong passphrase:", errors.Is(err, keyfile.ErrWrongPassphrase))

	_, err = keyfile.Decode(file[:len(file)-1], "Жыве Беларусь!")
	fmt.Println("truncated file:", errors.Is(err, keyfile.ErrDamaged))

	unlocked, err := keyfile.Decode(file, "Жыве Беларусь!")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("unlocked:", unlocked.Identity == identity.String())
	// Output:
	// wrong passphrase: true
	// truncated file: true
	// unlocked: true
}
