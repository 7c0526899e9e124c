package relay

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/letapis/letapis/sync/wire"
)

// Role is what a device may do in its team.
type Role string

// Roles.
const (
	RoleAdmin  Role = "admin"  // invites, approves and revokes devices
	RoleMember Role = "member" // reads and writes blobs and the log
)

// Status is where a device is in its life in a team.
type Status string

// Statuses.
const (
	StatusPending Status = "pending" // asked to join, waits for an admin
	StatusActive  Status = "active"
	StatusRevoked Status = "revoked"
)

// Device is what the relay knows about a device of a team.
type Device struct {
	Pseudonym string
	// AuthKey verifies the device's request signatures. A revoked device
	// has none.
	AuthKey ed25519.PublicKey
	Role    Role
	Status  Status
}

// TokenHash is the SHA-256 of a one-time token (an operator's
// registration token or an admin's invite). Stores keep only the hash, so
// that the tokens in a seized relay cannot be used.
type TokenHash [sha256.Size]byte

// HashToken returns the hash under which a store keeps token.
func HashToken(token string) TokenHash { return sha256.Sum256([]byte(token)) }

// Errors of Store methods. Implementations return them (possibly wrapped)
// so that the server can tell the client what happened.
var (
	ErrNotFound  = errors.New("not found")
	ErrExists    = errors.New("already exists")
	ErrBadToken  = errors.New("the token is unknown, already used or expired")
	ErrRevoked   = errors.New("the device was revoked")
	ErrLastAdmin = errors.New("the team's last active admin cannot be revoked: approve another device as admin first (or, if every admin is lost, the relay's operator can recover the team)")
	// ErrNotActiveDevice refuses a recovery token (see RecoverTeam) to a
	// device that is not an active device of the team.
	ErrNotActiveDevice = errors.New("a recovery token makes an active device of the team its admin: use it from a device that is still in the team")
	ErrQuotaExceeded   = errors.New("the team's storage quota is exceeded")
)

// MissingBlobsError is returned by Append when some ids have no blob.
type MissingBlobsError struct {
	Missing int // how many distinct ids have no blob
}

func (e *MissingBlobsError) Error() string {
	return fmt.Sprintf("no blob for %d of the ids: upload the blobs before appending their ids", e.Missing)
}

// Store is what a relay keeps: teams and their devices, content-addressed
// blobs, each team's append-only log, and the nonces of recent requests.
//
// Every method is safe for concurrent use. Team ids and pseudonyms are
// valid wire names and blob ids valid wire blob ids: the server checks
// them before calling. An implementation that lives across processes
// (a database server) must make each method atomic on its own; the
// contracts below say what must be atomic beyond that.
//
// NonceStore.Seen records the nonce of every verified request until the
// expiry it is given, and forgets it then. Seen must be atomic:
// of two concurrent calls with the same nonce at most one reports false. If
// the store cannot record a nonce, Seen reports true (the request is
// refused rather than risk accepting a replay).
type Store interface {
	wire.NonceStore

	// CreateTeam creates an empty team whose first device registers with
	// the operator token hashed in token. It returns ErrExists if the team
	// exists.
	CreateTeam(ctx context.Context, team string, token TokenHash) error

	// RegisterAdmin makes a device an active admin of the team with the
	// operator token hashed in token, consuming it. It returns ErrBadToken
	// if the team does not exist or the token is not the team's current
	// one (the two are not told apart, so that the relay does not say
	// which teams exist).
	//
	// The token of CreateTeam registers a new device, the team's first.
	// A token of RecoverTeam registers only a device that is an active
	// device of the team, with the auth key it has there, and makes it an
	// admin; any other gets ErrNotActiveDevice, leaving the token unused.
	//
	// Once a token is used, the same device registering again with it and
	// the same auth key succeeds without change (a retry after a lost
	// response), unless it was revoked since; any other gets ErrExists.
	RegisterAdmin(ctx context.Context, team, pseudonym string, authKey ed25519.PublicKey, token TokenHash) error

	// RecoverTeam gives an existing team a new operator token, hashed in
	// token, for when its admins are lost: the token replaces the team's
	// previous one, used or not, and lets one active device of the team
	// become an admin (see RegisterAdmin). Nothing else changes. It returns
	// ErrNotFound if the team does not exist.
	RecoverTeam(ctx context.Context, team string, token TokenHash) error

	// Device returns a device of a team, or ErrNotFound if the team or the
	// device does not exist.
	Device(ctx context.Context, team, pseudonym string) (Device, error)

	// CreateInvite records a one-time invite token that lets one device
	// ask to join the team until expires. The caller has checked that the
	// team exists.
	CreateInvite(ctx context.Context, team string, token TokenHash, expires time.Time) error

	// Join consumes an invite token, unused and not expired at now, to add
	// a as a pending device of the team. It returns ErrBadToken if the
	// token is unknown, expired or used, and ErrExists, leaving the token
	// unused, if the pseudonym is already a device of the team. The device
	// that used a token joining again with it and the same auth key
	// succeeds without change (a retry after a lost response), unless it
	// was revoked since.
	Join(ctx context.Context, team string, token TokenHash, a wire.Applicant, now time.Time) error

	// PendingJoins returns the applicants waiting for approval, oldest
	// request first, with the keys and request time they joined with.
	PendingJoins(ctx context.Context, team string) ([]wire.Applicant, error)

	// Approve makes a pending device active with the given role (RoleAdmin
	// or RoleMember; the server checks) and forgets its device key,
	// recipient and request time (the team's roster keeps them, signed;
	// the relay need not). Approving an active member as admin makes it an
	// admin (an approval retried after an earlier one reached the relay
	// as member); otherwise approving an active device changes nothing: an
	// admin is never made a member again (revoke it instead). It returns
	// ErrNotFound for an unknown device and ErrRevoked for a revoked one.
	Approve(ctx context.Context, team, pseudonym string, role Role) error

	// Revoke marks a device revoked and forgets everything about it but
	// its pseudonym and status, so that it is refused from then on and
	// its pseudonym cannot join again. Any device can be revoked, an admin
	// and the team's first device included, except the team's last active
	// admin: that returns ErrLastAdmin, so that a team always has a device
	// that can invite and approve (the check and the change are atomic).
	// Revoking a pending device refuses its request; revoking a revoked
	// device does nothing. It returns ErrNotFound for an unknown device.
	// Whether the caller may revoke is the server's business: any active
	// admin may.
	Revoke(ctx context.Context, team, pseudonym string) error

	// PutBlob stores data as the team's blob id; the caller has checked
	// that id is the SHA-256 of data. Storing a blob the team already has
	// changes nothing and reports created false. A new blob that would
	// take the team's usage beyond quota bytes (quota > 0) is refused with
	// ErrQuotaExceeded; the check and the write are atomic. A blob is
	// durable when PutBlob returns.
	PutBlob(ctx context.Context, team, id string, data []byte, quota int64) (created bool, err error)

	// PutBlobs stores several blobs as PutBlob does, all or nothing: ids[i]
	// is the SHA-256 of blobs[i] (the caller has checked), and an id may
	// repeat. If the blobs new to the team would together take its usage
	// beyond quota bytes (quota > 0), none is stored and the error is
	// ErrQuotaExceeded. The blobs are durable when PutBlobs returns. It
	// returns how many distinct blobs were new.
	PutBlobs(ctx context.Context, team string, ids []string, blobs [][]byte, quota int64) (created int, err error)

	// MissingBlobs returns which of ids the team has no blob for, each
	// once, in the order of ids.
	MissingBlobs(ctx context.Context, team string, ids []string) ([]string, error)

	// OpenBlob returns a team's blob for reading from any offset, or
	// ErrNotFound. The caller closes it.
	OpenBlob(ctx context.Context, team, id string) (io.ReadSeekCloser, error)

	// Usage returns the bytes of blobs the team stores.
	Usage(ctx context.Context, team string) (int64, error)

	// Append adds ids to the end of the team's log and returns one entry
	// per distinct id, in ascending sequence order. Sequence numbers start
	// at 1 and rise by one per entry, without gaps, in the order of ids.
	// An id already in the log is not added again: its existing entry is
	// returned. If any id has no blob, nothing is added and the error is
	// a *MissingBlobsError. Append is atomic and durable when it returns.
	Append(ctx context.Context, team string, ids []string) ([]wire.Entry, error)

	// ReadLog returns up to limit entries with sequence numbers above
	// since, in order, the sequence number of the log's last entry (0 for
	// an empty log), and the chain hashes (wire.ChainHash) at since and at
	// the last entry returned, all from the same moment. A since beyond
	// the head has no chain hash: Prev and Hash are nil.
	ReadLog(ctx context.Context, team string, since uint64, limit int) (LogRead, error)
}

// LogRead is what Store.ReadLog returns.
type LogRead struct {
	Entries []wire.Entry
	Head    uint64
	// Prev is the chain hash at since; Hash at the last entry of Entries,
	// or at since if there is none.
	Prev, Hash []byte
}
