package wire

import (
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"time"
)

// Version is the protocol version, the "v1" of every path.
const Version = 1

// Limits every relay enforces and every client respects.
const (
	// MaxBlobSize is the largest blob: an envelope of envelope.MaxSize
	// plus the age overhead, or one attachment part.
	MaxBlobSize = 17 << 20
	// MaxIDs is the most ids in one missing, append or log request.
	MaxIDs = 5000
	// MaxMessageSize is the largest JSON request or response body.
	MaxMessageSize = 1 << 20
	// MaxWait is the longest a log request may long-poll.
	MaxWait = 60 * time.Second
)

var (
	blobIDPattern = regexp.MustCompile(`^[0-9a-f]{64}$`)
	namePattern   = regexp.MustCompile(`^[a-z2-7]{26}$`)
	tokenPattern  = regexp.MustCompile(`^[A-Za-z0-9_-]{22,64}$`)
)

// ValidBlobID reports whether s is a blob id: 64 lower-case hex digits.
func ValidBlobID(s string) bool { return blobIDPattern.MatchString(s) }

// ValidName reports whether s is a team id or device pseudonym: 26
// lower-case base32 characters.
func ValidName(s string) bool { return namePattern.MatchString(s) }

// Message is a request or response body that can check itself.
type Message interface {
	Validate() error
}

// ErrMalformed is wrapped by every error of Decode.
var ErrMalformed = errors.New("malformed message")

// Decode reads one JSON message of at most MaxMessageSize bytes from r
// into m and validates it.
func Decode(r io.Reader, m Message) error {
	data, err := io.ReadAll(io.LimitReader(r, MaxMessageSize+1))
	if err != nil {
		return err
	}
	return DecodeBytes(data, m)
}

// DecodeBytes is Decode for a body already in memory.
func DecodeBytes(data []byte, m Message) error {
	if len(data) > MaxMessageSize {
		return fmt.Errorf("%w: larger than %d bytes", ErrMalformed, MaxMessageSize)
	}
	if err := json.Unmarshal(data, m); err != nil {
		return fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	if err := m.Validate(); err != nil {
		return fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	return nil
}

// Info describes a relay. GET /v1/info.
type Info struct {
	Version     int               `json:"version"`
	RelayKey    ed25519.PublicKey `json:"relay_key"` // signs append receipts
	MaxBlobSize int64             `json:"max_blob_size"`
	MaxIDs      int               `json:"max_ids"`
	// LogVersion is the format of the team logs (see LogVersion); 0 from
	// a relay older than chained logs.
	LogVersion int `json:"log_version,omitempty"`
}

// Validate implements Message.
func (i *Info) Validate() error {
	if i.Version != Version {
		return fmt.Errorf("relay speaks protocol version %d, this client %d", i.Version, Version)
	}
	if len(i.RelayKey) != ed25519.PublicKeySize {
		return errors.New("relay key is missing")
	}
	return nil
}

// Register makes the first device of a team its admin, using the token the
// relay operator created with the team. POST /v1/teams/{team}/register.
type Register struct {
	Token     string            `json:"token"`
	Pseudonym string            `json:"pseudonym"`
	AuthKey   ed25519.PublicKey `json:"auth_key"` // verifies this device's request signatures
}

// Validate implements Message.
func (r *Register) Validate() error {
	switch {
	case !tokenPattern.MatchString(r.Token):
		return errors.New("token is malformed")
	case !ValidName(r.Pseudonym):
		return errors.New("pseudonym is malformed")
	case len(r.AuthKey) != ed25519.PublicKeySize:
		return errors.New("auth key is not an Ed25519 public key")
	}
	return nil
}

// Invite is a one-time token an admin hands to a new member inside an
// invite code. Response of POST /v1/teams/{team}/invites.
type Invite struct {
	Token   string    `json:"token"`
	Expires time.Time `json:"expires"`
}

// Validate implements Message.
func (i *Invite) Validate() error {
	if !tokenPattern.MatchString(i.Token) {
		return errors.New("token is malformed")
	}
	return nil
}

// Applicant is a device asking to join a team: its pseudonym and public
// keys. The device key and recipient are what an admin needs to admit it to
// the team's roster; the relay forgets them once the request is approved
// or revoked.
type Applicant struct {
	Pseudonym string            `json:"pseudonym"`
	AuthKey   ed25519.PublicKey `json:"auth_key"`
	Device    ed25519.PublicKey `json:"device"`    // signs the device's revisions
	Recipient string            `json:"recipient"` // the device's age recipient
	Requested time.Time         `json:"requested,omitzero"`
}

// Validate implements Message.
func (a *Applicant) Validate() error {
	switch {
	case !ValidName(a.Pseudonym):
		return errors.New("pseudonym is malformed")
	case len(a.AuthKey) != ed25519.PublicKeySize:
		return errors.New("auth key is not an Ed25519 public key")
	case len(a.Device) != ed25519.PublicKeySize:
		return errors.New("device key is not an Ed25519 public key")
	case a.Recipient == "" || len(a.Recipient) > 4096:
		return errors.New("recipient is missing or too long")
	}
	return nil
}

// JoinRequest asks to join a team with an invite token.
// POST /v1/teams/{team}/join.
type JoinRequest struct {
	Token string `json:"token"`
	Applicant
}

// Validate implements Message.
func (j *JoinRequest) Validate() error {
	if !tokenPattern.MatchString(j.Token) {
		return errors.New("token is malformed")
	}
	return j.Applicant.Validate()
}

// Approval is the body of POST /v1/teams/{team}/devices/{pseudonym}/approve:
// the role the device gets at the relay, the one the approving admin
// gives it in the team's roster. An empty body or role means "member".
type Approval struct {
	Role string `json:"role,omitempty"`
}

// Validate implements Message.
func (a *Approval) Validate() error {
	switch a.Role {
	case "", "member", "admin":
		return nil
	}
	return fmt.Errorf("role %q is neither member nor admin", a.Role)
}

// Joins lists pending join requests to admins. GET /v1/teams/{team}/joins.
type Joins struct {
	Joins []Applicant `json:"joins"`
}

// Validate implements Message.
func (js *Joins) Validate() error {
	for i := range js.Joins {
		if err := js.Joins[i].Validate(); err != nil {
			return fmt.Errorf("join %d: %w", i, err)
		}
	}
	return nil
}

// IDs is a list of blob ids: the body of POST .../blobs/missing (ids to
// check) and of its answer (ids the relay lacks), and of POST .../log.
type IDs struct {
	IDs []string `json:"ids"`
}

// Validate implements Message.
func (l *IDs) Validate() error {
	if len(l.IDs) > MaxIDs {
		return fmt.Errorf("%d ids, at most %d per request", len(l.IDs), MaxIDs)
	}
	for _, id := range l.IDs {
		if !ValidBlobID(id) {
			return fmt.Errorf("blob id %q is not 64 hex digits", id)
		}
	}
	return nil
}

// Entry is one position of a team's log.
type Entry struct {
	Seq  uint64 `json:"seq"`
	ID   string `json:"id"`
	Size int64  `json:"size"`
}

// Appended answers POST .../log: one entry per distinct appended id, in
// sequence order (which is request order unless some ids were already in
// the log: those keep their earlier entries), and the relay's signature
// over them (see ReceiptMessage).
type Appended struct {
	Entries []Entry `json:"entries"`
	Receipt []byte  `json:"receipt"`
}

// Validate implements Message.
func (a *Appended) Validate() error {
	if err := validateEntries(a.Entries); err != nil {
		return err
	}
	if len(a.Receipt) != ed25519.SignatureSize {
		return errors.New("receipt is not a signature")
	}
	return nil
}

// Page answers GET .../log: entries after the cursor, in order, and the
// sequence number of the newest entry in the log. Since log version 2 it
// also carries the chain hash at the cursor (Prev), the chain hash at the
// page's last entry, or at the cursor if it has none (Hash), and the
// relay's signature of that point (Sig, see HeadMessage), so that a
// client can check that the page extends what it verified before.
type Page struct {
	Entries []Entry `json:"entries"`
	Head    uint64  `json:"head"`
	Prev    []byte  `json:"prev,omitempty"`
	Hash    []byte  `json:"hash,omitempty"`
	Sig     []byte  `json:"sig,omitempty"`
}

// End returns the point the page ends at: its last entry, or since (the
// cursor it was asked from) if it has none, with the page's Hash.
func (p *Page) End(since uint64) Point {
	if n := len(p.Entries); n > 0 {
		since = p.Entries[n-1].Seq
	}
	return Point{Seq: since, Hash: p.Hash}
}

// Validate implements Message.
func (p *Page) Validate() error {
	if err := validateEntries(p.Entries); err != nil {
		return err
	}
	if n := len(p.Entries); n > 0 && p.Entries[n-1].Seq > p.Head {
		return errors.New("entries beyond the head")
	}
	return nil
}

func validateEntries(es []Entry) error {
	if len(es) > MaxIDs {
		return fmt.Errorf("%d entries, at most %d", len(es), MaxIDs)
	}
	for i, e := range es {
		switch {
		case !ValidBlobID(e.ID):
			return fmt.Errorf("entry %d: blob id is malformed", i)
		case e.Seq == 0 || (i > 0 && e.Seq <= es[i-1].Seq):
			return fmt.Errorf("entry %d: sequence numbers must start at 1 and increase", i)
		case e.Size < 0 || e.Size > MaxBlobSize:
			return fmt.Errorf("entry %d: size %d out of range", i, e.Size)
		}
	}
	return nil
}

// ReceiptMessage is what the relay signs when it appends entries to a
// team's log, so that a client can later prove what the relay accepted.
func ReceiptMessage(team string, entries []Entry) []byte {
	b := []byte("letapis-receipt/v1\n" + team + "\n")
	for _, e := range entries {
		b = fmt.Appendf(b, "%d %s %d\n", e.Seq, e.ID, e.Size)
	}
	return b
}
