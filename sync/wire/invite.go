package wire

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strings"
)

// invitePrefix starts every invite code, so that a pasted code is
// recognised and a wrong paste is reported as such.
const invitePrefix = "letapis-invite-v1:"

var fingerprintPattern = regexp.MustCompile(`^[0-9a-f]{12,64}$`)

// InviteCode is what an admin hands to a new member, out of band (in
// person, or over a channel both trust): where the relay is, which team,
// a one-time token, and the admin's key fingerprint to compare.
type InviteCode struct {
	Relay string `json:"relay"` // base URL, https:// (or http:// on loopback)
	Team  string `json:"team"`
	Token string `json:"token"`
	// Admin is the fingerprint of the inviting admin's device key
	// (storage.Fingerprint).
	Admin string `json:"admin"`
	// Pin, if set, is the hex SHA-256 of the relay's TLS certificate
	// public key (SubjectPublicKeyInfo); the client refuses any other.
	Pin string `json:"pin,omitempty"`
}

// String encodes the invite code as one line of text.
func (c *InviteCode) String() string {
	b, _ := json.Marshal(c)
	return invitePrefix + base64.RawURLEncoding.EncodeToString(b)
}

// ParseInviteCode decodes and checks an invite code.
func ParseInviteCode(s string) (*InviteCode, error) {
	rest, ok := strings.CutPrefix(strings.TrimSpace(s), invitePrefix)
	if !ok {
		return nil, errors.New("this is not a Letapis invite code (it should start with " + invitePrefix + ")")
	}
	b, err := base64.RawURLEncoding.DecodeString(rest)
	if err != nil || len(b) > 4096 {
		return nil, errors.New("the invite code is damaged: copy it again, whole")
	}
	var c InviteCode
	if err := json.Unmarshal(b, &c); err != nil {
		return nil, errors.New("the invite code is damaged: copy it again, whole")
	}
	if err := c.validate(); err != nil {
		return nil, fmt.Errorf("the invite code is not valid: %w", err)
	}
	return &c, nil
}

func (c *InviteCode) validate() error {
	u, err := url.Parse(c.Relay)
	switch {
	case err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http"):
		return fmt.Errorf("relay address %q is not an http(s) URL", c.Relay)
	case !ValidName(c.Team):
		return errors.New("team id is malformed")
	case !tokenPattern.MatchString(c.Token):
		return errors.New("token is malformed")
	case !fingerprintPattern.MatchString(c.Admin):
		return errors.New("admin fingerprint is malformed")
	case c.Pin != "" && (len(c.Pin) != 64 || !fingerprintPattern.MatchString(c.Pin)):
		return errors.New("certificate pin is not a hex SHA-256")
	}
	return nil
}

// SafetyNumber is the number an admin and a joining device both compute
// and compare, by voice or in person, before the admin approves: it covers
// the team, the admin's fingerprint from the invite code and every key the
// applicant sent, so a relay that swapped any of them is caught. It is 16
// digits in groups of four.
func SafetyNumber(team, adminFingerprint string, a *Applicant) string {
	h := sha256.New()
	for _, part := range [][]byte{
		[]byte("letapis-safety-number/v1"), []byte(team), []byte(adminFingerprint),
		[]byte(a.Pseudonym), a.AuthKey, a.Device, []byte(a.Recipient),
	} {
		var n [4]byte
		binary.BigEndian.PutUint32(n[:], uint32(len(part)))
		h.Write(n[:])
		h.Write(part)
	}
	sum := h.Sum(nil)
	digits := fmt.Sprintf("%016d", binary.BigEndian.Uint64(sum[:8])%1e16)
	return digits[0:4] + " " + digits[4:8] + " " + digits[8:12] + " " + digits[12:16]
}
