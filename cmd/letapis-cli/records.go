package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/letapis/letapis/storage"
	"github.com/letapis/letapis/storage/record"
)

// Kinds a reference may point to.
var (
	toPerson     = []record.Kind{record.KindPerson}
	toAttachment = []record.Kind{record.KindAttachment}
	toSource     = []record.Kind{record.KindTestimony, record.KindAttachment}
	toAny        []record.Kind
)

const fromJSONHelp = `

--from-json reads the whole record as JSON (the "body" of 'show --json'
also works); flags given with it then change that record.`

const editHelp = `

Only the fields whose flags are given change. A repeatable flag replaces
the whole list; an empty value ("") clears a field or a list.`

func init() {
	register(
		&command{name: "person add", summary: "document a person", group: groupRecords,
			about: `Document a person, usually someone detained. The first spelling of the
name comes from --given, --patronymic, --family and --script; add further
spellings (Russian Cyrillic, Łacinka, passport and BGN romanisations) with
--also. Prints the new record's id.

Example:
  letapis-cli person add --given Алесь --patronymic Віктаравіч \
      --family Бяляцкі --script be-cyrl --also "Ales||Bialiatski|passport" \
      --birth 1962-09-25 --gender male --status convicted \
      --claim "political-prisoner|Viasna|2021-07-15"` + fromJSONHelp,
			run: recordCmd(modeAdd, personFields)},
		&command{name: "person edit", args: "ID", summary: "change a person's fields", group: groupRecords,
			about: "Change fields of the person ID." + editHelp + fromJSONHelp,
			run:   recordCmd(modeEdit, personFields)},
		&command{name: "case add", summary: "record a detention and prosecution of a person", group: groupRecords,
			about: `Record a case: one detention of a person and the prosecution that goes
with it. --person is required. Prints the new record's id.

Example:
  letapis-cli case add --person 3fj2 --arrested 2021-07-14 \
      --detaining-body KGB --charge "Criminal Code 228" \
      --facility "SIZO-1 Minsk|sizo|2021-07-14|2023-03-03"` + fromJSONHelp,
			run: recordCmd(modeAdd, caseFields)},
		&command{name: "case edit", args: "ID", summary: "change a case's fields", group: groupRecords,
			about: "Change fields of the case ID." + editHelp + fromJSONHelp,
			run:   recordCmd(modeEdit, caseFields)},
		&command{name: "incident add", summary: "record a violation: what was done to whom", group: groupRecords,
			about: `Record an incident: a violation of a type from the vocabulary, when and
where, against which people (--victim, at least one), by whom, and the
testimonies or attachments that document it (--source). Prints the new
record's id.` + fromJSONHelp,
			run: recordCmd(modeAdd, incidentFields)},
		&command{name: "incident edit", args: "ID", summary: "change an incident's fields", group: groupRecords,
			about: "Change fields of the incident ID." + editHelp + fromJSONHelp,
			run:   recordCmd(modeEdit, incidentFields)},
		&command{name: "testimony add", summary: "record a testimony (a draft until sealed)", group: groupRecords,
			about: `Record a testimony. --interviewee, the consent (--consent, at least one
scope) and the text are required; the text comes from --text, or from
--text-file FILE, or from standard input with --text-file -. The
testimony stays a draft that can be edited until it is sealed. Prints the
new record's id.

Prefer --text-file - to --text for anything sensitive: command lines are
kept in shell history and can be seen by other programs on the computer.

Example:
  letapis-cli testimony add --interviewee "Witness A" --relation cellmate \
      --about 3fj2 --consent legal --consent un-osce --language be \
      --violation shizo --text-file interview.txt` + fromJSONHelp,
			run: recordCmd(modeAdd, testimonyFields)},
		&command{name: "testimony edit", args: "ID", summary: "change a draft testimony", group: groupRecords,
			about: "Change fields of the draft testimony ID. A sealed testimony cannot be\nchanged: amend it instead." + editHelp + fromJSONHelp,
			run:   recordCmd(modeEdit, testimonyFields)},
		&command{name: "testimony seal", args: "ID", summary: "make a testimony immutable evidence", group: groupRecords,
			about: `Seal the testimony ID: its content is fixed under a SHA-256 hash and this
device's signature, and it can never be changed again; corrections become
amendments ('testimony amend'). Asks for confirmation unless --yes is given.
Prints the id.`,
			run: cmdSeal},
		&command{name: "testimony amend", args: "ID", summary: "correct a sealed testimony with a linked amendment", group: groupRecords,
			about: `Add an amendment to the sealed testimony ID: a new testimony linked to it
that starts from its fields, with the corrected text (--text or
--text-file, required) and any other flags applied. The sealed testimony
itself does not change. Prints the amendment's id.`,
			run: recordCmd(modeAmend, testimonyFields)},
		&command{name: "note add", summary: "write a note, optionally about a record", group: groupRecords,
			about: "Write a note: free text, optionally about a record (--about) and dated.\nPrints the new record's id." + fromJSONHelp,
			run:   recordCmd(modeAdd, noteFields)},
		&command{name: "note edit", args: "ID", summary: "change a note", group: groupRecords,
			about: "Change the note ID." + editHelp + fromJSONHelp,
			run:   recordCmd(modeEdit, noteFields)},
	)
}

// ---------------------------------------------------------------------------
// Fields of each kind

func firstName(p *record.Person) *record.Name {
	if len(p.Names) == 0 {
		p.Names = []record.Name{{}}
	}
	return &p.Names[0]
}

func parseName(s string) (record.Name, error) {
	f, err := splitFields(s, 3, 4, `"Given|Patronymic|Family" or "Given|Patronymic|Family|script"`)
	if err != nil {
		return record.Name{}, err
	}
	return record.Name{Given: f[0], Patronymic: f[1], Family: f[2], Script: f[3]}, nil
}

func parseClaim(s string) (record.Claim, error) {
	f, err := splitFields(s, 2, 4, `"type|by", "type|by|date" or "type|by|date|source"`)
	if err != nil {
		return record.Claim{}, err
	}
	on, err := record.ParseDate(f[2])
	if err != nil {
		return record.Claim{}, err
	}
	return record.Claim{Type: f[0], By: f[1], On: on, Source: f[3]}, nil
}

func parseSpell(s string) (record.Spell, error) {
	f, err := splitFields(s, 1, 4, `"facility|kind|from|to" (kind and dates may be left empty)`)
	if err != nil {
		return record.Spell{}, err
	}
	from, err := record.ParseDate(f[2])
	if err != nil {
		return record.Spell{}, err
	}
	to, err := record.ParseDate(f[3])
	if err != nil {
		return record.Spell{}, err
	}
	return record.Spell{Facility: f[0], Kind: f[1], From: from, To: to}, nil
}

func personFields(f *fields[record.Person]) {
	type P = record.Person
	f.str("given", "names[0]", "given `NAME` of the first spelling", func(p *P) *string { return &firstName(p).Given })
	f.str("patronymic", "names[0]", "`PATRONYMIC` of the first spelling", func(p *P) *string { return &firstName(p).Patronymic })
	f.str("family", "names[0]", "family `NAME` of the first spelling", func(p *P) *string { return &firstName(p).Family })
	f.code("script", "names[0].script", record.VocabScript, "`SCRIPT` of the first spelling", func(p *P) *string { return &firstName(p).Script })
	also := &parsedList[record.Name]{parse: parseName}
	f.add("also", "names", also, "a further `SPELLING` of the name as \"Given|Patronymic|Family|script\"; parts may be empty",
		func(p *P, _ *applyCtx) error {
			first := *firstName(p)
			p.Names = append([]record.Name{first}, also.items...)
			return nil
		})
	f.hints["names"] = "set the name with --given and --family"
	f.hints["names[0]"] = "set it with --given and --family"
	f.date("birth", "birth", "birth `DATE`", func(p *P) *record.Date { return &p.Birth })
	f.code("gender", "gender", record.VocabGender, "the person's `GENDER`", func(p *P) *string { return &p.Gender })
	f.code("status", "status", record.VocabStatus, "current `STATUS`", func(p *P) *string { return &p.Status })
	f.str("region", "region", "home `REGION` or town", func(p *P) *string { return &p.Region })
	f.str("occupation", "occupation", "what the person does or did (`TEXT`)", func(p *P) *string { return &p.Occupation })
	f.str("health", "health", "notes on the person's health (`TEXT`)", func(p *P) *string { return &p.Health })
	claims := &parsedList[record.Claim]{parse: parseClaim}
	f.add("claim", "claims", claims, "a `CLAIM` about the person as \"type|by|date|source\", e.g. \"political-prisoner|Viasna|2021-07-15\" (types: "+strings.TrimPrefix(codeList(record.VocabClaim), "one of: ")+")",
		func(p *P, _ *applyCtx) error { p.Claims = claims.items; return nil })
	f.vocabs["claim"] = record.VocabClaim
	f.codes("humanitarian", "humanitarian", record.VocabHumanitarian, "a humanitarian concern (`CODE`)", func(p *P) *[]string { return &p.Humanitarian })
	f.strs("link", "links", "external id or `URL`", func(p *P) *[]string { return &p.Links })
	f.date("last-lawyer-contact", "last_lawyer_contact", "`DATE` of the last known contact with a lawyer", func(p *P) *record.Date { return &p.LastLawyerContact })
	f.date("last-family-contact", "last_family_contact", "`DATE` of the last known contact with the family", func(p *P) *record.Date { return &p.LastFamilyContact })
}

func caseFields(f *fields[record.Case]) {
	type C = record.Case
	f.ref("person", "person", "the detained person's record `ID` (required)", toPerson, func(c *C) *string { return &c.Person })
	f.date("arrested", "arrested", "arrest `DATE`", func(c *C) *record.Date { return &c.Arrested })
	f.str("arrest-place", "arrest_place", "where the arrest happened (`PLACE`)", func(c *C) *string { return &c.ArrestPlace })
	f.str("detaining-body", "detaining_body", "who made the arrest (`BODY`), e.g. KGB, GUBOPiK", func(c *C) *string { return &c.DetainingBody })
	f.strs("charge", "charges", "a charge: code and `ARTICLE`, e.g. \"Criminal Code 342\"", func(c *C) *[]string { return &c.Charges })
	f.str("court", "court", "the court (`NAME`)", func(c *C) *string { return &c.Court })
	f.str("judge", "judge", "the judge's `NAME`", func(c *C) *string { return &c.Judge })
	f.str("prosecutor", "prosecutor", "the prosecutor's `NAME`", func(c *C) *string { return &c.Prosecutor })
	f.date("verdict", "verdict", "verdict `DATE`", func(c *C) *record.Date { return &c.Verdict })
	f.str("sentence", "sentence", "`SENTENCE`, e.g. \"10 years\"", func(c *C) *string { return &c.Sentence })
	f.str("regime", "regime", "prison regime (`TEXT`)", func(c *C) *string { return &c.Regime })
	spells := &parsedList[record.Spell]{parse: parseSpell}
	f.add("facility", "facilities", spells, "a place of detention (`FACILITY`) as \"name|kind|from|to\" (kinds: "+strings.TrimPrefix(codeList(record.VocabFacilityKind), "one of: ")+")",
		func(c *C, _ *applyCtx) error { c.Facilities = spells.items; return nil })
	f.vocabs["facility"] = record.VocabFacilityKind
	f.date("released", "released", "release `DATE`", func(c *C) *record.Date { return &c.Released })
}

func incidentFields(f *fields[record.Incident]) {
	type I = record.Incident
	f.code("type", "type", record.VocabIncidentType, "what happened (`CODE`)", func(in *I) *string { return &in.Type })
	f.date("from", "period.from", "start `DATE`", func(in *I) *record.Date { return &in.From })
	f.date("to", "period.to", "end `DATE`", func(in *I) *record.Date { return &in.To })
	f.str("place", "place", "`PLACE`", func(in *I) *string { return &in.Place })
	f.refs("victim", "victims", "record `ID` of a person it was done to", toPerson, func(in *I) *[]string { return &in.Victims })
	f.strs("perpetrator", "perpetrators", "a person, unit or body responsible (`NAME`)", func(in *I) *[]string { return &in.Perpetrators })
	f.refs("source", "sources", "record `ID` of a testimony or attachment documenting it", toSource, func(in *I) *[]string { return &in.Sources })
	f.text("description", "description", "description", func(in *I) *string { return &in.Description })
}

func testimonyFields(f *fields[record.Testimony]) {
	type T = record.Testimony
	f.str("interviewee", "interviewee", "who gave the testimony (`NAME` or pseudonym)", func(t *T) *string { return &t.Interviewee })
	f.ref("person", "person", "the interviewee's person record `ID`, if documented", toPerson, func(t *T) *string { return &t.Person })
	f.code("relation", "relation", record.VocabRelation, "the interviewee's `RELATION` to the victim", func(t *T) *string { return &t.Relation })
	f.str("interviewer", "interviewer", "who took it (`NAME`)", func(t *T) *string { return &t.Interviewer })
	f.date("date", "date", "`DATE` of the interview", func(t *T) *record.Date { return &t.Date })
	f.str("place", "place", "`PLACE` of the interview (sensitive)", func(t *T) *string { return &t.Place })
	f.str("language", "language", "`LANGUAGE` as a BCP 47 tag, e.g. be, ru, en", func(t *T) *string { return &t.Language })
	f.codes("consent", "consent.scopes", record.VocabConsentScope, "a use the interviewee agreed to (`SCOPE`)", func(t *T) *[]string { return &t.Consent.Scopes })
	f.date("embargo", "consent.embargo", "no use outside the team before this `DATE`", func(t *T) *record.Date { return &t.Consent.Embargo })
	f.date("withdrawn", "consent.withdrawn", "`DATE` the consent was withdrawn", func(t *T) *record.Date { return &t.Consent.Withdrawn })
	f.str("consent-explained", "consent.explained", "how consent was explained (`TEXT`)", func(t *T) *string { return &t.Consent.Explained })
	f.str("fears", "consent.fears", "risks the interviewee raised (`TEXT`)", func(t *T) *string { return &t.Consent.Fears })
	f.code("sensitivity", "sensitivity", record.VocabSensitivity, "how sensitive it is (`LEVEL`)", func(t *T) *string { return &t.Sensitivity })
	f.refs("about", "about", "record `ID` of a person the testimony is about", toPerson, func(t *T) *[]string { return &t.About })
	f.codes("violation", "violations", record.VocabIncidentType, "a violation it describes (`CODE`)", func(t *T) *[]string { return &t.Violations })
	f.refs("attachment", "attachments", "record `ID` of an attachment (recording, scan)", toAttachment, func(t *T) *[]string { return &t.Attachments })
	f.str("audience", "audience", "restricted audience `ID` that alone can read it (see 'audience list'; default: the whole team)", func(t *T) *string { return &t.Audience })
	f.text("text", "text", "testimony", func(t *T) *string { return &t.Text })
}

func noteFields(f *fields[record.Note]) {
	type N = record.Note
	f.ref("about", "about", "record `ID` the note is about", toAny, func(n *N) *string { return &n.About })
	f.date("date", "date", "`DATE` of what the note tells", func(n *N) *record.Date { return &n.Date })
	f.text("text", "text", "note", func(n *N) *string { return &n.Text })
}

// ---------------------------------------------------------------------------
// add, edit, amend

type mode int

const (
	modeAdd mode = iota
	modeEdit
	modeAmend
)

// recordCmd returns the command that adds (edits, amends) a record of the
// kind of T with the flags define binds.
func recordCmd[T any, PT interface {
	*T
	record.Body
}](m mode, define func(*fields[T])) func(a *app, c *command, args []string) error {
	return func(a *app, c *command, args []string) error {
		fs := a.flagSet(c)
		f := newFields[T](fs)
		define(f)
		fromJSON := fs.String("from-json", "", "read the whole record from JSON in `FILE` (- for standard input)")
		a.flagOrder = append(f.order, "from-json")
		n := 0
		if m != modeAdd {
			n = 1
		}
		pos, err := a.parse(c, fs, args, n, n)
		if err != nil {
			return err
		}
		if err := f.check(c); err != nil {
			return err
		}
		kind := PT(new(T)).Kind()
		if m == modeEdit && len(f.given()) == 0 && *fromJSON == "" {
			return usageErr(c, "nothing to change: give the flags of the fields to change")
		}
		if m == modeAmend && !setAny(fs, "text", "text-file", "from-json") {
			return usageErr(c, "an amendment needs the corrected text: --text or --text-file")
		}
		return a.withVault(func(v *storage.Vault) error {
			ctx := &applyCtx{a: a, v: v}
			body := new(T)
			var id string
			var old []byte
			if m != modeAdd {
				if id, err = ctx.ref("", pos[0], kind); err != nil {
					return err
				}
				r, err := v.Get(id)
				if err != nil {
					return err
				}
				switch {
				case m == modeEdit && r.Sealed:
					return fmt.Errorf("testimony %s is sealed and cannot be changed; correct it with 'letapis-cli testimony amend %s'", id, id)
				case m == modeAmend && !r.Sealed:
					return fmt.Errorf("testimony %s is a draft: edit it with 'letapis-cli testimony edit %s' (only sealed testimonies are amended)", id, id)
				}
				b, err := r.Decode()
				if err != nil {
					return err
				}
				body = (*T)(b.(PT))
				old = r.Body
			}
			if *fromJSON != "" {
				if body, err = readJSONBody[T](ctx, *fromJSON, kind); err != nil {
					return err
				}
			}
			if m == modeAmend {
				t := any(body).(*record.Testimony)
				t.Amends = ""
				if !setAny(fs, "from-json") {
					t.Text = ""
				}
			}
			if err := f.apply(body, ctx); err != nil {
				return err
			}
			var rec *storage.Record
			switch m {
			case modeAdd:
				rec, err = v.Add(PT(body))
			case modeEdit:
				if now, err := json.Marshal(body); err == nil && bytes.Equal(now, old) {
					a.printf("nothing changed")
					return a.printID(id)
				}
				rec, err = v.Update(id, PT(body))
			case modeAmend:
				rec, err = v.Amend(id, any(body).(*record.Testimony))
			}
			if err != nil {
				return f.explain(err)
			}
			return a.printID(rec.ID)
		})
	}
}

// setAny reports whether any of the named flags was given.
func setAny(fs *flag.FlagSet, names ...string) bool {
	found := false
	fs.Visit(func(f *flag.Flag) {
		for _, n := range names {
			found = found || f.Name == n
		}
	})
	return found
}

// readJSONBody reads a record body of kind k from a JSON file (- for
// standard input). The output of 'show --json', a record with its body,
// is accepted too.
func readJSONBody[T any](c *applyCtx, path string, k record.Kind) (*T, error) {
	data, err := readJSONData(c, path, k)
	if err != nil {
		return nil, err
	}
	body := new(T)
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(body); err != nil {
		return nil, fmt.Errorf("--from-json: not a %s record: %v", k, err)
	}
	return body, nil
}

// readJSONData reads the JSON of a record body of kind k for --from-json,
// taking the body out of the output of 'show --json'.
func readJSONData(c *applyCtx, path string, k record.Kind) ([]byte, error) {
	var r io.Reader
	if path == "-" {
		if c.stdinUsed != "" {
			return nil, fmt.Errorf("--from-json and --%s cannot both read standard input", c.stdinUsed)
		}
		c.stdinUsed = "from-json"
		r = c.a.stdin
	} else {
		f, err := os.Open(path)
		if err != nil {
			return nil, fmt.Errorf("--from-json: %w", err)
		}
		defer f.Close()
		r = f
	}
	data, err := io.ReadAll(io.LimitReader(r, maxTextBytes+1))
	if err != nil {
		return nil, fmt.Errorf("--from-json: %w", err)
	}
	var wrapped struct {
		Kind record.Kind     `json:"kind"`
		Body json.RawMessage `json:"body"`
	}
	if json.Unmarshal(data, &wrapped) == nil && wrapped.Kind != "" && len(wrapped.Body) > 0 {
		if wrapped.Kind != k {
			return nil, fmt.Errorf("--from-json: the JSON is %s record, not %s", withArticle(string(wrapped.Kind)), withArticle(string(k)))
		}
		data = wrapped.Body
	}
	return data, nil
}

// ---------------------------------------------------------------------------
// seal, delete

func cmdSeal(a *app, c *command, args []string) error {
	fs := a.flagSet(c)
	pos, err := a.parse(c, fs, args, 1, 1)
	if err != nil {
		return err
	}
	return a.withVault(func(v *storage.Vault) error {
		ctx := &applyCtx{a: a, v: v}
		id, err := ctx.ref("", pos[0], record.KindTestimony)
		if err != nil {
			return err
		}
		r, err := v.Get(id)
		if err != nil {
			return err
		}
		if r.Sealed {
			return fmt.Errorf("testimony %s is already sealed", id)
		}
		if err := a.confirm("seal testimony "+id, "Sealing cannot be undone; corrections will be amendments. Seal?"); err != nil {
			return err
		}
		r, err = v.Seal(id)
		if err != nil {
			return err
		}
		if !a.json {
			a.printf("sealed testimony %s; SHA-256 of the sealed content: %s", id, r.SealHash)
		}
		return a.printID(id)
	})
}

// titleOf returns the list title of a live record, or "".
func titleOf(r *storage.Record) string {
	b, err := r.Decode()
	if err != nil {
		return ""
	}
	return record.Title(b)
}
