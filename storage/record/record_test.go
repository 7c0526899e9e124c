package record

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
)

func TestParseDate(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Date
	}{
		{"", Date{}},
		{"2021", Date{Year: 2021}},
		{"2021-03", Date{Year: 2021, Month: 3}},
		{"2021-03-14", Date{Year: 2021, Month: 3, Day: 14}},
		{"~2022", Date{Year: 2022, Approx: true}},
		{" 2024-02-29 ", Date{Year: 2024, Month: 2, Day: 29}},
	} {
		got, err := ParseDate(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("ParseDate(%q) = %+v, %v; want %+v", tc.in, got, err, tc.want)
		}
		if err == nil && got.String() != strings.TrimSpace(tc.in) {
			t.Errorf("ParseDate(%q).String() = %q", tc.in, got.String())
		}
	}
	for _, bad := range []string{"21", "2021-3", "2021-13", "2023-02-29", "2021-00-05", "1850", "2021-03-14-1", "March 2021", "~", "2021-03-1x"} {
		if d, err := ParseDate(bad); err == nil {
			t.Errorf("ParseDate(%q) = %+v, want an error", bad, d)
		}
	}
}

func TestDateJSONAndOrder(t *testing.T) {
	var v struct {
		D Date `json:"d,omitzero"`
	}
	if b, _ := json.Marshal(v); string(b) != "{}" {
		t.Errorf("zero date encodes as %s, want it omitted", b)
	}
	v.D = MustDate("~2021-03")
	b, _ := json.Marshal(v)
	if string(b) != `{"d":"~2021-03"}` {
		t.Errorf("encoded %s", b)
	}
	if err := json.Unmarshal([]byte(`{"d":"2021-02-30"}`), &v); err == nil {
		t.Error("invalid day decoded without error")
	}
	if !MustDate("2021-03").Before(MustDate("2021-03-02")) || MustDate("2022").Before(MustDate("2021-12-31")) {
		t.Error("Before orders partial dates wrongly")
	}
}

func TestValidateNamesTheField(t *testing.T) {
	id := "abcdefghijklmnopqrstuvwxyz"
	for _, tc := range []struct {
		body  Body
		field string
	}{
		{&Person{}, "names"},
		{&Person{Names: []Name{{Script: "be-cyrl"}}}, "names[0]"},
		{&Person{Names: []Name{{Family: "X"}}, Claims: []Claim{{Type: "political-prisoner"}}}, "claims[0].by"},
		{&Case{}, "person"},
		{&Case{Person: "not-an-id"}, "person"},
		{&Case{Person: id, Arrested: MustDate("2021-05"), Released: MustDate("2020")}, "released"},
		{&Case{Person: id, Facilities: []Spell{{Facility: "IK-3", From: MustDate("2022"), To: MustDate("2021")}}}, "facilities[0].to"},
		{&Incident{Victims: []string{id}}, "type"},
		{&Incident{Type: "shizo"}, "victims"},
		{&Testimony{Consent: Consent{Scopes: []string{"team"}}, Text: "t"}, "interviewee"},
		{&Testimony{Interviewee: "A", Text: "t"}, "consent.scopes"},
		{&Testimony{Interviewee: "A", Consent: Consent{Scopes: []string{"team"}}}, "text"},
		{&Note{Text: "  "}, "text"},
		{&Attachment{Name: "a", MediaType: "text/plain", SHA256: "xyz", Blob: id}, "sha256"},
		{&Term{Vocab: "incident-type", Code: "Bad Code", Labels: Labels{En: "x"}}, "code"},
		{&Term{Vocab: "incident-type", Code: "ok"}, "labels.en"},
	} {
		err := tc.body.Validate()
		var fe *FieldError
		if !errors.As(err, &fe) || fe.Field != tc.field || fe.Kind != tc.body.Kind() {
			t.Errorf("%T: got %v, want a FieldError on %q", tc.body, err, tc.field)
		}
	}
}

func TestWithdrawnConsentNeedsNoScope(t *testing.T) {
	tm := &Testimony{Interviewee: "A", Text: "t", Consent: Consent{Withdrawn: MustDate("2025-01")}}
	if err := tm.Validate(); err != nil {
		t.Fatal(err)
	}
}

func TestDecodeRefusesUnknownFieldsAndKinds(t *testing.T) {
	if _, err := Decode(KindNote, []byte(`{"text":"x","colour":"red"}`)); err == nil {
		t.Error("unknown field accepted")
	}
	if _, err := Decode("spaceship", []byte(`{}`)); err == nil {
		t.Error("unknown kind accepted")
	}
	if _, err := ParseKind("spaceship"); err == nil || !strings.Contains(err.Error(), "person") {
		t.Errorf("ParseKind error does not list the kinds: %v", err)
	}
}

func TestBuiltinVocabulariesHaveThreeLanguages(t *testing.T) {
	names := Vocabularies()
	if len(names) < 10 {
		t.Fatalf("only %d vocabularies", len(names))
	}
	for _, v := range names {
		for _, term := range BuiltinTerms(v) {
			if term.Labels.En == "" || term.Labels.Be == "" || term.Labels.Ru == "" {
				t.Errorf("%s/%s lacks a label: %+v", v, term.Code, term.Labels)
			}
			if err := term.Validate(); err != nil {
				t.Errorf("%s/%s: %v", v, term.Code, err)
			}
		}
	}
	// The incident vocabulary of docs/ARCHITECTURE.md and the domain: these types.
	for _, code := range []string{"torture", "medical-denial", "shizo", "pkt", "solitary", "incommunicado",
		"counsel-denial", "unfair-trial", "family-pressure", "citizenship-deprivation", "forced-labour",
		"sgbv", "marking", "death-in-custody", "other"} {
		if _, ok := BuiltinTerm(VocabIncidentType, code); !ok {
			t.Errorf("incident type %q missing", code)
		}
	}
	shizo, _ := BuiltinTerm(VocabIncidentType, "shizo")
	if shizo.Labels.In(LangBelarusian) != "Штрафны ізалятар (ШІЗА)" || shizo.Labels.In("de") != shizo.Labels.En {
		t.Errorf("Labels.In: %+v", shizo.Labels)
	}
}

func TestTitle(t *testing.T) {
	for _, tc := range []struct {
		body Body
		want string
	}{
		{&Person{Names: []Name{{Given: "Алесь", Patronymic: "Віктаравіч", Family: "Бяляцкі"}}}, "Алесь Віктаравіч Бяляцкі"},
		{&Testimony{Interviewee: "Witness A", Date: MustDate("2024-03")}, "Witness A · 2024-03"},
		{&Note{Text: "First line\nsecond"}, "First line"},
		{&Incident{Type: "shizo", From: MustDate("2023-02")}, "Punishment cell (SHIZO) · 2023-02"},
	} {
		if got := Title(tc.body); got != tc.want {
			t.Errorf("Title(%T) = %q, want %q", tc.body, got, tc.want)
		}
	}
	for _, tc := range []struct{ text, want string }{
		{strings.Repeat("я", 100), strings.Repeat("я", 79) + "…"},
		{strings.Repeat("я", 81), strings.Repeat("я", 79) + "…"},
		{strings.Repeat("я", 80), strings.Repeat("я", 80)},
		{"  " + strings.Repeat("ab", 40) + "\nmore", strings.Repeat("ab", 40)},
		{strings.Repeat("a", 78) + "\xff" + strings.Repeat("b", 10), strings.Repeat("a", 78) + "\uFFFD…"},
	} {
		if got := Title(&Note{Text: tc.text}); got != tc.want {
			t.Errorf("title of a note of %d runes = %q, want %q", len([]rune(tc.text)), got, tc.want)
		}
	}
}

func TestDateFirstLast(t *testing.T) {
	for _, c := range []struct {
		d           string
		first, last uint32
	}{
		{"2021", 20210101, 20211231},
		{"~2021-03", 20210301, 20210331},
		{"2021-03-07", 20210307, 20210307},
	} {
		d := MustDate(c.d)
		if d.First() != c.first || d.Last() != c.last {
			t.Errorf("%s: First, Last = %d, %d; want %d, %d", c.d, d.First(), d.Last(), c.first, c.last)
		}
	}
}

func TestPrimaryDate(t *testing.T) {
	d := MustDate("~2021-03")
	for _, b := range []Body{
		&Person{Birth: d}, &Case{Arrested: d}, &Incident{From: d, To: MustDate("2022")},
		&Testimony{Date: d}, &Note{Date: d},
	} {
		if got := PrimaryDate(b); got != d {
			t.Errorf("PrimaryDate(%T) = %v, want %v", b, got, d)
		}
	}
	if got := PrimaryDate(&Attachment{Name: "a.pdf"}); !got.IsZero() {
		t.Errorf("PrimaryDate(attachment) = %v, want the zero Date", got)
	}
}

func TestRefs(t *testing.T) {
	for _, tc := range []struct {
		body Body
		want []string
	}{
		{&Case{Person: "p"}, []string{"p"}},
		{&Incident{Victims: []string{"p", "q"}, Sources: []string{"t", "p"}}, []string{"p", "q", "t"}},
		{&Testimony{Person: "w", About: []string{"p", "w"}, Attachments: []string{"a"}, Amends: "t", Audience: "r"},
			[]string{"w", "p", "a", "t"}},
		{&Testimony{About: []string{"p"}}, []string{"p"}},
		{&Note{About: "c"}, []string{"c"}},
		{&Note{}, []string{}},
		{&Attachment{About: []string{"p", "c"}}, []string{"p", "c"}},
		{&Person{}, []string{}},
	} {
		if got := Refs(tc.body); !slices.Equal(got, tc.want) {
			t.Errorf("Refs(%+v) = %q, want %q", tc.body, got, tc.want)
		}
	}
}
