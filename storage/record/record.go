// Package record defines what Letapis documents: people, their cases,
// incidents (violations), testimonies, notes, attachments and the
// vocabulary terms they refer to.
//
// The types follow the HURIDOCS Events Standard Formats ("who did what to
// whom") and the fields Belarusian political-prisoner databases keep. Dates
// are partial (Date), statuses such as "recognised as a political prisoner"
// are claims made by someone on some date (Claim), and every vocabulary code
// carries labels in English, Belarusian and Russian (Term).
//
// This package knows nothing about storage or encryption: a Body is plain
// data with a Validate method that names the field at fault.
package record

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// Kind names a kind of record.
type Kind string

// The record kinds.
const (
	KindPerson     Kind = "person"
	KindCase       Kind = "case"
	KindIncident   Kind = "incident"
	KindTestimony  Kind = "testimony"
	KindNote       Kind = "note"
	KindAttachment Kind = "attachment"
	KindTerm       Kind = "term"
)

// Kinds lists every kind, in the order a user meets them.
var Kinds = []Kind{KindPerson, KindCase, KindIncident, KindTestimony, KindNote, KindAttachment, KindTerm}

// ParseKind returns the kind named s.
func ParseKind(s string) (Kind, error) {
	for _, k := range Kinds {
		if string(k) == s {
			return k, nil
		}
	}
	names := make([]string, len(Kinds))
	for i, k := range Kinds {
		names[i] = string(k)
	}
	return "", fmt.Errorf("unknown record kind %q (one of: %s)", s, strings.Join(names, ", "))
}

// SchemaVersion is the body schema version this build writes for every
// kind. A revision with a higher version came from a newer client: it is
// kept intact and shown read-only, never rewritten.
const SchemaVersion = 1

// Body is the content of a record of one kind.
type Body interface {
	// Kind returns the record kind the body belongs to.
	Kind() Kind
	// Validate reports the first field that is missing or malformed, as a
	// *FieldError. It does not check vocabulary codes; see Terms.
	Validate() error
	// Terms lists the vocabulary codes the body uses, so that a caller that
	// knows the team's vocabularies can check them.
	Terms() []TermRef
}

// New returns an empty body of kind k.
func New(k Kind) (Body, error) {
	switch k {
	case KindPerson:
		return &Person{}, nil
	case KindCase:
		return &Case{}, nil
	case KindIncident:
		return &Incident{}, nil
	case KindTestimony:
		return &Testimony{}, nil
	case KindNote:
		return &Note{}, nil
	case KindAttachment:
		return &Attachment{}, nil
	case KindTerm:
		return &Term{}, nil
	}
	return nil, fmt.Errorf("unknown record kind %q", k)
}

// Decode parses a JSON body of kind k, refusing fields this version does
// not know, and validates it.
func Decode(k Kind, data []byte) (Body, error) {
	b, err := New(k)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(strings.NewReader(string(data)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(b); err != nil {
		return nil, fmt.Errorf("%s: %w", k, err)
	}
	if err := b.Validate(); err != nil {
		return nil, err
	}
	return b, nil
}

// FieldError says which field of a record is wrong and why.
type FieldError struct {
	Kind    Kind
	Field   string // e.g. "names[0].family"
	Problem string // e.g. "is empty"
}

func (e *FieldError) Error() string {
	return fmt.Sprintf("%s: %s %s", e.Kind, e.Field, e.Problem)
}

func fieldErr(k Kind, field, format string, args ...any) error {
	return &FieldError{Kind: k, Field: field, Problem: fmt.Sprintf(format, args...)}
}

// idPattern matches record ids as the vault makes them (see storage.NewID).
var idPattern = regexp.MustCompile(`^[a-z2-7]{26}$`)

// IsID reports whether s has the form of a record id.
func IsID(s string) bool { return idPattern.MatchString(s) }

// checkIDs validates a list of record references.
func checkIDs(k Kind, field string, ids []string, required bool) error {
	if required && len(ids) == 0 {
		return fieldErr(k, field, "needs at least one record id")
	}
	for i, id := range ids {
		if !IsID(id) {
			return fieldErr(k, fmt.Sprintf("%s[%d]", field, i), "%q is not a record id", id)
		}
	}
	return nil
}

func checkID(k Kind, field, id string, required bool) error {
	if id == "" {
		if required {
			return fieldErr(k, field, "is empty")
		}
		return nil
	}
	if !IsID(id) {
		return fieldErr(k, field, "%q is not a record id", id)
	}
	return nil
}

func checkDate(k Kind, field string, d Date) error {
	if err := d.validate(); err != nil {
		return fieldErr(k, field, "%v", err)
	}
	return nil
}

func checkRange(k Kind, field string, from, to Date) error {
	if err := checkDate(k, field+".from", from); err != nil {
		return err
	}
	if err := checkDate(k, field+".to", to); err != nil {
		return err
	}
	if !from.IsZero() && !to.IsZero() && to.Before(from) {
		return fieldErr(k, field+".to", "%s is before the start %s", to, from)
	}
	return nil
}

// term returns the reference for a single-valued vocabulary field.
func term(field, vocab, code string) []TermRef {
	if code == "" {
		return nil
	}
	return []TermRef{{Field: field, Vocab: vocab, Code: code}}
}

// termList returns the references for a list-valued vocabulary field.
func termList(field, vocab string, codes []string) []TermRef {
	refs := make([]TermRef, 0, len(codes))
	for i, c := range codes {
		refs = append(refs, TermRef{Field: fmt.Sprintf("%s[%d]", field, i), Vocab: vocab, Code: c})
	}
	return refs
}

// Title returns a one-line label for a record in lists: a person's name, a
// testimony's interviewee and date, the start of a note.
func Title(b Body) string {
	switch b := b.(type) {
	case *Person:
		return b.DisplayName()
	case *Case:
		return joinNonEmpty(" · ", b.Arrested.String(), strings.Join(b.Charges, ", "), b.Sentence)
	case *Incident:
		t, _ := BuiltinTerm(VocabIncidentType, b.Type)
		label := t.Labels.En
		if label == "" {
			label = b.Type
		}
		return joinNonEmpty(" · ", label, b.From.String(), b.Place)
	case *Testimony:
		return joinNonEmpty(" · ", b.Interviewee, b.Date.String())
	case *Note:
		return firstLine(b.Text, 80)
	case *Attachment:
		return b.Name
	case *Term:
		return b.Vocab + "/" + b.Code + ": " + b.Labels.En
	}
	return ""
}

// PrimaryDate returns the date lists sort and filter a record by: a
// person's birth, a case's arrest, the start of an incident, a testimony's
// or note's date. It is the zero Date when unknown and for other kinds.
func PrimaryDate(b Body) Date {
	switch b := b.(type) {
	case *Person:
		return b.Birth
	case *Case:
		return b.Arrested
	case *Incident:
		return b.From
	case *Testimony:
		return b.Date
	case *Note:
		return b.Date
	}
	return Date{}
}

// Refs returns the ids of the records b refers to, each once, in the
// order of its fields: a case's person, an incident's victims and sources,
// a testimony's person, the people it is about, its attachments and the
// testimony it amends, what a note or an attachment is about. A
// restricted audience is not a record and is not included.
func Refs(b Body) []string {
	var ids []string
	switch b := b.(type) {
	case *Case:
		ids = []string{b.Person}
	case *Incident:
		ids = append(slices.Clone(b.Victims), b.Sources...)
	case *Testimony:
		ids = append([]string{b.Person}, b.About...)
		ids = append(append(ids, b.Attachments...), b.Amends)
	case *Note:
		ids = []string{b.About}
	case *Attachment:
		ids = slices.Clone(b.About)
	}
	seen := make(map[string]bool, len(ids))
	return slices.DeleteFunc(ids, func(id string) bool {
		dup := id == "" || seen[id]
		seen[id] = true
		return dup
	})
}

func joinNonEmpty(sep string, parts ...string) string {
	var keep []string
	for _, p := range parts {
		if p != "" {
			keep = append(keep, p)
		}
	}
	return strings.Join(keep, sep)
}

// firstLine returns the first line of s, cut to at most n runes.
func firstLine(s string, n int) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	// Count runes up to n+1 rather than converting the whole line: a
	// note's first line can be its whole text.
	runes, cut := 0, 0
	for i := range s {
		if runes == n-1 {
			cut = i
		}
		if runes++; runes > n {
			return string([]rune(s[:cut])) + "…"
		}
	}
	return s
}
