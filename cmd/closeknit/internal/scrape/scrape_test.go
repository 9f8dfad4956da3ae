package scrape

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// TestGetReadsWhatPrometheusWrites scrapes a registry served as serve
// serves it, with label values a line-splitting reader gets wrong.
func TestGetReadsWhatPrometheusWrites(t *testing.T) {
	t.Parallel()
	reg := prometheus.NewRegistry()
	calls := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "calls_total", Help: "h"}, []string{"method", "outcome"})
	reg.MustRegister(calls)
	calls.WithLabelValues("chat.postMessage", "ok").Add(3)
	calls.WithLabelValues(`odd } "value" 7`, "ok").Add(2)
	calls.WithLabelValues("chat.postMessage", "error").Add(5)
	up := prometheus.NewGauge(prometheus.GaugeOpts{Name: "up", Help: "h"})
	reg.MustRegister(up)
	up.Set(1)
	lat := prometheus.NewHistogram(prometheus.HistogramOpts{Name: "latency_seconds", Help: "h", Buckets: []float64{0.1, 1}})
	reg.MustRegister(lat)
	lat.Observe(0.05)
	lat.Observe(0.5)
	srv := httptest.NewServer(promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	defer srv.Close()

	m, err := Get(context.Background(), srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		labels []string
		want   float64
	}{
		{"calls_total", nil, 10},
		{"calls_total", []string{"outcome", "ok"}, 5},
		{"calls_total", []string{"method", `odd } "value" 7`}, 2},
		{"calls_total", []string{"method", "chat.postMessage", "outcome", "error"}, 5},
		{"up", nil, 1},
		{"latency_seconds_count", nil, 2},
		{"latency_seconds_sum", nil, 0.55},
	} {
		if got := m.Sum(tc.name, tc.labels...); got != tc.want {
			t.Errorf("Sum(%s, %q) = %v, want %v", tc.name, tc.labels, got, tc.want)
		}
	}
	if !m.Has("up") || m.Has("down") || m.Has("calls_total", "outcome", "refused") {
		t.Error("Has: wrong answer for up, down or an absent label value")
	}

	some, err := Get(context.Background(), srv.URL, "up", "latency_seconds")
	if err != nil {
		t.Fatal(err)
	}
	if some.Has("calls_total") || some.Sum("up") != 1 || some.Sum("latency_seconds_count") != 2 {
		t.Errorf("Get of up and latency_seconds only: %+v", some)
	}
}

func TestParseRefusesWhatIsNotExposition(t *testing.T) {
	t.Parallel()
	if _, err := Parse(strings.NewReader("up{job=\"x\" 1\n")); err == nil {
		t.Error("an unclosed label set parsed")
	}
	if _, err := Get(context.Background(), "http://127.0.0.1:1/metrics"); err == nil {
		t.Error("Get from a closed port: no error")
	}
}
