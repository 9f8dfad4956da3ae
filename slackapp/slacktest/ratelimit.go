package slacktest

import (
	"math"
	"net/url"
	"time"
)

// RateLimit is Slack's allowance for one Web API method, per app and
// workspace (docs/SLACK.md §4, "Rate limiting").
type RateLimit struct {
	// PerMinute is the sustained rate.
	PerMinute float64
	// Burst is how many calls may come at once after a quiet spell.
	Burst float64
	// PerChannel keeps one allowance per channel argument
	// (chat.postMessage's "about 1 per second per channel").
	PerChannel bool
}

// Slack's tiers: Tier 1 1+/min, Tier 2 20+/min, Tier 3 50+/min, Tier 4
// 100+/min. Slack allows short bursts without saying how long; a tier's
// burst here is a minute's worth.
var (
	tier1 = RateLimit{PerMinute: 1, Burst: 1}
	tier2 = RateLimit{PerMinute: 20, Burst: 20}
	tier3 = RateLimit{PerMinute: 50, Burst: 50}
	tier4 = RateLimit{PerMinute: 100, Burst: 100}
)

// RateLimits holds the rate limit of every method the emulator knows, from
// docs.slack.dev's method pages. Methods not listed are Tier 3.
var RateLimits = map[string]RateLimit{
	"apps.connections.open":        tier1,
	"auth.test":                    {PerMinute: 600, Burst: 600}, // "special: hundreds per minute"
	"chat.getPermalink":            tier4,                        // "special"
	"chat.postEphemeral":           tier4,
	"chat.postMessage":             {PerMinute: 60, Burst: 1, PerChannel: true},
	"chat.update":                  tier3,
	"conversations.history":        tier3,
	"conversations.info":           tier3,
	"conversations.invite":         tier3,
	"conversations.kick":           tier3,
	"conversations.members":        tier4,
	"files.completeUploadExternal": tier4,
	"files.getUploadURLExternal":   tier4,
	"pins.add":                     tier2,
	"reactions.add":                tier3,
	"usergroups.users.list":        tier2,
	"users.info":                   tier4,
	"views.open":                   tier4,
	"views.publish":                tier4,
}

// bucket is a token bucket: tokens refill continuously up to the burst.
type bucket struct {
	tokens float64
	last   time.Time
}

// rateLimitedLocked takes one call of method from its allowance, scaled by
// RateScale, and reports how long to wait when there is none left.
func (s *Server) rateLimitedLocked(method string, args url.Values) (time.Duration, bool) {
	if s.RateScale <= 0 {
		return 0, false
	}
	lim, ok := RateLimits[method]
	if !ok {
		lim = tier3
	}
	key := method
	if lim.PerChannel {
		key += "/" + args.Get("channel")
	}
	perSec := lim.PerMinute * s.RateScale / 60
	burst := math.Max(1, lim.Burst*s.RateScale)
	now := time.Now()
	b := s.buckets[key]
	if b == nil {
		b = &bucket{tokens: burst, last: now}
		s.buckets[key] = b
	}
	b.tokens = math.Min(burst, b.tokens+now.Sub(b.last).Seconds()*perSec)
	b.last = now
	if b.tokens >= 1 {
		b.tokens--
		return 0, false
	}
	return time.Duration((1 - b.tokens) / perSec * float64(time.Second)), true
}
