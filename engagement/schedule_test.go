package engagement_test

import (
	"context"
	"testing"
	"time"

	"github.com/closeknit/closeknit/engagement"
)

func TestWeeklyAtLastAcrossZonesAndDST(t *testing.T) {
	t.Parallel()
	utc := func(y int, m time.Month, d, hh, mm, ss int) time.Time {
		return time.Date(y, m, d, hh, mm, ss, 0, time.UTC)
	}
	monday9 := engagement.DefaultDigestAt
	tests := []struct {
		name     string
		zone     string
		at       engagement.WeeklyAt
		now      time.Time
		wantDue  time.Time
		wantWeek string
		weekLen  time.Duration // of the covered week, in real hours
	}{
		{"LA: first Monday after spring forward", "America/Los_Angeles", monday9,
			utc(2026, 3, 9, 16, 0, 0), utc(2026, 3, 9, 16, 0, 0), "2026-W10", 167 * time.Hour},
		{"LA: a second early, still last week's", "America/Los_Angeles", monday9,
			utc(2026, 3, 9, 15, 59, 59), utc(2026, 3, 2, 17, 0, 0), "2026-W09", 168 * time.Hour},
		{"LA: first Monday after fall back", "America/Los_Angeles", monday9,
			utc(2026, 11, 2, 17, 0, 0), utc(2026, 11, 2, 17, 0, 0), "2026-W44", 169 * time.Hour},
		{"LA: Sunday evening is still the week before", "America/Los_Angeles", monday9,
			utc(2026, 11, 23, 7, 0, 0), utc(2026, 11, 16, 17, 0, 0), "2026-W46", 168 * time.Hour},
		{"LA: year with 53 weeks", "America/Los_Angeles", monday9,
			utc(2027, 1, 4, 17, 0, 0), utc(2027, 1, 4, 17, 0, 0), "2026-W53", 168 * time.Hour},
		{"Auckland: Monday 09:00 is Sunday in UTC, after DST ends", "Pacific/Auckland", monday9,
			utc(2026, 4, 5, 21, 0, 0), utc(2026, 4, 5, 21, 0, 0), "2026-W14", 169 * time.Hour},
		{"Auckland: after DST starts", "Pacific/Auckland", monday9,
			utc(2026, 9, 27, 20, 30, 0), utc(2026, 9, 27, 20, 0, 0), "2026-W39", 167 * time.Hour},
		{"Kolkata: half-hour offset", "Asia/Kolkata", monday9,
			utc(2026, 11, 23, 3, 30, 0), utc(2026, 11, 23, 3, 30, 0), "2026-W47", 168 * time.Hour},
		{"Kolkata: a minute early", "Asia/Kolkata", monday9,
			utc(2026, 11, 23, 3, 29, 0), utc(2026, 11, 16, 3, 30, 0), "2026-W46", 168 * time.Hour},
		{"LA: Sunday 02:30 on spring-forward day moves to 03:30", "America/Los_Angeles", engagement.WeeklyAt{Weekday: time.Sunday, Hour: 2, Minute: 30},
			utc(2026, 3, 8, 10, 30, 0), utc(2026, 3, 8, 10, 30, 0), "2026-W09", 168 * time.Hour},
	}
	for _, tt := range tests {
		loc := mustLoc(t, tt.zone)
		due, w := tt.at.Last(tt.now, loc)
		if !due.Equal(tt.wantDue) || w.String() != tt.wantWeek {
			t.Errorf("%s: Last(%v) = %v, %s; want %v, %s", tt.name, tt.now, due.UTC(), w, tt.wantDue, tt.wantWeek)
		}
		if got := w.End(loc).Sub(w.Start(loc)); got != tt.weekLen {
			t.Errorf("%s: week %s lasts %v, want %v", tt.name, w, got, tt.weekLen)
		}
		if due.After(tt.now) {
			t.Errorf("%s: due %v is after now %v", tt.name, due, tt.now)
		}
	}
}

func TestParseWeeklyAt(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]engagement.WeeklyAt{
		"Mon 09:00": engagement.DefaultDigestAt,
		"fri 17:30": {Weekday: time.Friday, Hour: 17, Minute: 30},
		"SUN 00:00": {Weekday: time.Sunday},
	} {
		got, err := engagement.ParseWeeklyAt(in)
		if err != nil || got != want {
			t.Errorf("ParseWeeklyAt(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "Monday 09:00", "Mon", "Mon 9am", "Mon 24:00", "09:00 Mon"} {
		if _, err := engagement.ParseWeeklyAt(bad); err == nil {
			t.Errorf("ParseWeeklyAt(%q): no error", bad)
		}
	}
	if s := engagement.DefaultDigestAt.String(); s != "Mon 09:00" {
		t.Errorf("String() = %q", s)
	}
}

func TestDigestMarker(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 23, 17, 0, 0, 0, time.UTC)
	s, rdb := MustOpenStore(t, engagement.Options{Now: func() time.Time { return now }})
	c := testCommunity(t, "America/Los_Angeles")
	ctx := context.Background()
	w := engagement.Week{Year: 2026, Num: 47}
	st, err := s.ClaimDigest(ctx, c, w)
	if err != nil || !st.Fresh || st.State != engagement.DigestSending || !st.ClaimedAt.Equal(now) {
		t.Fatalf("first claim: %+v, %v", st, err)
	}
	st, err = s.ClaimDigest(ctx, c, w)
	if err != nil || st.Fresh || st.State != engagement.DigestSending {
		t.Fatalf("second claim: %+v, %v; want the earlier claim, not fresh", st, err)
	}
	if err := s.MarkDigestSent(ctx, c, w, "1763917200.000100"); err != nil {
		t.Fatal(err)
	}
	if err := s.MarkDigestChart(ctx, c, w, "ok"); err != nil {
		t.Fatal(err)
	}
	st, err = s.ClaimDigest(ctx, c, w)
	if err != nil || st.Fresh || st.State != engagement.DigestSent || st.TS != "1763917200.000100" || st.Chart != "ok" {
		t.Fatalf("claim after sent: %+v, %v", st, err)
	}
	exp, err := rdb.ExpireTime(ctx, rdb.ns+":{acme}:digest:2026-W47").Result()
	want := w.End(c.Location).Add(engagement.DefaultRetention).Unix()
	if err != nil || int64(exp/time.Second) != want {
		t.Errorf("marker expires at %v (%v), want %d", exp, err, want)
	}
	// Marking a week never claimed creates nothing (no marker without expiry).
	if err := s.MarkDigestSent(ctx, c, w.Prev(), "1.2"); err != nil {
		t.Fatal(err)
	}
	if st, _ := s.DigestStatus(ctx, c, w.Prev()); st.State != "" {
		t.Errorf("unclaimed week marked: %+v", st)
	}
}
