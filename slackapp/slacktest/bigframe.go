package slacktest

import (
	"strings"
)

// Slack sends frames well over 1 MiB: the edit of a long message carries
// both versions with their blocks, and a message can carry many blocks.
// These helpers build such envelopes, so that tests can check that a client
// reads them without dropping the connection.

// BigEdit returns an events_api envelope with a message_changed event for
// an edit by user in channel whose frame is at least size bytes: the new
// text takes size bytes, the previous one a little.
func (s *Server) BigEdit(channel, user string, size int) Envelope {
	ts, edited := s.NewTS(), s.NewTS()
	text := BigText(size)
	return s.Event(map[string]any{
		"type": "message", "subtype": "message_changed", "hidden": true,
		"channel": channel, "channel_type": "channel", "ts": edited, "event_ts": edited,
		"message": map[string]any{
			"type": "message", "user": user, "text": text, "ts": ts, "team": s.TeamID,
			"edited": map[string]any{"user": user, "ts": edited},
		},
		"previous_message": map[string]any{
			"type": "message", "user": user, "text": "short draft", "ts": ts, "team": s.TeamID,
		},
	})
}

// BigBlocks returns rich_text blocks whose JSON takes about size bytes, in
// sections of about 4 KB, for a message envelope over 1 MiB.
func BigBlocks(size int) []any {
	const section = 4 << 10
	var elems []any
	for n := 0; n < size; n += section + 60 {
		elems = append(elems, map[string]any{"type": "rich_text_section", "elements": []any{
			map[string]any{"type": "text", "text": BigText(section)}}})
	}
	return []any{map[string]any{"type": "rich_text", "block_id": "big", "elements": elems}}
}

// BigText returns n bytes of text with what JSON must escape (quotes,
// backslashes, newlines) and multi-byte characters in it, as people write.
func BigText(n int) string {
	const line = "a \"long\" message: déjà vu \\ ünïcode 🙂 and more words\n"
	s := strings.Repeat(line, n/len(line)+1)
	// Cut on a character boundary.
	for n > 0 && n < len(s) && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n]
}
