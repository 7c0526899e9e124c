package record

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Date is a calendar date known to a precision: a year, a month or a day,
// optionally marked approximate ("around 2022"). Documentation work rarely
// knows exact days; a Date never invents one.
//
// Its text and JSON form is "YYYY", "YYYY-MM" or "YYYY-MM-DD", with a
// leading "~" when approximate. The zero Date means "unknown" and encodes as
// the empty string.
type Date struct {
	Year   int
	Month  int  // 0 when only the year is known
	Day    int  // 0 when the day is not known
	Approx bool // the date is an estimate
}

// IsZero reports whether the date is unknown.
func (d Date) IsZero() bool { return d.Year == 0 }

// First returns the first day d may mean as a YYYYMMDD number: "2021"
// gives 20210101, "2021-03" 20210301. Comparing such numbers orders days.
func (d Date) First() uint32 {
	return uint32(d.Year*10000 + max(d.Month, 1)*100 + max(d.Day, 1))
}

// Last returns the last day d may mean as a YYYYMMDD number: "2021" gives
// 20211231, "2021-03" 20210331 (every month is taken to have 31 days,
// which orders correctly).
func (d Date) Last() uint32 {
	m, day := d.Month, d.Day
	if m == 0 {
		m = 12
	}
	if day == 0 {
		day = 31
	}
	return uint32(d.Year*10000 + m*100 + day)
}

// ParseDate parses the text form described at Date. The empty string gives
// the zero Date.
func ParseDate(s string) (Date, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return Date{}, nil
	}
	var d Date
	if rest, ok := strings.CutPrefix(s, "~"); ok {
		d.Approx, s = true, rest
	}
	parts := strings.Split(s, "-")
	if len(parts) > 3 || len(parts[0]) != 4 {
		return Date{}, fmt.Errorf("date %q is not YYYY, YYYY-MM or YYYY-MM-DD", s)
	}
	nums := make([]int, len(parts))
	for i, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil || (i > 0 && len(p) != 2) {
			return Date{}, fmt.Errorf("date %q is not YYYY, YYYY-MM or YYYY-MM-DD", s)
		}
		nums[i] = n
	}
	d.Year = nums[0]
	if len(nums) > 1 {
		d.Month = nums[1]
	}
	if len(nums) > 2 {
		d.Day = nums[2]
	}
	if err := d.validate(); err != nil {
		return Date{}, err
	}
	return d, nil
}

// MustDate is ParseDate for constants in tests and generators; it panics on
// a malformed date.
func MustDate(s string) Date {
	d, err := ParseDate(s)
	if err != nil {
		panic(err)
	}
	return d
}

func (d Date) validate() error {
	if d.IsZero() {
		if d.Month != 0 || d.Day != 0 || d.Approx {
			return fmt.Errorf("date has a month or day but no year")
		}
		return nil
	}
	if d.Year < 1900 || d.Year > 2200 {
		return fmt.Errorf("year %d is outside 1900–2200", d.Year)
	}
	if d.Month < 0 || d.Month > 12 {
		return fmt.Errorf("month %d is outside 1–12", d.Month)
	}
	if d.Day != 0 {
		if d.Month == 0 {
			return fmt.Errorf("date has a day but no month")
		}
		t := time.Date(d.Year, time.Month(d.Month), d.Day, 0, 0, 0, 0, time.UTC)
		if t.Day() != d.Day {
			return fmt.Errorf("%04d-%02d has no day %d", d.Year, d.Month, d.Day)
		}
	}
	return nil
}

// String returns the text form described at Date.
func (d Date) String() string {
	if d.IsZero() {
		return ""
	}
	var b strings.Builder
	if d.Approx {
		b.WriteByte('~')
	}
	fmt.Fprintf(&b, "%04d", d.Year)
	if d.Month != 0 {
		fmt.Fprintf(&b, "-%02d", d.Month)
		if d.Day != 0 {
			fmt.Fprintf(&b, "-%02d", d.Day)
		}
	}
	return b.String()
}

// Before reports whether d starts before e, comparing only what both know.
func (d Date) Before(e Date) bool {
	if d.Year != e.Year {
		return d.Year < e.Year
	}
	if d.Month != e.Month {
		return d.Month < e.Month
	}
	return d.Day < e.Day
}

// MarshalJSON encodes the date as its text form.
func (d Date) MarshalJSON() ([]byte, error) { return json.Marshal(d.String()) }

// UnmarshalJSON decodes the text form.
func (d *Date) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("date must be a string: %w", err)
	}
	v, err := ParseDate(s)
	if err != nil {
		return err
	}
	*d = v
	return nil
}
