package app

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/letapis/letapis/storage"
	"github.com/letapis/letapis/storage/record"
)

// TestListManyPeople loads a vault of many people: the list shows them all
// in name order, builds widgets only for the visible rows, and filtering
// stays quick. LETAPIS_UI_PEOPLE=N sets how many (default 5,000; saving
// them is what takes time, about 0.7 ms each on a small laptop).
func TestListManyPeople(t *testing.T) {
	n := 5_000
	if s := os.Getenv("LETAPIS_UI_PEOPLE"); s != "" {
		if _, err := fmt.Sscan(s, &n); err != nil {
			t.Fatalf("LETAPIS_UI_PEOPLE=%q: %v", s, err)
		}
	}
	if testing.Short() {
		n = 1_000
	}
	dir := filepath.Join(t.TempDir(), "vault")
	v, err := storage.Create(dir, testPass, storage.Options{WorkFactor: 10})
	if err != nil {
		t.Fatal(err)
	}
	bodies := make([]record.Body, n)
	for i := range bodies {
		bodies[i] = &record.Person{Names: []record.Name{{Given: "Ян", Family: fmt.Sprintf("Прозвішча%06d", n-i)}}}
	}
	const planted = "Алесь Бяляцкі"
	bodies[42] = &record.Person{Names: []record.Name{{Given: "Алесь", Family: "Бяляцкі"}}}
	start := time.Now()
	if _, err := v.Import(bodies); err != nil {
		t.Fatal(err)
	}
	t.Logf("imported %d people in %v", n, time.Since(start))
	v.Close()

	u, _ := newTestUI(t, Config{VaultDir: dir})
	start = time.Now()
	unlockWith(t, u, testPass)
	l := u.main.lists[record.KindPerson]
	t.Logf("unlocked and listed %d people in %v", len(l.all), time.Since(start))
	if len(l.all) != n || len(l.shown) != n {
		t.Fatalf("list holds %d (%d shown), want %d", len(l.all), len(l.shown), n)
	}
	if first, second := l.all[0].Title, l.all[1].Title; first != planted || second != "Ян Прозвішча000001" {
		t.Errorf("first rows %q, %q: not in alphabetical order", first, second)
	}
	// The list creates widgets only for the rows on screen.
	rows := 0
	for _, o := range test.LaidOutObjects(l.list) {
		if _, ok := o.(*widget.Label); ok {
			rows++
		}
	}
	if rows == 0 || rows > 200 {
		t.Errorf("%d row labels for %d rows", rows, n)
	}
	start = time.Now()
	l.filter.SetText("Bialiatski")
	u.wait()
	if d := time.Since(start); d > time.Second {
		t.Errorf("searching %d people took %v", n, d)
	}
	if len(l.shown) == 0 || l.all[l.shown[0]].Title != planted {
		t.Errorf("search Bialiatski: %d rows, the first is not %s", len(l.shown), planted)
	}
}
