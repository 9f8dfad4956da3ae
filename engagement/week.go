package engagement

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Week is an ISO 8601 week: weeks start on Monday and week 1 is the week
// that holds the year's first Thursday. Which week an instant falls in
// depends on the community's time zone, so a Week is always computed from a
// time already converted to that zone.
type Week struct {
	Year int
	Num  int
}

// WeekOf returns the ISO week that t falls in, seen from loc.
func WeekOf(t time.Time, loc *time.Location) Week {
	y, n := t.In(loc).ISOWeek()
	return Week{Year: y, Num: n}
}

// ParseWeek parses "YYYY-Www", e.g. "2026-W47". It returns an error for
// anything else, including week numbers the year does not have.
func ParseWeek(s string) (Week, error) {
	y, n, ok := strings.Cut(s, "-W")
	year, err1 := strconv.Atoi(y)
	num, err2 := strconv.Atoi(n)
	if !ok || len(y) != 4 || len(n) != 2 || err1 != nil || err2 != nil || num < 1 || num > 53 {
		return Week{}, fmt.Errorf("engagement: week %q: want YYYY-Www, e.g. 2026-W47", s)
	}
	w := Week{Year: year, Num: num}
	// Week 53 exists only in some years: round-trip through the calendar.
	if got := WeekOf(w.Start(time.UTC), time.UTC); got != w {
		return Week{}, fmt.Errorf("engagement: week %q: %d has no week %d", s, year, num)
	}
	return w, nil
}

// String formats the week as "YYYY-Www".
func (w Week) String() string { return fmt.Sprintf("%04d-W%02d", w.Year, w.Num) }

// Start returns Monday 00:00 of the week in loc. Computing it from the
// calendar date (not by adding 7*24h) keeps it right across DST changes.
func (w Week) Start(loc *time.Location) time.Time {
	// January 4th is always in week 1.
	jan4 := time.Date(w.Year, time.January, 4, 0, 0, 0, 0, loc)
	offset := (int(jan4.Weekday()) + 6) % 7 // days since Monday
	return time.Date(w.Year, time.January, 4-offset+(w.Num-1)*7, 0, 0, 0, 0, loc)
}

// End returns the first instant of the following week in loc.
func (w Week) End(loc *time.Location) time.Time {
	s := w.Start(loc)
	return time.Date(s.Year(), s.Month(), s.Day()+7, 0, 0, 0, 0, loc)
}

// Prev returns the week before w.
func (w Week) Prev() Week {
	s := w.Start(time.UTC)
	return WeekOf(s.AddDate(0, 0, -7), time.UTC)
}

// FormatTS is ParseTS's inverse: t as a Slack timestamp, seconds and six
// digits of microseconds ("1767268812.004900"), the form in which message
// IDs and event times arrive. Finer than a microsecond is dropped.
func FormatTS(t time.Time) string {
	return fmt.Sprintf("%d.%06d", t.Unix(), t.Nanosecond()/1000)
}

// ParseTS turns a Slack timestamp ("1767268812.004900") into a time. Slack
// timestamps are strings of seconds and microseconds; anything else is an
// error so that malformed events are rejected rather than filed under 1970.
func ParseTS(ts string) (time.Time, error) {
	sec, frac, _ := strings.Cut(ts, ".")
	s, err := strconv.ParseInt(sec, 10, 64)
	if err != nil || s <= 0 || len(frac) > 9 {
		return time.Time{}, fmt.Errorf("engagement: bad slack timestamp %q", ts)
	}
	var ns int64
	if frac != "" {
		f, err := strconv.ParseInt(frac, 10, 64)
		if err != nil || f < 0 {
			return time.Time{}, fmt.Errorf("engagement: bad slack timestamp %q", ts)
		}
		ns = f
		for i := len(frac); i < 9; i++ {
			ns *= 10
		}
	}
	return time.Unix(s, ns), nil
}
