package engine

import (
	"errors"
	"fmt"

	"github.com/letapis/letapis/sync/client"
)

// ErrWithheld means the relay's log contradicts what this device verified
// before or itself (client.ErrTampered): a gap, a rewritten history, a
// head it did not sign. Nothing of the page was received and nothing
// waiting was sent; the error names what was seen.
var ErrWithheld = errors.New("the relay may be hiding or rewriting the team's records")

// withheld marks a tampered log as ErrWithheld.
func withheld(err error) error {
	if errors.Is(err, client.ErrTampered) {
		return fmt.Errorf("%w: %w", ErrWithheld, err)
	}
	return err
}
