package slacktest

import (
	"context"
	"fmt"
	"maps"
	"strings"
)

// The echoes of the app's own actions, as Slack sends them to an app
// subscribed to message.channels, message.groups, message.im and
// reaction_added (the shapes of events_api.message.from_own_app.json,
// events_api.message.message_changed.json and events_api.reaction_added.json).
// Messages and edits echo in channels and in IM channels (D…, the app's
// direct messages with a person); a post addressed to a user ID (U…) has no
// IM channel ID here and does not echo.

// echoMessageLocked queues the message event for a chat.postMessage.
func (s *Server) echoMessageLocked(m *Message) {
	if !s.OwnEchoes || !echoesMessages(m.Channel) {
		return
	}
	ev := s.messageJSON(m)
	ev["bot_profile"] = s.botProfile()
	ev["channel"] = m.Channel
	ev["event_ts"] = m.TS
	ev["channel_type"] = channelType(m.Channel)
	s.followUps = append(s.followUps, ev)
}

// echoChangedLocked queues the message_changed event for a chat.update of
// prev into m.
func (s *Server) echoChangedLocked(prev, m *Message) {
	if !s.OwnEchoes || !echoesMessages(m.Channel) {
		return
	}
	ts := s.nextTSLocked()
	now := s.messageJSON(m)
	now["edited"] = map[string]any{"user": s.BotUserID, "ts": ts}
	s.followUps = append(s.followUps, map[string]any{
		"type":             "message",
		"subtype":          "message_changed",
		"message":          now,
		"previous_message": s.messageJSON(prev),
		"channel":          m.Channel,
		"hidden":           true,
		"ts":               ts,
		"event_ts":         ts,
		"channel_type":     channelType(m.Channel),
	})
}

// echoReactionLocked queues the reaction_added event for a reactions.add.
func (s *Server) echoReactionLocked(channel, ts, name string) {
	if !s.OwnEchoes || !isChannel(channel) {
		return
	}
	ev := map[string]any{
		"type":     "reaction_added",
		"user":     s.BotUserID,
		"reaction": name,
		"item":     map[string]any{"type": "message", "channel": channel, "ts": ts},
		"event_ts": s.nextTSLocked(),
	}
	for _, m := range s.messages {
		if m.Channel == channel && m.TS == ts && !m.Ephemeral {
			ev["item_user"] = s.BotUserID // the emulator only stores the app's posts
		}
	}
	s.followUps = append(s.followUps, ev)
}

func (s *Server) botProfile() map[string]any {
	return map[string]any{
		"id": s.BotID, "deleted": false, "name": "closeknit", "updated": 1767000000,
		"app_id": s.AppID, "team_id": s.TeamID,
		"icons": map[string]any{"image_36": "https://a.slack-edge.com/80588/img/plugins/app/bot_36.png"},
	}
}

// sendEcho sends an event a Web API call caused, EchoDelay late at most.
func (s *Server) sendEcho(ev map[string]any) {
	env := s.Event(maps.Clone(ev))
	s.mu.Lock()
	d := s.randDelayLocked(s.EchoDelay)
	s.mu.Unlock()
	if err := s.sendEnvelope(env, d); err != nil {
		s.logf("slacktest: echo not sent: %v", err)
		return
	}
	s.mu.Lock()
	s.echoes = append(s.echoes, env.ID)
	s.notifyLocked()
	s.mu.Unlock()
}

// WaitEchoes blocks until at least n echoes of the app's own actions have
// been sent and every echo sent so far has been acked, so that a test can
// check what the app made of them.
func (s *Server) WaitEchoes(ctx context.Context, n int) error {
	err := s.waitFor(ctx, func() bool {
		if len(s.echoes) < n {
			return false
		}
		for _, id := range s.echoes {
			if !s.envs[id].acked {
				return false
			}
		}
		return true
	})
	if err != nil {
		return fmt.Errorf("slacktest: waiting for %d acked echoes: %w", n, err)
	}
	return nil
}

func isChannel(id string) bool { return strings.HasPrefix(id, "C") || strings.HasPrefix(id, "G") }

// echoesMessages reports whether the app's posts in id come back as message
// events: channels, and IM channels (message.im).
func echoesMessages(id string) bool { return isChannel(id) || strings.HasPrefix(id, "D") }

func channelType(id string) string {
	switch {
	case strings.HasPrefix(id, "G"):
		return "group"
	case strings.HasPrefix(id, "D"):
		return "im"
	}
	return "channel"
}
