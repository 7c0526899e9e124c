package engine

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"

	"github.com/letapis/letapis/storage"
	"github.com/letapis/letapis/sync/wire"
)

// The team flows, each touching both the vault and the relay. In order:
//
//	admin:  Found (once), then Invite for each newcomer
//	device: Join with the invite code; tell the admin the safety number
//	admin:  Applicants, compare safety numbers, Approve
//	admin:  Remove when a device leaves or is lost

// Found creates a team in the vault, with this device as its admin, and
// registers the device with the relay using the operator's one-time token
// (from `letapis-relay team create`).
func Found(ctx context.Context, v *storage.Vault, relay, team, token, pin string, cfg Config) (*Engine, error) {
	if _, err := v.CreateTeam(team, relay, pin); err != nil {
		return nil, err
	}
	e, err := New(v, cfg)
	if err != nil {
		return nil, err
	}
	if err := e.client.Register(ctx, token); err != nil {
		return nil, fmt.Errorf("register with the relay: %w", err)
	}
	return e, nil
}

// Invite makes a one-time invite code for a new member, to be handed over
// in person or over a channel both trust.
func (e *Engine) Invite(ctx context.Context) (*wire.InviteCode, error) {
	team, err := e.vault.Team()
	if err != nil {
		return nil, err
	}
	inv, err := e.client.Invite(ctx)
	if err != nil {
		return nil, fmt.Errorf("invite: %w", err)
	}
	return &wire.InviteCode{Relay: team.Relay, Team: team.Team, Token: inv.Token,
		Admin: e.vault.DeviceKey(), Pin: team.Pin}, nil
}

// Join asks to join the team of an invite code from an empty vault. It
// returns the engine and the safety number to read to the admin, who must
// see the same one before approving.
func Join(ctx context.Context, v *storage.Vault, code *wire.InviteCode, cfg Config) (*Engine, string, error) {
	st, err := v.PrepareJoin(code.Team, code.Relay, code.Pin, code.Admin)
	if err != nil {
		return nil, "", err
	}
	e, err := New(v, cfg)
	if err != nil {
		return nil, "", err
	}
	a := applicantOf(v, st)
	if err := e.client.Join(ctx, code.Token, a); err != nil {
		return nil, "", fmt.Errorf("ask to join: %w", err)
	}
	return e, wire.SafetyNumber(code.Team, code.Admin, &a), nil
}

// OwnSafetyNumber returns the safety number of a vault that asked to join
// its team: the one Join returned, for the device to show again until it
// is approved.
func OwnSafetyNumber(v *storage.Vault) (string, error) {
	st, err := v.Team()
	if err != nil {
		return "", err
	}
	switch {
	case st.Joined || !st.Invited():
		return "", errors.New("this device is in its team: it has no safety number")
	case len(st.Inviter) == 0:
		return "", ErrOldJoin
	}
	a := applicantOf(v, st)
	return wire.SafetyNumber(st.Team, st.Inviter, &a), nil
}

// ErrOldJoin means a vault asked to join its team with an invite code of
// an older version, which named the admin by a fingerprint only: it cannot
// tell the admin's key grant from a forgery, so it cannot join.
var ErrOldJoin = errors.New("this device asked to join with an invite code of an older version of Letapis and cannot finish joining: ask the admin for a new invite code and join from a new, empty vault")

func applicantOf(v *storage.Vault, st *storage.TeamState) wire.Applicant {
	return wire.Applicant{
		Pseudonym: st.Pseudonym,
		AuthKey:   st.AuthKey().Public().(ed25519.PublicKey),
		Device:    v.DeviceKey(),
		Recipient: v.Recipient(),
	}
}

// Applicant is a device waiting for approval, with the safety number the
// admin must compare with the one the device shows.
type Applicant struct {
	wire.Applicant
	SafetyNumber string
}

// Fingerprint returns the applicant's device key fingerprint.
func (a *Applicant) Fingerprint() string { return storage.Fingerprint(a.Device) }

// Applicants lists the devices waiting to join.
func (e *Engine) Applicants(ctx context.Context) ([]Applicant, error) {
	team, err := e.vault.Team()
	if err != nil {
		return nil, err
	}
	joins, err := e.client.Joins(ctx)
	if err != nil {
		return nil, fmt.Errorf("list join requests: %w", err)
	}
	self := e.vault.DeviceKey()
	out := make([]Applicant, len(joins))
	for i := range joins {
		out[i] = Applicant{Applicant: joins[i], SafetyNumber: wire.SafetyNumber(team.Team, self, &joins[i])}
	}
	return out, nil
}

// Approve admits an applicant whose safety number the admin has compared,
// with role storage.RoleMember or storage.RoleAdmin: the relay lets it in
// with the same role, and the vault writes its roster entry and key grant,
// which the next pass sends.
//
// The vault side comes first: if the relay cannot be told, the applicant
// stays pending there and Approve can simply be called again (admitting a
// device twice changes nothing).
func (e *Engine) Approve(ctx context.Context, a *Applicant, role string) error {
	if err := e.vault.Admit(a.Device, a.Recipient, a.Pseudonym, role); err != nil {
		return err
	}
	if err := e.client.Approve(ctx, a.Pseudonym, role); err != nil {
		return fmt.Errorf("approve at the relay (approve again to finish): %w", err)
	}
	e.Kick()
	return nil
}

// Remove expels a member, named by its device fingerprint: the vault
// rotates the audience key and records the removal, and the relay refuses
// the device from then on. Any admin may remove any other device, admins
// and the team's founder included; the relay refuses to revoke the last
// active admin it knows (relay.ErrLastAdmin).
func (e *Engine) Remove(ctx context.Context, fingerprint string) error {
	members, err := e.vault.Members()
	if err != nil {
		return err
	}
	for _, m := range members {
		if m.Fingerprint() != fingerprint {
			continue
		}
		// A member already removed here may still need the relay told:
		// that is what a second Remove after a failed one does.
		if !m.Removed {
			if err := e.vault.Expel(m.Device); err != nil {
				return err
			}
		}
		if err := e.client.Revoke(ctx, m.Pseudonym); err != nil {
			return fmt.Errorf("the member is removed from the team, but the relay did not confirm (run remove again): %w", err)
		}
		e.Kick()
		return nil
	}
	return fmt.Errorf("no member has the fingerprint %s", fingerprint)
}
