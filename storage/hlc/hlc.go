// Package hlc implements a hybrid logical clock: timestamps that follow the
// wall clock where they can and a logical counter where they must, so that
// every revision a device writes is ordered after everything it has seen,
// even when laptop clocks disagree.
//
// The algorithm is the one of Kulkarni et al., "Logical Physical Clocks"
// (2014), with milliseconds as the physical unit, and two bounds against a
// device whose clock is wrong or hostile:
//
//   - A remote time more than MaxAhead ahead of the local wall clock is not
//     observed (Observe reports false): one device cannot drag every other
//     device's clock into the future, where its own later writes would lose
//     every merge. A clock restored from storage that far ahead (dragged
//     there before this bound existed) is set back to the wall clock.
//   - The logical counter never wraps: when it is full the time moves on by
//     one millisecond, and at the very top of the range the clock stays
//     there rather than go back.
package hlc

import (
	"fmt"
	"math"
	"sync"
	"time"
)

// MaxAhead is how far ahead of the local wall clock a remote time may be
// and still be observed.
const MaxAhead = 5 * time.Minute

// Max is the highest timestamp there is.
var Max = Timestamp{Wall: math.MaxInt64, Logical: math.MaxUint32}

// Timestamp is one reading of a hybrid logical clock.
type Timestamp struct {
	// Wall is milliseconds since the Unix epoch.
	Wall int64 `json:"w"`
	// Logical orders timestamps that share a Wall value.
	Logical uint32 `json:"l"`
}

// Compare returns -1, 0 or +1 as t is before, equal to or after u.
func (t Timestamp) Compare(u Timestamp) int {
	switch {
	case t.Wall < u.Wall:
		return -1
	case t.Wall > u.Wall:
		return 1
	case t.Logical < u.Logical:
		return -1
	case t.Logical > u.Logical:
		return 1
	}
	return 0
}

// IsZero reports whether t is the zero timestamp.
func (t Timestamp) IsZero() bool { return t.Wall == 0 && t.Logical == 0 }

// Time returns the wall-clock part of t.
func (t Timestamp) Time() time.Time { return time.UnixMilli(t.Wall).UTC() }

// String formats t as an RFC 3339 time with the logical counter appended,
// e.g. "2026-11-23T10:04:05.123Z+2".
func (t Timestamp) String() string {
	return fmt.Sprintf("%s+%d", t.Time().Format("2006-01-02T15:04:05.000Z"), t.Logical)
}

// Clock hands out strictly increasing timestamps. It is safe for concurrent
// use. The zero value is not usable; create one with New.
type Clock struct {
	mu        sync.Mutex
	now       func() time.Time
	last      Timestamp
	recovered Timestamp // the restored reading New set back, if any
}

// New returns a clock that reads physical time from now (time.Now if nil)
// and never goes below last, the highest timestamp issued or seen before,
// typically restored from storage, unless last is more than MaxAhead ahead
// of the wall clock: then it starts from the wall clock (see Recovered).
func New(now func() time.Time, last Timestamp) *Clock {
	if now == nil {
		now = time.Now
	}
	c := &Clock{now: now, last: last}
	if pt := now().UnixMilli(); tooFarAhead(last.Wall, pt) {
		c.last, c.recovered = Timestamp{Wall: pt}, last
	}
	return c
}

// Recovered returns the restored timestamp New set back because it was
// more than MaxAhead ahead of the wall clock, and whether it did.
func (c *Clock) Recovered() (Timestamp, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.recovered, !c.recovered.IsZero()
}

// tooFarAhead reports whether wall (milliseconds) is more than MaxAhead
// after pt, without overflowing.
func tooFarAhead(wall, pt int64) bool {
	return wall > pt && uint64(wall-pt) > uint64(MaxAhead.Milliseconds())
}

// Now returns a timestamp greater than every timestamp returned or observed
// before.
func (c *Clock) Now() Timestamp {
	c.mu.Lock()
	defer c.mu.Unlock()
	pt := c.now().UnixMilli()
	switch {
	case pt > c.last.Wall:
		c.last = Timestamp{Wall: pt}
	case c.last.Logical < math.MaxUint32:
		c.last.Logical++
	case c.last.Wall < math.MaxInt64:
		// The counter is full: carry into the next millisecond rather
		// than wrap below every timestamp issued before.
		c.last = Timestamp{Wall: c.last.Wall + 1}
	}
	return c.last
}

// Observe moves the clock past a timestamp received from another device so
// that the next Now is ordered after it, unless that timestamp is more than
// MaxAhead ahead of the wall clock; it reports whether it observed it.
func (c *Clock) Observe(remote Timestamp) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if tooFarAhead(remote.Wall, c.now().UnixMilli()) {
		return false
	}
	if remote.Compare(c.last) > 0 {
		c.last = remote
	}
	return true
}

// Last returns the highest timestamp issued or observed, for persisting.
func (c *Clock) Last() Timestamp {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.last
}
