package slackapp_test

import (
	"fmt"
	"maps"
	"os"
	"regexp"
	"slices"
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

// recordingRegisterer notes the name of every metric registered through it.
type recordingRegisterer struct {
	prometheus.Registerer
	names map[string]bool
}

var fqName = regexp.MustCompile(`fqName: "([^"]+)"`)

func (r *recordingRegisterer) Register(c prometheus.Collector) error {
	ch := make(chan *prometheus.Desc, 16)
	go func() { c.Describe(ch); close(ch) }()
	for d := range ch {
		if m := fqName.FindStringSubmatch(d.String()); m != nil {
			r.names[m[1]] = true
		}
	}
	return r.Registerer.Register(c)
}

func (r *recordingRegisterer) MustRegister(cs ...prometheus.Collector) {
	for _, c := range cs {
		if err := r.Register(c); err != nil {
			panic(err)
		}
	}
}

// documentedMetrics reads the metric names of the table in
// docs/operations.md: full names in backticks, and `_suffix` cells that
// continue the last name's prefix (`closeknit_kpi_messages`, `_active_posters`).
func documentedMetrics(t *testing.T) map[string]bool {
	t.Helper()
	doc, err := os.ReadFile("../docs/operations.md")
	if err != nil {
		t.Fatal(err)
	}
	_, table, ok := strings.Cut(string(doc), "## Metrics")
	if !ok {
		t.Fatal("docs/operations.md has no Metrics section")
	}
	names := map[string]bool{}
	for _, line := range strings.Split(table, "\n") {
		cells := strings.Split(line, "|")
		if !strings.HasPrefix(line, "| `") || len(cells) < 3 {
			continue
		}
		prefix := ""
		for _, m := range regexp.MustCompile("`([a-z_0-9]+)`").FindAllStringSubmatch(cells[1], -1) {
			name := m[1]
			if strings.HasPrefix(name, "_") {
				name = prefix + name
			} else if i := strings.LastIndex(name, "_"); i > 0 && prefix == "" {
				prefix = name[:strings.Index(name[len("closeknit_"):], "_")+len("closeknit_")]
			}
			names[name] = true
		}
	}
	return names
}

// Every metric the app registers is in the metrics table operators read,
// and the table names no metric the app does not have.
func TestMetricsTableMatchesTheApp(t *testing.T) {
	srv := slacktest.NewServer(t)
	rdb := redistest.Client(t, redistest.URL())
	t.Cleanup(func() { rdb.Close() })
	reg := &recordingRegisterer{Registerer: prometheus.NewRegistry(), names: map[string]bool{}}
	store := engagement.NewStore(rdb, engagement.Options{Namespace: fmt.Sprintf("cktest-metricsdoc-%d", os.Getpid())})
	if _, err := slackapp.New(slackapp.Config{AppToken: srv.AppToken, BotToken: srv.BotToken, APIURL: srv.APIURL(),
		Communities: []*engagement.Community{{ID: "acme", Channel: channel, Location: time.UTC, Cap: 100}}}, store, nil, reg); err != nil {
		t.Fatal(err)
	}
	documented := documentedMetrics(t)
	for _, name := range slices.Sorted(maps.Keys(reg.names)) {
		if !documented[name] {
			t.Errorf("the app registers %s, but the metrics table of docs/operations.md does not list it", name)
		}
	}
	for _, name := range slices.Sorted(maps.Keys(documented)) {
		if !reg.names[name] {
			t.Errorf("docs/operations.md lists %s, which the app does not register", name)
		}
	}
}
