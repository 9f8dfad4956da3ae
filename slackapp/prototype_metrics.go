package slackapp

import "github.com/prometheus/client_golang/prometheus"

// protoMetrics are the prototype feature's series.
type protoMetrics struct {
	open     *prometheus.GaugeVec   // community
	feedback *prometheus.CounterVec // community, kind
}

func newProtoMetrics(reg prometheus.Registerer) protoMetrics {
	m := protoMetrics{
		open: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "closeknit_prototypes_open",
			Help: "Prototypes whose feedback is open, per community (set by the closing job on the replica that ran it last).",
		}, []string{"community"}),
		feedback: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "closeknit_prototype_feedback_total",
			Help: "Prototype feedback recorded by this replica, by community and kind (reaction, reaction_removed, comment, vote, late).",
		}, []string{"community", "kind"}),
	}
	reg.MustRegister(m.open, m.feedback)
	return m
}

// feedback is the engagement.Store feedback hook.
func (m protoMetrics) noteFeedback(community, kind string) {
	m.feedback.WithLabelValues(community, kind).Inc()
}
