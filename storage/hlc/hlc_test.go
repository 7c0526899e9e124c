package hlc

import (
	"math"
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
	c := New(func() time.Time { return time.UnixMilli(9_999_999 - 60_000) }, last)
	if got := c.Now(); got.Compare(last) <= 0 {
		t.Fatalf("Now %v not after restored %v", got, last)
	}
	if _, ok := c.Recovered(); ok {
		t.Fatal("a clock one minute ahead was set back")
	}
}

func TestFarFutureRemoteTimeIsNotObserved(t *testing.T) {
	wall := time.UnixMilli(1_000_000_000)
	c := New(func() time.Time { return wall }, Timestamp{})
	far := Timestamp{Wall: math.MaxInt64 - 1, Logical: 9} // year 292278994
	if c.Observe(far) {
		t.Fatal("a time from year 292278994 was observed")
	}
	near := Timestamp{Wall: wall.Add(MaxAhead - time.Second).UnixMilli()}
	if !c.Observe(near) {
		t.Fatalf("a time %v ahead was not observed", MaxAhead-time.Second)
	}
	if got := c.Now(); got.Compare(near) <= 0 || got.Wall != near.Wall {
		t.Fatalf("Now %v: want just after the observed %v", got, near)
	}
	if c.Observe(Timestamp{Wall: wall.Add(MaxAhead + time.Second).UnixMilli()}) {
		t.Fatalf("a time %v ahead was observed", MaxAhead+time.Second)
	}
}

func TestClockDraggedIntoTheFutureRecoversOnRestore(t *testing.T) {
	wall := time.UnixMilli(1_000_000_000)
	dragged := Timestamp{Wall: math.MaxInt64 - 1, Logical: math.MaxUint32 - 1}
	c := New(func() time.Time { return wall }, dragged)
	got, ok := c.Recovered()
	if !ok || got != dragged {
		t.Fatalf("Recovered() = %v, %v; want %v, true", got, ok, dragged)
	}
	if now := c.Now(); now.Wall != wall.UnixMilli() {
		t.Fatalf("Now after recovery %v, want the wall clock %v", now, wall)
	}
}

func TestLogicalCounterSaturates(t *testing.T) {
	wall := time.UnixMilli(1_000_000_000)
	c := New(func() time.Time { return wall }, Timestamp{})
	c.Observe(Timestamp{Wall: wall.UnixMilli(), Logical: math.MaxUint32 - 1})
	a := c.Now()
	b := c.Now() // the counter is full here
	d := c.Now()
	if a.Logical != math.MaxUint32 || b.Compare(a) <= 0 || d.Compare(b) <= 0 {
		t.Fatalf("readings %v, %v, %v: want strictly increasing, never wrapping", a, b, d)
	}
	if b.Wall != a.Wall+1 {
		t.Fatalf("a full counter did not carry into the next millisecond: %v after %v", b, a)
	}

	// At the top of the range the clock stays, rather than go back.
	top := New(func() time.Time { return time.UnixMilli(math.MaxInt64) }, Timestamp{})
	top.Observe(Max)
	if got := top.Now(); got != Max {
		t.Fatalf("Now at the top of the range = %v, want %v", got, Max)
	}
	if got := top.Now(); got.Compare(Max) != 0 {
		t.Fatalf("the clock left the top of the range: %v", got)
	}
}

func TestString(t *testing.T) {
	ts := Timestamp{Wall: time.Date(2026, 11, 23, 10, 4, 5, 123e6, time.UTC).UnixMilli(), Logical: 2}
	if got, want := ts.String(), "2026-11-23T10:04:05.123Z+2"; got != want {
		t.Fatalf("String() = %q, want %q", got, want)
	}
}
