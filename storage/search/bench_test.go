package search

import (
	crand "crypto/rand"
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dgraph-io/badger/v4"

	"github.com/letapis/letapis/storage/record"
	"github.com/letapis/letapis/storage/synth"
)

// The benchmarks share one corpus: benchPeople synthetic people (with the
// people of spellingGroups planted among them) and benchTestimonies
// synthetic testimonies of synth's full size, 1 to 50 KB each.
// LETAPIS_BENCH_SEARCH_PEOPLE sets another number of people (and a fifth
// as many testimonies), for a quick run.
var benchPeople, benchTestimonies = corpusSize()

func corpusSize() (people, testimonies int) {
	people = 100_000
	if s := os.Getenv("LETAPIS_BENCH_SEARCH_PEOPLE"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1000 {
			panic(fmt.Sprintf("LETAPIS_BENCH_SEARCH_PEOPLE=%q is not a number of at least 1000", s))
		}
		people = n
	}
	return people, people / 5
}

var bench struct {
	once      sync.Once
	docs      []Doc
	textBytes int
	kv        *memKV
	ix        *Index
	names     []string
	texts     []Query
	err       error
}

// benchCorpus builds the shared corpus and its index once per binary.
func benchCorpus(b *testing.B) {
	b.Helper()
	bench.once.Do(func() {
		g := synth.New(7)
		var people []string
		for range benchPeople {
			id := g.ID()
			people = append(people, id)
			bench.docs = append(bench.docs, Doc{ID: id, Body: g.Person()})
		}
		for _, grp := range spellingGroups {
			bench.docs = append(bench.docs, Doc{ID: g.ID(), Body: plantedPerson(grp.stored)})
		}
		for i := range benchTestimonies {
			t := g.Testimony([]string{people[i*7%len(people)]})
			bench.textBytes += len(t.Text)
			bench.docs = append(bench.docs, Doc{ID: g.ID(), Body: t})
		}
		bench.kv = newMemKV()
		bench.ix, bench.err = Rebuild(bench.kv.update, slicesSeq(bench.docs))
		bench.names = nameQueries(bench.docs[:benchPeople])
		bench.texts = textQueries()
	})
	if bench.err != nil {
		b.Fatal(bench.err)
	}
}

// heapInUse returns the live heap after a collection.
func heapInUse() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// nameQueries mixes the planted people's spellings (transliterations,
// typos, initials, word orders) with queries for random synthetic people,
// whose common names make long postings lists: "Given Family" in a random
// spelling, the surname alone, an initial and the surname, the surname
// with a letter dropped.
func nameQueries(people []Doc) []string {
	var qs []string
	for _, grp := range spellingGroups {
		qs = append(qs, grp.queries...)
	}
	r := rand.New(rand.NewPCG(1, 2))
	for range 400 {
		p := people[r.IntN(len(people))].Body.(*record.Person)
		n := p.Names[r.IntN(len(p.Names))]
		fam := []rune(n.Family)
		drop := r.IntN(len(fam)-1) + 1
		qs = append(qs,
			n.Given+" "+n.Family,
			n.Family,
			string([]rune(n.Given)[:1])+". "+n.Family,
			string(fam[:drop])+string(fam[drop+1:]))
	}
	r.Shuffle(len(qs), func(i, j int) { qs[i], qs[j] = qs[j], qs[i] })
	return qs
}

// textQueries mixes single words and prefixes in the three languages,
// two-word queries and filtered ones.
func textQueries() []Query {
	var qs []Query
	for _, t := range []string{
		"камере", "камер", "допросе", "адваката", "адвокат", "следователь", "ШІЗА", "шизо", "лекарств",
		"interrogation", "lawyer", "cell", "investigator", "punishment", "медчасть", "здароўе",
		"свет камере", "light cell", "адвоката пустили", "допыт адваката", "Vilnius", "Warsaw",
		"holodno", "санаторий", "sanatorium", "пагражаў", "угрожал", "threatened relatives",
	} {
		qs = append(qs,
			Query{Text: t},
			Query{Text: t, Kind: record.KindTestimony, IncidentType: "torture"},
			Query{Text: t, From: record.MustDate("2022"), To: record.MustDate("2023-06")})
	}
	return qs
}

// BenchmarkBuild rebuilds the index of the corpus and reports the size of
// the stored index (keys and values).
func BenchmarkBuild(b *testing.B) {
	benchCorpus(b)
	for b.Loop() {
		if _, err := Rebuild(newMemKV().update, slicesSeq(bench.docs)); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "build-s")
	b.ReportMetric(float64(bench.kv.size())/(1<<20), "index-MiB")
	b.ReportMetric(float64(bench.textBytes)/(1<<20), "text-MiB")
	b.ReportMetric(float64(len(bench.docs)), "records")
}

// BenchmarkOpen loads the corpus index from its store, as at unlock, and
// reports the memory the loaded index holds. The badger case reads an
// encrypted store on disk set up like the vault's.
func BenchmarkOpen(b *testing.B) {
	benchCorpus(b)
	b.Run("mem", func(b *testing.B) { benchOpen(b, func(fn func(KV) error) error { return fn(bench.kv) }) })
	b.Run("badger", func(b *testing.B) {
		db := vaultLikeBadger(b)
		w := db.NewWriteBatch()
		for k, v := range bench.kv.m {
			if err := w.Set([]byte(k), v); err != nil {
				b.Fatal(err)
			}
		}
		if err := w.Flush(); err != nil {
			b.Fatal(err)
		}
		benchOpen(b, func(fn func(KV) error) error {
			return db.View(func(txn *badger.Txn) error { return fn(TxnKV(txn)) })
		})
	})
}

func benchOpen(b *testing.B, view func(func(KV) error) error) {
	var heap uint64
	for b.Loop() {
		before := heapInUse()
		var ix *Index
		err := view(func(kv KV) (err error) {
			ix, err = Open(kv)
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
		heap = heapInUse() - before
		runtime.KeepAlive(ix)
	}
	b.ReportMetric(float64(heap)/(1<<20), "heap-MiB")
}

// vaultLikeBadger opens an encrypted Badger store in a temporary directory
// with the vault's memory settings (storage/store.go).
func vaultLikeBadger(b *testing.B) *badger.DB {
	key := make([]byte, 32)
	crand.Read(key)
	opts := badger.DefaultOptions(b.TempDir()).
		WithEncryptionKey(key).
		WithIndexCacheSize(16 << 20).
		WithBlockCacheSize(32 << 20).
		WithMemTableSize(16 << 20).
		WithNumMemtables(2).
		WithValueLogFileSize(64 << 20).
		WithNumVersionsToKeep(1).
		WithLoggingLevel(badger.WARNING)
	db, err := badger.Open(opts)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	return db
}

// BenchmarkNameQuery runs the name query mix. Budget: p95 ≤ 25 ms. The
// synth corpus has synth's few hundred common surnames; the diverse one
// gives 100,000 people some 38,000 distinct invented surnames, a denser
// field of near neighbours than real names make, to show how fuzzy
// matching scales.
func BenchmarkNameQuery(b *testing.B) {
	b.Run("synth", func(b *testing.B) {
		benchCorpus(b)
		benchQueries(b, bench.ix, len(bench.names), func(i int) Query { return Query{Text: bench.names[i]} })
	})
	b.Run("diverse", func(b *testing.B) {
		diverse.once.Do(buildDiverse)
		benchQueries(b, diverse.ix, len(diverse.names), func(i int) Query { return Query{Text: diverse.names[i]} })
		b.ReportMetric(float64(diverse.keys), "keys")
	})
}

var diverse struct {
	once  sync.Once
	ix    *Index
	keys  int
	names []string
}

// syllables build the diverse corpus's surnames: each syllable and ending
// in Belarusian Cyrillic and in the passport romanisation.
var (
	syllables = [][2]string{
		{"ка", "ka"}, {"ра", "ra"}, {"ві", "vi"}, {"ло", "lo"}, {"ша", "sha"}, {"бу", "bu"}, {"дзе", "dze"},
		{"ні", "ni"}, {"та", "ta"}, {"мо", "mo"}, {"га", "ha"}, {"зе", "ze"}, {"па", "pa"}, {"ля", "lia"},
		{"ці", "tsi"}, {"дро", "dro"}, {"бро", "bro"}, {"чэ", "che"}, {"жу", "zhu"}, {"ве", "ve"},
		{"ку", "ku"}, {"лы", "ly"}, {"са", "sa"}, {"на", "na"}, {"ры", "ry"},
	}
	surnameEndings = [][2]string{
		{"віч", "vich"}, {"скі", "ski"}, {"энка", "enka"}, {"ук", "uk"}, {"аў", "au"}, {"оў", "ou"},
		{"чык", "chyk"}, {"ік", "ik"}, {"іна", "ina"}, {"ава", "ava"}, {"ская", "skaya"}, {"эц", "ets"},
	}
	givenPairs = [][2]string{
		{"Алесь", "Ales"}, {"Сяргей", "Siarhei"}, {"Ігар", "Ihar"}, {"Вольга", "Volha"}, {"Ганна", "Hanna"},
		{"Марыя", "Maryia"}, {"Віктар", "Viktar"}, {"Павел", "Pavel"}, {"Юрый", "Yury"}, {"Дзмітрый", "Dzmitry"},
		{"Наталля", "Natallia"}, {"Ірына", "Iryna"}, {"Андрэй", "Andrei"}, {"Мікалай", "Mikalai"},
	}
)

// buildDiverse indexes 100,000 people with invented surnames of one to
// three syllables and an ending, in Belarusian Cyrillic and passport
// spelling, and mixes queries for random ones: exact, Cyrillic, with a
// letter dropped, with an initial, with a given name.
func buildDiverse() {
	r := rand.New(rand.NewPCG(8, 9))
	docs := make([]Doc, 0, benchPeople)
	for i := range benchPeople {
		var be, latin string
		for range 1 + r.IntN(3) {
			s := syllables[r.IntN(len(syllables))]
			be, latin = be+s[0], latin+s[1]
		}
		e := surnameEndings[r.IntN(len(surnameEndings))]
		be, latin = upperFirst(be+e[0]), upperFirst(latin+e[1])
		g := givenPairs[r.IntN(len(givenPairs))]
		docs = append(docs, Doc{ID: fmt.Sprintf("d%06d", i), Body: &record.Person{Names: []record.Name{
			{Given: g[0], Family: be}, {Given: g[1], Family: latin}}}})
	}
	kv := newMemKV()
	ix, err := Rebuild(kv.update, slicesSeq(docs))
	if err != nil {
		panic(err)
	}
	diverse.ix, diverse.keys = ix, len(ix.names.keys.texts)
	for i := range 2000 {
		n := docs[r.IntN(len(docs))].Body.(*record.Person).Names[r.IntN(2)]
		fam := []rune(n.Family)
		drop := 1 + r.IntN(len(fam)-1)
		diverse.names = append(diverse.names, []string{
			n.Family,
			string(fam[:drop]) + string(fam[drop+1:]),
			string([]rune(n.Given)[:1]) + ". " + n.Family,
			n.Given + " " + n.Family,
		}[i%4])
	}
}

func upperFirst(s string) string {
	r := []rune(s)
	return strings.ToUpper(string(r[:1])) + string(r[1:])
}

// BenchmarkTextQuery runs the text query mix.
func BenchmarkTextQuery(b *testing.B) {
	benchCorpus(b)
	benchQueries(b, bench.ix, len(bench.texts), func(i int) Query { return bench.texts[i] })
}

// benchQueries runs query(i) on ix for i cycling through n queries and
// reports the median and 95th percentile latency.
func benchQueries(b *testing.B, ix *Index, n int, query func(int) Query) {
	var lat []time.Duration
	i := 0
	for b.Loop() {
		q := query(i % n)
		i++
		start := time.Now()
		if _, err := ix.Search(q); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(start))
	}
	slices.Sort(lat)
	at := func(p float64) float64 { return float64(lat[int(p*float64(len(lat)-1))]) / 1e6 }
	b.ReportMetric(at(0.50), "p50-ms")
	b.ReportMetric(at(0.95), "p95-ms")
	b.ReportMetric(float64(n), "queries")
}
