// Package drop is early-access drops in Slack: staff post a drop (a modal
// from `/closeknit drop`, or the command line), the app posts a card with a
// Claim button, and exactly as many seated members as there are units get
// one, each DMed once; everyone after waits in line. The store decides each
// press in one step; this package answers the presser, DMs the winners,
// keeps the card's count up to date (at most once a second, Slack's rate
// limit for chat.update) and, when the window closes, shows the final
// count and lists the claimants in the brand channel, once. A drop can ask
// winners to confirm within a deadline (confirm.go); a unit not confirmed
// in time goes to the next in line.
package drop

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/closeknit/closeknit/engagement"
	"github.com/closeknit/closeknit/slackapp/feature"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
)

// Routes (routes.go wires them).
const (
	ActionClaim   = "drop_claim"
	ActionConfirm = "drop_confirm" // in a winner's DM
	ActionPassOn  = "drop_pass_on" // in a winner's DM: they give the unit to the next in line
	ViewNew       = "drop_new"
)

// Deps is everything drops depend on: the Web API calls of a card (the
// DMs are chat.postMessage too), the store, the staff check, and
// Community (of a channel: nil if none) and ByID (nil if unknown) to find
// communities.
type Deps struct {
	API             feature.CardAPI
	Store           *engagement.Store
	Metrics         *Metrics
	Notify          *feature.Notifier
	Staff           feature.Staff
	Run             feature.Runner
	Log             *slog.Logger
	Community, ByID func(string) *engagement.Community
}

// Board serves the drops of every community. It keeps, per replica, which
// cards have an update waiting for their next turn.
type Board struct {
	Deps
	mu      sync.Mutex
	pending map[string]bool // community/drop ID -> an update is scheduled
}

// New returns the drops board.
func New(d Deps) *Board { return &Board{Deps: d, pending: map[string]bool{}} }

// Metrics are the drops' metrics.
type Metrics struct {
	claims   *prometheus.CounterVec
	confirms *prometheus.CounterVec
	open     *prometheus.GaugeVec
}

// Claim outcomes as counted.
const (
	outcomeWon, outcomeWaitlisted, outcomeRefused = "won", "waitlisted", "refused"
)

// NewMetrics creates the drops' metrics on reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	f := promauto.With(reg)
	return &Metrics{
		claims: f.NewCounterVec(prometheus.CounterOpts{Name: "closeknit_drop_claims_total",
			Help: "Presses of a drop's Claim button by outcome: won (a unit), waitlisted (in line), refused (no seat, staff, closed, a repeat)."},
			[]string{"community", "outcome"}),
		confirms: f.NewCounterVec(prometheus.CounterOpts{Name: "closeknit_drop_confirmations_total",
			Help: "Winners of drops asking for confirmation, by outcome: confirmed, expired (the deadline passed; the unit went on), passed_on (the winner gave it back)."},
			[]string{"community", "outcome"}),
		open: f.NewGaugeVec(prometheus.GaugeOpts{Name: "closeknit_drops_open", Help: "Drops whose claim window is open."},
			[]string{"community"}),
	}
}

// Timing of the drops' background work.
const (
	noticeTTL   = 2 * time.Minute // a winner's DM not confirmed sent is tried again after this
	noticeBatch = 50              // DMs sent per pass
	announceTTL = time.Minute     // a closing being announced is held this long by one replica
)

// Job is the scheduled job, every tick, for one community: close the drops
// whose window passed, announce closings, pass on the units not confirmed
// in time, post cards a dead replica left unposted, DM winners (those whose DM failed before, and those who just
// got a unit passed on), and refresh the open-drops gauge.
func (b *Board) Job(ctx context.Context, c *engagement.Community) error {
	if _, err := b.Store.CloseDueDrops(ctx, c); err != nil {
		return err
	}
	if err := b.announce(ctx, c); err != nil {
		return err
	}
	if err := b.expire(ctx, c); err != nil {
		return err
	}
	// A card whose poster died between claiming and posting it: posted
	// once the claim is stale (PostCard claims again, or returns at once).
	unposted, err := b.Store.UnpostedDrops(ctx, c)
	if err != nil {
		return err
	}
	for _, id := range unposted {
		if err := b.PostCard(c, id); err != nil {
			b.Log.Warn("drop card not posted by the job", "drop", id, "err", err)
		}
	}
	ids, err := b.Store.DropsWithNotices(ctx, c)
	if err != nil {
		return err
	}
	for _, id := range ids {
		b.sendNotices(ctx, c, id)
	}
	n, err := b.Store.OpenDrops(ctx, c)
	if err != nil {
		return err
	}
	b.Metrics.open.WithLabelValues(c.ID).Set(float64(n))
	return nil
}
