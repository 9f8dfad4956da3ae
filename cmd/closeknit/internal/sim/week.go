// Package sim is the sandbox's simulated community, played against the
// built-in Slack emulator: a realistic week of traffic, the membership
// story and the prototypes, each checked against what a correct app ends
// with; and the load tools' message bursts.
package sim

import (
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"github.com/closeknit/closeknit/engagement"
	"github.com/closeknit/closeknit/slackapp/slacktest"
)

// Week is a played week: the envelopes in order, and what a correct count
// of them is.
type Week struct {
	Envelopes []slacktest.Envelope
	Redeliver map[int]bool // envelopes Slack delivers twice

	Messages, Replies, Reactions, Removed, Joins, Ignored, Redelivered int
	Prototypes                                                         *Prototypes // prototypes.go
}

// NewWeek builds a realistic week of a community: activity follows the
// local day (quiet nights, busier evenings and weekdays), a few heavy
// posters write much of it, about a third of messages are thread replies,
// people react to each other, and bots, edits and joins add noise.
func NewWeek(srv *slacktest.Server, c *engagement.Community, week engagement.Week, members, messages int, rng *rand.Rand) *Week {
	sim := &Week{Redeliver: map[int]bool{}}
	users := make([]string, members)
	for i := range users {
		users[i] = User(i)
	}
	// Zipf-like weights: member k posts about 1/(k+1)^0.9 as often as the first.
	weights := make([]float64, members)
	total := 0.0
	for i := range weights {
		weights[i] = 1 / math.Pow(float64(i+1), 0.9)
		total += weights[i]
	}
	pick := func() string {
		x := rng.Float64() * total
		for i, w := range weights {
			if x -= w; x <= 0 {
				return users[i]
			}
		}
		return users[members-1]
	}
	start := week.Start(c.Location)
	// Message times: a random day, then an hour weighted to the local day.
	hourWeight := [24]float64{1, .5, .3, .2, .2, .3, .8, 2, 4, 6, 6, 6, 7, 6, 6, 6, 6, 7, 8, 9, 9, 7, 4, 2}
	hourTotal := 0.0
	for _, w := range hourWeight {
		hourTotal += w
	}
	randomTime := func() time.Time {
		day := rng.IntN(7)
		if day >= 5 && rng.IntN(2) == 0 { // quieter weekends
			day = rng.IntN(5)
		}
		h := 0
		x := rng.Float64() * hourTotal
		for i, w := range hourWeight {
			if x -= w; x <= 0 {
				h = i
				break
			}
		}
		d := start.AddDate(0, 0, day)
		return time.Date(d.Year(), d.Month(), d.Day(), h, rng.IntN(60), rng.IntN(60), rng.IntN(1e6)*1000, c.Location)
	}

	type post struct {
		ts, user string
		at       time.Time
	}
	var posts []post
	add := func(ev map[string]any) int {
		sim.Envelopes = append(sim.Envelopes, srv.Event(ev))
		return len(sim.Envelopes) - 1
	}
	for i := range messages {
		at, user := randomTime(), pick()
		ev := map[string]any{
			"type": "message", "user": user, "channel": c.Channel, "channel_type": "channel",
			"text": "(simulated)", "blocks": RichText("(simulated)"),
		}
		if len(posts) > 3 && rng.IntN(3) == 0 { // a reply to an earlier post
			p := posts[rng.IntN(len(posts))]
			if at.Before(p.at) {
				at = p.at.Add(time.Duration(1+rng.IntN(3600)) * time.Second)
			}
			if end := week.End(c.Location); !at.Before(end) { // stay inside the week
				at = end.Add(-time.Duration(1+rng.IntN(1000)) * time.Millisecond)
			}
			ev["thread_ts"], ev["parent_user_id"] = p.ts, p.user
			sim.Replies++
		}
		ev["ts"], ev["event_ts"] = engagement.FormatTS(at), engagement.FormatTS(at)
		if _, reply := ev["thread_ts"]; !reply {
			posts = append(posts, post{engagement.FormatTS(at), user, at})
		}
		sim.Messages++
		idx := add(ev)
		if i%20 == 0 {
			sim.Redeliver[idx] = true
			sim.Redelivered++
		}
	}
	// Reactions: one person, one emoji, one post; some are taken back.
	emojis := []string{"heart", "+1", "joy", "fire", "eyes", "raised_hands"}
	seen := map[string]bool{}
	for range messages * 3 / 2 {
		p := posts[rng.IntN(len(posts))]
		user, emoji := pick(), emojis[rng.IntN(len(emojis))]
		key := user + p.ts + emoji
		if seen[key] {
			continue
		}
		seen[key] = true
		at := p.at.Add(time.Duration(1+rng.IntN(7200)) * time.Second)
		if !at.Before(week.End(c.Location)) {
			at = week.End(c.Location).Add(-time.Second)
		}
		item := map[string]any{"type": "message", "channel": c.Channel, "ts": p.ts}
		add(map[string]any{"type": "reaction_added", "user": user, "reaction": emoji, "item": item, "item_user": p.user, "event_ts": engagement.FormatTS(at)})
		sim.Reactions++
		if rng.IntN(12) == 0 {
			add(map[string]any{"type": "reaction_removed", "user": user, "reaction": emoji, "item": item, "item_user": p.user, "event_ts": engagement.FormatTS(at.Add(time.Minute))})
			sim.Removed++
		}
	}
	// Noise that must not count: bots, the app itself, edits, joins' system messages.
	for i := range max(messages/25, 3) {
		at := randomTime()
		var ev map[string]any
		switch i % 4 {
		case 0:
			ev = map[string]any{"type": "message", "subtype": "bot_message", "bot_id": "B0OTHERBOT1", "text": "deploy finished", "channel": c.Channel}
		case 1:
			ev = map[string]any{"type": "message", "user": srv.BotUserID, "bot_id": srv.BotID, "text": "welcome!", "channel": c.Channel}
		case 2:
			ev = map[string]any{"type": "message", "subtype": "message_changed", "hidden": true, "channel": c.Channel,
				"message": map[string]any{"type": "message", "user": pick(), "text": "edited", "ts": engagement.FormatTS(at)}}
		case 3:
			ev = map[string]any{"type": "message", "subtype": "channel_join", "user": pick(), "text": "has joined the channel", "channel": c.Channel}
		}
		ev["ts"], ev["event_ts"] = engagement.FormatTS(at), engagement.FormatTS(at)
		add(ev)
		sim.Ignored++
	}
	for range max(members/20, 1) {
		add(map[string]any{"type": "member_joined_channel", "user": pick(), "channel": c.Channel, "channel_type": "C", "team": srv.TeamID, "event_ts": engagement.FormatTS(randomTime())})
		sim.Joins++
	}
	sim.Prototypes = planPrototypes(users, rng) // last: the week above stays the same for a seed
	return sim
}

// RichText is a message's blocks as Slack sends them: the part of every
// message envelope closeknit never reads.
func RichText(text string) []any {
	return []any{map[string]any{
		"type": "rich_text", "block_id": "Xq3vP",
		"elements": []any{map[string]any{
			"type":     "rich_text_section",
			"elements": []any{map[string]any{"type": "text", "text": text}},
		}},
	}}
}

// User is the ID of the i-th simulated member.
func User(i int) string { return fmt.Sprintf("U%08d", 10000+i) }
