// Package wire is the Letapis relay protocol, version 1: the paths, the
// JSON messages, the error codes and the request signatures that the relay
// (package relay) and the sync client share.
//
// # What the relay sees
//
// A relay stores opaque, content-addressed blobs (age ciphertexts: record
// envelopes, key envelopes, attachment parts) and, per team, an append-only
// log of blob ids with sequence numbers. It learns team ids, device
// pseudonyms with their request-signing keys, blob ids and sizes (padded
// into buckets by the envelope format) and when requests happen; never
// record ids, kinds, authors or names.
//
// # Endpoints
//
//	GET  /v1/info                                  relay key and limits (no auth)
//	POST /v1/teams/{team}/register                 first admin device, with the operator's token
//	POST /v1/teams/{team}/join                     a device asks to join, with an invite token
//	POST /v1/teams/{team}/invites                  admin: make a one-time invite token
//	GET  /v1/teams/{team}/joins                    admin: pending join requests
//	POST /v1/teams/{team}/devices/{pseudonym}/approve   admin; body an Approval naming the role
//	POST /v1/teams/{team}/devices/{pseudonym}/revoke    admin
//	PUT  /v1/teams/{team}/blobs/{id}               store a blob; id must be its SHA-256 (idempotent)
//	POST /v1/teams/{team}/blobs                    store a batch of blobs (idempotent); answers their ids
//	POST /v1/teams/{team}/blobs/missing            which of these ids the relay lacks
//	POST /v1/teams/{team}/blobs/fetch              a batch of the blobs of these ids, from the first, as many as fit
//	GET  /v1/teams/{team}/blobs/{id}               fetch a blob; Range supported
//	POST /v1/teams/{team}/log                      append ids; returns sequence numbers and a receipt
//	GET  /v1/teams/{team}/log?since=N&limit=M&wait=S   entries after N, long-polling up to S seconds
//
// A batch (see SplitBatch) carries many small blobs, such as record
// envelopes, in one request of at most MaxBatchSize bytes, so that a sync
// of thousands of records costs a few requests rather than one per
// envelope. A batch upload is all or nothing: the relay stores every blob
// of it (those it had already count as stored) or none, and answers the
// ids, in the order of the blobs, as an IDs message. A batch fetch names
// at most MaxIDs ids (an IDs message) and is answered with a batch of
// their blobs in that order: all of them, or the longest leading run that
// fits in MaxBatchSize bytes (at least one blob), so that the client asks
// again for the rest. A blob too large for a batch is stored and fetched
// alone with PUT and GET.
//
// Every request under /v1/teams/ except register and join is signed by a
// registered, non-revoked device; see SignRequest. Register and join carry
// a one-time token instead; a relay limits how often one address may call
// them and answers 429 rate_limited with a Retry-After header beyond that.
//
// # Relay addresses and invite codes
//
// A relay is reached over https://, or plain http:// only on loopback
// (127.0.0.0/8, ::1, localhost) or at a .onion host (ParseRelayURL). An
// invite code (InviteCode, "letapis-invite-v2:") carries the inviting
// admin's whole Ed25519 key; a joining device trusts the first key grant
// only if that key signed it, and the safety number (SafetyNumber, 30
// digits) covers it.
package wire
