package keyfile

import (
	"bytes"
	"crypto/rand"
	"errors"
	"testing"
)

// slotFile returns a slot file whose slots hold the given key files under
// the given counters; a nil file leaves its slot random.
func slotFile(t testing.TB, files [2][]byte, counters [2]uint64) []byte {
	t.Helper()
	data := make([]byte, SlotsSize)
	_, _ = rand.Read(data)
	for i, f := range files {
		if f == nil {
			continue
		}
		s, err := EncodeSlot(counters[i], f)
		if err != nil {
			t.Fatal(err)
		}
		copy(data[i*SlotSize:], s)
	}
	return data
}

func encodeFor(t testing.TB, pass string, gen uint64) []byte {
	t.Helper()
	s := vectorSecrets()
	s.StoreGeneration = gen
	f, err := Encode(s, pass, testWorkFactor)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func TestNewestIntactSlotWins(t *testing.T) {
	old, cur := encodeFor(t, "old", 1), encodeFor(t, "new", 2)
	for _, tc := range []struct {
		name     string
		files    [2][]byte
		counters [2]uint64
		pass     string
		gen      uint64
		unused   int
	}{
		{"new in slot 1", [2][]byte{old, cur}, [2]uint64{4, 5}, "new", 2, 1},
		{"new in slot 0", [2][]byte{cur, old}, [2]uint64{6, 5}, "new", 2, 1},
		{"old passphrase falls back to the older slot", [2][]byte{old, cur}, [2]uint64{4, 5}, "old", 1, 1},
		{"one slot", [2][]byte{nil, cur}, [2]uint64{0, 9}, "new", 2, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, _, others, err := DecodeSlots(slotFile(t, tc.files, tc.counters), tc.pass)
			if err != nil {
				t.Fatal(err)
			}
			if s.StoreGeneration != tc.gen || len(others) != tc.unused {
				t.Fatalf("opened generation %d with %d other slots, want %d and %d", s.StoreGeneration, len(others), tc.gen, tc.unused)
			}
		})
	}
}

// TestTornSlotIsNotASlot tears the newer slot as a crash during its write
// would, and overwrites it as the destruction of an old slot does: the
// other slot is the one in use, and a file with neither is damaged, not a
// wrong passphrase.
func TestTornSlotIsNotASlot(t *testing.T) {
	old, cur := encodeFor(t, "pass", 1), encodeFor(t, "pass", 2)
	data := slotFile(t, [2][]byte{old, cur}, [2]uint64{1, 2})
	for _, at := range []int{SlotSize + 3, SlotSize + 20, SlotSize + 40, SlotSize + 200} {
		torn := bytes.Clone(data)
		torn[at] ^= 0x10
		s, slot, _, err := DecodeSlots(torn, "pass")
		if err != nil || s.StoreGeneration != 1 || slot.Index != 0 {
			t.Fatalf("byte %d of slot 1 torn: got %v, slot %+v; want generation 1 from slot 0", at, err, slot)
		}
	}
	none := slotFile(t, [2][]byte{}, [2]uint64{})
	if _, _, _, err := DecodeSlots(none, "pass"); !errors.Is(err, ErrDamaged) || errors.Is(err, ErrWrongPassphrase) {
		t.Fatalf("no intact slot: %v, want ErrDamaged", err)
	}
	if _, _, _, err := DecodeSlots(data, "other"); !errors.Is(err, ErrWrongPassphrase) {
		t.Fatalf("wrong passphrase: %v", err)
	}
	if _, _, _, err := DecodeSlots(data[:SlotsSize-1], "pass"); !errors.Is(err, ErrDamaged) {
		t.Fatalf("short file: %v", err)
	}
	if _, err := EncodeSlot(1, make([]byte, SlotSize)); err == nil {
		t.Fatal("a key file larger than a slot was accepted")
	}
}

// FuzzParseSlots feeds ParseSlots arbitrary files: it never panics, and an
// accepted slot encodes back to a slot that parses to the same key file.
func FuzzParseSlots(f *testing.F) {
	f.Add(slotFile(f, [2][]byte{encodeFor(f, "pass", 1), nil}, [2]uint64{1, 0}))
	f.Add(make([]byte, SlotsSize))
	f.Fuzz(func(t *testing.T, data []byte) {
		slots, err := ParseSlots(data)
		if err != nil {
			return
		}
		for _, s := range slots {
			enc, err := EncodeSlot(s.Counter, s.File)
			if err != nil {
				t.Fatal(err)
			}
			back, err := ParseSlots(append(enc, make([]byte, SlotSize)...))
			if err != nil || !bytes.Equal(back[0].File, s.File) || back[0].Counter != s.Counter {
				t.Fatalf("slot %+v did not survive a round trip: %v", s, err)
			}
		}
	})
}
