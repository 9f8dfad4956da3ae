package validate

import (
	"encoding/json"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	"sigs.k8s.io/yaml"
)

// exported is closeknit's metric catalog: what the dashboard and the alerts
// may refer to. Some land with the membership, prototype and digest work;
// the catalog is the contract they were built to.
var exported = []string{
	// Socket Mode, Redis, Web API, scheduler.
	"closeknit_socket_connected", "closeknit_socket_reconnects_total", "closeknit_socket_envelopes_total",
	"closeknit_socket_ack_latency_seconds", "closeknit_socket_seconds_since_last_envelope",
	"closeknit_redis_duration_seconds", "closeknit_redis_errors_total", "closeknit_slack_api_calls_total",
	"closeknit_job_runs_total", "closeknit_job_last_success_timestamp_seconds", "closeknit_job_duration_seconds",
	"closeknit_job_interval_seconds", "closeknit_socket_large_frames_total", "closeknit_slack_refusals_total",
	// Membership.
	"closeknit_seats_used", "closeknit_seats_cap", "closeknit_waitlist_length", "closeknit_promotions_total",
	"closeknit_cap_removals_total", "closeknit_intros_total", "closeknit_stale_member_events_total",
	// Ideas, drops, thanks and seat requests.
	"closeknit_ideas", "closeknit_idea_votes_total", "closeknit_drops_open", "closeknit_drop_claims_total",
	"closeknit_drop_confirmations_total",
	"closeknit_thanks_total", "closeknit_seat_requests_total",
	// Prototypes.
	"closeknit_prototypes_open", "closeknit_prototype_feedback_total",
	// Digest and KPIs.
	"closeknit_digests_total", "closeknit_digest_last_sent_timestamp_seconds", "closeknit_kpi_messages",
	"closeknit_kpi_active_posters", "closeknit_kpi_active_participants", "closeknit_kpi_participation_rate",
	"closeknit_kpi_response_rate_24h", "closeknit_kpi_response_time_median_seconds",
	"closeknit_kpi_staff_response_rate_24h", "closeknit_kpi_staff_response_time_median_seconds", "closeknit_kpi_unanswered_posts",
}

// standard are series every Go process or Prometheus itself provides.
var standard = []string{"up", "go_goroutines", "go_memstats_heap_inuse_bytes", "process_resident_memory_bytes",
	"process_cpu_seconds_total", "process_start_time_seconds"}

var metricName = regexp.MustCompile(`\b(closeknit_[a-z0-9_]+|go_[a-z0-9_]+|process_[a-z0-9_]+|up)\b`)

// metricsIn returns the catalog names an expression uses; unknown ones are
// reported through bad.
func metricsIn(expr string, bad func(string)) []string {
	var out []string
	for _, m := range metricName.FindAllString(expr, -1) {
		base := m
		for _, suf := range []string{"_bucket", "_count", "_sum"} {
			if b, ok := strings.CutSuffix(m, suf); ok && slices.Contains(exported, b) {
				base = b
			}
		}
		if !slices.Contains(exported, base) && !slices.Contains(standard, base) {
			bad(m)
			continue
		}
		out = append(out, base)
	}
	return out
}

type dashboard struct {
	UID        string `json:"uid"`
	Title      string `json:"title"`
	Templating struct {
		List []struct {
			Name string `json:"name"`
		} `json:"list"`
	} `json:"templating"`
	Panels []struct {
		ID         int    `json:"id"`
		Type       string `json:"type"`
		Title      string `json:"title"`
		Datasource *struct {
			Type string `json:"type"`
			UID  string `json:"uid"`
		} `json:"datasource"`
		GridPos struct{ H, W, X, Y int } `json:"gridPos"`
		Targets []struct {
			Expr  string `json:"expr"`
			RefID string `json:"refId"`
		} `json:"targets"`
	} `json:"panels"`
}

func TestDashboard(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile("../grafana/dashboards/closeknit.json")
	if err != nil {
		t.Fatal(err)
	}
	var d dashboard
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatalf("closeknit.json: %v", err)
	}
	if d.UID != "closeknit" || d.Title == "" {
		t.Errorf("uid %q title %q", d.UID, d.Title)
	}
	vars := map[string]bool{}
	for _, v := range d.Templating.List {
		vars[v.Name] = true
	}
	used := map[string]bool{}
	ids := map[int]bool{}
	var rows []string
	for _, p := range d.Panels {
		if ids[p.ID] {
			t.Errorf("panel id %d used twice", p.ID)
		}
		ids[p.ID] = true
		if p.GridPos.X < 0 || p.GridPos.W <= 0 || p.GridPos.X+p.GridPos.W > 24 || p.GridPos.H <= 0 {
			t.Errorf("panel %q: gridPos %+v outside the 24-column grid", p.Title, p.GridPos)
		}
		if p.Type == "row" {
			rows = append(rows, p.Title)
			continue
		}
		if p.Datasource == nil || p.Datasource.UID != "${datasource}" || len(p.Targets) == 0 {
			t.Errorf("panel %q: datasource %+v, %d queries", p.Title, p.Datasource, len(p.Targets))
		}
		for _, tg := range p.Targets {
			for _, m := range metricsIn(tg.Expr, func(m string) { t.Errorf("panel %q: unknown metric %s in %s", p.Title, m, tg.Expr) }) {
				used[m] = true
			}
			for _, v := range regexp.MustCompile(`\$([a-z_]+)`).FindAllStringSubmatch(tg.Expr, -1) {
				if !vars[v[1]] && !strings.HasPrefix(v[1], "__") {
					t.Errorf("panel %q: variable $%s is not defined", p.Title, v[1])
				}
			}
		}
	}
	for _, want := range []string{"Socket Mode", "Slack Web API", "Redis", "Community", "Jobs and digests"} {
		if !slices.Contains(rows, want) {
			t.Errorf("no %q row (rows: %v)", want, rows)
		}
	}
	// The dashboard shows every metric closeknit exports.
	for _, m := range exported {
		if !used[m] {
			t.Errorf("no panel shows %s", m)
		}
	}
}

// TestAlertsUseKnownMetrics catches a renamed metric leaving an alert that
// can never fire.
func TestAlertsUseKnownMetrics(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile("../prometheus/alerts.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var spec monitoringv1.PrometheusRuleSpec
	if err := yaml.UnmarshalStrict(b, &spec); err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, g := range spec.Groups {
		for _, r := range g.Rules {
			names = append(names, r.Alert)
			metricsIn(r.Expr.String(), func(m string) { t.Errorf("alert %s: unknown metric %s", r.Alert, m) })
			if r.Labels["severity"] == "" || r.Annotations["summary"] == "" || r.Annotations["description"] == "" {
				t.Errorf("alert %s: want a severity label, a summary and a description", r.Alert)
			}
		}
	}
	for _, want := range []string{"CloseknitSocketDisconnected", "CloseknitSocketSilent", "CloseknitAckLatencyHigh",
		"CloseknitEnvelopesRejected", "CloseknitRedisErrors", "CloseknitDigestFailed", "CloseknitDigestLate"} {
		if !slices.Contains(names, want) {
			t.Errorf("no alert %s", want)
		}
	}
}
