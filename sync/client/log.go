package client

import (
	"context"
	"crypto/ed25519"
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

// Log returns the team's log entries after sequence number since: at most
// limit of them (0 lets the relay choose). If there are none yet and wait
// is positive, the relay holds the request until one arrives or wait
// (at most wire.MaxWait, in whole seconds) passes. A log that ends before since means the
// relay lost or withholds entries this device has seen: ErrProtocol.
func (c *Client) Log(ctx context.Context, since uint64, limit int, wait time.Duration) (*wire.Page, error) {
	const op = "read the team log"
	wait = min(max(wait, 0), wire.MaxWait).Round(time.Second) // the relay counts in seconds
	q := url.Values{"since": {strconv.FormatUint(since, 10)}}
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
	switch n := len(page.Entries); {
	case page.Head < since:
		return nil, fmt.Errorf("%s: %w: the log ends at %d, before entry %d that this device has seen; the relay may have been rolled back", op, ErrProtocol, page.Head, since)
	case n > 0 && page.Entries[0].Seq <= since:
		return nil, fmt.Errorf("%s: %w: entries from before the cursor", op, ErrProtocol)
	case limit > 0 && n > limit:
		return nil, fmt.Errorf("%s: %w: %d entries, %d asked for", op, ErrProtocol, n, limit)
	}
	return &page, nil
}
