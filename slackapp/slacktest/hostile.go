package slacktest

import (
	"container/heap"
	"math/rand/v2"
	"os"
	"regexp"
	"slices"
	"strconv"
	"time"
)

// Hostile holds the parts of Slack's contract that make life hard for an
// app: events late and out of order, late echoes of the app's own actions,
// refusals for channels and users, and rate limits. The zero value is calm
// (everything delivered at once, every channel and user accepted, no rate
// limits). NewServer turns all of it on (see HostileDefaults) unless the test
// passes Calm.
type Hostile struct {
	// Seed seeds every random choice of the emulator (delays, hence
	// orders). Zero means SLACKTEST_SEED from the environment if set, so
	// that a failing run can be replayed, else a seed from the clock.
	// Start logs the seed in use.
	Seed uint64
	// MaxDelay delays the first delivery of each events_api envelope by a
	// random duration in [0, MaxDelay], so that events sent within MaxDelay
	// of each other may arrive in any order, as on Slack. Slash commands and
	// interactions are not delayed: a person is waiting for them.
	MaxDelay time.Duration
	// EchoDelay adds a random [0, EchoDelay] to the echoes of the app's own
	// actions (member events after invite/kick, message after
	// chat.postMessage, message_changed after chat.update, reaction_added
	// after reactions.add), on top of MaxDelay: Slack sends them late,
	// often after the app has moved on.
	EchoDelay time.Duration
	// OwnEchoes sends the message, message_changed and reaction_added
	// events Slack sends for the app's own posts, edits and reactions in
	// channels. (MemberEvents does the same for invite and kick.)
	OwnEchoes bool
	// StrictChannels makes channel IDs (C…, G…) real: a channel is known
	// once SetChannel, SetMembers or AddChannels declared it; any other
	// answers channel_not_found. The bot is a member of a declared channel
	// unless Channel.BotNotMember says otherwise, and methods that need
	// membership (chat.postMessage, chat.postEphemeral, chat.update,
	// reactions.add, conversations.history, invite, kick, file shares)
	// answer not_in_channel; an archived channel answers is_archived.
	// conversations.members lists the bot among the members, as Slack does.
	StrictChannels bool
	// StrictUsers makes users.info and conversations.invite answer
	// user_not_found for a user the workspace has never shown: users are
	// known through SetUser, SetMembers, SetUserGroup, or by appearing in a
	// frame the test sent (an event, command or interaction).
	StrictUsers bool
	// RateScale, if positive, enforces Slack's rate limits (RateLimits)
	// multiplied by RateScale: RateScale 1 is Slack's real allowance,
	// NewServer's 60 allows a minute's worth every second. A call over the
	// limit gets HTTP 429, Retry-After and "ratelimited".
	RateScale float64
}

// HostileDefaults is what NewServer runs with unless the test asks for calm.
// The delays are small so that the suite stays fast, and large enough next
// to a test's consecutive sends to reorder them.
func HostileDefaults() Hostile {
	return Hostile{
		MaxDelay:       25 * time.Millisecond,
		EchoDelay:      50 * time.Millisecond,
		OwnEchoes:      true,
		StrictChannels: true,
		StrictUsers:    true,
		RateScale:      60,
	}
}

// hostileRetrySchedule is Slack's redelivery schedule ({0, 1 min, 5 min}
// after each 3 s ack timeout) compressed a hundredfold, so that an un-acked
// event is redelivered three times within a test's patience.
var hostileRetrySchedule = []time.Duration{0, 600 * time.Millisecond, 3 * time.Second}

// Option configures a Server made by NewServer before it starts.
type Option func(*Server)

// Calm turns off everything hostile (Hostile's zero value, no member echoes,
// Slack's slow redelivery schedule). why is required and logged: a test that
// cannot live with Slack's real behaviour must say why.
func Calm(why string) Option {
	return func(s *Server) {
		if why == "" {
			s.fail("slacktest: Calm needs a reason")
		}
		s.calmReason = why
		s.Hostile = Hostile{}
		s.MemberEvents = false
		s.RetrySchedule = nil
	}
}

// Hostility makes the server as hostile as Slack: HostileDefaults, member
// events after invite and kick, and redelivery of un-acked events compressed
// to hostileRetrySchedule.
func Hostility() Option {
	return func(s *Server) {
		seed := s.Seed
		s.Hostile = HostileDefaults()
		s.Seed = seed
		s.MemberEvents = true
		s.RetrySchedule = slices.Clone(hostileRetrySchedule)
	}
}

// WithSeed fixes the seed of the emulator's random choices, to replay a run.
func WithSeed(seed uint64) Option { return func(s *Server) { s.Seed = seed } }

// hostileState is the random source behind the hostile behaviour, guarded
// by Server.mu.
type hostileState struct {
	rng        *rand.Rand
	calmReason string
	knownUsers map[string]bool
	buckets    map[string]*bucket
	echoes     []string // envelope IDs of the echoes sent, in order
}

// startHostileLocked seeds the random source and logs the seed.
func (s *Server) startHostileLocked() {
	if env := os.Getenv("SLACKTEST_SEED"); env != "" && s.Seed == 0 {
		if n, err := strconv.ParseUint(env, 10, 64); err == nil {
			s.Seed = n
		}
	}
	if s.Seed == 0 {
		s.Seed = uint64(time.Now().UnixNano())
	}
	s.rng = rand.New(rand.NewPCG(s.Seed, s.Seed^0x9e3779b97f4a7c15))
	s.knownUsers = map[string]bool{s.BotUserID: true}
	s.buckets = map[string]*bucket{}
	switch {
	case s.calmReason != "":
		s.logf("slacktest: calm emulator: %s", s.calmReason)
	case s.Hostile != Hostile{Seed: s.Seed}:
		s.logf("slacktest: hostile emulator, seed %d (replay with SLACKTEST_SEED=%d)", s.Seed, s.Seed)
	}
}

// randDelayLocked returns a random duration in [0, max].
func (s *Server) randDelayLocked(max time.Duration) time.Duration {
	if max <= 0 {
		return 0
	}
	return time.Duration(s.rng.Int64N(int64(max) + 1))
}

// sendLaterLocked delivers e for the first time after d, through the same
// deadline heap as redeliveries, so that Close stops it with them.
func (s *Server) sendLaterLocked(e *envelope, d time.Duration) {
	e.gen++
	s.pushDeadlineLocked(retryItem{at: time.Now().Add(d), env: e, gen: e.gen, first: true})
}

// pushDeadlineLocked adds it to the deadline heap and wakes retryLoop if it
// is the earliest.
func (s *Server) pushDeadlineLocked(it retryItem) {
	earliest := len(s.retries) == 0 || it.at.Before(s.retries[0].at)
	heap.Push(&s.retries, it)
	if earliest {
		select {
		case s.wake <- struct{}{}:
		default:
		}
	}
}

// userIDPattern matches the user IDs of a frame, as string values or as
// mentions (<@U…> or <@U…|name>), so that the people a test's events and
// commands name exist in the workspace.
var userIDPattern = regexp.MustCompile(`(?:"|@)([UW][A-Z0-9]{1,20})\b`)

// learnUsersLocked records every user ID in frame as known.
func (s *Server) learnUsersLocked(frame []byte) {
	if !s.StrictUsers {
		return
	}
	for _, m := range userIDPattern.FindAllSubmatch(frame, -1) {
		s.knownUsers[string(m[1])] = true
	}
}

// userKnownLocked reports whether users.info may describe id.
func (s *Server) userKnownLocked(id string) bool {
	if !s.StrictUsers || s.knownUsers[id] {
		return true
	}
	if _, ok := s.users[id]; ok {
		return true
	}
	for _, list := range s.members {
		if slices.Contains(list, id) {
			return true
		}
	}
	for _, list := range s.groups {
		if slices.Contains(list, id) {
			return true
		}
	}
	return false
}
