// Package membership keeps a community small: seats, the waitlist, the
// welcome, the roster check against the channel, the one nudge to
// introduce oneself, the staff commands that change all that, and a
// member's part of the App Home.
//
// The engagement scripts decide seats atomically and leave the Slack work
// (welcome, kick, invite, DMs) in each community's outbox; this package
// does that work (outbox.go). Every replica consumes the outbox; a job is
// removed only once done, so a crash or a Slack outage delays it, never
// loses it.
package membership

import (
	"context"
	"log/slog"

	"github.com/closeknit/closeknit/engagement"
	"github.com/closeknit/closeknit/slackapp/feature"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/slack-go/slack"
)

// API is the part of the Slack Web API membership uses.
type API interface {
	PostMessageContext(ctx context.Context, channelID string, options ...slack.MsgOption) (string, string, error)
	GetUserInfoContext(ctx context.Context, user string, options ...slack.GetUserInfoOption) (*slack.User, error)
	GetUsersInConversationContext(ctx context.Context, params *slack.GetUsersInConversationParameters) ([]string, string, error)
	GetConversationInfoContext(ctx context.Context, input *slack.GetConversationInfoInput) (*slack.Channel, error)
	InviteUsersToConversationContext(ctx context.Context, channelID string, users ...string) (*slack.Channel, error)
	KickUserFromConversationContext(ctx context.Context, channelID, user string) error
}

// Deps is what membership needs from the core.
type Deps struct {
	API    API
	Store  *engagement.Store
	Log    *slog.Logger
	Staff  feature.Staff
	Notify *feature.Notifier
	// Communities are the configured communities; ByChannel finds one by
	// its channel (a member's command is about the community it ran in).
	Communities []*engagement.Community
	ByChannel   map[string]*engagement.Community
	// RefreshStaff brings c's staff group up to date before the roster
	// check, so group staff are not seated as customers.
	RefreshStaff func(ctx context.Context, c *engagement.Community)
	// BotUser is the app's own user ID, known once the app has started:
	// the roster check gives it no seat.
	BotUser func() string
}

// Feature is the membership feature: its commands, jobs and outbox.
type Feature struct {
	Deps
	m *metrics
}

// New builds the feature and registers its metrics on reg.
func New(d Deps, reg prometheus.Registerer) *Feature {
	return &Feature{Deps: d, m: newMetrics(reg, d.Store, d.Communities)}
}

// community is the community a member's command is about: the one whose
// channel it ran in, else the first configured.
func (f *Feature) community(cmd *slack.SlashCommand) *engagement.Community {
	if c := f.ByChannel[cmd.ChannelID]; c != nil {
		return c
	}
	return f.Communities[0]
}
