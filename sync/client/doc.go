// Package client talks to a Letapis relay (package wire) for one team as
// one device: team membership, blobs and the team log. The sync engine
// builds on it; the UI shows its errors and Stats.
//
// # Requests
//
// Every request under /v1/teams/ except Register and Join is signed with
// the device's auth key (wire.SignRequest) over its method, path, query,
// body digest (Content-Digest, always set), time and a fresh nonce.
// Request bodies are held as bytes, so that a retry sends exactly the same
// body. Answers are read whole, size-limited and validated (wire.Decode),
// except blob downloads, which stream to the caller. Redirects are not
// followed, no User-Agent is sent, and the environment's proxy settings
// are ignored: only Config.Proxy is used.
//
// # Retries
//
// Requests go through go-retryablehttp with this package's policy:
//
//   - Retried: failed, refused, reset or stalled connections, answers cut
//     off before their end, and the statuses 408, 429, 500, 502, 503 and
//     504; at most Config.MaxRetries times.
//   - Never retried: any other status (a 403 after a device is revoked, a
//     422 for a blob that does not match its id, ...), a refused
//     certificate or pin, a malformed answer, or once the caller's context
//     is done.
//   - The wait before the nth retry is random between MinBackoff and
//     min(MaxBackoff, MinBackoff·2^(n-1)) ("full jitter", so that many devices
//     coming back after an outage do not return in step). A Retry-After
//     header may lengthen it, but never beyond MaxBackoff: a relay or
//     proxy asking for a day does not stall the device for a day. A call
//     therefore waits at most MaxRetries·MaxBackoff between its attempts.
//   - Each retry of a signed request is signed afresh, with a new time and
//     nonce, because the relay refuses a nonce it has seen.
//   - Each attempt is cut off when nothing moves for Config.Timeout (see
//     there); a long-polling Log gets its wait on top for the answer to
//     begin. The caller's context bounds the whole call.
//
// A retry may repeat a request whose answer was lost after the relay
// acted on it. The relay makes that harmless: storing a blob again,
// appending ids already in the log, registering, joining, approving or
// revoking again change nothing; a repeated Invite leaves an unused token
// that expires.
//
// # Errors
//
// Errors start with what was being done ("append to the team log: ...")
// and wrap one of the sentinel errors (ErrUnreachable, ErrForbidden, ...)
// for errors.Is; when the relay answered with an error they also wrap its
// *wire.Error for errors.As. They never contain a URL, which would name
// the team and blob ids; network errors may name the relay's or proxy's
// address.
//
// # What is logged
//
// Only retries, at debug level: "relay request attempt failed" with the
// operation in words and the reason in fixed words ("connection reset",
// "HTTP status 503", "stalled"), and "retrying relay request" with the
// retry's number. Never URLs, host names, addresses, team ids, pseudonyms,
// blob ids, tokens or bodies.
// go-retryablehttp's own logger, which prints URLs, is off.
//
// # TLS, pin and proxy
//
// With Config.Pin the relay's certificate is accepted if and only if its
// public key hashes to the pin, so a self-signed relay works and no
// certificate authority can vouch for an impostor; without one, the system
// roots verify it as usual. Config.Proxy sends every connection through a
// SOCKS5 proxy (Tor: the relay's name is resolved by the proxy) or an
// HTTP(S) CONNECT proxy; TLS to the relay, and the pin, are end to end
// through it.
package client
