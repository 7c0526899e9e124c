package record

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"sort"
)

// Vocabulary names. Each is a controlled list of codes with labels in
// English, Belarusian and Russian. The built-in terms ship in vocab.json;
// a team extends a vocabulary by saving Term records.
const (
	VocabIncidentType = "incident-type"
	VocabStatus       = "status"
	VocabClaim        = "claim"
	VocabHumanitarian = "humanitarian"
	VocabGender       = "gender"
	VocabScript       = "script"
	VocabFacilityKind = "facility-kind"
	VocabRelation     = "relation"
	VocabConsentScope = "consent-scope"
	VocabSensitivity  = "sensitivity"
)

// Languages the labels are kept in.
const (
	LangEnglish    = "en"
	LangBelarusian = "be"
	LangRussian    = "ru"
)

//go:embed vocab.json
var builtinJSON []byte

// builtin maps a vocabulary name to its terms, in the order of vocab.json.
var builtin = mustLoadBuiltin()

// Labels are a term's names in the interface languages.
type Labels struct {
	En string `json:"en"`
	Be string `json:"be"`
	Ru string `json:"ru"`
}

// In returns the label in lang, falling back to English.
func (l Labels) In(lang string) string {
	switch {
	case lang == LangBelarusian && l.Be != "":
		return l.Be
	case lang == LangRussian && l.Ru != "":
		return l.Ru
	}
	return l.En
}

// Term is one entry of a vocabulary. As a record body (kind "term") it adds
// a code to a vocabulary, or relabels one.
type Term struct {
	Vocab  string `json:"vocab"`
	Code   string `json:"code"`
	Labels Labels `json:"labels"`
}

func mustLoadBuiltin() map[string][]Term {
	var raw map[string][]struct {
		Code string `json:"code"`
		Labels
	}
	if err := json.Unmarshal(builtinJSON, &raw); err != nil {
		panic(fmt.Sprintf("record: built-in vocabularies: %v", err))
	}
	out := make(map[string][]Term, len(raw))
	for vocab, entries := range raw {
		for _, e := range entries {
			out[vocab] = append(out[vocab], Term{Vocab: vocab, Code: e.Code, Labels: e.Labels})
		}
	}
	return out
}

// Vocabularies returns the names of the built-in vocabularies, sorted.
func Vocabularies() []string {
	names := make([]string, 0, len(builtin))
	for name := range builtin {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}

// BuiltinTerms returns the built-in terms of a vocabulary, in their
// conventional order. The slice is a copy.
func BuiltinTerms(vocab string) []Term {
	return append([]Term(nil), builtin[vocab]...)
}

// BuiltinTerm looks up a built-in term.
func BuiltinTerm(vocab, code string) (Term, bool) {
	for _, t := range builtin[vocab] {
		if t.Code == code {
			return t, true
		}
	}
	return Term{}, false
}

// TermRef is a use of a vocabulary code inside a record, named by the field
// that holds it so that an unknown code can be reported precisely.
type TermRef struct {
	Field string
	Vocab string
	Code  string
}
