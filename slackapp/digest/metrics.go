package digest

import (
	"context"
	"sync"
	"time"

	"github.com/closeknit/closeknit/engagement"
	"github.com/closeknit/closeknit/slackapp/feature"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
)

// metrics are the digest counter and the headline KPI gauges of the
// current week, per community.
type metrics struct {
	digests  *prometheus.CounterVec // community, outcome (sent|failed|refused)
	lastSent *prometheus.GaugeVec   // community
}

func newMetrics(reg prometheus.Registerer, d *Digest) *metrics {
	f := promauto.With(reg)
	m := &metrics{
		digests: f.NewCounterVec(prometheus.CounterOpts{
			Name: "closeknit_digests_total",
			Help: "Weekly digests posted (sent), that failed to post (failed; retried on the next scheduler tick), or that Slack refused for good (refused; not retried, staff told).",
		}, []string{"community", "outcome"}),
		lastSent: f.NewGaugeVec(prometheus.GaugeOpts{
			Name: "closeknit_digest_last_sent_timestamp_seconds",
			Help: "Unix time this replica last posted a community's weekly digest.",
		}, []string{"community"}),
	}
	if reg != nil {
		reg.MustRegister(&kpiCollector{d: d})
	}
	// Created at 0, so that rate() and absent() can tell "none yet" from
	// "not running".
	for _, c := range d.communities {
		for _, o := range []string{"sent", "failed"} {
			m.digests.WithLabelValues(c.ID, o)
		}
	}
	return m
}

func (m *metrics) sent(c *engagement.Community, at time.Time) {
	m.digests.WithLabelValues(c.ID, "sent").Inc()
	m.lastSent.WithLabelValues(c.ID).Set(float64(at.Unix()))
}

func (m *metrics) failed(c *engagement.Community) {
	m.digests.WithLabelValues(c.ID, "failed").Inc()
}

func (m *metrics) refused(c *engagement.Community) {
	m.digests.WithLabelValues(c.ID, "refused").Inc()
}

// kpiGauges are the current week's headline KPIs, per community.
var kpiGauges = []struct {
	desc *prometheus.Desc
	get  func(*engagement.KPIs) float64
}{
	{gaugeDesc("closeknit_kpi_messages", "Messages this week (ISO week in the community's zone)."),
		func(k *engagement.KPIs) float64 { return float64(k.Messages) }},
	{gaugeDesc("closeknit_kpi_active_posters", "Members who posted this week."),
		func(k *engagement.KPIs) float64 { return float64(k.ActivePosters) }},
	{gaugeDesc("closeknit_kpi_active_participants", "Members who posted or reacted this week."),
		func(k *engagement.KPIs) float64 { return float64(k.ActiveParticipants) }},
	{gaugeDesc("closeknit_kpi_participation_rate", "Customers who posted this week ÷ seated members (0-1)."),
		func(k *engagement.KPIs) float64 { return k.ParticipationRate }},
	{gaugeDesc("closeknit_kpi_response_rate_24h", "Share of this week's top-level posts (24 h old or more) answered within 24 h (0-1)."),
		func(k *engagement.KPIs) float64 { return k.ResponseRate24h }},
	{gaugeDesc("closeknit_kpi_response_time_median_seconds", "Median time from a top-level post to its first answer this week."),
		func(k *engagement.KPIs) float64 { return k.ResponseTimeMedianSeconds }},
}

func gaugeDesc(name, help string) *prometheus.Desc {
	return prometheus.NewDesc(name, help, []string{"community"}, nil)
}

// kpiCollector reads the KPIs from Redis when scraped, so every replica
// reports the same figures, at most every kpiCacheFor.
type kpiCollector struct {
	d    *Digest
	mu   sync.Mutex
	at   time.Time
	last map[string]*engagement.KPIs
}

const kpiCacheFor = 15 * time.Second

func (kc *kpiCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, g := range kpiGauges {
		ch <- g.desc
	}
}

func (kc *kpiCollector) Collect(ch chan<- prometheus.Metric) {
	kc.mu.Lock()
	defer kc.mu.Unlock()
	if kc.last == nil || time.Since(kc.at) > kpiCacheFor {
		ctx, cancel := context.WithTimeout(context.Background(), feature.Scrape)
		defer cancel()
		fresh := map[string]*engagement.KPIs{}
		for _, c := range kc.d.communities {
			k, err := kc.d.KPIs(ctx, c, engagement.WeekOf(kc.d.store.Now(), c.Location))
			if err != nil {
				kc.d.log.Warn("kpi gauges not refreshed", "community", c.ID, "err", err)
				continue // keep showing the last figures
			}
			fresh[c.ID] = k
		}
		if kc.last == nil {
			kc.last = map[string]*engagement.KPIs{}
		}
		for id, k := range fresh {
			kc.last[id] = k
		}
		kc.at = time.Now()
	}
	for id, k := range kc.last {
		for _, g := range kpiGauges {
			ch <- prometheus.MustNewConstMetric(g.desc, prometheus.GaugeValue, g.get(k), id)
		}
	}
}
