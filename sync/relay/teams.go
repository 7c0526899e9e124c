package relay

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"encoding/base64"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/letapis/letapis/sync/wire"
)

// NewTeam creates a team with a random id in store and returns the id and
// the one-time token with which the team's first device registers as its
// admin. The store keeps only the token's hash: it cannot be shown again.
func NewTeam(ctx context.Context, store Store) (team, token string, err error) {
	team, token = newName(), newToken()
	if err := store.CreateTeam(ctx, team, HashToken(token)); err != nil {
		return "", "", fmt.Errorf("create team: %w", err)
	}
	return team, token, nil
}

// RecoverTeam gives an existing team of store a new one-time token with
// which one of its active devices registers as an admin (see
// Store.RecoverTeam), for a team whose admins are all lost, and returns
// the token. The store keeps only its hash.
func RecoverTeam(ctx context.Context, store Store, team string) (token string, err error) {
	token = newToken()
	if err := store.RecoverTeam(ctx, team, HashToken(token)); err != nil {
		return "", fmt.Errorf("recover team: %w", err)
	}
	return token, nil
}

// newName returns a random team id: 128 bits in 26 characters of
// lower-case base32 (see wire.ValidName).
func newName() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b))
}

// newToken returns a random one-time token of 256 bits.
func newToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func (s *Server) register(w http.ResponseWriter, c *call) error {
	var req wire.Register
	if err := wire.DecodeBytes(c.body, &req); err != nil {
		return err
	}
	if err := s.store.RegisterAdmin(c.Context(), c.team, req.Pseudonym, req.AuthKey, HashToken(req.Token)); err != nil {
		return fmt.Errorf("register: %w", err)
	}
	w.WriteHeader(http.StatusCreated)
	return nil
}

func (s *Server) join(w http.ResponseWriter, c *call) error {
	var req wire.JoinRequest
	if err := wire.DecodeBytes(c.body, &req); err != nil {
		return err
	}
	now := s.opts.Now()
	a := req.Applicant
	a.Requested = now.UTC().Truncate(time.Second)
	if err := s.store.Join(c.Context(), c.team, HashToken(req.Token), a, now); err != nil {
		return fmt.Errorf("join: %w", err)
	}
	w.WriteHeader(http.StatusAccepted)
	return nil
}

func (s *Server) createInvite(w http.ResponseWriter, c *call) error {
	inv := wire.Invite{
		Token:   newToken(),
		Expires: s.opts.Now().Add(s.opts.InviteTTL).UTC().Truncate(time.Second),
	}
	if err := s.store.CreateInvite(c.Context(), c.team, HashToken(inv.Token), inv.Expires); err != nil {
		return fmt.Errorf("create invite: %w", err)
	}
	return writeJSON(w, http.StatusCreated, &inv)
}

func (s *Server) listJoins(w http.ResponseWriter, c *call) error {
	joins, err := s.store.PendingJoins(c.Context(), c.team)
	if err != nil {
		return fmt.Errorf("list join requests: %w", err)
	}
	return writeJSON(w, http.StatusOK, &wire.Joins{Joins: joins})
}

func (s *Server) approve(w http.ResponseWriter, c *call) error {
	var req wire.Approval
	if len(c.body) > 0 {
		if err := wire.DecodeBytes(c.body, &req); err != nil {
			return err
		}
	}
	role := RoleMember
	if req.Role == string(RoleAdmin) {
		role = RoleAdmin
	}
	return s.changeDevice(w, c, "approve device", func(ctx context.Context, team, pseudonym string) error {
		return s.store.Approve(ctx, team, pseudonym, role)
	})
}

func (s *Server) revoke(w http.ResponseWriter, c *call) error {
	return s.changeDevice(w, c, "revoke device", s.store.Revoke)
}

// changeDevice applies change to the device named in the path.
func (s *Server) changeDevice(w http.ResponseWriter, c *call, what string, change func(ctx context.Context, team, pseudonym string) error) error {
	pseudonym := c.PathValue("pseudonym")
	if !wire.ValidName(pseudonym) {
		return wire.Errorf(wire.CodeBadRequest, "pseudonym must be 26 characters a-z and 2-7")
	}
	if err := change(c.Context(), c.team, pseudonym); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
