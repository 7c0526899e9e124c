package client

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/letapis/letapis/sync/wire"
)

// Append adds ids (at most wire.MaxIDs, their blobs already stored) to
// the team's log. It returns one entry per distinct id, in sequence order,
// with the relay's receipt: an id already in the log keeps its entry, so
// an append may be repeated. The receipt is verified with the relay key
// (see Info; fetched first if none is known yet) and the entries must be
// the ids asked for: anything else is ErrProtocol. No ids, no request: the
// result is empty and has no receipt.
func (c *Client) Append(ctx context.Context, ids []string) (*wire.Appended, error) {
	const op = "append to the team log"
	if len(ids) == 0 {
		return &wire.Appended{}, nil
	}
	key, err := c.knownRelayKey(ctx)
	if err != nil {
		return nil, err
	}
	var res wire.Appended
	if _, err := c.do(ctx, &call{
		op: op, method: http.MethodPost, url: c.team + "/log", signed: true,
		send: &wire.IDs{IDs: ids}, recv: &res,
	}); err != nil {
		return nil, err
	}
	if err := c.checkAppended(key, ids, &res); err != nil {
		return nil, fmt.Errorf("%s: %w: %w", op, ErrProtocol, err)
	}
	return &res, nil
}

// checkAppended checks that res gives one entry to each distinct id of
// ids, under a receipt signed by key.
func (c *Client) checkAppended(key ed25519.PublicKey, ids []string, res *wire.Appended) error {
	asked := make(map[string]bool, len(ids)) // id -> answered
	for _, id := range ids {
		asked[id] = false
	}
	for _, e := range res.Entries {
		answered, ok := asked[e.ID]
		if !ok || answered {
			return errors.New("the entries are not the blobs appended")
		}
		asked[e.ID] = true
	}
	if len(res.Entries) != len(asked) {
		return fmt.Errorf("%d entries for %d blobs", len(res.Entries), len(asked))
	}
	if !ed25519.Verify(key, wire.ReceiptMessage(c.cfg.Team, res.Entries), res.Receipt) {
		return errors.New("the receipt does not verify with the relay key")
	}
	return nil
}

// Log returns the team's log entries after the point from, which this
// device verified before: at most limit of them (0 lets the relay
// choose). If there are none yet and wait is positive, the relay holds
// the request until one arrives or wait (at most wire.MaxWait, in whole
// seconds) passes.
//
// The page is checked against from (see CheckPage): a log that ends
// before from, skips an entry, rewrites what from covers or does not
// hash to the head the relay signed is refused with ErrTampered. A from
// without a hash (a vault from before chained logs) takes the relay's
// chain at from.Seq as given.
func (c *Client) Log(ctx context.Context, from wire.Point, limit int, wait time.Duration) (*wire.Page, error) {
	const op = "read the team log"
	key, err := c.knownRelayKey(ctx)
	if err != nil {
		return nil, err
	}
	wait = min(max(wait, 0), wire.MaxWait).Round(time.Second) // the relay counts in seconds
	q := url.Values{"since": {strconv.FormatUint(from.Seq, 10)}}
	if limit > 0 {
		q.Set("limit", strconv.Itoa(limit))
	}
	if wait > 0 {
		q.Set("wait", strconv.Itoa(int(wait/time.Second)))
	}
	var page wire.Page
	if _, err := c.do(ctx, &call{
		op: op, method: http.MethodGet, url: c.team + "/log?" + q.Encode(), signed: true,
		wait: wait, recv: &page,
	}); err != nil {
		return nil, err
	}
	if limit > 0 && len(page.Entries) > limit {
		return nil, fmt.Errorf("%s: %w: %d entries, %d asked for", op, ErrProtocol, len(page.Entries), limit)
	}
	if err := CheckPage(key, c.cfg.Team, from, &page); err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	return &page, nil
}

// CheckPage checks a page of team's log read from the point from: it
// must go on from there without a gap, its entries must chain from the
// hash the relay gives for from (which must be from's own, if from has
// one) to the hash of its end, and key must have signed that end. Its
// errors wrap ErrTampered, or ErrProtocol for a relay too old to chain
// its log.
func CheckPage(key ed25519.PublicKey, team string, from wire.Point, page *wire.Page) error {
	if page.Head < from.Seq {
		return fmt.Errorf("%w: the log ends at entry %d, before entry %d that this device has verified; the relay may have been rolled back or may be hiding entries", ErrTampered, page.Head, from.Seq)
	}
	if len(page.Prev) != sha256.Size || len(page.Hash) != sha256.Size || len(page.Sig) != ed25519.SignatureSize {
		return fmt.Errorf("%w: the relay's log is not chained (log version %d is needed): upgrade the relay", ErrProtocol, wire.LogVersion)
	}
	if from.Seq == 0 && !bytes.Equal(page.Prev, wire.GenesisHash) {
		return fmt.Errorf("%w: the log's start is not the empty log", ErrTampered)
	}
	if from.Hash != nil && !bytes.Equal(page.Prev, from.Hash) {
		return fmt.Errorf("%w: the log up to entry %d differs from the one this device verified before: its history was rewritten", ErrTampered, from.Seq)
	}
	hash, next := page.Prev, from.Seq+1
	for _, e := range page.Entries {
		if e.Seq != next {
			return fmt.Errorf("%w: entries %s are missing from the log (a gap after entry %d)", ErrTampered, span(next, e.Seq-1), next-1)
		}
		hash, next = wire.ChainHash(hash, e.Seq, e.ID), next+1
	}
	if len(page.Entries) == 0 && page.Head > from.Seq {
		return fmt.Errorf("%w: the log has entries %s but the page holds none of them", ErrTampered, span(from.Seq+1, page.Head))
	}
	end := page.End(from.Seq)
	if !bytes.Equal(hash, end.Hash) {
		return fmt.Errorf("%w: the entries up to %d do not hash to the head the relay gives", ErrTampered, end.Seq)
	}
	if !wire.VerifyHead(key, team, end, page.Sig) {
		return fmt.Errorf("%w: the head at entry %d is not signed with the relay key", ErrTampered, end.Seq)
	}
	return nil
}

// span words a range of sequence numbers.
func span(first, last uint64) string {
	if first == last {
		return strconv.FormatUint(first, 10)
	}
	return fmt.Sprintf("%d to %d", first, last)
}
