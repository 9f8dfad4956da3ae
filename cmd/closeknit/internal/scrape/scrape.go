// Package scrape reads a Prometheus /metrics page into plain series: the
// one reader of the exposition text for the load test, the soak and the
// tests that check a `closeknit serve` child's metrics. Parsing is
// Prometheus's own (expfmt), so label values with spaces, quotes or braces
// and histograms read as Prometheus reads them.
package scrape

import (
	"context"
	"fmt"
	"io"
	"net/http"
	neturl "net/url"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// Series is one sample of a page: a counter, gauge or untyped value, or the
// _sum or _count of a histogram or summary (their buckets and quantiles
// are left out: nothing here reads them).
type Series struct {
	Name   string
	Labels map[string]string
	Value  float64
}

// Metrics is every series of one page.
type Metrics []Series

// Get fetches and parses the page at url; with names, only those metrics
// (the name[] filter of client_golang's handler: the app encodes and the
// reader parses a few series instead of the whole page, which matters when
// sampling an app under load).
func Get(ctx context.Context, url string, names ...string) (Metrics, error) {
	if len(names) > 0 {
		url += "?" + neturl.Values{"name[]": names}.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("scrape %s: %s", url, resp.Status)
	}
	return Parse(resp.Body)
}

// Parse reads Prometheus text exposition.
func Parse(r io.Reader) (Metrics, error) {
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(r)
	if err != nil {
		return nil, fmt.Errorf("metrics: %w", err)
	}
	var out Metrics
	for name, f := range families {
		for _, m := range f.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			add := func(name string, v float64) { out = append(out, Series{Name: name, Labels: labels, Value: v}) }
			switch f.GetType() {
			case dto.MetricType_COUNTER:
				add(name, m.GetCounter().GetValue())
			case dto.MetricType_GAUGE:
				add(name, m.GetGauge().GetValue())
			case dto.MetricType_HISTOGRAM, dto.MetricType_GAUGE_HISTOGRAM:
				add(name+"_sum", m.GetHistogram().GetSampleSum())
				add(name+"_count", float64(m.GetHistogram().GetSampleCount()))
			case dto.MetricType_SUMMARY:
				add(name+"_sum", m.GetSummary().GetSampleSum())
				add(name+"_count", float64(m.GetSummary().GetSampleCount()))
			default:
				add(name, m.GetUntyped().GetValue())
			}
		}
	}
	return out, nil
}

// Sum adds the values of the series named name whose labels include every
// pair of labels, given as name, value, name, value…
func (ms Metrics) Sum(name string, labels ...string) float64 {
	var total float64
	for _, s := range ms {
		if s.Name == name && s.has(labels) {
			total += s.Value
		}
	}
	return total
}

// Has reports whether a series named name with these label pairs is on
// the page (a Sum of 0 cannot tell a zero from a missing metric).
func (ms Metrics) Has(name string, labels ...string) bool {
	for _, s := range ms {
		if s.Name == name && s.has(labels) {
			return true
		}
	}
	return false
}

func (s Series) has(pairs []string) bool {
	for i := 0; i+1 < len(pairs); i += 2 {
		if v, ok := s.Labels[pairs[i]]; !ok || v != pairs[i+1] {
			return false
		}
	}
	return true
}
