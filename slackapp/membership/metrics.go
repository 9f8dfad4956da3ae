package membership

import (
	"context"

	"github.com/closeknit/closeknit/engagement"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
)

// metrics are the membership series, by community (never by user).
type metrics struct {
	seatsUsed, seatsCap, waitlist *prometheus.GaugeVec
	promotions, capRemovals       *prometheus.CounterVec
	intros                        *prometheus.CounterVec
}

// newMetrics registers the series on reg and creates the counters of each
// community at 0, so that a dashboard tells "none yet" from "not running".
func newMetrics(reg prometheus.Registerer, store *engagement.Store, communities []*engagement.Community) *metrics {
	f := promauto.With(reg)
	g := func(name, help string) *prometheus.GaugeVec {
		return f.NewGaugeVec(prometheus.GaugeOpts{Name: name, Help: help}, []string{"community"})
	}
	c := func(name, help string) *prometheus.CounterVec {
		return f.NewCounterVec(prometheus.CounterOpts{Name: name, Help: help}, []string{"community"})
	}
	m := &metrics{
		seatsUsed:   g("closeknit_seats_used", "Seated customer members (staff and bots take no seat)."),
		seatsCap:    g("closeknit_seats_cap", "The community's seat cap."),
		waitlist:    g("closeknit_waitlist_length", "People waiting for a seat."),
		promotions:  c("closeknit_promotions_total", "People invited from the waitlist (or by staff) into a seat."),
		capRemovals: c("closeknit_cap_removals_total", "People removed from the channel because it was full, and waitlisted."),
		intros:      c("closeknit_intros_total", "New members who introduced themselves within the intro window."),
	}
	f.NewCounterFunc(prometheus.CounterOpts{Name: "closeknit_stale_member_events_total",
		Help: "Member join/leave events older than what was known about the person (late or out of order): ignored."},
		func() float64 { return float64(store.StaleMemberEvents()) })
	for _, cm := range communities {
		for _, cv := range []*prometheus.CounterVec{m.promotions, m.capRemovals, m.intros} {
			cv.WithLabelValues(cm.ID)
		}
	}
	return m
}

// Introduced counts a new member of c who introduced themselves within
// the intro window (the core sees it when it records the message).
func (f *Feature) Introduced(c *engagement.Community) {
	f.m.intros.WithLabelValues(c.ID).Inc()
}

// refreshSeatGauges reads the seat counts into the gauges.
func (f *Feature) refreshSeatGauges(ctx context.Context, c *engagement.Community) {
	r, err := f.Store.Roster(ctx, c)
	if err != nil {
		return
	}
	f.m.seatsUsed.WithLabelValues(c.ID).Set(float64(len(r.Seated)))
	f.m.seatsCap.WithLabelValues(c.ID).Set(float64(r.Cap))
	f.m.waitlist.WithLabelValues(c.ID).Set(float64(len(r.Waitlist)))
}
