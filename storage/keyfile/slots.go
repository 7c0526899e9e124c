package keyfile

import (
	"bytes"
	"cmp"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
)

// Key slots (version 1, docs/FORMATS.md).
//
// A vault keeps its key file inside one of two key slots of SlotSize
// bytes each, in a file of SlotsSize bytes. A change (new passphrase, new
// store key) writes the slot not in use and then overwrites the other in
// place, so no earlier key file survives anywhere on the medium, as it
// would after a rename over it. Each slot is
//
//	offset  size  field
//	0       16    slotMagic "letapis-slot/v1\n"
//	16      8     counter, big-endian; the highest intact slot is current
//	24      4     length n of the key file, big-endian
//	28      32    SHA-256 of bytes 0..28 and of the key file
//	60      n     the key file (format version 1, above)
//	60+n    rest  random bytes
//
// A slot whose checksum does not match (never written, torn by a crash,
// overwritten) is not a slot: the other one is used.
//
// SlotSize is the size of one key slot; SlotsSize that of the slot file.
const (
	SlotSize  = 4096
	SlotsSize = 2 * SlotSize
)

// SlotMagic starts every intact key slot.
const SlotMagic = "letapis-slot/v1\n"

const slotHeaderLen = len(SlotMagic) + 8 + 4 + sha256.Size

// Slot is an intact key slot of a slot file.
type Slot struct {
	// Index is the slot's place in the file, 0 or 1.
	Index int
	// Counter orders the slots: the higher one is the newer.
	Counter uint64
	// File is the key file the slot holds.
	File []byte
}

// EncodeSlot returns the SlotSize bytes of a slot that holds the key file
// file under counter.
func EncodeSlot(counter uint64, file []byte) ([]byte, error) {
	if len(file) > SlotSize-slotHeaderLen {
		return nil, fmt.Errorf("encode key slot: the key file is %d bytes, more than a slot holds (%d)", len(file), SlotSize-slotHeaderLen)
	}
	out := make([]byte, SlotSize)
	_, _ = rand.Read(out)
	copy(out, SlotMagic)
	binary.BigEndian.PutUint64(out[16:], counter)
	binary.BigEndian.PutUint32(out[24:], uint32(len(file)))
	copy(out[slotHeaderLen:], file)
	sum := slotSum(out[:28], file)
	copy(out[28:], sum[:])
	return out, nil
}

func slotSum(head, file []byte) [sha256.Size]byte {
	h := sha256.New()
	h.Write(head)
	h.Write(file)
	var sum [sha256.Size]byte
	h.Sum(sum[:0])
	return sum
}

// ParseSlots returns the intact slots of a slot file, newest first. An
// error wraps ErrDamaged: the file has the wrong size or no intact slot.
func ParseSlots(data []byte) ([]Slot, error) {
	if len(data) != SlotsSize {
		return nil, fmt.Errorf("%w: the key slot file is %d bytes, want %d", ErrDamaged, len(data), SlotsSize)
	}
	var slots []Slot
	for i := range 2 {
		b := data[i*SlotSize : (i+1)*SlotSize]
		if !bytes.HasPrefix(b, []byte(SlotMagic)) {
			continue
		}
		n := binary.BigEndian.Uint32(b[24:])
		if n > SlotSize-uint32(slotHeaderLen) {
			continue
		}
		file := b[slotHeaderLen : slotHeaderLen+int(n)]
		if slotSum(b[:28], file) != [sha256.Size]byte(b[28:slotHeaderLen]) {
			continue
		}
		slots = append(slots, Slot{Index: i, Counter: binary.BigEndian.Uint64(b[16:]), File: bytes.Clone(file)})
	}
	if len(slots) == 0 {
		return nil, fmt.Errorf("%w: neither key slot is intact", ErrDamaged)
	}
	slices.SortFunc(slots, func(a, b Slot) int { return cmp.Compare(b.Counter, a.Counter) })
	return slots, nil
}

// DecodeSlots opens the newest intact slot of a slot file that passphrase
// opens, and returns its secrets, that slot and the intact slots it did
// not use. An error wraps ErrWrongPassphrase when an intact slot is there
// but the passphrase opens none, and ErrDamaged otherwise.
func DecodeSlots(data []byte, passphrase string) (*Secrets, Slot, []Slot, error) {
	slots, err := ParseSlots(data)
	if err != nil {
		return nil, Slot{}, nil, err
	}
	var errs []error
	for i, sl := range slots {
		s, err := Decode(sl.File, passphrase)
		if err == nil {
			return s, sl, slices.Delete(slices.Clone(slots), i, i+1), nil
		}
		errs = append(errs, err)
	}
	for _, err := range errs {
		if errors.Is(err, ErrWrongPassphrase) {
			return nil, Slot{}, nil, ErrWrongPassphrase
		}
	}
	return nil, Slot{}, nil, errors.Join(errs...)
}
