// Package request is the door into the community: a person in the
// workspace who is not in it asks for a seat from the App Home (with a
// line about themselves), or a member nominates them with `/closeknit
// nominate @person [why]`. Either way a card with Approve and Decline
// reaches the brand channel; the first staff decision counts, and an
// approval takes a seat or a waitlist place through the membership logic
// (engagement), in the same step. The person, and the nominator, are DMed.
//
// Nothing is lost to Slack: a card the brand channel refused is tried
// again by the job (staff are told once, and `/closeknit requests` lists
// the open requests with the same buttons), and the card update and DMs
// after a decision are each done once, retried until they are.
package request

import (
	"context"
	"log/slog"

	"github.com/closeknit/closeknit/engagement"
	"github.com/closeknit/closeknit/slackapp/feature"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
	"github.com/slack-go/slack"
)

// Routes (routes.go wires them).
const (
	ActionAsk     = "request_seat"        // the Home's Request a seat button: opens the form
	ActionApprove = "request_approve"     // the card's buttons
	ActionDecline = "request_decline"     //
	ViewAsk       = "request_seat_form"   // the form's callback ID
	fieldAbout    = "about"               // the form's one input (block and action ID)
	valueSep      = "|"                   // a button's value: "<community>|<request ID>"
	stepCard      = "request.card"        // what a refused brand-channel post is counted under
	stepUpdate    = "request.card_update" //
	stepDM        = "request.dm"          //
	whatCard      = "seat requests (cards to approve or decline)"
)

// API is the part of Slack's Web API requests call: the form, the card,
// its update, DMs (chat.postMessage), and users.info to tell a bot.
type API interface {
	feature.CardAPI
	GetUserInfoContext(ctx context.Context, user string, options ...slack.GetUserInfoOption) (*slack.User, error)
}

// Deps is everything requests depend on.
type Deps struct {
	API    API
	Store  *engagement.Store
	Log    *slog.Logger
	Run    feature.Runner
	Notify *feature.Notifier
	Staff  feature.Staff
	// Community is the community of a channel; with none there, the first
	// configured (a command typed in a DM). ByID finds one by its ID (nil
	// if unknown).
	Community func(channel string) *engagement.Community
	ByID      func(id string) *engagement.Community
	// RefreshHome publishes user's App Home again, so that it shows their
	// request once it is open.
	RefreshHome func(ctx context.Context, user string) error
	Metrics     *Metrics
}

// Metrics are the requests' metrics.
type Metrics struct {
	requests *prometheus.CounterVec
}

// Outcomes as counted.
const (
	outcomeOpened, outcomeApproved, outcomeDeclined = "opened", "approved", "declined"
)

// NewMetrics creates the requests' metrics on reg, each community's
// series at 0 from the first scrape.
func NewMetrics(reg prometheus.Registerer, communities []*engagement.Community) *Metrics {
	m := &Metrics{requests: promauto.With(reg).NewCounterVec(prometheus.CounterOpts{Name: "closeknit_seat_requests_total",
		Help: "Seat requests and nominations by outcome: opened, approved, declined (each counted once; a refused or repeated one is not)."},
		[]string{"community", "outcome"})}
	for _, c := range communities {
		for _, o := range []string{outcomeOpened, outcomeApproved, outcomeDeclined} {
			m.requests.WithLabelValues(c.ID, o)
		}
	}
	return m
}

// Job is the scheduled job, every tick, for one community: post the cards
// not posted yet (new, or refused before), and do the card updates and
// DMs a decision still owes.
func Job(d Deps) feature.Job {
	return func(ctx context.Context, c *engagement.Community) error {
		if c.BrandChannel != "" {
			ids, err := d.Store.TakeRequestCards(ctx, c)
			if err != nil {
				return err
			}
			for _, id := range ids {
				d.postCard(ctx, c, id)
			}
		}
		ids, err := d.Store.TakeRequestNotices(ctx, c)
		if err != nil {
			return err
		}
		for _, id := range ids {
			d.sendNotices(ctx, c, id)
		}
		return nil
	}
}
