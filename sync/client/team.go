package client

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"net/http"

	"github.com/letapis/letapis/sync/wire"
)

// Info asks the relay for its key and limits. The relay key is
// remembered: the first one seen (or Config.RelayKey) verifies append
// receipts, and a relay that later presents another is refused with
// ErrProtocol.
func (c *Client) Info(ctx context.Context) (*wire.Info, error) {
	const op = "ask the relay for its key"
	var info wire.Info
	if _, err := c.do(ctx, &call{op: op, method: http.MethodGet, url: c.base + "/v1/info", recv: &info}); err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.relayKey == nil {
		c.relayKey = info.RelayKey
	} else if !c.relayKey.Equal(info.RelayKey) {
		return nil, fmt.Errorf("%s: %w: the relay's key is not the one this device knows", op, ErrProtocol)
	}
	return &info, nil
}

// knownRelayKey returns the relay key, asking the relay only if none is
// known yet.
func (c *Client) knownRelayKey(ctx context.Context) (ed25519.PublicKey, error) {
	c.mu.Lock()
	key := c.relayKey
	c.mu.Unlock()
	if key != nil {
		return key, nil
	}
	info, err := c.Info(ctx)
	if err != nil {
		return nil, err
	}
	return info.RelayKey, nil
}

// Register makes this device the first admin of the team, with the token
// the relay operator created along with the team. The request carries the
// device's public auth key and is not itself signed.
func (c *Client) Register(ctx context.Context, token string) error {
	_, err := c.do(ctx, &call{
		op: "register the team", method: http.MethodPost, url: c.team + "/register",
		send: &wire.Register{Token: token, Pseudonym: c.cfg.Pseudonym, AuthKey: c.authPublicKey()},
	})
	return err
}

// Join asks to join the team with an invite token. The applicant's
// Pseudonym and AuthKey are this client's (whatever a holds); its Device
// key and Recipient are the caller's. The request is not signed: an admin
// approves the device later (Approve).
func (c *Client) Join(ctx context.Context, token string, a wire.Applicant) error {
	a.Pseudonym, a.AuthKey = c.cfg.Pseudonym, c.authPublicKey()
	_, err := c.do(ctx, &call{
		op: "ask to join the team", method: http.MethodPost, url: c.team + "/join",
		send: &wire.JoinRequest{Token: token, Applicant: a},
	})
	return err
}

// Invite makes a one-time invite token (admins only).
func (c *Client) Invite(ctx context.Context) (*wire.Invite, error) {
	var inv wire.Invite
	if _, err := c.do(ctx, &call{op: "make an invite", method: http.MethodPost, url: c.team + "/invites", signed: true, recv: &inv}); err != nil {
		return nil, err
	}
	return &inv, nil
}

// Joins lists the devices waiting for approval (admins only).
func (c *Client) Joins(ctx context.Context) ([]wire.Applicant, error) {
	var js wire.Joins
	if _, err := c.do(ctx, &call{op: "list join requests", method: http.MethodGet, url: c.team + "/joins", signed: true, recv: &js}); err != nil {
		return nil, err
	}
	return js.Joins, nil
}

// Approve admits a device that asked to join (admins only), with the
// role it has in the team's roster: "member" or "admin". The relay gives
// the device the same role, so that an admin can invite, approve and
// revoke there too.
func (c *Client) Approve(ctx context.Context, pseudonym, role string) error {
	return c.device(ctx, "approve a device", pseudonym, "approve", &wire.Approval{Role: role})
}

// Revoke removes a device from the team (admins only): the relay refuses
// its requests from then on.
func (c *Client) Revoke(ctx context.Context, pseudonym string) error {
	return c.device(ctx, "remove a device", pseudonym, "revoke", nil)
}

// device posts an admin action about another device, with body send
// unless it is nil.
func (c *Client) device(ctx context.Context, op, pseudonym, action string, send wire.Message) error {
	if !wire.ValidName(pseudonym) {
		return fmt.Errorf("%s: the pseudonym is malformed", op)
	}
	_, err := c.do(ctx, &call{op: op, method: http.MethodPost, url: c.team + "/devices/" + pseudonym + "/" + action, signed: true, send: send})
	return err
}

func (c *Client) authPublicKey() ed25519.PublicKey {
	return c.cfg.AuthKey.Public().(ed25519.PublicKey)
}
