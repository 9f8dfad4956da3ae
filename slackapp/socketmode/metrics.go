package socketmode

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
)

// metrics are the connection's series.
type metrics struct {
	connected   prometheus.Gauge
	reconnects  *prometheus.CounterVec // reason
	largeFrames prometheus.Counter
}

// reconnectReasons are the reasons a reconnect is counted under: the
// disconnect reasons Slack sends, and our own error classes. Their series
// exist at 0 from the start, so rate() and alerts see them before the
// first reconnect.
var reconnectReasons = []string{"refresh_requested", "warning", "link_disabled", "too_many_websockets",
	"ping_timeout", "read_error", "connect_error"}

func newMetrics(reg prometheus.Registerer) *metrics {
	f := promauto.With(reg)
	m := &metrics{
		connected: f.NewGauge(prometheus.GaugeOpts{
			Name: "closeknit_socket_connected",
			Help: "1 while a Socket Mode connection is open and has said hello.",
		}),
		reconnects: f.NewCounterVec(prometheus.CounterOpts{
			Name: "closeknit_socket_reconnects_total",
			Help: "Socket Mode reconnects by reason: a disconnect reason from Slack, ping_timeout, read_error, connect_error.",
		}, []string{"reason"}),
		largeFrames: f.NewCounter(prometheus.CounterOpts{
			Name: "closeknit_socket_large_frames_total",
			Help: "Socket Mode frames over 1 MiB read (each is also logged with its size); those over the read limit are discarded and acked.",
		}),
	}
	for _, r := range reconnectReasons {
		m.reconnects.WithLabelValues(r)
	}
	return m
}
