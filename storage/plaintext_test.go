package storage

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/letapis/letapis/storage/record"
)

// TestNoPlaintextInVaultOrTempDir creates records and an attachment with
// known Cyrillic and Latin strings and then scans every file under the
// vault directory, and every file the test run left in the system temp
// directory, for any of them.
func TestNoPlaintextInVaultOrTempDir(t *testing.T) {
	start := time.Now()
	tag := NewID()[:8] // unique to this run, so other tests' files cannot match
	name := "Святлана" + tag
	family := "Kalesnikava" + tag
	text := "Катаванні ў ШІЗА, " + tag + " beaten during interrogation"
	attachment := "ATTACHMENT-BYTES-" + tag + " фота пабояў"

	v := newVault(t)
	p := mustAdd(t, v, &record.Person{Names: []record.Name{{Given: name, Family: "Калеснікава"}, {Given: "Sviatlana", Family: family, Script: "passport"}}})
	a, err := v.ImportAttachment(strings.NewReader(strings.Repeat(attachment, 1000)), "photo-"+tag+".jpg", "", []string{p.ID})
	if err != nil {
		t.Fatal(err)
	}
	tm := mustAdd(t, v, &record.Testimony{Interviewee: name, Consent: record.Consent{Scopes: []string{"team"}}, Text: text, About: []string{p.ID}, Attachments: []string{a.ID}})
	if _, err := v.Seal(tm.ID); err != nil {
		t.Fatal(err)
	}
	mustAdd(t, v, &record.Note{About: p.ID, Text: text})
	v.Close() // flush everything Badger keeps in memory

	needles := []string{name, family, text, attachment, "photo-" + tag, p.ID, tm.ID}
	scanForPlaintext(t, v.Dir(), needles...)

	// Files in the temp directory that changed during this test, outside
	// the vault, must not hold any of it either.
	err = filepath.WalkDir(os.TempDir(), func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil // unreadable entries of other programs
		}
		if d.IsDir() && strings.HasPrefix(path, v.Dir()) {
			return filepath.SkipDir
		}
		info, err := d.Info()
		if err != nil || !info.Mode().IsRegular() || info.ModTime().Before(start) || info.Size() > 64<<20 {
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return nil
		}
		for _, n := range needles {
			if strings.Contains(string(data), n) {
				t.Errorf("plaintext %q found in temp file %s", n, path)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(fmt.Errorf("scan temp dir: %w", err))
	}
}
