package slacktest

import (
	"slices"
	"strings"
)

// AddChannels declares channels the bot is a member of, leaving alone any
// that SetChannel or SetMembers already declared. With StrictChannels, only
// declared channels exist.
func (s *Server) AddChannels(ids ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, id := range ids {
		if !s.channelKnownLocked(id) {
			s.channels[id] = Channel{ID: id, Name: strings.ToLower(id)}
		}
	}
}

// channelKnownLocked reports whether a test declared the channel id.
func (s *Server) channelKnownLocked(id string) bool {
	_, ok := s.channels[id]
	_, hasMembers := s.members[id]
	return ok || hasMembers
}

// isDM reports whether id names a direct message: an IM channel (D…) or a
// user, which chat.postMessage takes as "the DM with that user".
func isDM(id string) bool {
	return id != "" && strings.ContainsRune("DUW", rune(id[0]))
}

// botInChannelLocked reports whether the bot is a member of channel id.
func (s *Server) botInChannelLocked(id string) bool {
	ch, ok := s.channels[id]
	return !ok || !ch.BotNotMember
}

// channelRefusalLocked returns the error Slack answers for a call on channel
// id ("" if none): channel_not_found for a channel nobody declared,
// is_archived for an archived one, and not_in_channel when member is set and
// the bot is not a member.
func (s *Server) channelRefusalLocked(id string, member bool) string {
	switch {
	case id == "":
		return "channel_not_found"
	case isDM(id):
		return ""
	case !s.StrictChannels:
		return ""
	case !s.channelKnownLocked(id):
		return "channel_not_found"
	case s.channels[id].Archived:
		return "is_archived"
	case member && !s.botInChannelLocked(id):
		return "not_in_channel"
	}
	return ""
}

// membersWithBotLocked is what conversations.members lists: the stored
// members and, with StrictChannels, the bot when it is a member, as on Slack.
func (s *Server) membersWithBotLocked(id string) []string {
	members := s.members[id]
	if s.StrictChannels && s.botInChannelLocked(id) && !slices.Contains(members, s.BotUserID) {
		members = append(slices.Clone(members), s.BotUserID)
	}
	return members
}

// isMemberLocked is conversations.info's is_member: with StrictChannels the
// bot's declared membership, otherwise whether a test listed the bot.
func (s *Server) isMemberLocked(id string) bool {
	if s.StrictChannels {
		return s.botInChannelLocked(id)
	}
	return slices.Contains(s.members[id], s.BotUserID)
}
