package engagement

import (
	"fmt"
	"strings"
	"time"
)

// WeeklyAt is a local weekday and time of day, e.g. Monday 09:00: when the
// weekly digest goes out, in each community's own zone.
type WeeklyAt struct {
	Weekday      time.Weekday
	Hour, Minute int
}

// DefaultDigestAt is Monday 09:00.
var DefaultDigestAt = WeeklyAt{Weekday: time.Monday, Hour: 9}

var weekdays = map[string]time.Weekday{"mon": time.Monday, "tue": time.Tuesday, "wed": time.Wednesday,
	"thu": time.Thursday, "fri": time.Friday, "sat": time.Saturday, "sun": time.Sunday}

// ParseWeeklyAt parses "Mon 09:00" (weekday as its first three letters,
// any case; 24-hour time).
func ParseWeeklyAt(s string) (WeeklyAt, error) {
	day, hm, ok := strings.Cut(strings.TrimSpace(s), " ")
	wd, known := weekdays[strings.ToLower(day)]
	t, err := time.Parse("15:04", strings.TrimSpace(hm))
	if !ok || !known || err != nil {
		return WeeklyAt{}, fmt.Errorf("%q: %w: want a weekday and a time, e.g. \"Mon 09:00\"", s, ErrInvalid)
	}
	return WeeklyAt{Weekday: wd, Hour: t.Hour(), Minute: t.Minute()}, nil
}

func (a WeeklyAt) String() string {
	return fmt.Sprintf("%s %02d:%02d", a.Weekday.String()[:3], a.Hour, a.Minute)
}

// In returns the instant of a in week w, in loc. It is computed from the
// calendar date, so it stays at the same local time across DST changes. A
// time that a DST jump skips (02:30 on spring-forward night) is moved
// forward by the jump, to 03:30; time.Date leaves the choice unspecified.
func (a WeeklyAt) In(w Week, loc *time.Location) time.Time {
	s := w.Start(loc)
	t := time.Date(s.Year(), s.Month(), s.Day()+(int(a.Weekday)+6)%7, a.Hour, a.Minute, 0, 0, loc)
	if t.Hour() != a.Hour || t.Minute() != a.Minute {
		// The wall time read with the offset in force before the jump.
		_, before := t.Add(-12 * time.Hour).Zone()
		t = time.Date(t.Year(), t.Month(), t.Day(), a.Hour, a.Minute, 0, 0, time.FixedZone("", before)).In(loc)
	}
	return t
}

// Last returns the latest scheduled instant at or before now in loc, and
// the week that digest covers: the ISO week before the one the instant
// falls in (at the default Monday 09:00, the week that just ended).
func (a WeeklyAt) Last(now time.Time, loc *time.Location) (time.Time, Week) {
	w := WeekOf(now, loc)
	if t := a.In(w, loc); !t.After(now) {
		return t, w.Prev()
	}
	w = w.Prev()
	return a.In(w, loc), w.Prev()
}
