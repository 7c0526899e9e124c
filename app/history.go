package app

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"slices"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/letapis/letapis/storage"
	"github.com/letapis/letapis/storage/envelope"
	"github.com/letapis/letapis/storage/hlc"
	"github.com/letapis/letapis/storage/record"
)

// fieldKind says how the value of a record field is shown.
type fieldKind int

const (
	fieldText   fieldKind = iota // a string
	fieldLong                    // a long text: named as changed, both versions on demand
	fieldDate                    // a partial date
	fieldCode                    // a vocabulary code
	fieldCodes                   // a list of vocabulary codes
	fieldNames                   // the spellings of a person's name
	fieldClaims                  // claims about a person
	fieldRef                     // a record id
	fieldRefs                    // a list of record ids
	fieldList                    // a list of strings
	fieldOther                   // anything else, shown as JSON
)

// fieldSpec describes a record field for the history and conflict views.
type fieldSpec struct {
	key   string // JSON name; "consent.scopes" for a field of a nested object
	label string // English key, as the forms and the detail view label it
	kind  fieldKind
	vocab string // for fieldCode and fieldCodes
}

// kindFields are the fields of the kinds the app has forms for, in the
// order the detail view shows them. Fields of other kinds, and fields not
// listed, are labelled with their JSON name; fieldOther values are shown as
// JSON.
var kindFields = map[record.Kind][]fieldSpec{
	record.KindPerson: {
		{"names", "Name", fieldNames, ""},
		{"status", "Status", fieldCode, record.VocabStatus},
		{"birth", "Birth date", fieldDate, ""},
		{"gender", "Gender", fieldCode, record.VocabGender},
		{"region", "Region", fieldText, ""},
		{"occupation", "Occupation", fieldText, ""},
		{"humanitarian", "Humanitarian", fieldCodes, record.VocabHumanitarian},
		{"health", "Health", fieldLong, ""},
		{"last_lawyer_contact", "Last contact with a lawyer", fieldDate, ""},
		{"last_family_contact", "Last contact with family", fieldDate, ""},
		{"claims", "Claims", fieldClaims, ""},
		{"links", "Links", fieldList, ""},
	},
	record.KindTestimony: {
		{"interviewee", "Interviewee", fieldText, ""},
		{"person", "Interviewee's record", fieldRef, ""},
		{"relation", "Relation", fieldCode, record.VocabRelation},
		{"interviewer", "Interviewer", fieldText, ""},
		{"date", "Date", fieldDate, ""},
		{"place", "Place", fieldText, ""},
		{"language", "Language", fieldText, ""},
		{"consent.scopes", "Consent", fieldCodes, record.VocabConsentScope},
		{"consent.embargo", "Embargo until", fieldDate, ""},
		{"consent.withdrawn", "Consent withdrawn", fieldDate, ""},
		{"consent.explained", "How consent was explained", fieldLong, ""},
		{"consent.fears", "Fears raised", fieldLong, ""},
		{"sensitivity", "Sensitivity", fieldCode, record.VocabSensitivity},
		{"about", "Concerns", fieldRefs, ""},
		{"violations", "Violations", fieldCodes, record.VocabIncidentType},
		{"text", "Text", fieldLong, ""},
		{"attachments", "Attachments", fieldRefs, ""},
		{"amends", "Amends", fieldRef, ""},
		{"audience", "Restricted audience", fieldText, ""},
	},
	record.KindNote: {
		{"about", "Concerns", fieldRef, ""},
		{"date", "Date", fieldDate, ""},
		{"text", "Text", fieldLong, ""},
	},
	record.KindCase: {
		{"person", "Person", fieldRef, ""},
		{"arrested", "Arrest date", fieldDate, ""},
		{"arrest_place", "Arrest place", fieldText, ""},
		{"detaining_body", "Detaining body", fieldText, ""},
		{"charges", "Charges", fieldList, ""},
		{"court", "Court", fieldText, ""},
		{"judge", "Judge", fieldText, ""},
		{"prosecutor", "Prosecutor", fieldText, ""},
		{"verdict", "Verdict date", fieldDate, ""},
		{"sentence", "Sentence", fieldText, ""},
		{"regime", "Regime", fieldText, ""},
		{"facilities", "Places of detention", fieldOther, ""},
		{"released", "Release date", fieldDate, ""},
	},
	record.KindIncident: {
		{"type", "Type", fieldCode, record.VocabIncidentType},
		{"from", "From", fieldDate, ""},
		{"to", "To", fieldDate, ""},
		{"place", "Place", fieldText, ""},
		{"victims", "Victims", fieldRefs, ""},
		{"perpetrators", "Perpetrators", fieldList, ""},
		{"sources", "Sources", fieldRefs, ""},
		{"description", "Description", fieldLong, ""},
	},
}

// specOf returns the description of field key of kind k.
func specOf(k record.Kind, key string) fieldSpec {
	for _, f := range kindFields[k] {
		if f.key == key {
			return f
		}
	}
	return fieldSpec{key: key, label: key, kind: fieldOther}
}

// fieldOrder returns the keys in the order of kindFields, unknown ones
// after them in alphabetical order.
func fieldOrder(k record.Kind, keys map[string]bool) []string {
	var out []string
	for _, f := range kindFields[k] {
		if keys[f.key] {
			out = append(out, f.key)
		}
	}
	var rest []string
	for key := range keys {
		if !slices.ContainsFunc(kindFields[k], func(f fieldSpec) bool { return f.key == key }) {
			rest = append(rest, key)
		}
	}
	slices.Sort(rest)
	return append(out, rest...)
}

// flatFields returns the fields of a record body, the fields of a nested
// object (consent) as "consent.scopes". Empty values are left out, so that
// a field that is null, "" or [] counts as not set.
func flatFields(body json.RawMessage) map[string]json.RawMessage {
	var top map[string]json.RawMessage
	if json.Unmarshal(body, &top) != nil {
		return nil
	}
	out := map[string]json.RawMessage{}
	for k, v := range top {
		var sub map[string]json.RawMessage
		if bytes.HasPrefix(v, []byte("{")) && json.Unmarshal(v, &sub) == nil {
			for sk, sv := range sub {
				if !emptyJSON(sv) {
					out[k+"."+sk] = sv
				}
			}
			continue
		}
		if !emptyJSON(v) {
			out[k] = v
		}
	}
	return out
}

// emptyJSON reports whether a stored value says "not set".
func emptyJSON(v json.RawMessage) bool {
	switch string(v) {
	case "", "null", `""`, "[]", "{}":
		return true
	}
	return false
}

// unflatFields is the inverse of flatFields: a body from its fields.
func unflatFields(fields map[string]json.RawMessage) ([]byte, error) {
	top := map[string]any{}
	for k, v := range fields {
		parent, sub, nested := strings.Cut(k, ".")
		if !nested {
			top[k] = v
			continue
		}
		m, _ := top[parent].(map[string]json.RawMessage)
		if m == nil {
			m = map[string]json.RawMessage{}
			top[parent] = m
		}
		m[sub] = v
	}
	return json.Marshal(top)
}

// valueNames turns stored values into what people read: labels of
// vocabulary codes in the UI language and titles of referenced records.
type valueNames struct {
	terms  map[string]string // "vocab/code" -> label
	titles map[string]string // record id -> title
}

// lookUp finds the labels and titles a revision body of kind k needs. It
// runs off the UI goroutine; what it cannot find is shown as stored.
func (n *valueNames) lookUp(v *storage.Vault, k record.Kind, body json.RawMessage, lang string) {
	if b, err := record.Decode(k, body); err == nil {
		for _, ref := range b.Terms() {
			key := ref.Vocab + "/" + ref.Code
			if _, done := n.terms[key]; done {
				continue
			}
			if t, ok, err := v.Term(ref.Vocab, ref.Code); err == nil && ok {
				n.terms[key] = t.Labels.In(lang)
			}
		}
	}
	fields := flatFields(body)
	for _, f := range kindFields[k] {
		var ids []string
		switch f.kind {
		case fieldRef:
			ids = make([]string, 1)
			_ = json.Unmarshal(fields[f.key], &ids[0])
		case fieldRefs:
			_ = json.Unmarshal(fields[f.key], &ids)
		}
		for _, id := range ids {
			if _, done := n.titles[id]; done || id == "" {
				continue
			}
			if r, err := v.Get(id); err == nil {
				if b, err := r.Decode(); err == nil {
					n.titles[id] = record.Title(b)
				}
			}
		}
	}
}

func (n *valueNames) term(vocab, code string) string {
	if l, ok := n.terms[vocab+"/"+code]; ok {
		return l
	}
	return code
}

func (n *valueNames) title(id string) string {
	if t := n.titles[id]; t != "" {
		return t
	}
	return id
}

// show returns a field's value as people read it, "" if it is not set.
func (n *valueNames) show(f fieldSpec, raw json.RawMessage) string {
	if len(raw) == 0 {
		return ""
	}
	var out []string
	var err error
	switch f.kind {
	case fieldText, fieldLong, fieldDate:
		var s string
		err = json.Unmarshal(raw, &s)
		out = []string{s}
	case fieldCode, fieldRef:
		var s string
		err = json.Unmarshal(raw, &s)
		if f.kind == fieldCode {
			out = []string{n.term(f.vocab, s)}
		} else {
			out = []string{n.title(s)}
		}
	case fieldCodes, fieldRefs, fieldList:
		var list []string
		err = json.Unmarshal(raw, &list)
		for _, s := range list {
			switch f.kind {
			case fieldCodes:
				s = n.term(f.vocab, s)
			case fieldRefs:
				s = n.title(s)
			}
			out = append(out, s)
		}
	case fieldNames:
		var names []record.Name
		err = json.Unmarshal(raw, &names)
		for _, nm := range names {
			s := nm.String()
			if nm.Script != "" {
				s += " (" + n.term(record.VocabScript, nm.Script) + ")"
			}
			out = append(out, s)
		}
	case fieldClaims:
		var claims []record.Claim
		err = json.Unmarshal(raw, &claims)
		for _, c := range claims {
			out = append(out, strings.TrimSpace(n.term(record.VocabClaim, c.Type)+" — "+c.By+" "+c.On.String()))
		}
	default:
		var s string
		if json.Unmarshal(raw, &s) == nil {
			return s
		}
		var buf bytes.Buffer
		if json.Compact(&buf, raw) == nil {
			return buf.String()
		}
		return string(raw)
	}
	if err != nil {
		return string(raw)
	}
	return strings.Join(out, "; ")
}

// isLong reports whether a field's values are too long to show inline.
func isLong(f fieldSpec, values ...string) bool {
	if f.kind == fieldLong {
		return true
	}
	for _, v := range values {
		if len([]rune(v)) > 100 || strings.Contains(v, "\n") {
			return true
		}
	}
	return false
}

// recordHistory is what the history and conflict views show of a record:
// its revisions, decrypted and verified, and the names of what they refer
// to.
type recordHistory struct {
	rec     *storage.Record
	title   string
	entries []storage.HistoryEntry // oldest first
	byID    map[string]*storage.HistoryEntry
	authors map[string]string // author key (hex) -> pseudonym
	self    string            // this device's key, hex
	names   valueNames
}

// loadHistory reads record id's revisions and what they refer to. It runs
// off the UI goroutine.
func loadHistory(v *storage.Vault, id, lang string) (*recordHistory, error) {
	rec, err := v.Get(id)
	if err != nil {
		return nil, err
	}
	entries, err := v.History(id)
	if err != nil {
		return nil, err
	}
	members, err := v.Members()
	if err != nil {
		return nil, err
	}
	h := newRecordHistory(rec, entries, hex.EncodeToString(v.DeviceKey()))
	for _, m := range members {
		if m.Pseudonym != "" {
			h.authors[hex.EncodeToString(m.Device)] = m.Pseudonym
		}
	}
	for _, e := range entries {
		h.names.lookUp(v, rec.Kind, e.Body, lang)
	}
	return h, nil
}

// newRecordHistory holds the revisions of rec; self is the key of this
// device in hex.
func newRecordHistory(rec *storage.Record, entries []storage.HistoryEntry, self string) *recordHistory {
	h := &recordHistory{
		rec: rec, entries: entries, self: self,
		byID:    map[string]*storage.HistoryEntry{},
		authors: map[string]string{},
		names:   valueNames{terms: map[string]string{}, titles: map[string]string{}},
	}
	for i := range entries {
		h.byID[entries[i].ID] = &entries[i]
	}
	if b, err := rec.Decode(); err == nil {
		h.title = record.Title(b)
	}
	return h
}

// author names the device that wrote a revision: this device, the
// member's pseudonym, or the key's fingerprint.
func (h *recordHistory) author(u *UI, keyHex string) string {
	if keyHex == h.self {
		return u.T("this device")
	}
	if p := h.authors[keyHex]; p != "" {
		return p
	}
	k, err := hex.DecodeString(keyHex)
	if err != nil || len(k) != ed25519.PublicKeySize {
		return keyHex[:min(12, len(keyHex))]
	}
	return u.Tf("device %s", storage.Fingerprint(k))
}

// localTime shows a revision time in the computer's time zone.
func localTime(t hlc.Timestamp) string {
	return t.Time().Local().Format("2006-01-02 15:04")
}

// changeKind names what a revision did, as an English key.
func changeKind(e *storage.HistoryEntry, k record.Kind) string {
	switch {
	case e.Op == envelope.OpDelete:
		return "deleted"
	case e.Op == envelope.OpSeal:
		return "sealed"
	case len(e.Parents) > 1:
		return "merged"
	case len(e.Parents) == 1:
		return "edited"
	case k == record.KindTestimony && flatFields(e.Body)["amends"] != nil:
		return "created as an amendment"
	}
	return "created"
}

// historyView lists a record's revisions, newest first: when, who, what
// kind of change, and which fields changed against the parent revision.
type historyView struct {
	ui      *UI
	h       *recordHistory
	back    *widget.Button
	content fyne.CanvasObject
}

// newHistoryView shows h; back returns to the record.
func newHistoryView(u *UI, h *recordHistory, back func()) *historyView {
	hv := &historyView{ui: u, h: h}
	hv.back = u.button(u.T("Back"), theme.NavigateBackIcon(), back)
	title := h.title
	if title == "" {
		title = u.T("(untitled)")
	}
	head := heading(u.Tf("History of %s", title))
	head.Wrapping = fyne.TextWrapWord
	count := widget.NewLabel(u.Tf("Revisions: %d, newest first", len(h.entries)))
	count.Importance = widget.LowImportance
	items := []fyne.CanvasObject{container.NewHBox(hv.back), head, count, widget.NewSeparator()}
	for i := len(h.entries) - 1; i >= 0; i-- {
		items = append(items, hv.revision(&h.entries[i]), widget.NewSeparator())
	}
	hv.content = container.NewVScroll(container.NewPadded(container.NewVBox(items...)))
	return hv
}

// revision shows one revision: a headline and its changes.
func (hv *historyView) revision(e *storage.HistoryEntry) fyne.CanvasObject {
	u, h := hv.ui, hv.h
	headline := heading(strings.Join([]string{localTime(e.Time), h.author(u, e.Author), u.T(changeKind(e, h.rec.Kind))}, " · "))
	parts := []fyne.CanvasObject{headline}
	now := flatFields(e.Body)
	switch {
	case e.Op == envelope.OpDelete:
		var ts storage.Tombstone
		_ = json.Unmarshal(e.Body, &ts) // a delete without a body has no reason
		if ts.Reason != "" {
			parts = append(parts, paragraph(u.Tf("Reason: %s", ts.Reason)))
		}
		if h.rec.PendingDeletion {
			parts = append(parts, paragraph(u.T("Pending deletion: an admin can restore the record until the team's hold ends.")))
		} else {
			parts = append(parts, paragraph(u.T("The content was purged.")))
		}
	case len(e.Parents) == 0:
		parts = append(parts, hv.changes(nil, now, true))
	default:
		for _, p := range e.Parents {
			parent := h.byID[p]
			if len(e.Parents) > 1 && parent != nil {
				note := widget.NewLabel(u.Tf("Compared with the version of %s, %s:", h.author(u, parent.Author), localTime(parent.Time)))
				note.Importance = widget.LowImportance
				parts = append(parts, note)
			}
			if parent == nil {
				parts = append(parts, paragraph(u.T("The earlier version is not stored on this device.")))
				continue
			}
			parts = append(parts, hv.changes(flatFields(parent.Body), now, false))
		}
	}
	if e.Op == envelope.OpSeal {
		sum := sha256.Sum256(e.Body)
		rows := container.New(layout.NewFormLayout())
		addRow(rows, u.T("Seal hash (SHA-256)"), selectable(hex.EncodeToString(sum[:])))
		parts = append(parts, rows)
	}
	return container.NewVBox(parts...)
}

// changes lists the fields that differ between before and after; created
// says that after is the first version.
func (hv *historyView) changes(before, after map[string]json.RawMessage, created bool) fyne.CanvasObject {
	u, h := hv.ui, hv.h
	keys := map[string]bool{}
	for k, v := range after {
		if !bytes.Equal(v, before[k]) {
			keys[k] = true
		}
	}
	for k := range before {
		if _, ok := after[k]; !ok {
			keys[k] = true
		}
	}
	if len(keys) == 0 {
		l := widget.NewLabel(u.T("No field changed."))
		l.Importance = widget.LowImportance
		return l
	}
	rows := container.New(layout.NewFormLayout())
	for _, k := range fieldOrder(h.rec.Kind, keys) {
		f := specOf(h.rec.Kind, k)
		old, cur := h.names.show(f, before[k]), h.names.show(f, after[k])
		if isLong(f, old, cur) {
			addRow(rows, u.T(f.label), hv.longChange(old, cur))
			continue
		}
		var text string
		switch {
		case created:
			text = cur
		case old == "":
			text = u.Tf("added: %s", cur)
		case cur == "":
			text = u.Tf("removed (was %s)", old)
		default:
			text = old + " → " + cur
		}
		addRow(rows, u.T(f.label), selectable(text))
	}
	return rows
}

// longChange names a change of a long text and shows the versions on
// demand.
func (hv *historyView) longChange(old, cur string) fyne.CanvasObject {
	u := hv.ui
	var what, show string
	var versions fyne.CanvasObject
	switch {
	case old == "":
		what, show = u.T("added"), u.T("Show text")
		versions = u.longText(cur)
	case cur == "":
		what, show = u.T("removed"), u.T("Show text")
		versions = u.longText(old)
	default:
		what, show = u.T("changed"), u.T("Show both versions")
		versions = container.NewGridWithColumns(2,
			container.NewVBox(heading(u.T("Before")), u.longText(old)),
			container.NewVBox(heading(u.T("After")), u.longText(cur)))
	}
	versions.Hide()
	var toggle *widget.Button
	toggle = u.button(show, theme.VisibilityIcon(), func() {
		if versions.Visible() {
			versions.Hide()
			toggle.SetText(show)
		} else {
			versions.Show()
			toggle.SetText(u.T("Hide"))
		}
	})
	return container.NewVBox(container.NewHBox(widget.NewLabel(what), toggle), versions)
}

// addRow adds a bold field name and its value to a form layout.
func addRow(rows *fyne.Container, name string, value fyne.CanvasObject) {
	rows.Add(widget.NewLabelWithStyle(name, fyne.TextAlignTrailing, fyne.TextStyle{Bold: true}))
	rows.Add(value)
}

// previewRunes is how much of a long text is shown before Show in full.
const previewRunes = 400

// longText shows the start of a long text and all of it on demand: Fyne
// takes seconds to wrap tens of kilobytes, a cost paid only when asked for.
func (u *UI) longText(text string) fyne.CanvasObject {
	r := []rune(text)
	if len(r) <= previewRunes {
		return selectable(text)
	}
	preview := string(r[:previewRunes]) + "…"
	label := selectable(preview)
	var toggle *widget.Button
	toggle = u.button(u.T("Show in full"), theme.VisibilityIcon(), func() {
		if label.Text == preview {
			label.SetText(text)
			toggle.SetText(u.T("Show less"))
		} else {
			label.SetText(preview)
			toggle.SetText(u.T("Show in full"))
		}
	})
	return container.NewVBox(label, container.NewHBox(toggle))
}

// selectable makes a wrapping label whose text can be copied.
func selectable(text string) *widget.Label {
	l := paragraph(text)
	l.Selectable = true
	return l
}

// swap shows o in place of the record; back restores the record.
func (dv *detailView) swap(o fyne.CanvasObject) {
	dv.frame.Objects = []fyne.CanvasObject{o}
	dv.frame.Refresh()
}

func (dv *detailView) back() { dv.swap(dv.page) }

// showHistory reads the record's history off the UI goroutine and shows it
// in place of the record.
func (dv *detailView) showHistory() {
	dv.showHistoryAs(func(h *recordHistory) fyne.CanvasObject {
		return newHistoryView(dv.ui, h, dv.back).content
	})
}

// showHistoryAs reads the record's history off the UI goroutine and shows
// what view makes of it in place of the record.
func (dv *detailView) showHistoryAs(view func(*recordHistory) fyne.CanvasObject) {
	u, id := dv.ui, dv.d.rec.ID
	u.background(func(v *storage.Vault) func() {
		h, err := loadHistory(v, id, u.Lang())
		return func() {
			if err != nil {
				dv.problem.SetText(u.errorText(err))
				dv.problem.Show()
				return
			}
			dv.swap(view(h))
		}
	})
}
