package sim

import (
	"fmt"
	"time"

	"github.com/closeknit/closeknit/engagement"
	"github.com/closeknit/closeknit/slackapp/slacktest"
)

// LoadMessages builds n message envelopes for the load tools, shaped like
// Slack's: compact JSON, rich_text blocks, a few dozen posters, some thread
// replies, all in channel and in the current week (UTC).
func LoadMessages(srv *slacktest.Server, channel string, n int) (frames [][]byte, ids []string) {
	frames, ids = make([][]byte, n), make([]string, n)
	base := time.Now().Add(-time.Minute)
	if engagement.WeekOf(base, time.UTC) != engagement.WeekOf(time.Now(), time.UTC) {
		base = time.Now() // just after midnight on Monday: stay in this week
	}
	for i := range n {
		ts := engagement.FormatTS(base.Add(time.Duration(i) * time.Microsecond))
		text := fmt.Sprintf("message %d: has anyone tried the new shade in daylight?", i)
		ev := map[string]any{
			"client_msg_id": fmt.Sprintf("%08x-6a3f-4d8e-9b0a-2f5c7e1d3a9b", i),
			"type":          "message", "text": text, "user": fmt.Sprintf("U%08d", i%40),
			"ts": ts, "blocks": RichText(text), "team": srv.TeamID, "channel": channel,
			"event_ts": ts, "channel_type": "channel",
		}
		if i%4 == 3 {
			ev["thread_ts"], ev["parent_user_id"] = ts[:len(ts)-1]+"0", "U00000001"
		}
		env := srv.Event(ev)
		frames[i], ids[i] = env.Frame, env.ID
	}
	return frames, ids
}
