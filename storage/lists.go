package storage

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/dgraph-io/badger/v4"
	"golang.org/x/text/collate"
	"golang.org/x/text/language"

	"github.com/letapis/letapis/storage/hlc"
	"github.com/letapis/letapis/storage/record"
)

// Lists read small entries kept beside each live record, in the same
// transaction as its view (setIndexes, dropIndexes), so that a list of
// 100,000 records never opens a record:
//
//	kind/<kind>/<id>       the record's Summary, compact binary (appendSummary)
//	count/<kind>           how many summaries of the kind there are (JSON number)
//	links/<id>             the ids its body refers to (record.Refs), comma-separated
//	back/<target>/<id>     the same links seen from their target; the value is the kind of record id
//	meta/lists             listsFormat, written once the entries above are complete
//
// A vault made before these entries existed, or whose entries are of
// another format, gets them rebuilt from the records at unlock; a summary
// that does not decode makes List rebuild them all.
const (
	pfxCount = "count/"
	pfxLinks = "links/"
	pfxBack  = "back/"
	keyLists = "meta/lists"
)

// listsFormat is stored under meta/lists once the entries are complete. It
// names their encoding and the collation tables of the people's sort keys:
// when either changes, the entries are rebuilt.
const listsFormat = "2 cldr-" + collate.CLDRVersion

// summaryFormat is the first byte of every stored summary.
const summaryFormat = 1

// Flags of a stored summary.
const (
	flagSealed = 1 << iota
	flagConflict
	flagApprox
)

// countKey is the store key of the number of summaries of kind k. List
// checks that it read as many. Badger's iterator does not report a table
// block that fails its checksum, and ends a damaged list early without an
// error; unlock refuses a store with such a block (checkTables), and the
// count catches a list that still comes up short.
func countKey(k record.Kind) []byte { return key(pfxCount, string(k)) }

// addCount changes the number of summaries of kind k by delta.
func addCount(txn *badger.Txn, k record.Kind, delta int) error {
	var n int
	if _, err := getJSON(txn, countKey(k), &n); err != nil {
		return err
	}
	return setJSON(txn, countKey(k), n+delta)
}

// summaryKey is the store key of the summary of record id of kind k.
func summaryKey(k record.Kind, id string) []byte { return key(pfxKind, string(k), "/", id) }

// summarize fills in what a summary takes from a record's body; body may
// be nil (a body this version cannot read).
func summarize(s *Summary, body record.Body) {
	if body == nil {
		return
	}
	s.Title = record.Title(body)
	s.Date = record.PrimaryDate(body)
	if p, ok := body.(*record.Person); ok {
		s.Status = p.Status
		s.sortKey = titleKey(s.Title)
	}
}

// collator is a collator for titleKey with its key buffer (4 KB, which a
// fresh one per key would allocate); one is not safe for concurrent use.
type collator struct {
	c   *collate.Collator
	buf collate.Buffer
}

// collators holds collators for titleKey.
var collators = sync.Pool{New: func() any { return &collator{c: collate.New(language.Und, collate.IgnoreCase)} }}

// titleKey returns the collation key of a title: Unicode collation order,
// case ignored, so that Latin and Cyrillic names (і, ў included) sort as
// people expect.
func titleKey(title string) string {
	c := collators.Get().(*collator)
	defer collators.Put(c)
	c.buf.Reset()
	return string(c.c.KeyFromString(&c.buf, title))
}

// SortByTitle sorts summaries by title in the Unicode collation order,
// ignoring case, and equal titles by id. The summaries of people that List
// returns carry the collation key computed when the person was saved, so
// that sorting 100,000 people takes milliseconds; for the others it is
// computed here, which costs microseconds per summary.
func SortByTitle(all []Summary) {
	for i := range all {
		if all[i].sortKey == "" && all[i].Title != "" {
			all[i].sortKey = titleKey(all[i].Title)
		}
	}
	slices.SortFunc(all, func(a, b Summary) int {
		if c := strings.Compare(a.sortKey, b.sortKey); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
}

// appendSummary appends the stored form of s: the format, flags, the
// update time, the date, then the status, title and sort key,
// length-prefixed. The id and kind are in the key.
func appendSummary(b []byte, s *Summary) []byte {
	var flags byte
	if s.Sealed {
		flags |= flagSealed
	}
	if s.Conflict {
		flags |= flagConflict
	}
	if s.Date.Approx {
		flags |= flagApprox
	}
	b = append(b, summaryFormat, flags)
	b = binary.AppendVarint(b, s.Updated.Wall)
	b = binary.AppendUvarint(b, uint64(s.Updated.Logical))
	b = binary.AppendUvarint(b, uint64(s.Date.Year))
	b = append(b, byte(s.Date.Month), byte(s.Date.Day))
	b = binary.AppendUvarint(b, uint64(len(s.Status)))
	b = append(b, s.Status...)
	b = binary.AppendUvarint(b, uint64(len(s.Title)))
	b = append(b, s.Title...)
	b = binary.AppendUvarint(b, uint64(len(s.sortKey)))
	return append(b, s.sortKey...)
}

// errBadSummary means a stored summary does not decode.
var errBadSummary = errors.New("a list entry does not decode")

// decodeSummary decodes the stored summary b of record id of kind k into
// s. statuses interns the status codes, which many people share.
func decodeSummary(b []byte, k record.Kind, id string, statuses map[string]string, s *Summary) error {
	if len(b) < 2 || b[0] != summaryFormat {
		return errBadSummary
	}
	flags := b[1]
	b = b[2:]
	wall, n := binary.Varint(b)
	if n <= 0 {
		return errBadSummary
	}
	b = b[n:]
	var nums [2]uint64
	for i := range nums {
		if nums[i], n = binary.Uvarint(b); n <= 0 || nums[i] > 1<<32-1 {
			return errBadSummary
		}
		b = b[n:]
	}
	if len(b) < 2 {
		return errBadSummary
	}
	month, day := b[0], b[1]
	b = b[2:]
	status, b, ok := cutString(b)
	if !ok {
		return errBadSummary
	}
	title, b, ok := cutString(b)
	if !ok {
		return errBadSummary
	}
	sortKey, rest, ok := cutString(b)
	if !ok || len(rest) != 0 {
		return errBadSummary
	}
	st, ok := statuses[string(status)]
	if !ok {
		st = string(status)
		statuses[st] = st
	}
	// One allocation for the strings of a summary.
	var sb strings.Builder
	sb.Grow(len(id) + len(title) + len(sortKey))
	sb.WriteString(id)
	sb.Write(title)
	sb.Write(sortKey)
	all := sb.String()
	*s = Summary{
		ID:       all[:len(id)],
		Kind:     k,
		Title:    all[len(id) : len(id)+len(title)],
		Date:     record.Date{Year: int(nums[1]), Month: int(month), Day: int(day), Approx: flags&flagApprox != 0},
		Status:   st,
		Updated:  hlc.Timestamp{Wall: wall, Logical: uint32(nums[0])},
		Sealed:   flags&flagSealed != 0,
		Conflict: flags&flagConflict != 0,
		sortKey:  all[len(id)+len(title):],
	}
	return nil
}

// cutString cuts a length-prefixed string off the front of b.
func cutString(b []byte) (s, rest []byte, ok bool) {
	n, w := binary.Uvarint(b)
	if w <= 0 || n > uint64(len(b)-w) {
		return nil, nil, false
	}
	return b[w : w+int(n)], b[w+int(n):], true
}

// setLinks makes the stored links of record id (of kind k) those of body:
// the back links of targets it no longer refers to are deleted, new ones
// set. A nil body drops them all.
func setLinks(txn *badger.Txn, id string, k record.Kind, body record.Body) error {
	var now []string
	if body != nil {
		now = record.Refs(body)
	}
	fwd := key(pfxLinks, id)
	var old []string
	item, err := txn.Get(fwd)
	switch {
	case err == nil:
		err = item.Value(func(b []byte) error {
			if len(b) > 0 {
				old = strings.Split(string(b), ",")
			}
			return nil
		})
		if err != nil {
			return err
		}
	case !errors.Is(err, badger.ErrKeyNotFound):
		return err
	}
	for _, t := range old {
		if !slices.Contains(now, t) {
			if err := txn.Delete(key(pfxBack, t, "/", id)); err != nil {
				return err
			}
		}
	}
	for _, t := range now {
		if !slices.Contains(old, t) {
			if err := txn.Set(key(pfxBack, t, "/", id), []byte(k)); err != nil {
				return err
			}
		}
	}
	if len(now) == 0 {
		if old == nil {
			return nil
		}
		return txn.Delete(fwd)
	}
	return txn.Set(fwd, []byte(strings.Join(now, ",")))
}

// List calls fn with the summary of every live record of kind k (every
// kind if k is empty), ordered by kind and id, until fn returns false.
// Lists read only the small summaries, so they stay fast on large vaults.
// If a summary turns out damaged, List rebuilds every summary from the
// records and returns an error wrapping ErrDamaged; listing again then
// works.
func (v *Vault) List(k record.Kind, fn func(Summary) bool) error {
	prefix := key(pfxKind)
	if k != "" {
		prefix = key(pfxKind, string(k), "/")
	}
	statuses := map[string]string{}
	defer v.startIndex() // see indexStartDelay
	err := v.view(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: prefix})
		defer it.Close()
		var s Summary
		listed := 0
		for it.Rewind(); it.Valid(); it.Next() {
			listed++
			item := it.Item()
			kind, id := k, string(item.Key()[len(prefix):])
			if k == "" {
				kindStr, rest, _ := strings.Cut(id, "/")
				kind, id = record.Kind(kindStr), rest
			}
			if err := item.Value(func(b []byte) error { return decodeSummary(b, kind, id, statuses, &s) }); err != nil {
				return err
			}
			if !fn(s) {
				return nil
			}
		}
		return checkCount(txn, k, listed)
	})
	if errors.Is(err, errBadSummary) {
		v.opts.Logger.Warn("a list entry is damaged; rebuilding the lists from the records")
		if rerr := v.repairLists(); rerr != nil {
			return fmt.Errorf("list records: %w: %w, and rebuilding the lists failed: %w", ErrDamaged, err, rerr)
		}
		return fmt.Errorf("list records: %w: %w; the lists were rebuilt from the records, list again", ErrDamaged, err)
	}
	if err != nil {
		return fmt.Errorf("list records: %w", err)
	}
	return nil
}

// Linked returns the summaries of the live records whose body refers to
// record id (see record.Refs): a person's cases, the incidents it is a
// victim of, the testimonies by or about them, the notes and attachments
// about them; the incidents a testimony is a source of, and the
// testimonies that amend it. They are ordered by id. Linked reads one
// prefix of a link index kept with the records, so it is fast on any
// vault.
func (v *Vault) Linked(id string) ([]Summary, error) {
	var out []Summary
	statuses := map[string]string{}
	err := v.view(func(txn *badger.Txn) error {
		prefix := key(pfxBack, id, "/")
		it := txn.NewIterator(badger.IteratorOptions{Prefix: prefix})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			src := string(it.Item().Key()[len(prefix):])
			kind, err := it.Item().ValueCopy(nil)
			if err != nil {
				return err
			}
			item, err := txn.Get(summaryKey(record.Kind(kind), src))
			if errors.Is(err, badger.ErrKeyNotFound) {
				return fmt.Errorf("%w: link from %s without a list entry", errBadSummary, src)
			}
			if err != nil {
				return err
			}
			var s Summary
			if err := item.Value(func(b []byte) error {
				return decodeSummary(b, record.Kind(kind), src, statuses, &s)
			}); err != nil {
				return err
			}
			out = append(out, s)
		}
		return nil
	})
	if errors.Is(err, errBadSummary) {
		v.opts.Logger.Warn("a link entry is damaged; rebuilding the lists from the records")
		if rerr := v.repairLists(); rerr != nil {
			return nil, fmt.Errorf("records linked to %s: %w: %w, and rebuilding the lists failed: %w", id, ErrDamaged, err, rerr)
		}
		return v.Linked(id)
	}
	if err != nil {
		return nil, fmt.Errorf("records linked to %s: %w", id, err)
	}
	return out, nil
}

// checkCount reports ErrDamaged if listed, the number of summaries of kind
// k ("" for every kind) a complete pass read, is not the number stored.
func checkCount(txn *badger.Txn, k record.Kind, listed int) error {
	kinds := []record.Kind{k}
	if k == "" {
		kinds = record.Kinds
	}
	want := 0
	for _, kk := range kinds {
		var n int
		if _, err := getJSON(txn, countKey(kk), &n); err != nil {
			return err
		}
		want += n
	}
	if listed != want {
		return fmt.Errorf("%w: read %d list entries of %d; part of the store cannot be read", ErrDamaged, listed, want)
	}
	return nil
}

// loadLists checks at unlock that the list entries are complete and of
// this version's format, and rebuilds them otherwise. A vault unlocked
// read-only cannot rebuild: its lists may then lack what newer versions
// added.
func (v *Vault) loadLists() error {
	var format string
	err := v.db.View(func(txn *badger.Txn) error {
		_, err := getJSON(txn, []byte(keyLists), &format)
		return err
	})
	if err != nil && !errors.Is(err, ErrDamaged) {
		return fmt.Errorf("read the lists' format: %w", err)
	}
	if format == listsFormat {
		return nil
	}
	if v.readOnly {
		v.opts.Logger.Warn("the lists need rebuilding, which waits until the vault is unlocked with more free disk space")
		return nil
	}
	v.opts.Logger.Info("the list entries are missing or of another format; building them from the records")
	return v.rebuildLists()
}

// repairLists rebuilds the list entries of an unlocked vault. It waits
// for the search index first: a rebuild of the index reads the summaries.
func (v *Vault) repairLists() error {
	v.waitIndex()
	v.mu.Lock()
	defer v.mu.Unlock()
	if err := v.writable(0); err != nil {
		return err
	}
	return v.rebuildLists()
}

// rebuildLists deletes every summary and link and writes them anew from
// the records. It runs with no other writer: at unlock, or holding v.mu.
// meta/lists is deleted first and set last, so an interrupted rebuild is
// done again at the next unlock.
func (v *Vault) rebuildLists() error {
	wrap := func(err error) error { return fmt.Errorf("rebuild the lists: %w", err) }
	if err := v.db.Update(func(txn *badger.Txn) error { return txn.Delete([]byte(keyLists)) }); err != nil {
		return wrap(err)
	}
	// Delete first, then write: a write batch commits in several
	// transactions, and a key must not be both deleted and set in it.
	drop := v.db.NewWriteBatch()
	defer drop.Cancel()
	err := v.db.View(func(txn *badger.Txn) error {
		for _, p := range []string{pfxKind, pfxLinks, pfxBack, pfxCount} {
			it := txn.NewIterator(badger.IteratorOptions{Prefix: []byte(p)})
			for it.Rewind(); it.Valid(); it.Next() {
				if err := drop.Delete(it.Item().KeyCopy(nil)); err != nil {
					it.Close()
					return err
				}
			}
			it.Close()
		}
		return nil
	})
	if err == nil {
		err = drop.Flush()
	}
	if err != nil {
		return wrap(err)
	}
	put := v.db.NewWriteBatch()
	defer put.Cancel()
	counts := map[record.Kind]int{}
	err = v.db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: []byte(pfxRecord), PrefetchValues: true, PrefetchSize: 16})
		defer it.Close()
		var r Record
		for it.Rewind(); it.Valid(); it.Next() {
			r = Record{}
			if err := it.Item().Value(func(b []byte) error { return json.Unmarshal(b, &r) }); err != nil {
				return fmt.Errorf("%w: record %s: %w", ErrDamaged, it.Item().Key()[len(pfxRecord):], err)
			}
			if r.Deleted {
				continue
			}
			counts[r.Kind]++
			if err := putListEntries(put, &r); err != nil {
				return err
			}
		}
		return nil
	})
	if err == nil {
		err = put.Flush()
	}
	if err == nil {
		err = v.db.Update(func(txn *badger.Txn) error {
			for k, n := range counts {
				if err := setJSON(txn, countKey(k), n); err != nil {
					return err
				}
			}
			return setJSON(txn, []byte(keyLists), listsFormat)
		})
	}
	if err != nil {
		return wrap(err)
	}
	return nil
}

// putListEntries adds the summary and links of the live record r to wb.
func putListEntries(wb *badger.WriteBatch, r *Record) error {
	s := Summary{ID: r.ID, Kind: r.Kind, Updated: r.Updated, Sealed: r.Sealed, Conflict: r.Conflict}
	var body record.Body
	if r.Schema <= record.SchemaVersion {
		body, _ = record.Decode(r.Kind, r.Body) // an unreadable body lists untitled, as setIndexes does
	}
	summarize(&s, body)
	if err := wb.Set(summaryKey(r.Kind, r.ID), appendSummary(nil, &s)); err != nil {
		return err
	}
	if body == nil {
		return nil
	}
	refs := record.Refs(body)
	if len(refs) == 0 {
		return nil
	}
	for _, t := range refs {
		if err := wb.Set(key(pfxBack, t, "/", r.ID), []byte(r.Kind)); err != nil {
			return err
		}
	}
	return wb.Set(key(pfxLinks, r.ID), []byte(strings.Join(refs, ",")))
}
