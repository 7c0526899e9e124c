package synth

import "github.com/letapis/letapis/storage/record"

// Vault makes the records of a large vault with g, n of them rounded up
// to a multiple of 200: in every 200, 100 people, then 60 cases, 30 notes
// and 10 testimonies of 1 to 4 KB about them. save stores a batch of
// bodies (a vault's Import) and id gives the record id of what it
// returns; Vault stops at the first error.
func Vault[R any](g *Generator, n int, save func([]record.Body) ([]R, error), id func(R) string) error {
	for done := 0; done < n; done += 200 {
		people := make([]record.Body, 100)
		for i := range people {
			people[i] = g.Person()
		}
		saved, err := save(people)
		if err != nil {
			return err
		}
		var about []record.Body
		for i, r := range saved {
			switch {
			case i < 60:
				about = append(about, g.Case(id(r)))
			case i < 90:
				about = append(about, g.Note(id(r)))
			default:
				t := g.Testimony([]string{id(r)})
				t.Text = g.TestimonyText(1024, 4096)
				about = append(about, t)
			}
		}
		if _, err := save(about); err != nil {
			return err
		}
	}
	return nil
}
