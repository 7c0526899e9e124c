package record

import (
	"fmt"
	"regexp"
	"strings"
)

// Person is someone the team documents, usually a detainee.
type Person struct {
	// Names holds every known spelling: Belarusian and Russian Cyrillic,
	// Łacinka, passport and BGN romanisations. The first is the display name.
	Names      []Name `json:"names"`
	Birth      Date   `json:"birth,omitzero"`
	Gender     string `json:"gender,omitempty"` // vocabulary "gender"
	Region     string `json:"region,omitempty"`
	Occupation string `json:"occupation,omitempty"`
	Status     string `json:"status,omitempty"` // vocabulary "status"
	// Claims are statements made by someone about the person, such as
	// recognition as a political prisoner by an NGO on a date.
	Claims []Claim `json:"claims,omitempty"`
	// Humanitarian lists codes of vocabulary "humanitarian".
	Humanitarian      []string `json:"humanitarian,omitempty"`
	Links             []string `json:"links,omitempty"` // external ids and URLs
	Health            string   `json:"health,omitempty"`
	LastLawyerContact Date     `json:"last_lawyer_contact,omitzero"`
	LastFamilyContact Date     `json:"last_family_contact,omitzero"`
}

// Name is one spelling of a person's name.
type Name struct {
	Given      string `json:"given,omitempty"`
	Patronymic string `json:"patronymic,omitempty"`
	Family     string `json:"family"`
	Script     string `json:"script,omitempty"` // vocabulary "script"
}

// String returns the name as "Given Patronymic Family".
func (n Name) String() string {
	return strings.Join(strings.Fields(n.Given+" "+n.Patronymic+" "+n.Family), " ")
}

// Claim is a statement about a person made by a named source on a date.
type Claim struct {
	Type   string `json:"type"` // vocabulary "claim"
	By     string `json:"by"`   // who makes the claim, e.g. an NGO
	On     Date   `json:"on,omitzero"`
	Source string `json:"source,omitempty"` // where it was published
}

// Kind implements Body.
func (*Person) Kind() Kind { return KindPerson }

// DisplayName returns the first name spelling, or "" if there is none.
func (p *Person) DisplayName() string {
	if len(p.Names) == 0 {
		return ""
	}
	return p.Names[0].String()
}

// Validate implements Body.
func (p *Person) Validate() error {
	const k = KindPerson
	if len(p.Names) == 0 {
		return fieldErr(k, "names", "needs at least one name")
	}
	for i, n := range p.Names {
		if strings.TrimSpace(n.Family) == "" && strings.TrimSpace(n.Given) == "" {
			return fieldErr(k, fmt.Sprintf("names[%d]", i), "has neither a given nor a family name")
		}
	}
	if err := checkDate(k, "birth", p.Birth); err != nil {
		return err
	}
	for i, c := range p.Claims {
		f := fmt.Sprintf("claims[%d]", i)
		if c.Type == "" {
			return fieldErr(k, f+".type", "is empty")
		}
		if strings.TrimSpace(c.By) == "" {
			return fieldErr(k, f+".by", "is empty: a claim needs the source that makes it")
		}
		if err := checkDate(k, f+".on", c.On); err != nil {
			return err
		}
	}
	if err := checkDate(k, "last_lawyer_contact", p.LastLawyerContact); err != nil {
		return err
	}
	return checkDate(k, "last_family_contact", p.LastFamilyContact)
}

// Terms implements Body.
func (p *Person) Terms() []TermRef {
	refs := term("gender", VocabGender, p.Gender)
	refs = append(refs, term("status", VocabStatus, p.Status)...)
	for i, n := range p.Names {
		refs = append(refs, term(fmt.Sprintf("names[%d].script", i), VocabScript, n.Script)...)
	}
	for i, c := range p.Claims {
		refs = append(refs, term(fmt.Sprintf("claims[%d].type", i), VocabClaim, c.Type)...)
	}
	return append(refs, termList("humanitarian", VocabHumanitarian, p.Humanitarian)...)
}

// Case is one detention of a person and the prosecution that goes with it.
type Case struct {
	Person        string   `json:"person"` // record id of the Person
	Arrested      Date     `json:"arrested,omitzero"`
	ArrestPlace   string   `json:"arrest_place,omitempty"`
	DetainingBody string   `json:"detaining_body,omitempty"`
	Charges       []string `json:"charges,omitempty"` // code articles, e.g. "Criminal Code 342"
	Court         string   `json:"court,omitempty"`
	Judge         string   `json:"judge,omitempty"`
	Prosecutor    string   `json:"prosecutor,omitempty"`
	Verdict       Date     `json:"verdict,omitzero"`
	Sentence      string   `json:"sentence,omitempty"`
	Regime        string   `json:"regime,omitempty"`
	Facilities    []Spell  `json:"facilities,omitempty"`
	Released      Date     `json:"released,omitzero"`
}

// Spell is a period a person spent in one place of detention.
type Spell struct {
	Facility string `json:"facility"`
	Kind     string `json:"kind,omitempty"` // vocabulary "facility-kind"
	From     Date   `json:"from,omitzero"`
	To       Date   `json:"to,omitzero"`
}

// Kind implements Body.
func (*Case) Kind() Kind { return KindCase }

// Validate implements Body.
func (c *Case) Validate() error {
	const k = KindCase
	if err := checkID(k, "person", c.Person, true); err != nil {
		return err
	}
	if err := checkDate(k, "arrested", c.Arrested); err != nil {
		return err
	}
	if err := checkDate(k, "verdict", c.Verdict); err != nil {
		return err
	}
	if err := checkDate(k, "released", c.Released); err != nil {
		return err
	}
	if !c.Arrested.IsZero() && !c.Released.IsZero() && c.Released.Before(c.Arrested) {
		return fieldErr(k, "released", "%s is before the arrest %s", c.Released, c.Arrested)
	}
	for i, s := range c.Facilities {
		f := fmt.Sprintf("facilities[%d]", i)
		if strings.TrimSpace(s.Facility) == "" {
			return fieldErr(k, f+".facility", "is empty")
		}
		if err := checkRange(k, f, s.From, s.To); err != nil {
			return err
		}
	}
	return nil
}

// Terms implements Body.
func (c *Case) Terms() []TermRef {
	var refs []TermRef
	for i, s := range c.Facilities {
		refs = append(refs, term(fmt.Sprintf("facilities[%d].kind", i), VocabFacilityKind, s.Kind)...)
	}
	return refs
}

// Incident is a violation: what was done, when, where, to whom and by whom.
type Incident struct {
	Type         string   `json:"type"` // vocabulary "incident-type"
	From         Date     `json:"from,omitzero"`
	To           Date     `json:"to,omitzero"`
	Place        string   `json:"place,omitempty"`
	Victims      []string `json:"victims"`                // Person record ids
	Perpetrators []string `json:"perpetrators,omitempty"` // names, units or bodies
	Sources      []string `json:"sources,omitempty"`      // Testimony or Attachment record ids
	Description  string   `json:"description,omitempty"`
}

// Kind implements Body.
func (*Incident) Kind() Kind { return KindIncident }

// Validate implements Body.
func (in *Incident) Validate() error {
	const k = KindIncident
	if in.Type == "" {
		return fieldErr(k, "type", "is empty")
	}
	if err := checkRange(k, "period", in.From, in.To); err != nil {
		return err
	}
	if err := checkIDs(k, "victims", in.Victims, true); err != nil {
		return err
	}
	return checkIDs(k, "sources", in.Sources, false)
}

// Terms implements Body.
func (in *Incident) Terms() []TermRef { return term("type", VocabIncidentType, in.Type) }

// Testimony is an account given by a victim, relative or witness. It is
// evidence: once sealed it never changes, and corrections are new
// testimonies that name it in Amends.
type Testimony struct {
	Interviewee string `json:"interviewee"`
	// Person is the record id of the interviewee, when documented.
	Person      string   `json:"person,omitempty"`
	Relation    string   `json:"relation,omitempty"` // vocabulary "relation"
	Interviewer string   `json:"interviewer,omitempty"`
	Date        Date     `json:"date,omitzero"`
	Place       string   `json:"place,omitempty"`
	Language    string   `json:"language,omitempty"` // BCP 47 tag, e.g. "be"
	Consent     Consent  `json:"consent"`
	Sensitivity string   `json:"sensitivity,omitempty"` // vocabulary "sensitivity"
	About       []string `json:"about,omitempty"`       // Person record ids
	Violations  []string `json:"violations,omitempty"`  // vocabulary "incident-type"
	Text        string   `json:"text"`
	Attachments []string `json:"attachments,omitempty"` // Attachment record ids
	// Amends is the id of the sealed testimony this one corrects.
	Amends string `json:"amends,omitempty"`
	// Audience, if set, is the id of a restricted audience: only its
	// members' devices receive a key that can read the testimony.
	Audience string `json:"audience,omitempty"`
}

// Consent records what the interviewee allowed to be done with the account.
type Consent struct {
	Scopes    []string `json:"scopes"`             // vocabulary "consent-scope"
	Embargo   Date     `json:"embargo,omitzero"`   // no use outside the team before this date
	Withdrawn Date     `json:"withdrawn,omitzero"` // when consent was withdrawn, if it was
	Explained string   `json:"explained,omitempty"`
	Fears     string   `json:"fears,omitempty"` // risks the interviewee raised
}

// Kind implements Body.
func (*Testimony) Kind() Kind { return KindTestimony }

// Validate implements Body.
func (t *Testimony) Validate() error {
	const k = KindTestimony
	if strings.TrimSpace(t.Interviewee) == "" {
		return fieldErr(k, "interviewee", "is empty")
	}
	if err := checkID(k, "person", t.Person, false); err != nil {
		return err
	}
	if err := checkDate(k, "date", t.Date); err != nil {
		return err
	}
	if len(t.Consent.Scopes) == 0 && t.Consent.Withdrawn.IsZero() {
		return fieldErr(k, "consent.scopes", "is empty: record what the interviewee agreed to")
	}
	if err := checkDate(k, "consent.embargo", t.Consent.Embargo); err != nil {
		return err
	}
	if err := checkDate(k, "consent.withdrawn", t.Consent.Withdrawn); err != nil {
		return err
	}
	if strings.TrimSpace(t.Text) == "" {
		return fieldErr(k, "text", "is empty")
	}
	if err := checkIDs(k, "about", t.About, false); err != nil {
		return err
	}
	if err := checkIDs(k, "attachments", t.Attachments, false); err != nil {
		return err
	}
	if err := checkID(k, "audience", t.Audience, false); err != nil {
		return err
	}
	return checkID(k, "amends", t.Amends, false)
}

// Terms implements Body.
func (t *Testimony) Terms() []TermRef {
	refs := term("relation", VocabRelation, t.Relation)
	refs = append(refs, term("sensitivity", VocabSensitivity, t.Sensitivity)...)
	refs = append(refs, termList("consent.scopes", VocabConsentScope, t.Consent.Scopes)...)
	return append(refs, termList("violations", VocabIncidentType, t.Violations)...)
}

// Note is free text about any record: a hearing, a letter sent, a follow-up.
type Note struct {
	About string `json:"about,omitempty"` // record id
	Date  Date   `json:"date,omitzero"`
	Text  string `json:"text"`
}

// Kind implements Body.
func (*Note) Kind() Kind { return KindNote }

// Validate implements Body.
func (n *Note) Validate() error {
	const k = KindNote
	if err := checkID(k, "about", n.About, false); err != nil {
		return err
	}
	if err := checkDate(k, "date", n.Date); err != nil {
		return err
	}
	if strings.TrimSpace(n.Text) == "" {
		return fieldErr(k, "text", "is empty")
	}
	return nil
}

// Terms implements Body.
func (*Note) Terms() []TermRef { return nil }

// Attachment describes an imported file. The file itself is kept encrypted
// beside the store; SHA256 is the hash of its plaintext taken at import, for
// the chain of custody.
type Attachment struct {
	Name      string `json:"name"`
	MediaType string `json:"media_type"`
	Size      int64  `json:"size"`
	SHA256    string `json:"sha256"`
	Blob      string `json:"blob"` // storage name of the encrypted file
	// Parts are the SHA-256 ids of the encrypted file cut into PartSize
	// pieces, in order: how it travels through a relay. Being signed with
	// the record, they let a receiver detect a swapped or damaged part and
	// resume a transfer at the first missing one.
	Parts []string `json:"parts"`
	About []string `json:"about,omitempty"`
	// Audience, if set, is the id of the restricted audience the file and
	// its record are encrypted to (see Testimony.Audience).
	Audience string `json:"audience,omitempty"`
}

// PartSize is the size of every part of an attachment file of more than one
// part: padded files (version 2) fill their last part too, files of
// version 1 may end in a shorter one.
const PartSize = 4 << 20

var hexSHA256 = regexp.MustCompile(`^[0-9a-f]{64}$`)

// Kind implements Body.
func (*Attachment) Kind() Kind { return KindAttachment }

// Validate implements Body.
func (a *Attachment) Validate() error {
	const k = KindAttachment
	switch {
	case strings.TrimSpace(a.Name) == "":
		return fieldErr(k, "name", "is empty")
	case a.MediaType == "":
		return fieldErr(k, "media_type", "is empty")
	case a.Size < 0:
		return fieldErr(k, "size", "is negative")
	case !hexSHA256.MatchString(a.SHA256):
		return fieldErr(k, "sha256", "is not 64 lower-case hex digits")
	case !IsID(a.Blob):
		return fieldErr(k, "blob", "%q is not a blob id", a.Blob)
	case len(a.Parts) == 0:
		return fieldErr(k, "parts", "is empty")
	}
	for i, p := range a.Parts {
		if !hexSHA256.MatchString(p) {
			return fieldErr(k, fmt.Sprintf("parts[%d]", i), "is not 64 lower-case hex digits")
		}
	}
	if err := checkID(k, "audience", a.Audience, false); err != nil {
		return err
	}
	return checkIDs(k, "about", a.About, false)
}

// Terms implements Body.
func (*Attachment) Terms() []TermRef { return nil }

var codePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,63}$`)

// Kind implements Body.
func (*Term) Kind() Kind { return KindTerm }

// Validate implements Body.
func (t *Term) Validate() error {
	const k = KindTerm
	switch {
	case !codePattern.MatchString(t.Vocab):
		return fieldErr(k, "vocab", "%q is not a vocabulary name (lower-case letters, digits, hyphens)", t.Vocab)
	case !codePattern.MatchString(t.Code):
		return fieldErr(k, "code", "%q is not a code (lower-case letters, digits, hyphens)", t.Code)
	case strings.TrimSpace(t.Labels.En) == "":
		return fieldErr(k, "labels.en", "is empty")
	}
	return nil
}

// Terms implements Body.
func (*Term) Terms() []TermRef { return nil }
