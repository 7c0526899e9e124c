package storage

import (
	"bytes"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/dgraph-io/badger/v4"
	"github.com/dgraph-io/badger/v4/table"
)

// tableSumsName is the file, in a Badger store's directory, that lists
// the size and CRC-32C of the store's tables as they were at a lock, one
// "name size checksum" line each (checkTables). It holds nothing that
// the directory's listing does not show but the checksums, and is not
// authenticated: it is there to find damage, not tampering, and a damaged
// line only makes unlock read that table whole.
const tableSumsName = "LETAPIS-TABLESUMS"

// castagnoli is the CRC-32C table; the processor computes it on amd64
// and arm64.
var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// tableSum is a table file's size and CRC-32C.
type tableSum struct {
	size int64
	crc  uint32
}

// sumBufSize is the size of the buffer sumFile reads through: small
// enough to stay in a core's cache.
const sumBufSize = 256 << 10

// sumFile returns the size and CRC-32C of the file at path, read through
// buf.
func sumFile(path string, buf []byte) (tableSum, error) {
	f, err := os.Open(path)
	if err != nil {
		return tableSum{}, err
	}
	defer f.Close()
	h := crc32.New(castagnoli)
	n, err := io.CopyBuffer(h, f, buf)
	if err != nil {
		return tableSum{}, err
	}
	return tableSum{n, h.Sum32()}, nil
}

// matches reports whether the file at path, read through buf, has sum's
// size and checksum.
func (sum tableSum) matches(path string, buf []byte) bool {
	got, err := sumFile(path, buf)
	return err == nil && got == sum
}

// readTableSums reads the table sums of the store in dir. A missing file
// or line that does not parse gives no sums: those tables are read whole.
func readTableSums(dir string) map[string]tableSum {
	sums := map[string]tableSum{}
	data, err := os.ReadFile(filepath.Join(dir, tableSumsName))
	if err != nil {
		return sums
	}
	for line := range strings.Lines(string(data)) {
		f := strings.Fields(line)
		if len(f) != 3 || !strings.HasSuffix(f[0], ".sst") {
			continue
		}
		size, err1 := strconv.ParseInt(f[1], 10, 64)
		crc, err2 := strconv.ParseUint(f[2], 16, 32)
		if err1 == nil && err2 == nil {
			sums[f[0]] = tableSum{size, uint32(crc)}
		}
	}
	return sums
}

// recordTableSums writes the table sums of the closed store in dir: the
// recorded ones of the tables still in its MANIFEST, and the sums of
// those not yet recorded, read now.
func recordTableSums(dir string) error {
	mf, err := os.Open(filepath.Join(dir, badger.ManifestFilename))
	if err != nil {
		return err
	}
	defer mf.Close()
	manifest, _, err := replayManifest(mf, badger.DefaultOptions(dir))
	if err != nil {
		return err
	}
	old := readTableSums(dir)
	var names []string
	for id := range manifest.Tables {
		names = append(names, table.IDToFilename(id))
	}
	slices.Sort(names)
	var buf bytes.Buffer
	read := make([]byte, sumBufSize)
	for _, name := range names {
		sum, ok := old[name]
		if !ok {
			if sum, err = sumFile(filepath.Join(dir, name), read); errors.Is(err, fs.ErrNotExist) {
				continue // Badger reports a missing table at the next unlock
			} else if err != nil {
				return err
			}
		}
		fmt.Fprintf(&buf, "%s %d %08x\n", name, sum.size, sum.crc)
	}
	path := filepath.Join(dir, tableSumsName)
	if cur, err := os.ReadFile(path); err == nil && bytes.Equal(cur, buf.Bytes()) {
		return nil
	}
	return writeFileAtomic(path, buf.Bytes(), 0o600)
}

// closeStore closes db and, unless it is read-only, records the sums of
// its new tables, now final. Failing to record them is only logged: the
// next unlock then reads those tables whole.
func closeStore(db *badger.DB, log *slog.Logger) error {
	opts := db.Opts()
	if err := db.Close(); err != nil {
		return err
	}
	if opts.ReadOnly {
		return nil
	}
	if err := recordTableSums(opts.Dir); err != nil {
		log.Warn("recording the store's table checksums failed; the next unlock reads its tables whole", "err", err)
	}
	return nil
}
