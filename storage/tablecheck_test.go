package storage

import (
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
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
	flipVaultFile(t, dir, flipVaultFlips...)
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

// flipVaultFile applies flips (offset and value XORed in) to the kept
// vault's one table in the copy at dir.
func flipVaultFile(t *testing.T, dir string, flips ...[2]int) {
	t.Helper()
	sst := filepath.Join(dir, "db", "1", "000002.sst")
	data, err := os.ReadFile(sst)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range flips {
		data[f[0]] ^= byte(f[1])
	}
	if err := os.WriteFile(sst, data, 0o600); err != nil {
		t.Fatal(err)
	}
}

// addNotesAndRelock unlocks the vault in dir, counts its records, adds n
// notes and locks it (Badger compacts its tables on close), then unlocks
// it again and returns both counts; an unlock's error ends it early.
func addNotesAndRelock(t *testing.T, dir string, n int) (before, after int, err error) {
	t.Helper()
	count := func(v *Vault) int {
		c := 0
		if err := v.List("", func(Summary) bool { c++; return true }); err != nil {
			t.Fatal(err)
		}
		return c
	}
	v, err := Open(dir, testPassphrase, testOptions)
	if err != nil {
		return 0, 0, err
	}
	before = count(v)
	var notes []record.Body
	for i := range n {
		notes = append(notes, &record.Note{Text: "compaction test note " + strconv.Itoa(i)})
	}
	if _, err := v.Import(notes); err != nil {
		t.Fatal(err)
	}
	if err := v.Close(); err != nil {
		t.Fatal(err)
	}
	v, err = Open(dir, testPassphrase, testOptions)
	if err != nil {
		return before, 0, err
	}
	defer v.Close()
	return before, count(v), nil
}

// TestCompactionCannotHideDamage replays the damage that used to vanish:
// one flip (57159^0xb8) in an envelope block of the kept vault's table,
// outside the blocks unlock read then. That vault unlocked and listed its
// 60 records; 50 notes added and a lock later, Badger's compaction had
// rewritten the table without the damaged block's keys, and the next
// unlock listed 50 records, without an error. Unlocking must now refuse
// the damaged table, whether the lock before recorded its checksum or a
// killed session left it unrecorded.
func TestCompactionCannotHideDamage(t *testing.T) {
	// The control: undamaged, the records all survive the compaction.
	before, after, err := addNotesAndRelock(t, copyFlipVault(t), 50)
	if err != nil || before != 60 || after != 110 {
		t.Fatalf("undamaged: listed %d, then %d after adding 50 (error %v); want 60 and 110", before, after, err)
	}
	for _, recorded := range []bool{true, false} {
		dir := copyFlipVault(t)
		if recorded {
			if err := recordTableSums(filepath.Join(dir, "db", "1")); err != nil {
				t.Fatal(err)
			}
		}
		flipVaultFile(t, dir, [2]int{57159, 0xb8})
		before, after, err := addNotesAndRelock(t, dir, 50)
		if !errors.Is(err, ErrDamaged) || before != 0 {
			t.Fatalf("checksum recorded %v: listed %d, then %d after adding 50; unlock said %v, want ErrDamaged at the first", recorded, before, after, err)
		}
		if !strings.Contains(err.Error(), "000002.sst") {
			t.Errorf("the error does not name the damaged table: %v", err)
		}
	}
}

// TestTableSumsRecordedAtLock checks that a lock records every table of
// the store with its size and checksum, so that the next unlock need not
// read them block by block.
func TestTableSumsRecordedAtLock(t *testing.T) {
	dir := copyFlipVault(t)
	if _, _, err := addNotesAndRelock(t, dir, 50); err != nil {
		t.Fatal(err)
	}
	store := filepath.Join(dir, "db", "1")
	sums := readTableSums(store)
	tables, err := filepath.Glob(filepath.Join(store, "*.sst"))
	if err != nil {
		t.Fatal(err)
	}
	if len(tables) == 0 || len(sums) != len(tables) {
		t.Fatalf("recorded %d table sums for %d tables", len(sums), len(tables))
	}
	for _, path := range tables {
		sum, ok := sums[filepath.Base(path)]
		if !ok || !sum.matches(path, make([]byte, sumBufSize)) {
			t.Errorf("%s: recorded %v (%v), which does not match the file", filepath.Base(path), sum, ok)
		}
	}
}
