// Package storage is the Letapis vault: a directory that keeps a device's
// keys and every record it knows, encrypted, signed, versioned and durable.
//
// # Layout
//
//	DIR/keys             two key slots, overwritten in place: device secrets under
//	                     the passphrase (keyslots.go, package keyfile)
//	DIR/db/<generation>/ the Badger store, encrypted at rest with a key from the slots,
//	                     and LETAPIS-TABLESUMS, the size and CRC-32C of its table files
//	DIR/blobs/<id>.age   attachments, each an age stream padded to a size bucket (attachpad.go)
//
// Nothing in DIR is readable without the passphrase but those checksums,
// which are of encrypted files. Wipe overwrites the key slots
// first, which makes the rest noise, then destroys the rest.
//
// # Records and revisions
//
// Every change to a record is a Revision (package envelope) signed with the
// device key and age-encrypted to the vault's audience. The envelope is
// stored exactly as it would be sent to other devices; beside it the store
// keeps a decrypted view of each record's current state, and indexes, all
// inside the encrypted store. A sealed testimony refuses further changes;
// corrections are new testimonies that point to it (Amend). Delete writes a
// tombstone revision, drops the old revisions and then purges: the store is
// rewritten into a new generation under a fresh key and the old generation
// is deleted, so the old content cannot be recovered from the store files
// even by someone who later learns the passphrase.
//
// # Durability
//
// Every write is a Badger transaction committed with fsync: when a save
// returns, the record survives kill -9 and power loss. Before each write the
// free space on the vault's file system is checked, and writes are refused
// with ErrDiskFull while less than Options.MinFreeBytes remain, because
// Badger's memory-mapped files crash the process when the disk fills.
//
// # Store keys
//
//	env/<envelope id>            envelope ciphertext
//	rev/<record id>/<rev id>     RevisionInfo (JSON)
//	rec/<record id>              Record, the current view (JSON)
//	kind/<kind>/<record id>      Summary for lists (compact binary, see lists.go)
//	links/<record id>            ids of the records its body refers to
//	back/<target id>/<record id> the same links from their target: Linked
//	term/<vocab>/<code>          id of a Term record extending a vocabulary
//	amend/<record id>/<amend id> a testimony that amends a sealed one
//	seq/<author key hex>         highest sequence number seen from an author
//	have/<author hex>/<seq>      revision that used an author's sequence number
//	member/<device key hex>      the team roster
//	aud/<epoch>, raud/<id>       audience keys (team and restricted)
//	epoch/<epoch>/<commit>       team epochs the roster introduced (epochs.go)
//	hist/<device key hex>        a removed member's fixed history (history.go)
//	out/<position>               outbox: envelopes to send to the relay
//	blobup/, blobneed/           attachment files to send or fetch
//	pend/, quar/                 envelopes pending verification, and quarantined ones
//	idx/                         the search index (package search)
//	team/state                   team membership and sync position
//	local/settings               this device's settings (DeviceSettings), never synced
//	meta/<name>                  the vault's own counters; meta/lists: the list format
package storage
