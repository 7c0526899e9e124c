package proof

import (
	"fmt"
	"strconv"
)

// Sizes are the sizes of the benchmarks' data: the budget's own, or the
// smaller ones of BENCH_QUICK=1.
type Sizes struct {
	Quick bool
	// VaultRecords is the size of the vault unlocked to its first list,
	// and of the vault that syncs one new record.
	VaultRecords int
	// SyncRecords is how many records the sync benchmarks send and receive.
	SyncRecords int
	// SearchPeople is the number of people the name search runs over.
	SearchPeople int
	// AttachmentMiB is the size of the attachment sent through the relay.
	AttachmentMiB int
	// WorkFactor is the scrypt work factor of the unlocked vault; 0 is
	// the production default.
	WorkFactor int
	// Count is how many times each benchmark runs (BENCHCOUNT); the
	// table shows the median.
	Count int
}

// FullSizes are the sizes of docs/ARCHITECTURE.md.
func FullSizes(count int) Sizes {
	return Sizes{VaultRecords: 100_000, SyncRecords: 10_000, SearchPeople: 100_000, AttachmentMiB: 1024, Count: count}
}

// QuickSizes are BENCH_QUICK=1's: the same benchmarks on smaller data,
// run once: a check that the harness works, not a measurement of the
// budget.
func QuickSizes() Sizes {
	return Sizes{Quick: true, VaultRecords: 2000, SyncRecords: 1000, SearchPeople: 10_000, AttachmentMiB: 32, WorkFactor: 14, Count: 1}
}

// Run is one `go test -bench` invocation.
type Run struct {
	Pkg       string   // relative to the module root, "./storage"
	Bench     string   // the -bench pattern
	Count     int      // -count
	Benchtime string   // -benchtime; empty for go test's default
	Env       []string // added to the environment
}

// Args returns the go test arguments of r.
func (r Run) Args(timeout string) []string {
	args := []string{"test", "-run=NONE", "-bench=" + r.Bench, "-count=" + strconv.Itoa(r.Count), "-timeout=" + timeout}
	if r.Benchtime != "" {
		args = append(args, "-benchtime="+r.Benchtime)
	}
	return append(args, r.Pkg)
}

// Plan returns the benchmark runs that fill the table at sizes s. The
// benchmarks whose setup builds a large vault or file, and whose figure
// is already an aggregate of many operations, run fewer times.
func Plan(s Sizes) []Run {
	few := min(s.Count, 3)
	vault := fmt.Sprintf("LETAPIS_BENCH_VAULT_RECORDS=%d", s.VaultRecords)
	unlock := []string{vault}
	if s.WorkFactor != 0 {
		unlock = append(unlock, fmt.Sprintf("LETAPIS_BENCH_WORK_FACTOR=%d", s.WorkFactor))
	}
	syncing := fmt.Sprintf("LETAPIS_BENCH_SYNC_RECORDS=%d", s.SyncRecords)
	runs := []Run{
		{Pkg: "./storage", Bench: "^(BenchmarkSave|BenchmarkLimitAgeEncrypt2KiB|BenchmarkLimitFsync)$", Count: s.Count},
		{Pkg: "./storage", Bench: "^BenchmarkImport$/^batch=1000$", Count: s.Count},
		{Pkg: "./storage", Bench: "^BenchmarkUnlockToFirstList$", Count: s.Count, Benchtime: "1x", Env: unlock},
		{Pkg: "./storage/search", Bench: "^BenchmarkNameQuery$", Count: s.Count,
			Env: []string{fmt.Sprintf("LETAPIS_BENCH_SEARCH_PEOPLE=%d", s.SearchPeople)}},
		{Pkg: "./sync/engine", Bench: "^(BenchmarkSyncPush10k|BenchmarkSyncPull10k)$", Count: few, Benchtime: "1x", Env: []string{syncing}},
		{Pkg: "./sync/engine", Bench: "^BenchmarkOneNewRecordInLargeVault$", Count: 1, Benchtime: "20x", Env: []string{vault}},
		{Pkg: "./sync/engine", Bench: "^BenchmarkAttachment$", Count: few, Benchtime: "1x",
			Env: []string{fmt.Sprintf("LETAPIS_BENCH_ATTACHMENT_MIB=%d", s.AttachmentMiB)}},
		{Pkg: "./sync/relay", Bench: "^BenchmarkAppend$", Count: s.Count},
	}
	if !s.Quick {
		// The app's test binary links Fyne through cgo: minutes to build
		// in a fresh clone, too long for a quick run.
		runs = append(runs, Run{Pkg: "./app", Bench: "^BenchmarkSortByName100k$", Count: s.Count},
			Run{Pkg: "./app", Bench: "^BenchmarkAppUnlockToFirstList$", Count: few, Benchtime: "1x", Env: unlock})
	}
	return runs
}

// Rows returns the rows of docs/ARCHITECTURE.md at sizes s.
func Rows(s Sizes) []Row {
	quickVault := fmt.Sprintf("%d records", s.VaultRecords)
	quickKDF := quickVault
	if s.WorkFactor != 0 {
		quickKDF = fmt.Sprintf("%d records, scrypt work factor %d", s.VaultRecords, s.WorkFactor)
	}
	quickAttachment := fmt.Sprintf("%d MiB", s.AttachmentMiB)
	quickSync := fmt.Sprintf("%d records", s.SyncRecords)
	quickSearch := fmt.Sprintf("%d people", s.SearchPeople)
	ns := func(bench string) Metric { return Metric{"storage " + bench, "ns/op"} }
	same := func(bench, unit, about string) func(Results) (float64, string, bool) {
		return func(res Results) (float64, string, bool) {
			v, _, ok := res.Median(Metric{bench, unit}.key(), unit)
			return v, about, ok
		}
	}
	return []Row{
		{What: "durable save of a 2 KiB record, p50", Figure: Metric{"storage Save", "p50-ms"}, Unit: "ms", Budget: 2, AtMost: true,
			Limit: func(res Results) (float64, string, bool) {
				a, _, ok1 := res.Median(ns("LimitAgeEncrypt2KiB").key(), "ns/op")
				f, _, ok2 := res.Median(ns("LimitFsync").key(), "ns/op")
				return (a + f) / 1e6, "raw age encryption + fsync of 2 KiB", ok1 && ok2
			}},
		{What: "bulk import (batches of 1,000 notes of 2 KiB)", Figure: Metric{"storage Import/batch=1000", "records/s"}, Unit: "records/s", Budget: 3000,
			Limit: func(res Results) (float64, string, bool) {
				a, _, ok := res.Median(ns("LimitAgeEncrypt2KiB").key(), "ns/op")
				return 1e9 / a, "raw age encryption of the same bytes", ok && a > 0
			}},
		{What: "unlocked vault of 100,000 records to first list, after key derivation", Quick: quickVault,
			Figure: Metric{"storage UnlockToFirstList", "list-ms"}, Unit: "ms", Budget: 1000, AtMost: true},
		{What: "peak RSS of that process, key derivation included", Quick: quickKDF,
			Figure: Metric{"storage UnlockToFirstList", "rss-MB"}, Unit: "MB", Budget: 250, AtMost: true},
		{What: "peak RSS of that process after key derivation", Quick: quickVault,
			Figure: Metric{"storage UnlockToFirstList", "rss-after-kdf-MB"}, Unit: "MB", Budget: 250, AtMost: true},
		{What: "the app (Fyne test driver): unlocked vault to the people list, after key derivation", Quick: "not run",
			Figure: Metric{"app AppUnlockToFirstList", "list-ms"}, Unit: "ms", Budget: 1000, AtMost: true},
		{What: "peak RSS of the app process after key derivation, search index loaded", Quick: "not run",
			Figure: Metric{"app AppUnlockToFirstList", "rss-after-kdf-MB"}, Unit: "MB", Budget: 250, AtMost: true},
		{What: "RSS of the app process unlocked again after 5 locks", Quick: "not run",
			Figure: Metric{"app AppUnlockToFirstList", "rss-cycled-MB"}, Unit: "MB", Budget: 250, AtMost: true},
		{What: "the app's sort of 100,000 names, part of the first list", Quick: "not run", Figure: Metric{"app SortByName100k", "ns/op"}, Scale: 1e-6, Unit: "ms", Budget: 1000, AtMost: true},
		{What: "search by name, 100,000 people, p95 (synth names)", Quick: quickSearch, Figure: Metric{"storage/search NameQuery/synth", "p95-ms"}, Unit: "ms", Budget: 25, AtMost: true},
		{What: "search by name, 100,000 people, p95 (38,000 distinct surnames)", Quick: quickSearch, Figure: Metric{"storage/search NameQuery/diverse", "p95-ms"}, Unit: "ms", Budget: 25, AtMost: true},
		{What: "sync 10,000 records through a loopback relay: send", Quick: quickSync, Figure: Metric{"sync/engine SyncPush10k", "records/s"}, Unit: "records/s", Budget: 4000,
			Limit: same("sync/engine SyncPush10k", "raw-records/s", "raw HTTP PUT of the same bytes")},
		{What: "sync 10,000 records through a loopback relay: receive", Quick: quickSync, Figure: Metric{"sync/engine SyncPull10k", "records/s"}, Unit: "records/s", Budget: 4000,
			Limit: same("sync/engine SyncPull10k", "raw-records/s", "raw HTTP GET of the same bytes")},
		{What: "one new record in a 100,000-record vault: requests", Quick: quickVault,
			Figure: Metric{"sync/engine OneNewRecordInLargeVault", "requests/op"}, Unit: "requests", Budget: 3, AtMost: true},
		{What: "one new record in a 100,000-record vault: bytes on the wire", Quick: quickVault,
			Figure: Metric{"sync/engine OneNewRecordInLargeVault", "wire-B/op"}, Unit: "B", Budget: 16 << 10, AtMost: true},
		{What: "1 GiB attachment through a loopback relay", Quick: quickAttachment,
			Figure: Metric{"sync/engine Attachment", "MB/s"}, Unit: "MB/s", Budget: 0.5, OfLimit: true,
			Limit: same("sync/engine Attachment", "raw-MB/s", "raw HTTP PUT of the same bytes")},
		{What: "relay, 50 concurrent clients: envelope appends", Figure: Metric{"sync/relay Append", "appends/s"}, Unit: "appends/s", Budget: 1000},
		{What: "relay, 50 concurrent clients: p99 latency", Figure: Metric{"sync/relay Append", "p99-ms"}, Unit: "ms", Budget: 100, AtMost: true},
	}
}
