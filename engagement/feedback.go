package engagement

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// The prototype feature tallies reactions and thread replies on prototype
// cards as they are recorded (see feature.go).
//
// Most reactions and replies are not on a prototype card, and those must
// not pay for a script. Each Store keeps, per community, the set of card ts
// it read from Redis (p:cards) and a watermark: every card whose ts is at
// or below the watermark is certainly in the set. An event whose item is at
// or below the watermark and not in the set skips the script; anything
// newer than the watermark, or in the set, runs it (and the script itself
// checks that the prototype exists). This holds across replicas without any
// messaging between them, because:
//
//   - CreatePrototype refuses to record a card posted more than
//     protoRecordWindow ago (by the Store's clock against the card's ts);
//   - a refresh taken at time T sets the watermark to T - 2*protoRecordWindow,
//     so a card at or below it was recorded (by whichever replica) at least
//     protoRecordWindow before T, and the refresh saw it. Clocks may differ
//     by up to protoRecordWindow/2 between replicas without breaking this.
//
// A miss therefore never loses a count: an event skips the script only if
// its item cannot be a prototype. The index is refreshed at most every
// protoIndexTTL, in the batch that finds it stale (one extra round trip),
// and updated at once on this replica when it records a card.
const (
	protoRecordWindow = time.Minute
	protoIndexTTL     = 30 * time.Second
)

// protoState is the Store's prototype state.
type protoState struct {
	mu       sync.RWMutex
	index    map[string]*cardIndex // community ID -> index
	feedback func(community, kind string)
}

// cardIndex is one community's known prototype cards.
type cardIndex struct {
	cards     map[string]bool // card ts
	watermark float64         // unix seconds: every card at or below it is in cards
	loaded    time.Time       // when it was read (Store clock)
}

// Feedback kinds reported to the feedback hook (and the metric label).
const (
	FeedbackReaction        = "reaction"
	FeedbackReactionRemoved = "reaction_removed"
	FeedbackComment         = "comment"
	FeedbackVote            = "vote"
	FeedbackLate            = "late"
	FeedbackNotSeated       = "not_seated" // ignored: not from a member holding a seat
)

// FeedbackKinds lists every Feedback* kind, so that the metric can show each
// series at 0 from the start.
var FeedbackKinds = []string{FeedbackReaction, FeedbackReactionRemoved, FeedbackComment, FeedbackVote, FeedbackLate, FeedbackNotSeated}

// SetFeedbackObserver sets a function told of every piece of prototype
// feedback counted (kind is a Feedback* constant). Call it before the store
// is used; slackapp turns it into a metric.
func (s *Store) SetFeedbackObserver(fn func(community, kind string)) { s.protos.feedback = fn }

func (s *Store) noteFeedback(community, kind string) {
	if fn := s.protos.feedback; fn != nil {
		fn(community, kind)
	}
}

// mayBePrototype reports whether ts (a reacted-to or replied-to message)
// could be a prototype card of c. False only when it certainly is not.
func (s *Store) mayBePrototype(c *Community, ts string) bool {
	s.protos.mu.RLock()
	ix := s.protos.index[c.ID]
	s.protos.mu.RUnlock()
	if ix == nil || ix.cards[ts] {
		return true
	}
	f, err := strconv.ParseFloat(ts, 64)
	return err != nil || f > ix.watermark
}

// protoTarget is the card ts an event may be feedback on, or "".
func protoTarget(e *Event) string {
	switch {
	case e.OnPersonsPost:
		return "" // cards are the app's posts
	case e.Kind == KindReactionAdded || e.Kind == KindReactionRemoved:
		return e.ItemTS
	case e.Kind == KindMessage && e.Reply:
		return e.ThreadTS
	}
	return ""
}

// refreshProtoIndex re-reads the card index of every community in the batch
// whose index is stale and which has an event that could be feedback.
func (s *Store) refreshProtoIndex(ctx context.Context, events []Event, pending []int) error {
	var stale map[*Community]bool
	now := s.now()
	for _, i := range pending {
		e := &events[i]
		if protoTarget(e) == "" {
			continue
		}
		s.protos.mu.RLock()
		ix := s.protos.index[e.Community.ID]
		s.protos.mu.RUnlock()
		if ix == nil || now.Sub(ix.loaded) >= protoIndexTTL || ix.loaded.After(now) {
			if stale == nil {
				stale = map[*Community]bool{}
			}
			stale[e.Community] = true
		}
	}
	for c := range stale {
		if err := s.loadProtoIndex(ctx, c); err != nil {
			return err
		}
	}
	return nil
}

// loadProtoIndex reads community c's cards. The clock is read before Redis,
// so every card recorded before that moment is in the answer.
func (s *Store) loadProtoIndex(ctx context.Context, c *Community) error {
	now := s.now()
	start := time.Now()
	// Prompts (prompt.go) share the index: the app's posts whose replies
	// and reactions are tallied.
	pipe := s.rdb.Pipeline()
	cards := pipe.ZRange(ctx, s.keys(c).protoCards(), 0, -1)
	prompts := pipe.ZRange(ctx, s.keys(c).promptsPosted(), 0, -1)
	_, err := pipe.Exec(ctx)
	s.observe("proto_index", time.Since(start), err)
	if err != nil {
		return fmt.Errorf("engagement: prototype index %s: %w", c.ID, err)
	}
	ix := &cardIndex{cards: make(map[string]bool, len(cards.Val())+len(prompts.Val())), loaded: now,
		watermark: float64(now.Add(-2*protoRecordWindow).UnixMicro()) / 1e6}
	for _, ts := range append(cards.Val(), prompts.Val()...) {
		ix.cards[ts] = true
	}
	s.protos.mu.Lock()
	if s.protos.index == nil {
		s.protos.index = map[string]*cardIndex{}
	}
	s.protos.index[c.ID] = ix
	s.protos.mu.Unlock()
	return nil
}

// addToProtoIndex makes a card this replica just recorded known at once.
func (s *Store) addToProtoIndex(c *Community, ts string) {
	s.protos.mu.Lock()
	defer s.protos.mu.Unlock()
	if ix := s.protos.index[c.ID]; ix != nil {
		cards := make(map[string]bool, len(ix.cards)+1) // copy: readers hold the old map
		for k := range ix.cards {
			cards[k] = true
		}
		cards[ts] = true
		s.protos.index[c.ID] = &cardIndex{cards: cards, watermark: ix.watermark, loaded: ix.loaded}
	}
}

// Return codes of the feedback scripts.
const (
	fbDuplicate    = 0 // event seen before
	fbCounted      = 1
	fbNoChange     = 2 // e.g. a second add of the same emoji, an add older than a removal
	fbNotPrototype = 3
	fbLate         = 4 // after closing: counted as late only
	fbAnonymous    = 5 // counted in totals only (the member opted out)
	fbNotSeated    = 6 // not from a member holding a seat: ignored
)

// luaProtoHelpers are shared by the card scripts. Per-member state on a
// card is keyed by the member's pseudonym (privacy.go), so it survives
// optout, optin and forget: a removal always finds the add it undoes and a
// member votes once. Only "who" names members (pseudonym -> user, for the
// export), and only while they have not opted out.
//
// name records (or, opted out, erases) who stands behind pseudonym me.
// seated is the one test of "a member holding a seat" (and not a bot, app
// or workflow, known by the people hash): only they count on cards and
// polls.
const luaProtoHelpers = `
local function name(who, optout, user, me)
  if redis.call('SISMEMBER', optout, user) == 1 then
    redis.call('HDEL', who, me)
  else
    redis.call('HSET', who, me, user)
  end
end
local function seated(seats, people, user)
  if user == 'USLACKBOT' or redis.call('HGET', people, user) == 'bot' then return false end
  return redis.call('ZSCORE', seats, user) ~= false
end
`

// protoReactionScript tallies a reaction added to or removed from a card.
// A member counts once per emoji: the set rx:<emoji> holds the pseudonyms
// of who reacts with it now. st remembers the event time of the last add
// or removal applied per pseudonym and emoji, so that an add and its
// removal recorded out of order (by two workers) end as Slack ended them.
// Only seated members' adds count; a removal takes off whatever was
// counted, seat or not.
//
//	KEYS[1] feature dedupe  KEYS[2] prototype  KEYS[3] rx:<emoji>  KEYS[4] st
//	KEYS[5] part  KEYS[6] optout  KEYS[7] who  KEYS[8] seats  KEYS[9] people
//	ARGV[1] dedupe TTL (s)  ARGV[2] user  ARGV[3] emoji  ARGV[4] "1" add, "0" removal
//	ARGV[5] event µs  ARGV[6] event unix s  ARGV[7] the user's pseudonym
var protoReactionScript = redis.NewScript(luaProtoHelpers + `
if not redis.call('SET', KEYS[1], '1', 'NX', 'EX', ARGV[1]) then return 0 end
local p = redis.call('HMGET', KEYS[2], 'status', 'closes')
if not p[1] then return 3 end
if p[1] ~= 'open' or tonumber(ARGV[6]) >= tonumber(p[2]) then
  redis.call('HINCRBY', KEYS[2], 'late_reactions', 1)
  return 4
end
local user, emoji, add, at, me = ARGV[2], ARGV[3], ARGV[4] == '1', ARGV[5], ARGV[7]
if add and not seated(KEYS[8], KEYS[9], user) then return 6 end
local n, f = 'n:' .. emoji, me .. '|' .. emoji
local cur = redis.call('HGET', KEYS[4], f)
if cur and tonumber(string.sub(cur, 2)) >= tonumber(at) then return 2 end
if add then
  redis.call('HSET', KEYS[4], f, '+' .. at)
  if redis.call('SADD', KEYS[3], me) == 0 then return 2 end
  redis.call('HINCRBY', KEYS[2], n, 1)
  redis.call('HINCRBY', KEYS[5], me, 1)
  name(KEYS[7], KEYS[6], user, me)
  return 1
end
-- a removal, applied or arriving before its add: either way an older add
-- must not count any more
redis.call('HSET', KEYS[4], f, '-' .. at)
if redis.call('SREM', KEYS[3], me) == 0 then return 2 end
redis.call('HINCRBY', KEYS[2], n, -1)
if redis.call('HINCRBY', KEYS[5], me, -1) <= 0 then redis.call('HDEL', KEYS[5], me) end
return 1
`)

// protoCommentScript counts a seated member's thread reply on a card. The
// member becomes a participant on their first reply (st field
// "<pseudonym>|reply"); cm counts replies per member who has not opted
// out, for the export.
//
//	KEYS[1] feature dedupe  KEYS[2] prototype  KEYS[3] cm  KEYS[4] part  KEYS[5] optout
//	KEYS[6] st  KEYS[7] seats  KEYS[8] people
//	ARGV[1] dedupe TTL (s)  ARGV[2] user  ARGV[3] event unix s  ARGV[4] the user's pseudonym
var protoCommentScript = redis.NewScript(luaProtoHelpers + `
if not redis.call('SET', KEYS[1], '1', 'NX', 'EX', ARGV[1]) then return 0 end
local p = redis.call('HMGET', KEYS[2], 'status', 'closes')
if not p[1] then return 3 end
if p[1] ~= 'open' or tonumber(ARGV[3]) >= tonumber(p[2]) then
  redis.call('HINCRBY', KEYS[2], 'late_comments', 1)
  return 4
end
if not seated(KEYS[7], KEYS[8], ARGV[2]) then return 6 end
redis.call('HINCRBY', KEYS[2], 'comments', 1)
if redis.call('HSETNX', KEYS[6], ARGV[4] .. '|reply', '1') == 1 then redis.call('HINCRBY', KEYS[4], ARGV[4], 1) end
if redis.call('SISMEMBER', KEYS[5], ARGV[2]) == 1 then return 5 end
redis.call('HINCRBY', KEYS[3], ARGV[2], 1)
return 1
`)

// feedbackFeature tallies members' reactions and replies on prototype cards.
var feedbackFeature = feature{
	name:    "proto",
	scripts: []*redis.Script{protoReactionScript, protoCommentScript},
	prepare: func(ctx context.Context, s *Store, events []Event, pending []int) error {
		return s.refreshProtoIndex(ctx, events, pending)
	},
	queue: queueProtoFeedback,
	done:  protoFeedbackDone,
}

// queueProtoFeedback queues the feedback script of a reaction or reply that
// may be on a prototype card. The brand team's own feedback is not
// feedback: staff are skipped.
func queueProtoFeedback(ctx context.Context, s *Store, pipe redis.Pipeliner, e *Event) *redis.Cmd {
	ts := protoTarget(e)
	if ts == "" || !s.mayBePrototype(e.Community, ts) || e.Community.IsStaff(e.User) {
		return nil
	}
	k := s.keys(e.Community)
	at := strconv.FormatInt(e.At.Unix(), 10)
	me := s.cachedPseudonym(e.Community, e.User)
	if e.Kind == KindMessage {
		return protoCommentScript.EvalSha(ctx, pipe,
			[]string{k.featureDedupe(e.ID, "proto"), k.proto(ts), k.protoCommenters(ts), k.protoPart(ts), k.optout(), k.protoState(ts), k.seats(), k.people()},
			s.dedupeTTL, e.User, at, me)
	}
	emoji := baseEmoji(e.Reaction)
	add := "0"
	if e.Kind == KindReactionAdded {
		add = "1"
	}
	return protoReactionScript.EvalSha(ctx, pipe,
		[]string{k.featureDedupe(e.ID, "proto"), k.proto(ts), k.protoRx(ts, emoji), k.protoState(ts), k.protoPart(ts), k.optout(), k.protoWho(ts), k.seats(), k.people()},
		s.dedupeTTL, e.User, emoji, add, unixMicros(e.At), at, me)
}

func protoFeedbackDone(s *Store, e *Event, cmd *redis.Cmd) {
	code, err := cmd.Int()
	if err != nil {
		return
	}
	switch {
	case code == fbLate:
		s.noteFeedback(e.Community.ID, FeedbackLate)
	case code == fbNotSeated:
		s.noteFeedback(e.Community.ID, FeedbackNotSeated)
	case code != fbCounted && code != fbAnonymous:
	case e.Kind == KindMessage:
		s.noteFeedback(e.Community.ID, FeedbackComment)
	case e.Kind == KindReactionAdded:
		s.noteFeedback(e.Community.ID, FeedbackReaction)
	default:
		s.noteFeedback(e.Community.ID, FeedbackReactionRemoved)
	}
}
