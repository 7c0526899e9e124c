package hlc

import (
	"testing"
	"time"
)

func TestNowIsMonotonicWhenWallClockStandsStillOrGoesBack(t *testing.T) {
	wall := time.UnixMilli(1_000_000)
	c := New(func() time.Time { return wall }, Timestamp{})
	a := c.Now()
	b := c.Now()
	if b.Compare(a) <= 0 {
		t.Fatalf("second reading %v not after first %v", b, a)
	}
	wall = wall.Add(-time.Hour) // a laptop clock set back
	d := c.Now()
	if d.Compare(b) <= 0 {
		t.Fatalf("reading after clock went back %v not after %v", d, b)
	}
	wall = wall.Add(2 * time.Hour)
	e := c.Now()
	if e.Logical != 0 || e.Wall != wall.UnixMilli() {
		t.Fatalf("clock did not follow the wall clock forward: %v", e)
	}
}

func TestObserveOrdersAfterRemote(t *testing.T) {
	c := New(func() time.Time { return time.UnixMilli(10) }, Timestamp{})
	remote := Timestamp{Wall: 5000, Logical: 7}
	c.Observe(remote)
	if got := c.Now(); got.Compare(remote) <= 0 {
		t.Fatalf("Now %v not after observed %v", got, remote)
	}
}

func TestRestoredClockNeverGoesBelowLast(t *testing.T) {
	last := Timestamp{Wall: 9_999_999, Logical: 3}
	c := New(func() time.Time { return time.UnixMilli(1) }, last)
	if got := c.Now(); got.Compare(last) <= 0 {
		t.Fatalf("Now %v not after restored %v", got, last)
	}
}

func TestString(t *testing.T) {
	ts := Timestamp{Wall: time.Date(2026, 11, 23, 10, 4, 5, 123e6, time.UTC).UnixMilli(), Logical: 2}
	if got, want := ts.String(), "2026-11-23T10:04:05.123Z+2"; got != want {
		t.Fatalf("String() = %q, want %q", got, want)
	}
}
