package slackapp

import (
	"context"
	"encoding/json"
	"time"

	"github.com/closeknit/closeknit/slackapp/feature"
	"github.com/closeknit/closeknit/slackapp/socketmode"
	"github.com/slack-go/slack"
)

// Interaction routing tables, filled by routes.
type interactionRoutes struct {
	actions   map[string]feature.Interaction // block_actions, by action_id
	views     map[string]feature.Interaction // view_submission, by the view's callback_id
	shortcuts map[string]feature.Interaction // shortcut (global) and message_action, by callback_id
}

// handleInteraction routes an interactive envelope and acks it.
func (a *App) handleInteraction(ctx context.Context, env socketmode.Envelope, received time.Time) {
	var cb slack.InteractionCallback
	if err := json.Unmarshal([]byte(env.Payload), &cb); err != nil {
		a.ackNow(env.Type, outRejected, socketmode.Ack{EnvelopeID: env.ID}, received)
		a.log.Warn("rejected malformed interaction", "envelope_id", env.ID, "err", err)
		return
	}
	var h feature.Interaction
	var key string
	switch cb.Type {
	case slack.InteractionTypeBlockActions:
		if len(cb.ActionCallback.BlockActions) > 0 {
			key = cb.ActionCallback.BlockActions[0].ActionID
			h = a.interactions.actions[key]
		}
	case slack.InteractionTypeViewSubmission:
		key = cb.View.CallbackID
		h = a.interactions.views[key]
	case slack.InteractionTypeShortcut, slack.InteractionTypeMessageAction:
		key = cb.CallbackID
		h = a.interactions.shortcuts[key]
	}
	if h == nil {
		// Not ours to handle (e.g. view_closed, a link button): ack so
		// Slack shows no error, and count it.
		a.ackNow(env.Type, outIgnored, socketmode.Ack{EnvelopeID: env.ID}, received)
		return
	}
	payload, err := h(ctx, &cb)
	if err != nil {
		a.log.Error("interaction failed", "envelope_id", env.ID, "type", string(cb.Type), "route", key, "user_id", cb.User.ID, "err", err)
		payload = nil
		if cb.Type != slack.InteractionTypeViewSubmission {
			a.notify.TellUser(cb.Channel.ID, cb.User.ID, a.userError(err, "envelope_id", env.ID).Text)
		}
	}
	// The payload goes back whatever accepts_response_payload says, as the
	// official SDKs do: only view_submission handlers return one, and Slack
	// has been seen to flag such envelopes false.
	ak := socketmode.Ack{EnvelopeID: env.ID}
	if payload != nil {
		ak.Payload = payload
	}
	a.ackNow(env.Type, outHandled, ak, received)
}
