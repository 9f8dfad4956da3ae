package slackapp

import (
	"context"
	"encoding/json"
	"time"

	"github.com/slack-go/slack"
)

// interactionHandler answers an interaction: a button pressed (routed by
// action_id), a modal submitted (by the view's callback_id) or a shortcut
// (by callback_id). It runs on a goroutine of its own with the ack's
// deadline in ctx. What it returns goes back in the ack: only a
// view_submission's ack may carry a payload (response_action), the others
// must return nil. Slack never redelivers interactions, so a handler acks
// once it has done (or given up on) its work.
type interactionHandler func(ctx context.Context, a *App, cb *slack.InteractionCallback) (any, error)

// Interaction routing tables, filled by routes.
type interactionRoutes struct {
	actions   map[string]interactionHandler // block_actions, by action_id
	views     map[string]interactionHandler // view_submission, by the view's callback_id
	shortcuts map[string]interactionHandler // shortcut (global) and message_action, by callback_id
}

// handleInteraction routes an interactive envelope and acks it.
func (a *App) handleInteraction(ctx context.Context, env envelope, received time.Time) {
	var cb slack.InteractionCallback
	if err := json.Unmarshal([]byte(env.Payload.Raw), &cb); err != nil {
		a.ackNow(env.Type, outRejected, ack{envelopeID: env.ID}, received)
		a.log.Warn("rejected malformed interaction", "envelope_id", env.ID, "err", err)
		return
	}
	var h interactionHandler
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
		a.ackNow(env.Type, outIgnored, ack{envelopeID: env.ID}, received)
		return
	}
	payload, err := h(ctx, a, &cb)
	if err != nil {
		a.log.Error("interaction failed", "envelope_id", env.ID, "type", string(cb.Type), "route", key, "user_id", cb.User.ID, "err", err)
		payload = nil
		if cb.Type != slack.InteractionTypeViewSubmission {
			a.tellUser(cb.Channel.ID, cb.User.ID, a.userError(err, "envelope_id", env.ID).Text)
		}
	}
	// The payload goes back whatever accepts_response_payload says, as the
	// official SDKs do: only view_submission handlers return one, and Slack
	// has been seen to flag such envelopes false.
	ak := ack{envelopeID: env.ID}
	if payload != nil {
		ak.payload = payload
	}
	a.ackNow(env.Type, outHandled, ak, received)
}

// tellUser shows text to user only, in channel (best effort, in the
// background: it is a courtesy, never part of the work).
func (a *App) tellUser(channel, user, text string) {
	if channel == "" || user == "" {
		return
	}
	a.goAsync(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if _, err := a.api.PostEphemeralContext(ctx, channel, user, slack.MsgOptionText(text, false)); err != nil {
			a.log.Warn("ephemeral reply not sent", "user_id", user, "err", err)
		}
	})
}

// notice is whom to tell something privately, and how: through a
// response_url when Slack gave one, else by a DM from the app.
type notice struct {
	user        string
	responseURL string
}

// tell shows text to the person of n only. A response_url works wherever
// the command or interaction happened, a DM or a channel the bot is not
// in, where chat.postEphemeral fails; a DM from the app works everywhere.
func (a *App) tell(n notice, text string) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var err error
	if n.responseURL != "" {
		err = slack.PostWebhookCustomHTTPContext(ctx, n.responseURL, a.httpClient,
			&slack.WebhookMessage{ResponseType: slack.ResponseTypeEphemeral, Text: text})
	} else {
		_, _, err = a.api.PostMessageContext(ctx, n.user, slack.MsgOptionText(text, false))
	}
	if err != nil {
		a.log.Warn("private reply not sent", "user_id", n.user, "via_response_url", n.responseURL != "", "err", err)
	}
}
