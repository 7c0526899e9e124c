package memscan

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"unsafe"

	"golang.org/x/sys/unix"
)

// chunk is how much of a region is read at a time.
const chunk = 4 << 20

// Scanner counts the occurrences of its needles in the process's memory.
type Scanner struct {
	names []string
	// store holds the needles back to back and buf the bytes read; both
	// are mapped for the scanner and left out of the scan.
	store, buf []byte
	needles    [][]byte
	longest    int
}

// New copies the needles into memory of the scanner's own; the caller may
// then clear its copies. Empty needles are refused.
func New(needles ...Needle) (*Scanner, error) {
	size := 0
	for _, n := range needles {
		if len(n.Bytes) == 0 {
			return nil, fmt.Errorf("memscan: needle %q is empty", n.Name)
		}
		size += len(n.Bytes)
	}
	store, err := unix.Mmap(-1, 0, max(size, 1), unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANON)
	if err != nil {
		return nil, fmt.Errorf("memscan: map the needles: %w", err)
	}
	s := &Scanner{store: store}
	off := 0
	for _, n := range needles {
		copy(store[off:], n.Bytes)
		s.needles = append(s.needles, store[off:off+len(n.Bytes)])
		s.names = append(s.names, n.Name)
		s.longest = max(s.longest, len(n.Bytes))
		off += len(n.Bytes)
	}
	if s.buf, err = unix.Mmap(-1, 0, chunk, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANON); err != nil {
		unix.Munmap(store)
		return nil, fmt.Errorf("memscan: map the read buffer: %w", err)
	}
	return s, nil
}

// Close unmaps the scanner's memory, needles included.
func (s *Scanner) Close() error {
	clear(s.store)
	return errors.Join(unix.Munmap(s.store), unix.Munmap(s.buf))
}

// region is a readable private anonymous mapping.
type region struct{ start, end uint64 }

// regions lists the mappings to scan: readable, private, not backed by a
// file, not the kernel's ([vvar], [vdso], [vsyscall]) and not the
// scanner's own.
func (s *Scanner) regions() ([]region, error) {
	f, err := os.Open("/proc/self/maps")
	if err != nil {
		return nil, fmt.Errorf("memscan: %w", err)
	}
	defer f.Close()
	var out []region
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		// start-end perms offset dev inode [path]
		fields := strings.Fields(sc.Text())
		if len(fields) < 5 || fields[1][0] != 'r' || fields[1][3] != 'p' {
			continue
		}
		if len(fields) > 5 {
			path := fields[5]
			if path != "[heap]" && path != "[stack]" && !strings.HasPrefix(path, "[anon") {
				continue
			}
		}
		lo, hi, _ := strings.Cut(fields[0], "-")
		start, err1 := strconv.ParseUint(lo, 16, 64)
		end, err2 := strconv.ParseUint(hi, 16, 64)
		if err1 != nil || err2 != nil {
			return nil, fmt.Errorf("memscan: bad line in /proc/self/maps: %q", sc.Text())
		}
		// The kernel may merge the scanner's mappings with a neighbour.
		out = append(out, s.split(region{start, end})...)
	}
	return out, sc.Err()
}

// split returns the parts of r outside the scanner's own mappings.
func (s *Scanner) split(r region) []region {
	parts := []region{r}
	for _, m := range [][]byte{s.store, s.buf} {
		lo := addr(m)
		hi := lo + uint64(cap(m))
		var next []region
		for _, p := range parts {
			if hi <= p.start || lo >= p.end {
				next = append(next, p)
				continue
			}
			if lo > p.start {
				next = append(next, region{p.start, lo})
			}
			if hi < p.end {
				next = append(next, region{hi, p.end})
			}
		}
		parts = next
	}
	return parts
}

// Count returns, for each needle in the order given to New, how many times
// it occurs in the process's private anonymous memory.
func (s *Scanner) Count() ([]int, error) {
	rs, err := s.regions()
	if err != nil {
		return nil, err
	}
	mem, err := os.Open("/proc/self/mem")
	if err != nil {
		return nil, fmt.Errorf("memscan: %w", err)
	}
	defer mem.Close()
	counts := make([]int, len(s.needles))
	overlap := uint64(s.longest - 1)
	for _, r := range rs {
		for at := r.start; at < r.end; {
			n := min(uint64(len(s.buf)), r.end-at)
			got, err := mem.ReadAt(s.buf[:n], int64(at))
			if err != nil && got == 0 {
				// An unreadable page (a guard page): step over it.
				at += uint64(os.Getpagesize())
				continue
			}
			data := s.buf[:got]
			last := at+uint64(got) >= r.end
			// A match that starts in the overlap at the end is counted
			// in the next read, which starts there.
			limit := len(data)
			if !last && uint64(got) > overlap {
				limit = got - int(overlap)
			}
			for i, nd := range s.needles {
				counts[i] += countBefore(data, nd, limit)
			}
			if last || uint64(got) <= overlap {
				at += uint64(got)
			} else {
				at += uint64(got) - overlap
			}
		}
	}
	return counts, nil
}

// countBefore counts the occurrences of needle in data that start before
// limit.
func countBefore(data, needle []byte, limit int) int {
	n := 0
	for off := 0; off < limit; {
		i := bytes.Index(data[off:], needle)
		if i < 0 || off+i >= limit {
			break
		}
		n++
		off += i + 1
	}
	return n
}

// Report formats counts next to the needles' names, one "name: count" per
// needle, for a test log.
func (s *Scanner) Report(counts []int) string {
	var b strings.Builder
	for i, c := range counts {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%s: %d", s.names[i], c)
	}
	return b.String()
}

// addr is the address of the first byte of a mapping.
func addr(m []byte) uint64 { return uint64(uintptr(unsafe.Pointer(unsafe.SliceData(m)))) }
