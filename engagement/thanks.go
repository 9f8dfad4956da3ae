package engagement

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// Thanks and the spotlight. A member thanks another with /closeknit thanks
// or with the community's thanks reaction (ThanksReaction, 🙌 by default)
// on their post. Both go through thankScript, which decides whether the
// thanks counts:
//
//   - once per event or command (a redelivery answers what the first did);
//   - the giver is a seated member or staff, not a bot; the receiver is a
//     seated member or staff; self-thanks and staff-to-staff never count
//     (decided in Go, before any Redis call);
//   - one thanks per giver, receiver and day of the community's zone.
//
// A counted thanks stays counted: removing the reaction later does not take
// it back (as Slack's own shout-outs), and removing and adding it again the
// same day does not count twice (the day's marker).
//
// Who gave is never stored by ID: the day's marker names both people by
// pseudonym. The week's tally holds the receivers' IDs, so Forget removes a
// member's thanks; thanks to someone who opted out count under "-" and
// never name them. The digest lists the most thanked members and the best
// helpers (whose thread reply was the first reply to a customer's
// top-level post: recorded with the response times, scripts.go) as
// candidates for the monthly spotlight, which staff pick from the App Home:
// ClaimSpotlight lets one spotlight per community and month be posted.

// ThanksOutcome says what a thanks did.
type ThanksOutcome int

// Thanks outcomes; the numbers are thankScript's return codes.
const (
	ThanksCounted           ThanksOutcome = 1
	ThanksBot               ThanksOutcome = 2 // from a bot, an app or a workflow
	ThanksAlreadyToday      ThanksOutcome = 3 // the giver thanked the receiver today already
	ThanksGiverNotMember    ThanksOutcome = 4
	ThanksReceiverNotMember ThanksOutcome = 5
	ThanksSelf              ThanksOutcome = 6
	ThanksStaffToStaff      ThanksOutcome = 7
)

// Thanks channels, the metric's "via" label.
const (
	ThanksViaCommand  = "command"
	ThanksViaReaction = "reaction"
)

// Thanks is one thanks given.
type Thanks struct {
	ID       string // the event_id or the command's trigger_id: a redelivery counts once
	Giver    string
	Receiver string
	At       time.Time
}

// ThanksResult is what Thank did. Repeat is true when the same ID was
// handled before: Outcome is then what that first call decided.
type ThanksResult struct {
	Outcome ThanksOutcome
	Repeat  bool
}

// thanksDayTTL keeps a day's marker past any day of any zone.
const thanksDayTTL = 2 * 24 * time.Hour

// thankScript records one thanks if it counts (see above).
//
//	KEYS[1] dedupe marker  KEYS[2] the day's marker  KEYS[3] seats  KEYS[4] the week's tally
//	KEYS[5] people  KEYS[6] optout
//	ARGV[1] dedupe TTL (s)  ARGV[2] giver  ARGV[3] receiver  ARGV[4] "1" if the giver is staff
//	ARGV[5] "1" if the receiver is staff  ARGV[6] the day's marker TTL (s)  ARGV[7] the week's expiry (unix s)
//	Returns the outcome (ThanksOutcome), plus 100 if the ID was handled before.
var thankScript = redis.NewScript(`
local prev = redis.call('GET', KEYS[1])
if prev then return 100 + tonumber(prev) end
local function done(code)
  redis.call('SET', KEYS[1], code, 'EX', ARGV[1])
  return code
end
local giver, receiver = ARGV[2], ARGV[3]
if giver == 'USLACKBOT' or redis.call('HGET', KEYS[5], giver) == 'bot' then return done(2) end
if ARGV[4] ~= '1' and not redis.call('ZSCORE', KEYS[3], giver) then return done(4) end
if ARGV[5] ~= '1' and not redis.call('ZSCORE', KEYS[3], receiver) then return done(5) end
if not redis.call('SET', KEYS[2], '1', 'NX', 'EX', ARGV[6]) then return done(3) end
local who = receiver
if redis.call('SISMEMBER', KEYS[6], receiver) == 1 then who = '-' end
redis.call('ZINCRBY', KEYS[4], 1, who)
redis.call('EXPIREAT', KEYS[4], ARGV[7])
return done(1)
`)

// thanksCall returns thankScript's keys and arguments for t, named with
// the pseudonyms of its giver and receiver.
func (s *Store) thanksCall(c *Community, t Thanks, giverPs, receiverPs string) ([]string, []any) {
	k := s.keys(c)
	local := t.At.In(c.Location)
	w := WeekOf(t.At, c.Location)
	keys := []string{k.featureDedupe(t.ID, "thanks"), k.thanksDay(local.Format("2006-01-02"), giverPs, receiverPs),
		k.seats(), k.thanks(w), k.people(), k.optout()}
	args := []any{s.dedupeTTL, t.Giver, t.Receiver, flag(c.IsStaff(t.Giver)), flag(c.IsStaff(t.Receiver)),
		int(thanksDayTTL / time.Second), w.End(c.Location).Add(s.retention).Unix()}
	return keys, args
}

func flag(b bool) string {
	if b {
		return "1"
	}
	return "0"
}

// thanksRefused is the outcome decided in Go, before any Redis call: self
// and staff-to-staff never count.
func thanksRefused(c *Community, giver, receiver string) ThanksOutcome {
	switch {
	case giver == receiver:
		return ThanksSelf
	case c.IsStaff(giver) && c.IsStaff(receiver):
		return ThanksStaffToStaff
	}
	return 0
}

func thanksResult(code int64) ThanksResult {
	return ThanksResult{Outcome: ThanksOutcome(code % 100), Repeat: code >= 100}
}

// Thank records a thanks given with the command (see the rules above).
func (s *Store) Thank(ctx context.Context, c *Community, t Thanks) (ThanksResult, error) {
	if t.ID == "" || !ValidUserID(t.Giver) || !ValidUserID(t.Receiver) || t.At.IsZero() {
		return ThanksResult{}, fmt.Errorf("thanks: %w: an ID, a giver, a receiver and a time are needed", ErrInvalid)
	}
	if o := thanksRefused(c, t.Giver, t.Receiver); o != 0 {
		return ThanksResult{Outcome: o}, nil
	}
	ps, err := s.pseudonymizer(ctx, c)
	if err != nil {
		return ThanksResult{}, err
	}
	keys, args := s.thanksCall(c, t, ps(t.Giver), ps(t.Receiver))
	start := time.Now()
	code, err := thankScript.Run(ctx, s.rdb, keys, args...).Int64()
	s.observe("thanks", time.Since(start), err)
	if err != nil {
		return ThanksResult{}, fmt.Errorf("engagement: thanks %s: %w", c.ID, err)
	}
	r := thanksResult(code)
	if r.Outcome == ThanksCounted && !r.Repeat {
		s.noteThanks(c.ID, ThanksViaCommand)
	}
	return r, nil
}

// SetThanksObserver sets a function told of every thanks counted, with
// how it was given (ThanksVia*). Call it before the store is used;
// slackapp turns it into a metric.
func (s *Store) SetThanksObserver(fn func(community, via string)) { s.thanksSeen = fn }

func (s *Store) noteThanks(community, via string) {
	if fn := s.thanksSeen; fn != nil {
		fn(community, via)
	}
}

// thanksReaction is c's thanks reaction, also for a Community that did
// not go through Defaults.
func (c *Community) thanksReaction() string {
	if c.ThanksReaction == "" {
		return DefaultThanksReaction
	}
	return c.ThanksReaction
}

// thanksFeature counts the thanks reaction on someone's post. Everything
// that is not the community's thanks reaction added to another person's
// post is decided in Go and costs no Redis command: the hot path pays for
// thanks reactions only.
var thanksFeature = feature{
	name:    "thanks",
	scripts: []*redis.Script{thankScript},
	queue: func(ctx context.Context, s *Store, pipe redis.Pipeliner, e *Event) *redis.Cmd {
		c := e.Community
		if e.Kind != KindReactionAdded || e.ItemUser == "" || baseEmoji(e.Reaction) != c.thanksReaction() ||
			thanksRefused(c, e.User, e.ItemUser) != 0 || !ValidUserID(e.ItemUser) {
			return nil
		}
		giverPs, receiverPs := s.cachedPseudonym(c, e.User), s.cachedPseudonym(c, e.ItemUser)
		if giverPs == "" || receiverPs == "" {
			return nil // no salt loaded: cannot happen after loadSalts
		}
		keys, args := s.thanksCall(c, Thanks{ID: e.ID, Giver: e.User, Receiver: e.ItemUser, At: e.At}, giverPs, receiverPs)
		return thankScript.EvalSha(ctx, pipe, keys, args...)
	},
	done: func(s *Store, e *Event, cmd *redis.Cmd) {
		if code, err := cmd.Int64(); err == nil && code == int64(ThanksCounted) {
			s.noteThanks(e.Community.ID, ThanksViaReaction)
		}
	},
}

// Candidate is a member worth a spotlight: thanked, or first to answer
// others' posts.
type Candidate struct {
	User         string `json:"user"`
	Thanks       int64  `json:"thanks,omitempty"`
	FirstAnswers int64  `json:"first_answers,omitempty"`
}

// Appreciation is who was thanked and who helped over some weeks.
type Appreciation struct {
	Thanks      int64       // every thanks counted, named or not
	MostThanked []Candidate // most thanked first; staff and opted-out members never named
	Helpers     []Candidate // most first answers first; customers only
}

// Appreciation reads the thanks and the helpers of weeks, the top n of
// each. A helper is the writer of the first thread reply to a customer's
// top-level post (its author excepted).
func (s *Store) Appreciation(ctx context.Context, c *Community, weeks []Week, n int) (*Appreciation, error) {
	k := s.keys(c)
	pipe := s.rdb.Pipeline()
	tallies := make([]*redis.ZSliceCmd, len(weeks))
	for i, w := range weeks {
		tallies[i] = pipe.ZRangeWithScores(ctx, k.thanks(w), 0, -1)
	}
	optout := pipe.SMembers(ctx, k.optout())
	start := time.Now()
	_, err := pipe.Exec(ctx)
	s.observe("thanks", time.Since(start), err)
	if err != nil && err != redis.Nil {
		return nil, fmt.Errorf("engagement: thanks %s: %w", c.ID, err)
	}
	hidden := c.unnamed(optout.Val())
	out := &Appreciation{}
	thanked := map[string]int64{}
	for _, t := range tallies {
		for _, z := range t.Val() {
			u, _ := z.Member.(string)
			out.Thanks += int64(z.Score)
			if u != "-" && !hidden(u) {
				thanked[u] += int64(z.Score)
			}
		}
	}
	helped := map[string]int64{}
	for _, w := range weeks {
		if err := s.firstAnswers(ctx, c, w, hidden, helped); err != nil {
			return nil, err
		}
	}
	out.MostThanked = topCandidates(thanked, n, func(u string, v int64) Candidate { return Candidate{User: u, Thanks: v} })
	out.Helpers = topCandidates(helped, n, func(u string, v int64) Candidate { return Candidate{User: u, FirstAnswers: v} })
	return out, nil
}

// firstAnswers adds to helped, per member, the posts of week w whose first
// reply they wrote: the "h:<post>" fields of the answers hash, a chunk at a
// time, each checked against the post's author (a customer's post).
func (s *Store) firstAnswers(ctx context.Context, c *Community, w Week, hidden func(string) bool, helped map[string]int64) error {
	k := s.keys(c)
	var cursor uint64
	for {
		kv, next, err := s.rdb.HScan(ctx, k.answers(w), cursor, helperPrefix+"*", responseChunk).Result()
		if err == nil && len(kv) > 0 {
			posts := make([]string, 0, len(kv)/2)
			for i := 0; i < len(kv); i += 2 {
				posts = append(posts, strings.TrimPrefix(kv[i], helperPrefix))
			}
			var authors []any
			authors, err = s.rdb.HMGet(ctx, k.posts(w), posts...).Result()
			if err == nil && len(authors) != len(posts) {
				err = fmt.Errorf("%d authors read for %d posts", len(authors), len(posts))
			}
			for i := range authors { // none after an error (a deadline, a reply cut short): reported below
				author, _ := authors[i].(string)
				helper := kv[2*i+1]
				if author == "" || c.IsStaff(author) || helper == author || helper == "-" || hidden(helper) {
					continue // an unknown post, staff's, or a helper never named
				}
				helped[helper]++
			}
		}
		if err != nil {
			return fmt.Errorf("engagement: helpers %s %s: %w", c.ID, w, err)
		}
		if cursor = next; cursor == 0 {
			return nil
		}
	}
}

// helperPrefix names a post's first replier in the answers hash.
const helperPrefix = "h:"

func topCandidates(m map[string]int64, n int, mk func(string, int64) Candidate) []Candidate {
	users := make([]string, 0, len(m))
	for u, v := range m {
		if v > 0 {
			users = append(users, u)
		}
	}
	slices.SortFunc(users, func(a, b string) int {
		if m[a] != m[b] {
			return int(m[b] - m[a])
		}
		return strings.Compare(a, b)
	})
	out := make([]Candidate, 0, min(n, len(users)))
	for _, u := range users[:min(n, len(users))] {
		out = append(out, mk(u, m[u]))
	}
	return out
}

// SpotlightWeeks is how far back the spotlight's candidates are read: the
// current week and the three before, about a month.
const SpotlightWeeks = 4

// RecentWeeks are the SpotlightWeeks weeks ending with the current one in
// c's zone, oldest first.
func (s *Store) RecentWeeks(c *Community) []Week {
	w := WeekOf(s.now(), c.Location)
	out := make([]Week, SpotlightWeeks)
	for i := SpotlightWeeks - 1; i >= 0; i-- {
		out[i] = w
		w = w.Prev()
	}
	return out
}

// SpotlightMonth is the month of t in c's zone, "YYYY-MM": one spotlight
// per community and month.
func SpotlightMonth(t time.Time, c *Community) string { return t.In(c.Location).Format("2006-01") }

// Spotlight states.
const (
	SpotlightSending = "sending"
	SpotlightSent    = "sent"
)

// Spotlight is what the month's record says.
type Spotlight struct {
	State     string // "" (none yet), SpotlightSending or SpotlightSent
	User      string // the member in the spotlight
	By        string // the staff member who picked them
	ClaimedAt time.Time
	TS        string // the posted message, once sent
	// Post is true when this call must post: it made the claim (Fresh),
	// or took over one whose poster stopped (its lease ran out), which may
	// have posted: the caller looks in the channel first.
	Post, Fresh bool
}

// claimSpotlightScript claims the month's spotlight for a member, or takes
// over a claim whose lease ran out (keeping its member: the earlier attempt
// may have posted them), or reports the record.
//
//	KEYS[1] the month's record
//	ARGV[1] now (unix ms)  ARGV[2] lease (ms)  ARGV[3] user  ARGV[4] by  ARGV[5] expiry (unix s)
//	Returns {post (1|0), fresh (1|0), state, user, by, claimed_at, ts}.
var claimSpotlightScript = redis.NewScript(`
local now = tonumber(ARGV[1])
local post, fresh = 0, 0
local state = redis.call('HGET', KEYS[1], 'state')
if not state then
  redis.call('HSET', KEYS[1], 'state', 'sending', 'user', ARGV[3], 'by', ARGV[4], 'claimed_at', ARGV[1], 'until', now + tonumber(ARGV[2]))
  redis.call('EXPIREAT', KEYS[1], ARGV[5])
  post, fresh = 1, 1
elseif state == 'sending' and tonumber(redis.call('HGET', KEYS[1], 'until') or '0') < now then
  redis.call('HSET', KEYS[1], 'until', now + tonumber(ARGV[2]))
  post = 1
end
local v = redis.call('HMGET', KEYS[1], 'state', 'user', 'by', 'claimed_at', 'ts')
return {post, fresh, v[1] or '', v[2] or '', v[3] or '', v[4] or '', v[5] or ''}
`)

// SpotlightLease is how long a claim is left to its poster before another
// press may take it over.
const SpotlightLease = time.Minute

// ClaimSpotlight claims month's spotlight of c for user, picked by by.
func (s *Store) ClaimSpotlight(ctx context.Context, c *Community, month, user, by string) (Spotlight, error) {
	exp := s.now().Add(s.retention).Unix()
	v, err := claimSpotlightScript.Run(ctx, s.rdb, []string{s.keys(c).spotlight(month)},
		s.now().UnixMilli(), SpotlightLease.Milliseconds(), user, by, exp).Slice()
	if err != nil || len(v) != 7 {
		return Spotlight{}, fmt.Errorf("engagement: spotlight %s %s: %v", c.ID, month, err)
	}
	str := func(i int) string { x, _ := v[i].(string); return x }
	post, _ := v[0].(int64)
	fresh, _ := v[1].(int64)
	claimed, _ := strconv.ParseInt(str(5), 10, 64)
	return Spotlight{Post: post == 1, Fresh: fresh == 1, State: str(2), User: str(3), By: str(4),
		ClaimedAt: time.UnixMilli(claimed), TS: str(6)}, nil
}

// SpotlightOf reads month's spotlight record of c.
func (s *Store) SpotlightOf(ctx context.Context, c *Community, month string) (Spotlight, error) {
	v, err := s.rdb.HGetAll(ctx, s.keys(c).spotlight(month)).Result()
	if err != nil {
		return Spotlight{}, fmt.Errorf("engagement: spotlight %s %s: %w", c.ID, month, err)
	}
	claimed, _ := strconv.ParseInt(v["claimed_at"], 10, 64)
	return Spotlight{State: v["state"], User: v["user"], By: v["by"], ClaimedAt: time.UnixMilli(claimed), TS: v["ts"]}, nil
}

// MarkSpotlightPosted records month's spotlight as the message ts.
func (s *Store) MarkSpotlightPosted(ctx context.Context, c *Community, month, ts string) error {
	if err := s.rdb.HSet(ctx, s.keys(c).spotlight(month), "state", SpotlightSent, "ts", ts).Err(); err != nil {
		return fmt.Errorf("engagement: spotlight %s %s: %w", c.ID, month, err)
	}
	return nil
}

// releaseSpotlightScript deletes a claim not yet posted.
//
//	KEYS[1] the month's record
var releaseSpotlightScript = redis.NewScript(`
if redis.call('HGET', KEYS[1], 'state') == 'sending' then redis.call('DEL', KEYS[1]) end
return 1
`)

// ReleaseSpotlight gives month's claim back after Slack refused the post
// for good: staff may pick again.
func (s *Store) ReleaseSpotlight(ctx context.Context, c *Community, month string) error {
	if err := releaseSpotlightScript.Run(ctx, s.rdb, []string{s.keys(c).spotlight(month)}).Err(); err != nil {
		return fmt.Errorf("engagement: spotlight %s %s: %w", c.ID, month, err)
	}
	return nil
}
