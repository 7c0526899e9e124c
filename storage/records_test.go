package storage

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	"filippo.io/age"

	"github.com/letapis/letapis/storage/envelope"
	"github.com/letapis/letapis/storage/record"
)

// oneOfEach returns a valid body of every kind, linked to each other.
func oneOfEach(t *testing.T, v *Vault) map[record.Kind]record.Body {
	t.Helper()
	person := &record.Person{
		Names: []record.Name{
			{Given: "Алесь", Patronymic: "Віктаравіч", Family: "Бяляцкі", Script: "be-cyrl"},
			{Given: "Ales", Family: "Bialiatski", Script: "passport"},
		},
		Birth:        record.MustDate("1962-09"),
		Gender:       "male",
		Status:       "convicted",
		Occupation:   "human rights defender",
		Claims:       []record.Claim{{Type: "political-prisoner", By: "Synthetic Rights Centre", On: record.MustDate("2021-07-15")}},
		Humanitarian: []string{"older-person"},
	}
	p := mustAdd(t, v, person)
	att, err := v.ImportAttachment(strings.NewReader("скан пратакола"), "protocol.txt", "", []string{p.ID})
	if err != nil {
		t.Fatal(err)
	}
	return map[record.Kind]record.Body{
		record.KindPerson: person,
		record.KindCase: &record.Case{
			Person: p.ID, Arrested: record.MustDate("2021-07-14"), Charges: []string{"Criminal Code 228"},
			Facilities: []record.Spell{{Facility: "SIZO-1 Minsk", Kind: "sizo", From: record.MustDate("2021-07"), To: record.MustDate("~2023")}},
		},
		record.KindIncident: &record.Incident{Type: "shizo", From: record.MustDate("2023-02-01"), To: record.MustDate("2023-02-15"), Victims: []string{p.ID}},
		record.KindTestimony: &record.Testimony{
			Interviewee: "Сведка А.", Relation: "cellmate", Date: record.MustDate("2024-03"),
			Consent: record.Consent{Scopes: []string{"team", "un-osce"}, Embargo: record.MustDate("2030")},
			Text:    "Яго трымалі ў ШІЗА 14 сутак.", About: []string{p.ID}, Violations: []string{"shizo"},
			Attachments: []string{att.ID},
		},
		record.KindNote: &record.Note{About: p.ID, Date: record.MustDate("2024-05-02"), Text: "Court hearing postponed."},
		record.KindTerm: &record.Term{Vocab: "incident-type", Code: "forced-haircut", Labels: record.Labels{En: "Forced head shaving", Be: "Прымусовае стрыжэнне", Ru: "Принудительная стрижка"}},
	}
}

func TestEveryKindRoundTripsThroughADiskVault(t *testing.T) {
	v := newVault(t)
	bodies := oneOfEach(t, v)
	ids := map[record.Kind]string{}
	for k, b := range bodies {
		if k == record.KindPerson {
			continue // added by oneOfEach
		}
		ids[k] = mustAdd(t, v, b).ID
	}
	var personID string
	v.List(record.KindPerson, func(s Summary) bool { personID = s.ID; return false })
	ids[record.KindPerson] = personID

	v = reopen(t, v)
	for k, want := range bodies {
		r, err := v.Get(ids[k])
		if err != nil {
			t.Fatalf("%s: %v", k, err)
		}
		got, err := r.Decode()
		if err != nil {
			t.Fatalf("%s: %v", k, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s round trip:\n got %+v\nwant %+v", k, got, want)
		}
	}
	counts := map[record.Kind]int{}
	if err := v.List("", func(s Summary) bool { counts[s.Kind]++; return true }); err != nil {
		t.Fatal(err)
	}
	for _, k := range record.Kinds {
		if counts[k] != 1 {
			t.Errorf("List: %d records of kind %s, want 1", counts[k], k)
		}
	}
}

func TestValidationNamesTheFieldAndStoresNothing(t *testing.T) {
	v := newVault(t)
	_, err := v.Add(&record.Person{Names: []record.Name{{Family: "X"}}, Status: "on-holiday"})
	var fe *record.FieldError
	if !errors.As(err, &fe) || fe.Field != "status" {
		t.Fatalf("got %v, want a FieldError on status", err)
	}
	_, err = v.Add(&record.Testimony{Interviewee: "A", Text: "t"})
	if !errors.As(err, &fe) || fe.Field != "consent.scopes" {
		t.Fatalf("got %v, want a FieldError on consent.scopes", err)
	}
	n := 0
	v.List("", func(Summary) bool { n++; return true })
	if n != 0 {
		t.Fatalf("%d records stored after failed saves", n)
	}
}

func TestCustomTermExtendsVocabulary(t *testing.T) {
	v := newVault(t)
	p := mustAdd(t, v, &record.Person{Names: []record.Name{{Family: "Y"}}})
	in := &record.Incident{Type: "forced-haircut", Victims: []string{p.ID}}
	if _, err := v.Add(in); err == nil {
		t.Fatal("unknown incident type accepted")
	}
	mustAdd(t, v, &record.Term{Vocab: "incident-type", Code: "forced-haircut", Labels: record.Labels{En: "Forced head shaving", Be: "Прымусовае стрыжэнне"}})
	mustAdd(t, v, in)
	term, ok, err := v.Term("incident-type", "forced-haircut")
	if err != nil || !ok || term.Labels.In("be") != "Прымусовае стрыжэнне" || term.Labels.In("ru") != "Forced head shaving" {
		t.Fatalf("Term = %+v, %v, %v", term, ok, err)
	}
}

func TestHistoryKeepsEveryRevisionInOrder(t *testing.T) {
	v := newVault(t)
	r := mustAdd(t, v, &record.Note{Text: "first"})
	for _, text := range []string{"second", "third"} {
		var err error
		if r, err = v.Update(r.ID, &record.Note{Text: text}); err != nil {
			t.Fatal(err)
		}
	}
	h, err := v.History(r.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(h) != 3 {
		t.Fatalf("%d revisions, want 3", len(h))
	}
	for i, want := range []string{"first", "second", "third"} {
		var n record.Note
		json.Unmarshal(h[i].Body, &n)
		if n.Text != want {
			t.Errorf("revision %d text %q, want %q", i, n.Text, want)
		}
		if i > 0 && (len(h[i].Parents) != 1 || h[i].Parents[0] != h[i-1].ID) {
			t.Errorf("revision %d parents %v, want [%s]", i, h[i].Parents, h[i-1].ID)
		}
		if h[i].Seq <= 0 || (i > 0 && h[i].Seq <= h[i-1].Seq) {
			t.Errorf("revision %d sequence %d does not increase", i, h[i].Seq)
		}
	}
	if len(r.Heads) != 1 || r.Heads[0] != h[2].ID || r.Revisions != 3 {
		t.Fatalf("record heads %v revisions %d", r.Heads, r.Revisions)
	}
}

func TestSealedTestimonyRefusesEditsAndTakesAmendments(t *testing.T) {
	v := newVault(t)
	tm := &record.Testimony{Interviewee: "Witness B", Consent: record.Consent{Scopes: []string{"legal"}}, Text: "Original account."}
	r := mustAdd(t, v, tm)
	sealed, err := v.Seal(r.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !sealed.Sealed || len(sealed.SealHash) != 64 {
		t.Fatalf("after Seal: sealed=%v hash=%q", sealed.Sealed, sealed.SealHash)
	}
	tm.Text = "Rewritten account."
	if _, err := v.Update(r.ID, tm); !errors.Is(err, ErrSealed) {
		t.Fatalf("Update of sealed: got %v, want ErrSealed", err)
	}
	if _, err := v.Seal(r.ID); !errors.Is(err, ErrSealed) {
		t.Fatalf("second Seal: got %v, want ErrSealed", err)
	}
	am, err := v.Amend(r.ID, &record.Testimony{Interviewee: "Witness B", Consent: record.Consent{Scopes: []string{"legal"}}, Text: "Correction: the date was in March."})
	if err != nil {
		t.Fatal(err)
	}
	got, _ := v.Amendments(r.ID)
	if len(got) != 1 || got[0] != am.ID {
		t.Fatalf("Amendments = %v, want [%s]", got, am.ID)
	}
	v = reopen(t, v)
	orig, _ := v.Get(r.ID)
	b, _ := orig.Decode()
	if b.(*record.Testimony).Text != "Original account." || !orig.Sealed {
		t.Fatalf("sealed testimony changed: %+v", orig)
	}
	if _, err := v.Amend(am.ID, &record.Testimony{Interviewee: "x", Consent: record.Consent{Scopes: []string{"team"}}, Text: "y"}); err == nil {
		t.Fatal("amending a draft succeeded")
	}
}

func TestResolvePrefix(t *testing.T) {
	v := newVault(t)
	r := mustAdd(t, v, &record.Note{Text: "x"})
	if got, err := v.Resolve(r.ID[:8]); err != nil || got != r.ID {
		t.Fatalf("Resolve(%q) = %q, %v", r.ID[:8], got, err)
	}
	if _, err := v.Resolve("zzzzzzzz"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Resolve of nothing: %v", err)
	}
	mustAdd(t, v, &record.Note{Text: "y"})
	if _, err := v.Resolve(""); err == nil {
		t.Fatal("empty prefix resolved")
	}
}

// craftEnvelope encrypts a hand-built plaintext (format version 1) so tests
// can produce envelopes Seal refuses to make.
func craftEnvelope(t *testing.T, rev envelope.Revision, sign ed25519.PrivateKey, to age.Recipient) []byte {
	t.Helper()
	msg, err := json.Marshal(rev)
	if err != nil {
		t.Fatal(err)
	}
	sig := ed25519.Sign(sign, append([]byte("letapis/envelope/v1\n"), msg...))
	used := 5 + len(msg) + len(sig)
	plain := make([]byte, envelope.PaddedSize(used))
	plain[0] = 1
	binary.BigEndian.PutUint32(plain[1:5], uint32(len(msg)))
	copy(plain[5:], msg)
	copy(plain[5+len(msg):], sig)
	var out bytes.Buffer
	w, _ := age.Encrypt(&out, to)
	w.Write(plain)
	w.Close()
	return out.Bytes()
}

func TestReceiveQuarantinesDamagedForgedAndReplayedEnvelopes(t *testing.T) {
	v := newVault(t)
	genuine, cases := forgeries(t, v)
	for name, ct := range cases {
		t.Run(name, func(t *testing.T) {
			before := countEnvelopes(t, v)
			if out, err := v.Receive(ct); !errors.Is(err, ErrRejected) || out != Quarantined {
				t.Fatalf("got %v, %v; want a rejection", out, err)
			}
			if after := countEnvelopes(t, v); after != before {
				t.Fatalf("rejected envelope stored: %d envelopes, had %d", after, before)
			}
		})
	}
	// The genuine envelope again is a harmless no-op.
	if out, err := v.Receive(genuine); err != nil || out != Duplicate {
		t.Fatalf("receiving a stored envelope again: %v, %v", out, err)
	}
	if qs, _ := v.Quarantined(); len(qs) != len(cases) {
		t.Fatalf("%d envelopes quarantined, want %d", len(qs), len(cases))
	}
}

// forgeries saves a note in v and returns its genuine envelope and, by
// name, envelopes that v must reject: damaged, forged and replayed ones.
func forgeries(t *testing.T, v *Vault) (genuine []byte, cases map[string][]byte) {
	t.Helper()
	r := mustAdd(t, v, &record.Note{Text: "genuine"})
	v.Envelopes(func(_ string, ct []byte) error { genuine = bytes.Clone(ct); return nil })

	_, stranger, _ := ed25519.GenerateKey(rand.Reader)
	strangerRev := forgedRevision(v, 1000)
	strangerRev.Author = stranger.Public().(ed25519.PublicKey)
	strangerCT, _, err := v.teamAddress().seal(&strangerRev, stranger)
	if err != nil {
		t.Fatal(err)
	}
	flipped := bytes.Clone(genuine)
	flipped[len(flipped)-20] ^= 1
	anotherKind := forgedRevision(v, 1000)
	anotherKind.Record, anotherKind.Kind = r.ID, "person"

	return genuine, map[string][]byte{
		"bit flip":             flipped,
		"truncated":            genuine[:len(genuine)-17],
		"signed by a stranger": craftEnvelope(t, forgedRevision(v, 1000), stranger, v.recipient),
		"stranger as author":   strangerCT,
		"garbage":              []byte("age-encryption.org/v1\n-> X25519 garbage\n"),
		"replayed sequence":    craftEnvelope(t, forgedRevision(v, 1), v.signer, v.recipient),
		"edit of another kind": craftEnvelope(t, anotherKind, v.signer, v.recipient),
	}
}

// forgedRevision is a new note by v's device with sequence number seq.
func forgedRevision(v *Vault, seq uint64) envelope.Revision {
	return envelope.Revision{Record: NewID(), ID: NewID(), Author: v.DeviceKey(), Seq: seq,
		Time: v.clock.Now(), Kind: "note", Schema: 1, Op: "put", Body: json.RawMessage(`{"text":"forged"}`)}
}

// TestReceiveBatchChecksEachEnvelope: in one batch, every bad envelope is
// quarantined with its reason and every good one around it is applied,
// whether the batch is received at once or opened first (as the sync
// engine does, a batch ahead of the vault).
func TestReceiveBatchChecksEachEnvelope(t *testing.T) {
	for name, receive := range batchReceivers {
		t.Run(name, func(t *testing.T) { checkEachEnvelope(t, receive) })
	}
}

// batchReceivers are the two ways of receiving a batch.
var batchReceivers = map[string]func(*Vault, [][]byte) ([]Outcome, error){
	"ReceiveBatch": (*Vault).ReceiveBatch,
	"OpenBatch then ReceiveOpened": func(v *Vault, cts [][]byte) ([]Outcome, error) {
		b, err := v.OpenBatch(cts)
		if err != nil {
			return nil, err
		}
		return v.ReceiveOpened(b)
	},
}

func checkEachEnvelope(t *testing.T, receive func(*Vault, [][]byte) ([]Outcome, error)) {
	v := newVault(t)
	genuine, cases := forgeries(t, v)
	seal := func(rev envelope.Revision) []byte {
		ct, _, err := v.teamAddress().seal(&rev, v.signer)
		if err != nil {
			t.Fatal(err)
		}
		return ct
	}
	first, second := forgedRevision(v, 2000), forgedRevision(v, 2001)
	firstCT := seal(first)
	var batch [][]byte
	var want []Outcome
	add := func(out Outcome, cts ...[]byte) {
		for _, ct := range cts {
			batch, want = append(batch, ct), append(want, out)
		}
	}
	add(Applied, firstCT)
	for _, ct := range cases {
		add(Quarantined, ct)
	}
	add(Applied, seal(second))
	add(Duplicate, genuine, firstCT)
	add(Quarantined, seal(forgedRevision(v, 2001))) // second's sequence number, used in this batch

	before := countEnvelopes(t, v)
	outs, err := receive(v, batch)
	if err != nil || !slices.Equal(outs, want) {
		t.Fatalf("outcomes %v, %v; want %v", outs, err, want)
	}
	if n := countEnvelopes(t, v) - before; n != 2 {
		t.Fatalf("%d envelopes stored, want the 2 good ones", n)
	}
	for _, rev := range []envelope.Revision{first, second} {
		if _, err := v.Get(rev.Record); err != nil {
			t.Fatalf("a good envelope of the batch was not applied: %v", err)
		}
	}
	qs, err := v.Quarantined()
	if err != nil || len(qs) != len(cases)+1 {
		t.Fatalf("%d quarantined, %v; want %d", len(qs), err, len(cases)+1)
	}
	for _, q := range qs {
		if q.Reason == "" {
			t.Fatalf("envelope quarantined without a reason: %+v", q)
		}
	}
}

func countEnvelopes(t *testing.T, v *Vault) int {
	n := 0
	if err := v.Envelopes(func(string, []byte) error { n++; return nil }); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestNewerSchemaIsKeptIntactAndReadOnly(t *testing.T) {
	v := newVault(t)
	body := json.RawMessage(`{"text":"from the future","mood":"hopeful"}`)
	rev := envelope.Revision{Record: NewID(), ID: NewID(), Author: v.DeviceKey(), Seq: 1,
		Time: v.clock.Now(), Kind: "note", Schema: record.SchemaVersion + 1, Op: "put", Body: body}
	ct, id, err := v.teamAddress().seal(&rev, v.signer)
	if err != nil {
		t.Fatal(err)
	}
	if out, err := v.Receive(ct); err != nil || out != Applied {
		t.Fatalf("Receive: %v, %v", out, err)
	}
	r, err := v.Get(rev.Record)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(r.Body, body) || r.Schema != record.SchemaVersion+1 {
		t.Fatalf("newer record altered: schema %d body %s", r.Schema, r.Body)
	}
	if _, err := r.Decode(); !errors.Is(err, ErrNewerSchema) {
		t.Fatalf("Decode: got %v, want ErrNewerSchema", err)
	}
	if _, err := v.Update(r.ID, &record.Note{Text: "overwrite"}); !errors.Is(err, ErrNewerSchema) {
		t.Fatalf("Update: got %v, want ErrNewerSchema", err)
	}
	stored := false
	v.Envelopes(func(eid string, got []byte) error {
		stored = stored || (eid == id.String() && bytes.Equal(got, ct))
		return nil
	})
	if !stored {
		t.Fatal("the newer envelope is not stored byte for byte")
	}
}

func TestImportOfManySmallRecordsSplitsTransactions(t *testing.T) {
	v := newVault(t)
	p := mustAdd(t, v, &record.Person{Names: []record.Name{{Family: "X"}}})
	bodies := make([]record.Body, 3000)
	for i := range bodies {
		bodies[i] = &record.Incident{Type: "shizo", Victims: []string{p.ID}}
	}
	recs, err := v.Import(bodies)
	if err != nil || len(recs) != len(bodies) {
		t.Fatalf("Import of %d small records: %d saved, %v", len(bodies), len(recs), err)
	}
}

// TestImportTransactionsStayWithinBadgersLimit imports transactions full
// of records whose values sit around the value threshold and of records
// with many links, which importTxnCost may misjudge: every record must be
// saved, Import splitting what Badger finds too big.
// TestImportOfManySmallRecordsSplitsTransactions needs that split (its
// records reach Badger's limit on the number of entries first).
func TestImportTransactionsStayWithinBadgersLimit(t *testing.T) {
	v := newVault(t)
	victims := make([]string, 40)
	for i := range victims {
		victims[i] = mustAdd(t, v, &record.Person{Names: []record.Name{{Family: fmt.Sprint("Victim ", i)}}}).ID
	}
	shapes := map[string]func(i int) record.Body{
		"notes": func(i int) record.Body {
			return &record.Note{Text: strings.Repeat("word ", 100+i%100)}
		},
		"people with long names": func(i int) record.Body {
			long := strings.Repeat("Мікалаеўскі-", 10+i%20)
			return &record.Person{Names: []record.Name{
				{Given: long, Patronymic: long, Family: long, Script: "be-cyrl"},
				{Given: long, Family: long, Script: "ru-cyrl"},
			}}
		},
		"incidents with many victims": func(i int) record.Body {
			return &record.Incident{Type: "shizo", Victims: victims[:1+i%len(victims)], Description: strings.Repeat("x", i%900)}
		},
	}
	for name, shape := range shapes {
		bodies := make([]record.Body, 1200)
		for i := range bodies {
			bodies[i] = shape(i)
		}
		if saved, err := v.Import(bodies); err != nil || len(saved) != len(bodies) {
			t.Fatalf("Import of %d %s: %d saved, %v", len(bodies), name, len(saved), err)
		}
	}
}

// importNotes returns n notes of about 2 KiB, each naming its position,
// so that an import of a few hundred spans several transactions.
func importNotes(n int) []record.Body {
	bodies := make([]record.Body, n)
	for i := range bodies {
		bodies[i] = &record.Note{Text: fmt.Sprintf("import note %d: %s", i+1, strings.Repeat("сведчанне ", 200))}
	}
	return bodies
}

func TestImportSealsInParallelAndKeepsOrder(t *testing.T) {
	v := newVault(t)
	bodies := importNotes(900) // several transactions (importTxnBytes)
	saved, err := v.Import(bodies)
	if err != nil || len(saved) != len(bodies) {
		t.Fatalf("Import of %d notes: %d saved, %v", len(bodies), len(saved), err)
	}
	var lastSeq uint64
	for i, r := range saved {
		if !bytes.Contains(r.Body, fmt.Appendf(nil, "import note %d:", i+1)) {
			t.Fatalf("record %d of the import holds another body: %.40s", i+1, r.Body)
		}
		if i > 0 && r.Created.Compare(saved[i-1].Created) <= 0 {
			t.Fatalf("record %d was created at %v, not after record %d (%v)", i+1, r.Created, i, saved[i-1].Created)
		}
		h, err := v.History(r.ID) // opens the stored envelope and checks its signature
		if err != nil {
			t.Fatalf("record %d: %v", i+1, err)
		}
		if len(h) != 1 || !bytes.Equal(h[0].Body, r.Body) {
			t.Fatalf("record %d: the stored envelope holds another body", i+1)
		}
		if h[0].Seq != lastSeq+1 {
			t.Fatalf("record %d has sequence number %d, want %d", i+1, h[0].Seq, lastSeq+1)
		}
		lastSeq = h[0].Seq
	}
	if n := countList(t, v, record.KindNote); n != len(bodies) {
		t.Fatalf("the list of notes has %d entries, want %d", n, len(bodies))
	}
}

func TestImportedTermServesTheRecordsAfterIt(t *testing.T) {
	v := newVault(t)
	p := mustAdd(t, v, &record.Person{Names: []record.Name{{Family: "X"}}})
	bodies := []record.Body{
		&record.Term{Vocab: "incident-type", Code: "forced-haircut", Labels: record.Labels{En: "Forced head shaving"}},
		&record.Incident{Type: "forced-haircut", Victims: []string{p.ID}},
	}
	if _, err := v.Import(bodies); err != nil {
		t.Fatalf("Import of a term and an incident of that type: %v", err)
	}
}

func TestImportFailureNamesTheRecordAndLeavesNoPartialTransaction(t *testing.T) {
	v := newVault(t)
	before := mustAdd(t, v, &record.Note{Text: "saved before the imports"})
	for _, tc := range []struct {
		name string
		at   int // index of the bad body
		bad  record.Body
	}{
		// Found when the record is written, in the second transaction
		// (the first holds about 840 of these notes).
		{"unknown vocabulary code", 870, &record.Person{Names: []record.Name{{Family: "X"}}, Status: "on-holiday"}},
		// Found when its envelope is sealed, in the first transaction.
		{"audience this device is not in", 10, &record.Testimony{Interviewee: "x", Consent: record.Consent{Scopes: []string{"team"}}, Text: "y", Audience: NewID()}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			notesBefore := countList(t, v, record.KindNote)
			bodies := importNotes(900)
			bodies[tc.at] = tc.bad
			saved, err := v.Import(bodies)
			var fe *record.FieldError
			if !errors.As(err, &fe) || !strings.Contains(err.Error(), fmt.Sprintf("record %d:", tc.at+1)) {
				t.Fatalf("Import: got %v, want a FieldError naming record %d", err, tc.at+1)
			}
			if len(saved) >= tc.at || tc.at > 800 && len(saved) == 0 {
				t.Fatalf("%d records saved, record %d failed: want the records of the transactions before it", len(saved), tc.at+1)
			}
			for i, r := range saved {
				if !bytes.Contains(r.Body, fmt.Appendf(nil, "import note %d:", i+1)) {
					t.Fatalf("saved record %d holds another body", i+1)
				}
				if _, err := v.Get(r.ID); err != nil {
					t.Fatalf("saved record %d: %v", i+1, err)
				}
			}
			// Nothing of the failed transaction: no list entry (the
			// count check of List would report a mismatch as damage),
			// no envelope, no record.
			if n := countList(t, v, record.KindNote); n != notesBefore+len(saved) {
				t.Fatalf("%d notes listed, want %d", n, notesBefore+len(saved))
			}
			if n := countList(t, v, tc.bad.Kind()); tc.bad.Kind() != record.KindNote && n != 0 {
				t.Fatalf("%d %s records listed, want none", n, tc.bad.Kind())
			}
			envelopes := 0
			v.Envelopes(func(string, []byte) error { envelopes++; return nil })
			if want := 1 + notesBefore - 1 + len(saved); envelopes != want {
				t.Fatalf("%d envelopes stored, want %d", envelopes, want)
			}
			// The next save takes the first sequence number the failed
			// transaction left unused: other devices see no gap.
			next := mustAdd(t, v, &record.Note{Text: "after the failed import"})
			h, err := v.History(next.ID)
			if err != nil {
				t.Fatal(err)
			}
			if want := uint64(notesBefore + len(saved) + 1); h[0].Seq != want {
				t.Fatalf("the next save has sequence number %d, want %d", h[0].Seq, want)
			}
		})
	}
	if _, err := v.Get(before.ID); err != nil {
		t.Fatal(err)
	}
}

// countList returns the number of records of kind k that List lists,
// failing the test if List reports an error (such as a count mismatch).
func countList(t *testing.T, v *Vault, k record.Kind) int {
	t.Helper()
	n := 0
	if err := v.List(k, func(Summary) bool { n++; return true }); err != nil {
		t.Fatalf("List %s: %v", k, err)
	}
	return n
}
