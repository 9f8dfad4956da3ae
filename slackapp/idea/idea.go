// Package idea is the idea board in Slack: members post ideas (a modal
// from `/closeknit idea` or the message shortcut "Make this an idea"), the
// app posts a card with an Upvote button, seated members vote once each,
// and staff set a status (the author is DMed) or merge duplicates. The
// store (engagement) decides every vote in one step, so a redelivered or
// double-clicked Upvote counts once.
package idea

import (
	"context"
	"log/slog"

	"github.com/closeknit/closeknit/engagement"
	"github.com/closeknit/closeknit/slackapp/feature"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
	"github.com/slack-go/slack"
)

// Routes: the slash subcommands, action IDs, the view's callback ID and
// the message shortcut's callback ID (routes.go wires them; manifest.yaml
// declares the shortcut).
const (
	ActionUpvote   = "idea_upvote"
	ActionUnvote   = "idea_unvote"
	ActionStatus   = "idea_status"
	ViewNew        = "idea_new"
	ShortcutMake   = "make_idea"
	statusSep      = "|" // an overflow option's value: "<ID>|<status>"
	metadataFields = 3   // a modal's private_metadata: "<community>|<source channel>|<source ts>"
)

// API is the part of Slack's Web API the idea board calls: a card's,
// chat.postEphemeral for the answer to a vote (it carries a button), and
// pins.add for the idea thread's parent post (thread.go).
type API interface {
	feature.CardAPI
	PostEphemeralContext(ctx context.Context, channelID, userID string, options ...slack.MsgOption) (string, error)
	AddPinContext(ctx context.Context, channel string, item slack.ItemRef) error
}

// Deps is everything the idea board depends on.
type Deps struct {
	API    API
	Store  *engagement.Store
	Log    *slog.Logger
	Run    feature.Runner
	Notify *feature.Notifier
	Staff  feature.Staff
	// Community is the community of a channel; with no community there,
	// the first configured one (a command typed in a DM).
	Community func(channel string) *engagement.Community
	// ByID finds a community by its ID ("" or unknown: nil).
	ByID func(id string) *engagement.Community
	// Workspace is the workspace's address, the base of permalinks ("" if
	// unknown: cards are listed without links).
	Workspace func(ctx context.Context) string
	Metrics   *Metrics

	cards *cards // set by New
}

// Metrics are the idea board's metrics.
type Metrics struct {
	votes    *prometheus.CounterVec
	byStatus *prometheus.GaugeVec
}

// NewMetrics creates the idea board's metrics on reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	f := promauto.With(reg)
	return &Metrics{
		votes: f.NewCounterVec(prometheus.CounterOpts{Name: "closeknit_idea_votes_total",
			Help: "Votes added to ideas by seated members and staff (a repeated or refused vote is not counted)."}, []string{"community"}),
		byStatus: f.NewGaugeVec(prometheus.GaugeOpts{Name: "closeknit_ideas",
			Help: "Ideas by status (new, under review, planned, shipped, declined, merged), as of the last change or the ideas job."},
			[]string{"community", "status"}),
	}
}

// Job refreshes the ideas-by-status gauge of c, and posts the cards that
// were claimed but never recorded: Slack did not answer their post, or
// answered with trouble of its own, or the replica posting them died.
// postCard claims each again only once the claim is stale, so a post under
// way is left alone.
func Job(d Deps) feature.Job {
	return func(ctx context.Context, c *engagement.Community) error {
		list, err := d.countStatuses(ctx, c)
		for _, i := range list {
			if i.CardUnrecorded() {
				d.postCard(c, i, feature.Notice{User: i.Author}, true)
			}
		}
		return err
	}
}

// countStatuses refreshes the ideas-by-status gauge of c and returns the
// ideas it read.
func (d Deps) countStatuses(ctx context.Context, c *engagement.Community) ([]*engagement.Idea, error) {
	list, err := d.Store.Ideas(ctx, c)
	if err != nil {
		return nil, err
	}
	n := map[string]int{}
	for _, i := range list {
		n[i.Status]++
	}
	for _, s := range append(engagement.IdeaStatuses, engagement.IdeaMerged) {
		d.Metrics.byStatus.WithLabelValues(c.ID, s).Set(float64(n[s]))
	}
	return list, nil
}
