package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/signal"
	"time"

	"github.com/letapis/letapis/storage"
	"github.com/letapis/letapis/storage/record"
	"github.com/letapis/letapis/storage/synth"
)

func init() {
	register(&command{name: "generate", summary: "add synthetic records, for demos and tests", group: groupOther,
		about: `Add made-up records to the vault, for demos, tests and benchmarks: --people
people, about 60% of them with a case, incidents for those detained, notes,
and --testimonies testimonies (default: one for every five people) about
them. The same --seed gives the same records. Counts and the rate go to
standard error (with --json, to standard output as JSON).

Every record is saved durably on its own, like one typed by hand; --batch
saves them in bulk (one commit per megabyte), which is much faster.

The people look real but are invented. Never generate into a vault that
holds real documentation: if the vault already holds records, generate
asks for confirmation unless --yes is given.`,
		run: cmdGenerate})
}

// genCounts is what generate reports.
type genCounts struct {
	People      int     `json:"people"`
	Cases       int     `json:"cases"`
	Incidents   int     `json:"incidents"`
	Notes       int     `json:"notes"`
	Testimonies int     `json:"testimonies"`
	Records     int     `json:"records"`
	Seconds     float64 `json:"seconds"`
	PerSecond   float64 `json:"records_per_second"`
}

// genBatch is how many bodies generate --batch hands to Import at once,
// bounding memory use. It is kept small enough that one Import call of
// small records stays within one Badger transaction: Import's own chunk
// estimate (4 x body size) undercounts small records, whose envelopes are
// dominated by the fixed age header and padding.
const genBatch = 200

// Shares of generated people that get a case, and a note.
const (
	shareWithCase = 0.6
	shareWithNote = 0.3
)

func cmdGenerate(a *app, c *command, args []string) error {
	fs := a.flagSet(c)
	people := fs.Int("people", -1, "how many people to generate, `N` (required)")
	seed := fs.Uint64("seed", 1, "random `SEED`; the same seed gives the same records")
	testimonies := fs.Int("testimonies", -1, "how many testimonies, `M` (default: people/5)")
	batch := fs.Bool("batch", false, "save in bulk instead of one durable commit per record")
	if _, err := a.parse(c, fs, args, 0, 0); err != nil {
		return err
	}
	if *people < 0 {
		return usageErr(c, "generate needs --people N")
	}
	if *testimonies < 0 {
		*testimonies = *people / 5
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	return a.withVault(func(v *storage.Vault) error {
		existing := 0
		if err := v.List("", func(storage.Summary) bool { existing++; return false }); err != nil {
			return err
		}
		if existing > 0 {
			if err := a.confirm("add synthetic records to a vault that already holds records",
				fmt.Sprintf("The vault in %s already holds records; synthetic ones would be mixed with them. Continue?", a.dir)); err != nil {
				return err
			}
		}
		gen := &generator{v: v, batch: *batch, ctx: ctx}
		start := time.Now()
		err := gen.run(*seed, *people, *testimonies)
		n := gen.counts
		n.Records = n.People + n.Cases + n.Incidents + n.Notes + n.Testimonies
		n.Seconds = time.Since(start).Seconds()
		if n.Seconds > 0 {
			n.PerSecond = float64(n.Records) / n.Seconds
		}
		if err != nil {
			if n.Records > 0 {
				a.printf("%d records were saved before the error", n.Records)
			}
			return err
		}
		a.printf("generated %d people, %d cases, %d incidents, %d notes and %d testimonies: %d records in %.1fs (%.0f records/s)",
			n.People, n.Cases, n.Incidents, n.Notes, n.Testimonies, n.Records, n.Seconds, n.PerSecond)
		if a.json {
			return a.printJSON(n)
		}
		return nil
	})
}

// generator saves synthetic records one by one or in batches, counting
// them by kind.
type generator struct {
	v       *storage.Vault
	batch   bool
	ctx     context.Context
	pending []record.Body
	onSaved []pendingCallback
	counts  genCounts
}

// pendingCallback is a save callback waiting for its batch to be stored.
type pendingCallback struct {
	index int // in pending
	fn    func(id string)
}

func (g *generator) run(seed uint64, people, testimonies int) error {
	syn := synth.New(seed)
	// Choices of this command (who gets a case, what a testimony is about)
	// come from their own stream, so that synth's output for a seed stays
	// what synth makes of it.
	dice := rand.New(rand.NewPCG(seed, 0x6c65746170697321))

	personIDs := make([]string, 0, people)
	for range people {
		if err := g.save(syn.Person(), func(id string) { personIDs = append(personIDs, id) }); err != nil {
			return err
		}
	}
	if err := g.flush(); err != nil {
		return err
	}

	// Testimonies about one or two of the people, remembered per person
	// as sources for incidents.
	about := map[string][]string{}
	for range testimonies {
		var ids []string
		if len(personIDs) > 0 {
			ids = append(ids, personIDs[dice.IntN(len(personIDs))])
			if dice.Float64() < 0.2 {
				if other := personIDs[dice.IntN(len(personIDs))]; other != ids[0] {
					ids = append(ids, other)
				}
			}
		}
		if err := g.save(syn.Testimony(ids), func(id string) {
			for _, p := range ids {
				about[p] = append(about[p], id)
			}
		}); err != nil {
			return err
		}
	}
	if err := g.flush(); err != nil {
		return err
	}

	for _, p := range personIDs {
		if dice.Float64() < shareWithCase {
			if err := g.save(syn.Case(p), nil); err != nil {
				return err
			}
			for range dice.IntN(3) {
				in := syn.Incident([]string{p})
				if src := about[p]; len(src) > 0 {
					in.Sources = src[:min(len(src), 2)]
				}
				if err := g.save(in, nil); err != nil {
					return err
				}
			}
		}
		if dice.Float64() < shareWithNote {
			if err := g.save(syn.Note(p), nil); err != nil {
				return err
			}
		}
	}
	return g.flush()
}

// save stores b, at once or with the next flush, and calls saved with its
// id once it is stored. In batch mode that happens at the flush, so ids
// needed later must be flushed first.
func (g *generator) save(b record.Body, saved func(id string)) error {
	if err := g.ctx.Err(); err != nil {
		return err
	}
	if !g.batch {
		r, err := g.v.Add(b)
		if err != nil {
			return err
		}
		g.count(b)
		if saved != nil {
			saved(r.ID)
		}
		return nil
	}
	g.pending = append(g.pending, b)
	if saved != nil {
		g.onSaved = append(g.onSaved, pendingCallback{index: len(g.pending) - 1, fn: saved})
	}
	if len(g.pending) >= genBatch {
		return g.flush()
	}
	return nil
}

func (g *generator) flush() error {
	if len(g.pending) == 0 {
		return nil
	}
	recs, err := g.v.Import(g.pending)
	for i := range recs {
		g.count(g.pending[i])
	}
	for _, cb := range g.onSaved {
		if cb.index < len(recs) {
			cb.fn(recs[cb.index].ID)
		}
	}
	g.pending, g.onSaved = g.pending[:0], g.onSaved[:0]
	return err
}

func (g *generator) count(b record.Body) {
	switch b.Kind() {
	case record.KindPerson:
		g.counts.People++
	case record.KindCase:
		g.counts.Cases++
	case record.KindIncident:
		g.counts.Incidents++
	case record.KindNote:
		g.counts.Notes++
	case record.KindTestimony:
		g.counts.Testimonies++
	}
}
