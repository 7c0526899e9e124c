package app

import (
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/letapis/letapis/storage"
	"github.com/letapis/letapis/storage/hlc"
	"github.com/letapis/letapis/storage/record"
)

// fixedPerson is an invented person with a case, a punishment cell term and
// an open incommunicado period, as the person page gets them from the
// vault; today is fixed so that the day counts do not change.
func fixedPerson() *detail {
	d := record.MustDate
	p := &record.Person{
		Names: []record.Name{
			{Given: "Алесь", Family: "Узорны", Script: "be-cyrl"},
			{Given: "Алесь", Family: "Узорный", Script: "ru-cyrl"},
			{Given: "Aleś", Family: "Uzorny", Script: "be-latn"},
			{Given: "Ales", Family: "Uzorny", Script: "passport"},
		},
		Birth:      d("~1984"),
		Status:     "incommunicado",
		Occupation: "Teacher (synthetic)",
		Claims: []record.Claim{{Type: "political-prisoner", By: "Example Rights Centre (synthetic)",
			On: d("2021-07-01"), Source: "https://example.org/synthetic/statement"}},
		LastFamilyContact: d("2024-01"),
	}
	c := &record.Case{
		Person: "p", Arrested: d("2021-06-03"), ArrestPlace: "Minsk", DetainingBody: "GUBOPiK (synthetic)",
		Charges: []string{"Criminal Code 342"}, Court: "Example District Court (synthetic)",
		Verdict: d("2021-12-20"), Sentence: "5 years", Regime: "general regime",
		Facilities: []record.Spell{
			{Facility: "IVS Minsk", Kind: "ivs", From: d("2021-06-03"), To: d("2021-06-05")},
			{Facility: "SIZO-1 Minsk", Kind: "sizo", From: d("2021-06-05"), To: d("2022-01")},
			{Facility: "IK-99 (synthetic)", Kind: "ik", From: d("2022-01")},
		},
	}
	shizo := &record.Incident{Type: "shizo", From: d("2023-03-01"), To: d("2023-03-11"),
		Place: "IK-99 (synthetic)", Victims: []string{"p"}, Perpetrators: []string{"Facility administration"}}
	incommunicado := &record.Incident{Type: "incommunicado", From: d("2024-01-10"), Victims: []string{"p"}}
	at := hlc.Timestamp{Wall: time.Date(2024, 2, 20, 10, 0, 0, 0, time.UTC).UnixMilli()}
	det := &detail{
		rec:    &storage.Record{ID: "p", Kind: record.KindPerson, Created: at, Updated: at, Revisions: 2},
		body:   p,
		labels: map[string]string{},
		links: &personLinks{
			cases:     []caseRecord{{ID: "c", Case: c}},
			incidents: []incidentRecord{{ID: "i1", Incident: shizo}, {ID: "i2", Incident: incommunicado}},
			linked: map[record.Kind][]storage.Summary{
				record.KindTestimony: {{ID: "t", Kind: record.KindTestimony, Title: "Relative (synthetic) · 2024-02-02"}},
				record.KindNote:      {{ID: "n", Kind: record.KindNote, Title: "Letter to the colony sent (synthetic)"}},
			},
			today: time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC),
		},
	}
	for _, b := range []record.Body{p, c, shizo, incommunicado} {
		for _, ref := range b.Terms() {
			if t, ok := record.BuiltinTerm(ref.Vocab, ref.Code); ok {
				det.labels[ref.Vocab+"/"+ref.Code] = t.Labels.In(record.LangEnglish)
			}
		}
	}
	return det
}

// TestPersonPageMarkup compares the person page of a fixed invented person
// with testdata/person_page.xml.
func TestPersonPageMarkup(t *testing.T) {
	local := time.Local
	time.Local = time.UTC // the page shows when the record changed in local time
	t.Cleanup(func() { time.Local = local })
	u, _ := newTestUI(t, Config{})
	dv := newDetailView(u, fixedPerson(), func() {}, func(formMode) {})
	w := test.NewWindow(dv.content)
	defer w.Close()
	w.Resize(fyne.NewSize(900, 1500))
	test.AssertRendersToMarkup(t, "person_page.xml", w.Canvas())
}
