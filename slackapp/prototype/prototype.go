// Package prototype is closeknit's prototype feedback: staff post a
// prototype (or a poll) through a modal; its card in the community channel
// collects reactions, thread replies and votes; feedback closes on time
// (the "prototypes" job) or by a staff command, the card says so, and the
// results go to the brand channel. Counting the feedback happens in the
// store (engagement) as the events arrive; this package is its Slack side.
package prototype

import (
	"context"
	"log/slog"

	"github.com/closeknit/closeknit/engagement"
	"github.com/closeknit/closeknit/slackapp/feature"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/slack-go/slack"
)

// API is the part of Slack's Web API the feature calls (*slack.Client).
type API interface {
	OpenViewContext(ctx context.Context, triggerID string, view slack.ModalViewRequest) (*slack.ViewResponse, error)
	PostMessageContext(ctx context.Context, channelID string, options ...slack.MsgOption) (string, string, error)
	PostEphemeralContext(ctx context.Context, channelID, userID string, options ...slack.MsgOption) (string, error)
	UpdateMessageContext(ctx context.Context, channelID, timestamp string, options ...slack.MsgOption) (string, string, string, error)
	AddReactionContext(ctx context.Context, name string, item slack.ItemRef) error
}

// Deps is what the feature depends on.
type Deps struct {
	API    API
	Store  *engagement.Store
	Log    *slog.Logger
	Run    feature.Runner
	Staff  feature.Staff
	Notify *feature.Notifier
	// Communities are the configured communities: a submitted modal names
	// its community, a pressed button its card's channel.
	Communities []*engagement.Community
}

// Feature is the prototype feature; routes.go wires its handlers.
type Feature struct {
	d         Deps
	byChannel map[string]*engagement.Community
	m         metrics
}

// Interaction routes of the feature (routes.go lists them).
const (
	ViewNew        = "proto_new"     // the modal's callback_id
	ShortcutNew    = "new_prototype" // the global shortcut's callback_id (manifest.yaml)
	ActionResults  = "proto_results" // the card's Results button
	MaxPollButtons = 6
)

// New builds the feature, registers its metrics on reg and hooks the
// feedback metric into the store.
func New(d Deps, reg prometheus.Registerer) *Feature {
	f := &Feature{d: d, byChannel: map[string]*engagement.Community{}, m: newMetrics(reg, d.Communities)}
	for _, c := range d.Communities {
		f.byChannel[c.Channel] = c
	}
	if d.Store != nil { // nil when the routes are only listed (the manifest test)
		d.Store.SetFeedbackObserver(f.m.noteFeedback)
	}
	return f
}

// communityByID finds a configured community.
func (f *Feature) communityByID(id string) *engagement.Community {
	for _, c := range f.d.Communities {
		if c.ID == id {
			return c
		}
	}
	return nil
}

// cardOf finds the prototype whose card an action was taken on.
func (f *Feature) cardOf(cb *slack.InteractionCallback) (*engagement.Community, string) {
	channel := cb.Container.ChannelID
	if channel == "" {
		channel = cb.Channel.ID
	}
	ts := cb.Container.MessageTs
	if ts == "" {
		ts = cb.Message.Timestamp
	}
	return f.byChannel[channel], ts
}
