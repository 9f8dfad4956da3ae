package engagement_test

import (
	"testing"
	"time"

	"github.com/closeknit/closeknit/engagement"
)

func TestWeekOf(t *testing.T) {
	t.Parallel()
	la := mustLoc(t, "America/Los_Angeles")
	kolkata := mustLoc(t, "Asia/Kolkata")
	auckland := mustLoc(t, "Pacific/Auckland")
	tests := []struct {
		name string
		t    time.Time
		loc  *time.Location
		want string
	}{
		{"LA Sunday 23:59:59", time.Date(2026, 11, 22, 23, 59, 59, 0, la), la, "2026-W47"},
		{"LA Monday 00:00", time.Date(2026, 11, 23, 0, 0, 0, 0, la), la, "2026-W48"},
		// Monday 00:00 in LA is still Monday 08:00 UTC: same instant, other zone.
		{"LA Monday 00:00 seen from UTC", time.Date(2026, 11, 23, 0, 0, 0, 0, la), time.UTC, "2026-W48"},
		{"LA Sunday 23:59 seen from UTC is Monday", time.Date(2026, 11, 22, 23, 59, 0, 0, la), time.UTC, "2026-W48"},
		{"Kolkata Monday 00:00 is Sunday in UTC", time.Date(2026, 11, 23, 0, 0, 0, 0, kolkata), kolkata, "2026-W48"},
		{"Kolkata Monday 00:00 seen from UTC", time.Date(2026, 11, 23, 0, 0, 0, 0, kolkata), time.UTC, "2026-W47"},
		// DST: LA falls back on Sunday 2026-11-01 (02:00 -> 01:00); that Sunday has 25 hours.
		{"LA DST fall-back Sunday 23:59", time.Date(2026, 11, 1, 23, 59, 0, 0, la), la, "2026-W44"},
		{"LA Monday after fall-back", time.Date(2026, 11, 2, 0, 0, 0, 0, la), la, "2026-W45"},
		// Auckland springs forward on Sunday 2026-09-27 (02:00 -> 03:00).
		{"Auckland DST spring Sunday 23:59", time.Date(2026, 9, 27, 23, 59, 0, 0, auckland), auckland, "2026-W39"},
		{"Auckland Monday after spring", time.Date(2026, 9, 28, 0, 0, 0, 0, auckland), auckland, "2026-W40"},
		{"year boundary: 2026-12-31 is in 2026-W53", time.Date(2026, 12, 31, 12, 0, 0, 0, time.UTC), time.UTC, "2026-W53"},
		{"year boundary: 2027-01-04 is 2027-W01", time.Date(2027, 1, 4, 0, 0, 0, 0, time.UTC), time.UTC, "2027-W01"},
	}
	for _, tt := range tests {
		if got := engagement.WeekOf(tt.t, tt.loc).String(); got != tt.want {
			t.Errorf("%s: WeekOf = %s, want %s", tt.name, got, tt.want)
		}
	}
}

func TestWeekStartAcrossDST(t *testing.T) {
	t.Parallel()
	la := mustLoc(t, "America/Los_Angeles")
	w, err := engagement.ParseWeek("2026-W44") // Mon Oct 26 - Sun Nov 1, with the fall-back
	if err != nil {
		t.Fatal(err)
	}
	start, end := w.Start(la), w.End(la)
	if want := time.Date(2026, 10, 26, 0, 0, 0, 0, la); !start.Equal(want) {
		t.Errorf("start %v, want %v", start, want)
	}
	if want := time.Date(2026, 11, 2, 0, 0, 0, 0, la); !end.Equal(want) {
		t.Errorf("end %v, want %v", end, want)
	}
	if got := end.Sub(start); got != 7*24*time.Hour+time.Hour {
		t.Errorf("week length %v, want 169h (the fall-back adds an hour)", got)
	}
	if got := w.Prev().String(); got != "2026-W43" {
		t.Errorf("Prev = %s, want 2026-W43", got)
	}
}

func TestParseWeek(t *testing.T) {
	t.Parallel()
	for _, s := range []string{"2026-W47", "2026-W01", "2026-W53", "2020-W53"} {
		if w, err := engagement.ParseWeek(s); err != nil || w.String() != s {
			t.Errorf("ParseWeek(%q) = %v, %v", s, w, err)
		}
	}
	for _, s := range []string{"", "2026-47", "2026-W0", "2026-W00", "2025-W53", "2026-W54", "26-W01", "2026-Wxx", "2026-W4"} {
		if _, err := engagement.ParseWeek(s); err == nil {
			t.Errorf("ParseWeek(%q): no error", s)
		}
	}
}

func TestParseTS(t *testing.T) {
	t.Parallel()
	got, err := engagement.ParseTS("1767268812.004900")
	if err != nil || !got.Equal(time.Unix(1767268812, 4900000)) {
		t.Errorf("ParseTS = %v, %v", got, err)
	}
	for _, s := range []string{"", "abc", "-1.0", "0", "1767268812.x", "1767268812.0049001234"} {
		if _, err := engagement.ParseTS(s); err == nil {
			t.Errorf("ParseTS(%q): no error", s)
		}
	}
}

// TestFormatTS: six digits of microseconds, whatever the zone, and
// ParseTS reads back the same instant.
func TestFormatTS(t *testing.T) {
	t.Parallel()
	la, _ := time.LoadLocation("America/Los_Angeles")
	for _, c := range []struct {
		at   time.Time
		want string
	}{
		{time.Unix(1767268812, 4900000), "1767268812.004900"},
		{time.Unix(1767268812, 0).In(la), "1767268812.000000"},
		{time.Unix(1767268812, 999999999), "1767268812.999999"}, // nanoseconds dropped, not rounded
	} {
		got := engagement.FormatTS(c.at)
		if got != c.want {
			t.Errorf("FormatTS(%v) = %q, want %q", c.at, got, c.want)
		}
		back, err := engagement.ParseTS(got)
		if err != nil || !back.Equal(c.at.Truncate(time.Microsecond)) {
			t.Errorf("ParseTS(%q) = %v, %v; want %v", got, back, err, c.at.Truncate(time.Microsecond))
		}
	}
}

func TestRecordWeekBoundaryInZone(t *testing.T) {
	t.Parallel()
	s, _ := MustOpenStore(t, engagement.Options{})
	c := testCommunity(t, "America/Los_Angeles")
	la := c.Location
	mustRecord(t, s,
		msg(c, "Ev1", "UALICE001", time.Date(2026, 11, 22, 23, 59, 0, 0, la), false),
		msg(c, "Ev2", "UALICE001", time.Date(2026, 11, 23, 0, 0, 0, 0, la), false),
		msg(c, "Ev3", "UBOB00001", time.Date(2026, 11, 23, 0, 30, 0, 0, la), false),
	)
	w47, w48 := mustReport(t, s, c, "2026-W47"), mustReport(t, s, c, "2026-W48")
	if w47.Messages != 1 || w48.Messages != 2 {
		t.Errorf("W47 %d, W48 %d messages; want 1 and 2", w47.Messages, w48.Messages)
	}
	// Local weekday and hour: Sunday 23h in W47, Monday 0h in W48.
	if w47.ByWeekday[6] != 1 || w47.ByHour[23] != 1 || w48.ByWeekday[0] != 2 || w48.ByHour[0] != 2 {
		t.Errorf("W47 by weekday %v by hour %v; W48 by weekday %v by hour %v", w47.ByWeekday, w47.ByHour, w48.ByWeekday, w48.ByHour)
	}
}
