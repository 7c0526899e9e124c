// Package search finds records in a vault: people by any spelling of their
// names, and any record by the words of its text, with filters.
//
// The same Belarusian political prisoner is written in Belarusian and
// Russian Cyrillic (often with a different given name: Алесь, Александр),
// in Łacinka, in the passport romanisation, in BGN/PCGN, in Polish,
// Lithuanian or German spelling, and in whatever a newspaper printed, with
// typos. A search for "Kolesnikova", "Калеснікава" or "Kalesnikava" must
// find the same person first, in milliseconds, offline.
//
// # Names
//
// Every word of a name is folded to keys (normalise.go, driven by the
// tables in letters.go): script and transliteration differences vanish,
// o and e fold into a (akanye, яканне), г/h/g/х are one sound, ў/w/v and a
// u after a vowel are v, soft signs and softness marks drop out, doubled
// letters collapse, and the endings -ая/-aja/-ska, -ski/-skiy/-sky agree.
// Where a spelling has two readings it gets both keys: the Latin "ch" (ч in
// English, х in Polish, Łacinka and German), Belarusian дз (Russian д) and
// soft ц (Russian т). Given names that are one name in different languages (Алесь,
// Аляксандр, Aleksandr, Alexander, Aleś…) are grouped in givennames.json,
// which is data. What folding cannot join, edit distance does: a key within
// one edit (two for keys of eight letters or more) of a query word's key
// matches as a typo (fuzzy.go), a substitution of letters that spellings
// confuse (German z for ц, voiced for voiceless) counting half; candidates
// come from a trigram index over the keys.
//
// A query word matches a word of a name in tiers: the same spelling, the
// same key, an equivalent given name, a typo, the start of a longer key
// (for the last word, as it is being typed), or an initial ("A.", "Yu.").
// Each field of the name (surname, given name, patronymic) takes at most one
// query word, so word order does not matter, and the surname weighs most.
// People matched by every full word of the query are all that is returned
// when there are any, best first; otherwise people matched by some.
//
// # Text
//
// Text fields (a testimony's text, interviewee and place, a note, an
// incident's description, place and perpetrators, a case's court, charges
// and places of detention, an attachment's name, a term's labels) are split
// into words and folded: lower case, accents stripped, ё = е, ў = у, і = и,
// apostrophes and ъ dropped (tokenize.go). A record matches when it has
// every query word or a word that starts with it ("катав" finds
// "катаванні"), scored by how rare the matched words are. The index keeps
// no text: Snippet cuts one from a record's text for display.
//
// # Filters
//
// Query filters by kind, by a person's status, by incident type (an
// incident's type, a testimony's violations), by place of detention (a
// case's facilities, an incident's place) and by a period that the record's
// primary date overlaps: a person's birth, a case's arrest, an incident's
// period, a testimony's or note's date. A partial date covers its whole
// year or month. A filter that does not apply to a kind excludes the kind.
//
// # Storage and memory
//
// The index lives in the vault's encrypted store, under keys it owns, one
// entry per record:
//
//	idx/d/<record id>  the record's entry: kind, filter values, name
//	                   spellings, and its distinct folded words, front-coded
//	idx/meta           the format version, written last by Rebuild
//
// Nothing of it is ever written anywhere else. The structures that make
// searching fast (postings lists, key and word dictionaries, the trigram
// index) exist only in process memory: Open builds them from the entries
// when the vault is unlocked, and they are dropped with the Index when it
// is locked. A pure scan of store prefixes could not do fuzzy matching
// over 100,000 people within the budget; the in-memory index answers name
// queries in about a millisecond and takes tens of megabytes.
//
// A store transaction that saves or accepts a revision carries a Batch:
// Put or Delete writes the record's entry within the transaction (so it
// commits or fails with the record), and Commit, called after the
// transaction committed, applies the change to memory. A changed record's
// old postings are not edited in place: its old document is marked dead
// and a new one added; dead documents are renumbered away when they make up
// a quarter of the index. If the stored index is missing, of another format
// version or damaged, Open reports ErrNeedsRebuild, and Rebuild makes it
// anew from the records, in transactions of bounded size.
//
// # Lifecycle
//
// At unlock, Open the index in a read transaction; on ErrNeedsRebuild,
// Rebuild it from the records. Every write transaction that saves,
// deletes or accepts a revision takes a Batch from Begin, calls Put with
// the record's new body (Delete for a tombstone or a body this version
// cannot decode) and, once the transaction has committed, Commit. Search
// needs no transaction. Locking drops the Index.
package search
