package app

import (
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/letapis/letapis/assets"
	"github.com/letapis/letapis/storage"
)

// TestTranslationsComplete checks that every string the code translates is
// in en.json, and that be.json and ru.json translate every key of en.json.
func TestTranslationsComplete(t *testing.T) {
	tables := map[string]map[string]string{}
	for _, l := range Languages {
		b, err := fs.ReadFile(assets.Translations, "translations/"+l.Code+".json")
		if err != nil {
			t.Fatal(err)
		}
		m := map[string]string{}
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatalf("%s.json: %v", l.Code, err)
		}
		tables[l.Code] = m
	}
	en := tables["en"]
	for _, code := range []string{"be", "ru"} {
		for k := range en {
			if tables[code][k] == "" {
				t.Errorf("%s.json lacks %q", code, k)
			}
		}
		for k := range tables[code] {
			if _, ok := en[k]; !ok {
				t.Errorf("%s.json has %q, which en.json lacks", code, k)
			}
		}
	}

	// Literal keys in the code: T("…"), Tf("…"), row("…"), and the
	// tables and helpers that hold keys.
	var keys []string
	lit := `"((?:[^"\\]|\\.)*)"`
	patterns := []*regexp.Regexp{
		regexp.MustCompile(`\bTf?\(` + lit),
		regexp.MustCompile(`\.row\(` + lit),
		regexp.MustCompile(`\.title\(` + lit + `,\s*` + lit),
		regexp.MustCompile(`saveLabel:\s*` + lit),
		regexp.MustCompile(`newRepeater\(u,\s*` + lit),
		regexp.MustCompile(`\bkey\(` + lit),
		regexp.MustCompile(`parseDateField\(` + lit),
		regexp.MustCompile(`append\(warnings,\s*` + lit),
	}
	files, _ := filepath.Glob("*.go")
	for _, f := range files {
		if filepath.Ext(f) != ".go" || len(f) > 8 && f[len(f)-8:] == "_test.go" {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, re := range patterns {
			for _, m := range re.FindAllStringSubmatch(string(b), -1) {
				keys = append(keys, m[1:]...)
			}
		}
	}
	for _, k := range browseKinds {
		keys = append(keys, kindTitle(k))
		if a := addTitle(k); a != "" {
			keys = append(keys, a)
		}
	}
	for _, v := range fieldLabels {
		keys = append(keys, v)
	}
	for _, v := range problems {
		keys = append(keys, v)
	}
	keys = append(keys, "Also known as")
	if len(keys) < 100 {
		t.Fatalf("found only %d keys: the scan looks broken", len(keys))
	}
	for _, k := range keys {
		if _, ok := en[k]; !ok {
			t.Errorf("en.json lacks %q", k)
		}
	}
}

// TestScreensFitALaptop checks, in every language, that the main screen and
// the record forms fit a 1280-pixel-wide laptop screen with room for the
// window frame (1180 pixels): Fyne draws some texts (form hints, card
// subtitles) on one line, and one long translation would widen the window
// past the screen, hiding Save and Lock.
func TestScreensFitALaptop(t *testing.T) {
	u, _ := unlockedUI(t)
	for _, l := range Languages {
		u.SetLanguage(l.Code)
		u.wait()
		if w := u.main.content.MinSize().Width; w > 1180 {
			t.Errorf("%s: the main screen needs %.0f px", l.Code, w)
		}
		for _, k := range browseKinds {
			_, content := u.newForm(k, formMode{}, func(*storage.Record) {}, func() {})
			if content == nil {
				continue
			}
			if w := content.MinSize().Width + u.main.lists[k].content.MinSize().Width; w > 1180 {
				t.Errorf("%s: the %s form with its list needs %.0f px", l.Code, k, w)
			}
		}
	}
}
