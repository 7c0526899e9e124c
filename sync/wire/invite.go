package wire

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"regexp"
	"strings"
)

// invitePrefix starts every invite code, so that a pasted code is
// recognised and a wrong paste is reported as such. Version 2 carries the
// inviting admin's whole public key; version 1 carried a 48-bit
// fingerprint of it, too short to stand for the key, and is refused.
const (
	invitePrefix   = "letapis-invite-v2:"
	invitePrefixV1 = "letapis-invite-v1:"
)

// ErrOldInvite is returned by ParseInviteCode for an invite code of
// version 1, which named the admin by a fingerprint a relay could match
// with a key of its own: the admin must make a new one.
var ErrOldInvite = errors.New("this invite code is from an older version of Letapis and can no longer be used: ask the admin for a new invite code")

var hexSHA256Pattern = regexp.MustCompile(`^[0-9a-f]{64}$`)

// InviteCode is what an admin hands to a new member, out of band (in
// person, or over a channel both trust): where the relay is, which team,
// a one-time token, and the admin's public device key, the one key whose
// signature the joining device trusts for its first key grant.
type InviteCode struct {
	Relay string `json:"relay"` // base URL, https:// (http:// only on loopback or a .onion host)
	Team  string `json:"team"`
	Token string `json:"token"`
	// Admin is the inviting admin's Ed25519 device key, whole.
	Admin ed25519.PublicKey `json:"admin"`
	// Pin, if set, is the hex SHA-256 of the relay's TLS certificate
	// public key (SubjectPublicKeyInfo); the client refuses any other.
	Pin string `json:"pin,omitempty"`
}

// String encodes the invite code as one line of text.
func (c *InviteCode) String() string {
	b, _ := json.Marshal(c)
	return invitePrefix + base64.RawURLEncoding.EncodeToString(b)
}

// ParseInviteCode decodes and checks an invite code. A code of version 1
// is refused with ErrOldInvite.
func ParseInviteCode(s string) (*InviteCode, error) {
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, invitePrefixV1) {
		return nil, ErrOldInvite
	}
	rest, ok := strings.CutPrefix(s, invitePrefix)
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
	if _, err := ParseRelayURL(c.Relay); err != nil {
		return err
	}
	switch {
	case !ValidName(c.Team):
		return errors.New("team id is malformed")
	case !tokenPattern.MatchString(c.Token):
		return errors.New("token is malformed")
	case len(c.Admin) != ed25519.PublicKeySize:
		return errors.New("the admin's key is not an Ed25519 public key")
	case c.Pin != "" && !hexSHA256Pattern.MatchString(c.Pin):
		return errors.New("certificate pin is not a hex SHA-256")
	}
	return nil
}

// SafetyNumberDigits is how many decimal digits a safety number has:
// 10^35 is about 2^116, so that a relay that swapped a key must find
// another whose number matches by trying some 10^35 keys.
const SafetyNumberDigits = 35

// SafetyNumber is the number an admin and a joining device both compute
// and compare, by voice or in person, before the admin approves: it covers
// the team, the admin's whole public key from the invite code and every
// key the applicant sent, so a relay that swapped any of them is caught.
// It is SafetyNumberDigits digits in groups of five.
func SafetyNumber(team string, admin ed25519.PublicKey, a *Applicant) string {
	h := sha256.New()
	for _, part := range [][]byte{
		[]byte("letapis-safety-number/v3"), []byte(team), admin,
		[]byte(a.Pseudonym), a.AuthKey, a.Device, []byte(a.Recipient),
	} {
		var n [4]byte
		binary.BigEndian.PutUint32(n[:], uint32(len(part)))
		h.Write(n[:])
		h.Write(part)
	}
	// 192 bits of the hash, reduced modulo 10^35: the bias is below 2^-75.
	sum := h.Sum(nil)
	n := new(big.Int).SetBytes(sum[:24])
	n.Mod(n, new(big.Int).Exp(big.NewInt(10), big.NewInt(SafetyNumberDigits), nil))
	digits := fmt.Sprintf("%0*s", SafetyNumberDigits, n.String())
	groups := make([]string, 0, SafetyNumberDigits/5)
	for i := 0; i < len(digits); i += 5 {
		groups = append(groups, digits[i:i+5])
	}
	return strings.Join(groups, " ")
}
