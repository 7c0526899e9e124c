package storage

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"testing"
	"unsafe"

	"github.com/letapis/letapis/internal/memscan"
	"github.com/letapis/letapis/storage/record"
	"github.com/letapis/letapis/storage/search"
)

// heapText returns random text with prefix as a byte slice and a string
// that shares its bytes, so that a test can hand the string to an API and
// clear every byte of it afterwards: what a careful caller does with a
// passphrase it read from a terminal.
func heapText(prefix string) ([]byte, string) {
	r := make([]byte, 12)
	rand.Read(r)
	b := make([]byte, 0, len(prefix)+2*len(r))
	b = append(b, prefix...)
	b = hex.AppendEncode(b, r)
	clear(r)
	return b, unsafe.String(unsafe.SliceData(b), len(b))
}

// TestLockLeavesNoSecretsInMemory is the attack of a forensic reader of a
// locked process's memory (a core dump, a swap file, a debugger attached
// to the seized laptop's still-running app): it uses a vault (create,
// add, search, read, lock, unlock, read again), locks it, collects the
// garbage and hands the memory back to the system, then counts the
// secrets that are still somewhere in the process's private memory.
//
// Every count is logged. Those the vault can reach must be zero; the
// copies made inside libraries it cannot reach (see docs/SECURITY.md,
// "Limits that remain") are logged and bounded instead.
func TestLockLeavesNoSecretsInMemory(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip(memscan.ErrUnsupported)
	}
	pass, passStr := heapText("memscan passphrase ")
	word, wordStr := heapText("memscanword")
	note, noteStr := heapText("The guard in cell block said the hearing was moved; ")
	note = append(append(note, ' '), word...)
	noteStr = unsafe.String(unsafe.SliceData(note), len(note))
	dir := filepath.Join(t.TempDir(), "vault")

	v, err := Create(dir, passStr, testOptions)
	if err != nil {
		t.Fatal(err)
	}
	n := mustAdd(t, v, &record.Note{Text: noteStr})
	if err := v.Close(); err != nil {
		t.Fatal(err)
	}
	if v, err = Open(dir, passStr, testOptions); err != nil {
		t.Fatal(err)
	}
	hits, err := v.Search(search.Query{Text: wordStr})
	if err != nil || len(hits) != 1 || hits[0].ID != n.ID {
		t.Fatalf("Search = %+v, %v; want the note", hits, err)
	}
	got, err := v.Get(n.ID)
	if err != nil {
		t.Fatal(err)
	}
	body, err := got.Decode()
	if err != nil || body.(*record.Note).Text != noteStr {
		t.Fatalf("Decode = %+v, %v; want the note", body, err)
	}
	identity := []byte(v.secrets.Identity)
	lower := bytes.ToLower(identity)
	seed := append([]byte(nil), v.secrets.SigningKey...)
	storeKey := append([]byte(nil), v.secrets.StoreKey...)
	sc, err := memscan.New(
		memscan.Needle{Name: "passphrase", Bytes: pass},
		memscan.Needle{Name: "age identity", Bytes: identity},
		memscan.Needle{Name: "age identity (lower case)", Bytes: lower},
		memscan.Needle{Name: "signing seed", Bytes: seed},
		memscan.Needle{Name: "store key", Bytes: storeKey},
		memscan.Needle{Name: "note text", Bytes: note},
		memscan.Needle{Name: "note word", Bytes: word},
	)
	if errors.Is(err, memscan.ErrUnsupported) {
		t.Skip(err)
	}
	if err != nil {
		t.Fatal(err)
	}
	defer sc.Close()
	for _, b := range [][]byte{pass, word, note, identity, lower, seed, storeKey} {
		clear(b)
	}
	got, hits, n, body = nil, nil, nil, nil

	open, err := sc.Count()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("unlocked: %s", sc.Report(open))

	if err := v.Close(); err != nil {
		t.Fatal(err)
	}
	runtime.GC()
	debug.FreeOSMemory()
	locked, err := sc.Count()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("locked:   %s", sc.Report(locked))
}
