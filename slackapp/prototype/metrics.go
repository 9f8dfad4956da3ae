package prototype

import (
	"github.com/closeknit/closeknit/engagement"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
)

// metrics are the prototype feature's series.
type metrics struct {
	open     *prometheus.GaugeVec   // community
	feedback *prometheus.CounterVec // community, kind
}

// newMetrics registers the series on reg, each community's feedback
// series at 0 from the start (so rate() and absent() can tell "none yet"
// from "not running").
func newMetrics(reg prometheus.Registerer, communities []*engagement.Community) metrics {
	m := metrics{
		open: promauto.With(reg).NewGaugeVec(prometheus.GaugeOpts{
			Name: "closeknit_prototypes_open",
			Help: "Prototypes whose feedback is open, per community (set by the closing job on the replica that ran it last).",
		}, []string{"community"}),
		feedback: promauto.With(reg).NewCounterVec(prometheus.CounterOpts{
			Name: "closeknit_prototype_feedback_total",
			Help: "Prototype feedback recorded by this replica, by community and kind (reaction, reaction_removed, comment, vote, late).",
		}, []string{"community", "kind"}),
	}
	for _, c := range communities {
		for _, kind := range engagement.FeedbackKinds {
			m.feedback.WithLabelValues(c.ID, kind)
		}
	}
	return m
}

// noteFeedback is the engagement.Store feedback hook.
func (m metrics) noteFeedback(community, kind string) {
	m.feedback.WithLabelValues(community, kind).Inc()
}
