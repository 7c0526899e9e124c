// Package relay is the Letapis relay server: an http.Handler that serves
// protocol version 1 (package wire) from a Store, and a Store in an
// embedded Badger database.
//
// # What it keeps
//
// A relay is expected to be seized or subpoenaed, so it keeps nothing
// readable and as little else as it can: age ciphertexts as blobs, each
// team's log of blob ids, and per device a pseudonym, a request-signing
// key, a role and a status. A joining device's public device key and
// recipient are kept only until an admin approves or refuses it; a revoked
// device is remembered only by pseudonym. One-time tokens are kept as
// SHA-256 hashes. The request log names route patterns, never paths, and
// no client addresses.
//
// # Requests
//
// Every team endpoint but register and join is signed by a device (see
// wire.SignRequest). Register and join carry a one-time token instead, and
// each client address may call them Options.OpenRate times a minute beyond
// a burst; beyond that it gets 429 with a Retry-After header. The address
// is the connection's, never a header; it is counted in memory and never
// logged. The relay refuses an unsigned request, or one from a
// device it does not know or has revoked, before reading its body; then it
// verifies the signature and the nonce; a device still waiting for an
// admin gets 403 "waiting for an admin to approve this device" from every
// endpoint. Register and join carry a one-time token instead.
//
// Successful responses: register 201, join 202 (the device is pending),
// invites 201 with a wire.Invite, approve and revoke 204, blob PUT 201 for
// a new blob and 200 for one already stored (after an interim 102
// Processing once the relay has the whole body: the sender may begin the
// next blob, and the question which blobs are missing waits until this
// one is stored or refused), blob GET 200 or 206, a batch
// fetch 200 with a batch of blobs (see wire.SplitBatch), the rest 200 with
// a JSON body. Errors are JSON wire.Error values whose code
// matches the HTTP status (see wire.Code); internal errors say nothing of
// their cause to the client, only to the relay's log.
//
// # Roles
//
// The team's first device registers as an admin with the operator's
// token. An admin approves a device with the role the team's signed
// roster gives it (wire.Approval): an approved admin invites, approves and
// revokes like the first. Any active admin may revoke any device, other
// admins and the first device included, except the team's last active
// admin (ErrLastAdmin), so that a team always has someone to let devices
// in. If every admin is lost, the operator's RecoverTeam token lets one
// device the relay knows as active in the team register as an admin
// (ErrNotActiveDevice for any other). The relay's roles only say who may
// do what at the relay; the devices trust the roster they sign, which no
// relay role changes.
//
// # The log
//
// Appending is idempotent: an id already in the log gets its existing
// entry back, never a second one, so a client may retry an append whose
// answer it lost. The answer lists one entry per distinct id in sequence
// order, signed by the relay's key (wire.ReceiptMessage).
//
// GET .../log?since=N&wait=S long-polls: if the log has nothing after N,
// the request waits up to S seconds (at most Options.MaxWait) for an
// append to the team. Each team has a broadcast channel that the next
// append closes; a waiter subscribes before it reads the log, so no append
// slips between its read and its wait. Server.Drain releases all waiters
// at shutdown.
//
// The log is hash-chained (log version 2, wire.LogVersion): each entry's
// chain hash covers the one before it, its sequence number and its id
// (wire.ChainHash), and every page carries the chain hash at the cursor
// and at its end, with the relay's signature of that end
// (wire.HeadMessage). A client checks each page against the point it
// verified before, so a relay that leaves entries out, or rewrites what a
// device has seen, is caught. A store made before log version 2 gets its
// chain, from the log's start, when it is opened.
//
// # Replays
//
// The nonce of every verified request is stored until its signature would
// be stale anyway (creation time plus wire.MaxClockSkew); BadgerStore
// keeps them as Badger entries with that expiry, so replay protection
// survives a restart and costs no cleanup.
package relay
