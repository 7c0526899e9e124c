// Package hlc implements a hybrid logical clock: timestamps that follow the
// wall clock where they can and a logical counter where they must, so that
// every revision a device writes is ordered after everything it has seen,
// even when laptop clocks disagree.
//
// The algorithm is the one of Kulkarni et al., "Logical Physical Clocks"
// (2014), with milliseconds as the physical unit.
package hlc

import (
	"fmt"
	"sync"
	"time"
)

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
	mu   sync.Mutex
	now  func() time.Time
	last Timestamp
}

// New returns a clock that reads physical time from now (time.Now if nil)
// and never goes below last, the highest timestamp issued or seen before,
// typically restored from storage.
func New(now func() time.Time, last Timestamp) *Clock {
	if now == nil {
		now = time.Now
	}
	return &Clock{now: now, last: last}
}

// Now returns a timestamp greater than every timestamp returned or observed
// before.
func (c *Clock) Now() Timestamp {
	c.mu.Lock()
	defer c.mu.Unlock()
	pt := c.now().UnixMilli()
	if pt > c.last.Wall {
		c.last = Timestamp{Wall: pt}
	} else {
		c.last.Logical++
	}
	return c.last
}

// Observe moves the clock past a timestamp received from another device so
// that the next Now is ordered after it.
func (c *Clock) Observe(remote Timestamp) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if remote.Compare(c.last) > 0 {
		c.last = remote
	}
}

// Last returns the highest timestamp issued or observed, for persisting.
func (c *Clock) Last() Timestamp {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.last
}
