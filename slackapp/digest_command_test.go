package slackapp_test

import (
	"strings"
	"testing"
	"time"

	"github.com/closeknit/closeknit/slackapp"
	"github.com/closeknit/closeknit/slackapp/slacktest"
)

func TestDigestCommand(t *testing.T) {
	t.Parallel()
	srv := slacktest.NewServer(t)
	env := newDigestEnv(t, mondayLA)
	c := env.community(t, "America/Los_Angeles")
	digestWeek(t, env, c)
	env.start(t, srv, c, func(cfg *slackapp.Config) { cfg.DigestAt = "off" })
	tests := []struct{ name, user, text, want string }{
		{"last week by default", "U0STAFF0001", "digest", "acme, week 2026-W47: 3 messages"},
		{"a given week", "U0STAFF0001", "digest 2026-W46", "acme, week 2026-W46: a quiet week"},
		{"members may not", "U0MEMBER001", "digest", "for the brand team"},
		{"bad week", "U0STAFF0001", "digest W47", "is not a week"},
		{"too many args", "U0STAFF0001", "digest 2026-W47 x", "Usage: /closeknit digest"},
		{"help lists it", "U0MEMBER001", "help", "/closeknit digest [YYYY-Www]"},
	}
	for _, tt := range tests {
		msg := runCommand(t, srv, brandChannel, tt.user, tt.text)
		if !strings.Contains(msg.Text, tt.want) || msg.ResponseType != "ephemeral" {
			t.Errorf("%s: reply %q (%s), want ephemeral text containing %q", tt.name, msg.Text, msg.ResponseType, tt.want)
		}
	}
	if n := len(digestPosts(srv)); n != 0 {
		t.Errorf("the command posted %d digests to the channel; it answers only the caller", n)
	}
}

func TestStaffHomeDashboard(t *testing.T) {
	t.Parallel()
	srv := slacktest.NewServer(t)
	// Thursday of W47: the dashboard shows W47 so far.
	env := newDigestEnv(t, time.Date(2026, 11, 20, 18, 0, 0, 0, time.UTC))
	c := env.community(t, "America/Los_Angeles")
	digestWeek(t, env, c)
	r := env.start(t, srv, c, func(cfg *slackapp.Config) { cfg.DigestAt = "off" })
	// The KPI gauges show the current week on every replica, read from Redis when scraped.
	for name, want := range map[string]float64{"closeknit_kpi_messages": 3, "closeknit_kpi_active_posters": 3,
		"closeknit_kpi_active_participants": 3, "closeknit_kpi_response_time_median_seconds": 1800, "closeknit_kpi_response_rate_24h": 0.5,
		// The one answer is staff's thread reply; U0MEMBER002's post waits.
		"closeknit_kpi_staff_response_time_median_seconds": 1800, "closeknit_kpi_staff_response_rate_24h": 0.5, "closeknit_kpi_unanswered_posts": 1} {
		if got := metric(t, r.reg, name, "community=acme"); got != want {
			t.Errorf("%s = %v, want %v", name, got, want)
		}
	}
	open := func(user string) string {
		n := len(srv.Calls("views.publish"))
		sendAll(t, srv, []slacktest.Envelope{srv.Event(map[string]any{"type": "app_home_opened", "user": user, "channel": "D0HOME0001", "tab": "home", "event_ts": tsOf(time.Now())})})
		calls, err := srv.WaitCall(ctxT(t), "views.publish", n+1)
		if err != nil {
			t.Fatal(err)
		}
		return calls[n].Args.Get("view") + calls[n].Args.Get("user_id")
	}
	staff := open("U0STAFF0001")
	for _, want := range []string{"acme · this week (2026-W47)", "Waiting for an answer", "U0MEMBER002", "Seats", "Prototypes", "by staff: median 30m · 50% within 24 h"} {
		if !strings.Contains(staff, want) {
			t.Errorf("staff Home lacks %q:\n%s", want, staff)
		}
	}
	member := open("U0MEMBER001")
	if strings.Contains(member, "this week (2026-W47)") || strings.Contains(member, "U0MEMBER002") {
		t.Errorf("a member got the staff dashboard:\n%s", member)
	}
}
