package slackapp_test

import (
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/closeknit/closeknit/engagement"
	"github.com/closeknit/closeknit/engagement/redistest"
	"github.com/closeknit/closeknit/slackapp"
	"github.com/closeknit/closeknit/slackapp/slacktest"
	"github.com/prometheus/client_golang/prometheus"
)

// TestLabelledCountersExistFromTheFirstScrape scrapes a new app before
// anything happened: every labelled counter has its series, at 0, for
// each community, reconnect reason, feedback kind and digest outcome, so
// dashboards and alerts see them from the start.
func TestLabelledCountersExistFromTheFirstScrape(t *testing.T) {
	srv := slacktest.NewServer(t)
	rdb := redistest.Client(t, redistest.URL())
	ns := fmt.Sprintf("cktest-series-%d", os.Getpid())
	t.Cleanup(func() { redistest.DeleteKeys(t, rdb, ns+":*"); rdb.Close() })
	communities := []*engagement.Community{
		{ID: "acme", Channel: channel, Location: time.UTC, Cap: 100},
		{ID: "globex", Channel: "C0GLOBEX001", Location: time.UTC, Cap: 10},
	}
	reg := prometheus.NewRegistry()
	_, err := slackapp.New(slackapp.Config{AppToken: srv.AppToken, BotToken: srv.BotToken, APIURL: srv.APIURL(),
		Communities: communities}, engagement.NewStore(rdb, engagement.Options{Namespace: ns}), nil, reg)
	if err != nil {
		t.Fatal(err)
	}
	var want [][]string // name, then label pairs
	for _, c := range []string{"acme", "globex"} {
		for _, name := range []string{"closeknit_promotions_total", "closeknit_cap_removals_total", "closeknit_intros_total"} {
			want = append(want, []string{name, "community=" + c})
		}
		for _, kind := range []string{"reaction", "reaction_removed", "comment", "vote", "late"} {
			want = append(want, []string{"closeknit_prototype_feedback_total", "community=" + c, "kind=" + kind})
		}
		for _, o := range []string{"sent", "failed"} {
			want = append(want, []string{"closeknit_digests_total", "community=" + c, "outcome=" + o})
		}
	}
	for _, r := range []string{"refresh_requested", "warning", "link_disabled", "too_many_websockets", "ping_timeout", "read_error", "connect_error"} {
		want = append(want, []string{"closeknit_socket_reconnects_total", "reason=" + r})
	}
	for _, typ := range []string{"events_api", "slash_commands", "interactive"} {
		for _, o := range []string{"counted", "duplicate", "ignored", "handled", "rejected", "failed", "shed"} {
			want = append(want, []string{"closeknit_socket_envelopes_total", "type=" + typ, "outcome=" + o})
		}
	}
	for _, job := range []string{"roster", "nudges", "prototypes", "digest"} {
		for _, o := range []string{"ok", "error"} {
			want = append(want, []string{"closeknit_job_runs_total", "task=" + job, "outcome=" + o})
		}
	}
	for _, w := range want {
		v, ok := series(t, reg, w[0], w[1:]...)
		if !ok {
			t.Errorf("%s{%s} is absent from the first scrape", w[0], strings.Join(w[1:], ","))
		} else if v != 0 {
			t.Errorf("%s{%s} = %v before anything happened, want 0", w[0], strings.Join(w[1:], ","), v)
		}
	}
}

// series reads one series of a counter or gauge from reg (labels are
// "name=value" pairs) and reports whether it exists.
func series(tb testing.TB, reg *prometheus.Registry, name string, labels ...string) (float64, bool) {
	tb.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		tb.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	next:
		for _, m := range mf.GetMetric() {
			have := map[string]string{}
			for _, lp := range m.GetLabel() {
				have[lp.GetName()] = lp.GetValue()
			}
			for _, l := range labels {
				k, v, _ := strings.Cut(l, "=")
				if have[k] != v {
					continue next
				}
			}
			if m.Counter != nil {
				return m.Counter.GetValue(), true
			}
			return m.Gauge.GetValue(), true
		}
	}
	return 0, false
}
