package storage

import (
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/letapis/letapis/storage/record"
)

// flipVault is a vault that TestStoreFileByteFlips made (60 synthetic
// records: 40 people and 20 notes, under testPassphrase), kept with the
// bytes of its one table that one trial flipped. Before unlock checked the
// tables (checkTables), that trial unlocked, read the records by id and
// listed none, without an error: one flip damaged the block holding
// count/note and count/person, which Badger's Get then answered as absent
// (a count of 0), and another the block holding the first list entries,
// which ended Badger's iterator before the first of them (0 listed). The
// other two hit envelope blocks.
const flipVault = "testdata/flipvault"

// flipVaultFlips are that trial's flips in db/1/000002.sst: offset and
// the value XORed in.
var flipVaultFlips = [][2]int{{1609, 0x22}, {57159, 0xb8}, {116947, 0x81}, {223475, 0xb9}}

// copyFlipVault copies the kept vault to a temporary directory, since
// unlocking writes to it.
func copyFlipVault(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "vault")
	if err := os.CopyFS(dir, os.DirFS(flipVault)); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestFlipVaultReadsWhole is the control of the test below: undamaged,
// the kept vault unlocks and lists its 60 records, each of which reads.
func TestFlipVaultReadsWhole(t *testing.T) {
	v := unlock(t, copyFlipVault(t))
	kinds := map[record.Kind]int{}
	err := v.List("", func(s Summary) bool {
		kinds[s.Kind]++
		if _, err := v.Get(s.ID); err != nil {
			t.Errorf("listed record %s does not read: %v", s.ID, err)
		}
		return true
	})
	if err != nil {
		t.Fatal(err)
	}
	if kinds[record.KindPerson] != 40 || kinds[record.KindNote] != 20 || len(kinds) != 2 {
		t.Fatalf("listed %v, want 40 people and 20 notes", kinds)
	}
}

// TestFlipVaultDamageIsReported replays the byte-flip trial that used to
// lose the whole list without an error: unlocking now refuses the damaged
// table.
func TestFlipVaultDamageIsReported(t *testing.T) {
	dir := copyFlipVault(t)
	sst := filepath.Join(dir, "db", "1", "000002.sst")
	data, err := os.ReadFile(sst)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range flipVaultFlips {
		data[f[0]] ^= byte(f[1])
	}
	if err := os.WriteFile(sst, data, 0o600); err != nil {
		t.Fatal(err)
	}
	v, err := Open(dir, testPassphrase, testOptions)
	if err == nil {
		n := 0
		lerr := v.List("", func(Summary) bool { n++; return true })
		v.Close()
		t.Fatalf("the damaged vault unlocked; it listed %d records (error: %v)", n, lerr)
	}
	if !errors.Is(err, ErrDamaged) {
		t.Fatalf("unlock said %v, want ErrDamaged", err)
	}
	t.Log(err)
}

// TestDamagedTableFooterIsReported damages the lengths at the end of a
// table file, which made Badger panic in a goroutine of its own while
// opening the store, killing the process (a byte-flip trial found it).
// Unlocking must report the damage instead.
func TestDamagedTableFooterIsReported(t *testing.T) {
	// A table ends with the index's length, the checksum of the index and
	// the checksum's length, each length 4 bytes big-endian.
	for _, field := range []string{"checksum", "index"} {
		dir := copyFlipVault(t)
		sst := filepath.Join(dir, "db", "1", "000002.sst")
		data, err := os.ReadFile(sst)
		if err != nil {
			t.Fatal(err)
		}
		at := len(data) - 4
		if field == "index" {
			at -= int(binary.BigEndian.Uint32(data[at:])) + 4
		}
		data[at] ^= 0x80 // the length's highest byte
		if err := os.WriteFile(sst, data, 0o600); err != nil {
			t.Fatal(err)
		}
		_, err = Open(dir, testPassphrase, testOptions)
		if !errors.Is(err, ErrDamaged) {
			t.Fatalf("the %s's length damaged: unlock said %v, want ErrDamaged", field, err)
		}
	}
}
