package engagement

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// luaPromote fills free seats from the head of the waitlist. A promoted
// person's seat is reserved at once (so concurrent joins cannot take it);
// the outbox gets a "promote" job that invites them, and invites records
// that job as the reservation's: a job whose reservation was given up
// meanwhile (they left, were removed, were promoted anew) invites nobody.
// Their member record is written when their join event arrives.
const luaPromote = `
local function reserve(seats, outbox, invites, user, now)
  redis.call('ZADD', seats, now, user)
  redis.call('HSET', invites, user, redis.call('XADD', outbox, '*', 'type', 'promote', 'user', user))
end
local function promote(seats, waitlist, waitsince, capkey, defcap, outbox, invites, now)
  local cap = tonumber(redis.call('GET', capkey) or defcap)
  local n = 0
  while redis.call('ZCARD', seats) < cap do
    local head = redis.call('ZPOPMIN', waitlist)
    if #head == 0 then break end
    redis.call('HDEL', waitsince, head[1])
    reserve(seats, outbox, invites, head[1], now)
    n = n + 1
  end
  return n
end
-- enqueue puts user on the waitlist in order of their join's own time
-- (now, ms), not of when the app got to it: Slack delivers joins in any
-- order. The score is now * 1000 plus the order of arrival among joins of
-- the same millisecond (a stable tie-break; 1.8e15 is exact in a double).
local function enqueue(waitlist, waitsince, user, now)
  if not redis.call('ZSCORE', waitlist, user) then
    local base = tonumber(now) * 1000
    local last = redis.call('ZREVRANGEBYSCORE', waitlist, base + 999, base, 'WITHSCORES', 'LIMIT', 0, 1)
    local score = base
    if #last > 0 then score = tonumber(last[2]) + 1 end
    redis.call('ZADD', waitlist, string.format('%.0f', score), user)
    redis.call('HSET', waitsince, user, now)
  end
  return redis.call('ZRANK', waitlist, user) + 1
end
-- welcome starts a seated member's record. Someone welcomed before (they
-- left and came back) is not welcomed again and no intro is expected: it
-- counted, or not, the first time.
local function welcome(member, pending, outbox, welcomed, user, now)
  if redis.call('HEXISTS', member, 'seated_at') == 1 then return end
  if redis.call('SADD', welcomed, user) == 0 then
    redis.call('HSET', member, 'seated_at', now, 'existing', '1')
    return
  end
  redis.call('HSET', member, 'seated_at', now)
  redis.call('ZADD', pending, now, user)
  redis.call('XADD', outbox, '*', 'type', 'welcome', 'user', user)
end
-- invite gives user a seat when one is free and nobody waits for it
-- (unless queue), else a place at the end of the waitlist: a staff invite
-- and an approved seat request (requests.go) both come here.
-- Returns {code, position}: 1 invited, 2 already seated, 3 waitlisted.
local function invite(seats, waitlist, waitsince, capkey, defcap, outbox, invites, user, now, queue)
  if redis.call('ZSCORE', seats, user) then return {2, 0} end
  local pos = enqueue(waitlist, waitsince, user, now)
  if not queue then
    local cap = tonumber(redis.call('GET', capkey) or defcap)
    if pos == 1 and redis.call('ZCARD', seats) < cap then
      redis.call('ZREM', waitlist, user)
      redis.call('HDEL', waitsince, user)
      reserve(seats, outbox, invites, user, now)
      return {1, 0}
    end
  end
  promote(seats, waitlist, waitsince, capkey, defcap, outbox, invites, now)
  if redis.call('ZSCORE', seats, user) then return {1, 0} end
  return {3, redis.call('ZRANK', waitlist, user) + 1}
end
-- newer reports whether a member event at ts (µs) is newer than the
-- latest one applied for user, and records it if so. Slack delivers
-- member events in any order: an older one must not undo a newer one.
local function newer(memberts, user, ts)
  local last = tonumber(redis.call('HGET', memberts, user) or '-1')
  if tonumber(ts) <= last then return false end
  redis.call('HSET', memberts, user, ts)
  return true
end
`

// joinScript seats a customer who joined the channel, or handles a join
// while full by the community's policy. A join of someone already seated
// (a promotion or invite arriving, or a redelivery) only makes sure they
// are welcomed once. A join older than the person's latest member event
// is stale and changes nothing. A join found by the roster check
// (ARGV[7] = "1") of someone whose cap kick is on its way is left to it.
//
//	KEYS: 1 dedupe (any key of the community when ARGV[1] is "") 2 seats 3 waitlist
//	      4 waitlist:since 5 cap 6 member:<user> 7 intro:pending 8 outbox
//	      9 memberts 10 kicks 11 welcomed 12 people
//	ARGV: 1 dedupe TTL (s) or "" 2 user 3 now (ms) 4 default cap 5 policy 6 event_ts (µs)
//	      7 "1" from the roster check
//	Returns 0 duplicate, 1 seated (or welcomed), 2 nothing to do (or a known bot), 3 full: waitlisted,
//	4 full: stays over the cap, 5 stale.
var joinScript = redis.NewScript(luaPromote + `
if ARGV[1] ~= '' and not redis.call('SET', KEYS[1], '1', 'NX', 'EX', ARGV[1]) then return 0 end
local user, now = ARGV[2], ARGV[3]
-- a bot known as one (people, KEYS[12]) takes no seat (issue 11 A4)
if user == 'USLACKBOT' or redis.call('HGET', KEYS[12], user) == 'bot' then return 2 end
if ARGV[7] == '1' and redis.call('HEXISTS', KEYS[10], user) == 1 then return 2 end
if not newer(KEYS[9], user, ARGV[6]) then return 5 end
if redis.call('ZSCORE', KEYS[2], user) then
  if redis.call('HEXISTS', KEYS[6], 'seated_at') == 1 then return 2 end
  welcome(KEYS[6], KEYS[7], KEYS[8], KEYS[11], user, now)
  return 1
end
local cap = tonumber(redis.call('GET', KEYS[5]) or ARGV[4])
local code = 1
if redis.call('ZCARD', KEYS[2]) >= cap then
  if ARGV[5] ~= 'warn' then
    local pos = enqueue(KEYS[3], KEYS[4], user, now)
    redis.call('HSET', KEYS[10], user, ARGV[6])
    redis.call('XADD', KEYS[8], '*', 'type', 'full', 'user', user, 'position', pos, 'join', ARGV[6])
    return 3
  end
  redis.call('XADD', KEYS[8], '*', 'type', 'over_cap', 'user', user)
  code = 4
end
redis.call('ZADD', KEYS[2], now, user)
redis.call('ZREM', KEYS[3], user)
redis.call('HDEL', KEYS[4], user)
welcome(KEYS[6], KEYS[7], KEYS[8], KEYS[11], user, now)
return code
`)

// unseatScript frees a seat (a leave, a removal, a failed invite, a bot)
// and promotes from the waitlist. The member record goes with the seat.
// For a leave event (ARGV[5] its event_ts), a leave older than the
// person's latest member event is stale, and so is a leave older than the
// app's invite into their current seat (see Invited), and the echo of our
// own cap kick (the first leave after the join it answered) once they hold
// a seat again: they were promoted meanwhile, the seat is newer than the kick.
//
//	KEYS: 1 dedupe (or any key of the community when there is none) 2 seats 3 waitlist
//	      4 waitlist:since 5 cap 6 member:<user> 7 intro:pending 8 outbox 9 memberts 10 kicks 11 invites
//	      12 invited
//	ARGV: 1 dedupe TTL (s), or "" for no dedupe 2 user 3 now (ms) 4 default cap
//	      5 the leave's event_ts (µs), "" for a removal by the app 6 a removal's time (µs)
//	Returns 0 duplicate, 1 freed, 2 was not seated, 5 stale.
var unseatScript = redis.NewScript(luaPromote + `
if ARGV[1] ~= '' and not redis.call('SET', KEYS[1], '1', 'NX', 'EX', ARGV[1]) then return 0 end
local user = ARGV[2]
if ARGV[5] ~= '' then
  -- kicks: "<join µs>" or, once the person was invited back, "<join µs>:<invite µs>".
  -- A leave after the join and before the invite is the kick's echo.
  local kick = redis.call('HGET', KEYS[10], user)
  local echo = false
  if kick then
    local joined, invited = string.match(kick, '^(%d+):?(%d*)$')
    local ts = tonumber(ARGV[5])
    echo = ts > tonumber(joined) and (invited == '' or ts < tonumber(invited))
    if echo or (invited ~= '' and ts >= tonumber(invited)) then redis.call('HDEL', KEYS[10], user) end
  end
  local inv = redis.call('HGET', KEYS[12], user)
  if inv and tonumber(ARGV[5]) < tonumber(inv) then return 5 end
  if not newer(KEYS[9], user, ARGV[5]) then return 5 end
  if echo and redis.call('ZSCORE', KEYS[2], user) then return 5 end
end
-- A removal by the app (ARGV[6], its time) is their latest member event:
-- a join of theirs from before it, delivered late, must not seat or
-- waitlist them again.
if ARGV[6] then newer(KEYS[9], user, ARGV[6]) end
if redis.call('ZREM', KEYS[2], user) == 0 then return 2 end
redis.call('DEL', KEYS[6])
redis.call('ZREM', KEYS[7], user)
redis.call('HDEL', KEYS[11], user)
redis.call('HDEL', KEYS[12], user)
promote(KEYS[2], KEYS[3], KEYS[4], KEYS[5], ARGV[4], KEYS[8], KEYS[11], ARGV[3])
return 1
`)

// claimKickScript decides whether a cap kick still has to be done: not if
// the person holds a seat by now (promoted before the outbox got to it),
// nor if they joined again since the join this kick answers (they left and
// came back while waiting: the newer join has a kick of its own), nor if
// the app already kicked them after this join (another job's kick removed
// the presence this one answers, and told them their place). Two kicks of
// one presence would tell them twice.
//
//	KEYS: 1 seats 2 kicks 3 kicked
//	ARGV: 1 user 2 event_ts (µs) of the join the kick answers, "" if unknown 3 now (µs) 4 job ID
//	Returns 1 kick, 0 skip.
var claimKickScript = redis.NewScript(`
if redis.call('ZSCORE', KEYS[1], ARGV[1]) then
  redis.call('HDEL', KEYS[2], ARGV[1])
  return 0
end
local kick = redis.call('HGET', KEYS[2], ARGV[1])
if ARGV[2] ~= '' and kick and string.match(kick, '^%d+') ~= ARGV[2] then return 0 end
local last = redis.call('HGET', KEYS[3], ARGV[1])
if last then
  local at, job = string.match(last, '^(%d+):(.*)$')
  if job == ARGV[4] then return 1 end -- this job again (a retry)
  if ARGV[2] ~= '' and tonumber(at) >= tonumber(ARGV[2]) then return 0 end
end
redis.call('HSET', KEYS[3], ARGV[1], ARGV[3] .. ':' .. ARGV[4])
return 1
`)

// inviteScript is a staff invite (luaPromote's invite).
//
//	KEYS: 1 seats 2 waitlist 3 waitlist:since 4 cap 5 outbox 6 invites
//	ARGV: 1 user 2 now (ms) 3 default cap 4 "1" to waitlist even if a seat is free
//	Returns {code, position}: code 1 invited, 2 already seated, 3 waitlisted (position).
var inviteScript = redis.NewScript(luaPromote + `
return invite(KEYS[1], KEYS[2], KEYS[3], KEYS[4], ARGV[3], KEYS[5], KEYS[6], ARGV[1], ARGV[2], ARGV[4] == '1')
`)

// moveScript moves a waiting user to a 1-based position (clamped), or drops
// them (position 0). The others keep their scores (their join times), so
// joins still arriving, late, find their place by join time: the moved
// person's score goes just after their new predecessor's (before the
// head's for position 1), and anyone after who no longer sorts after it
// is nudged up by one (a thousandth of a millisecond).
//
//	KEYS: 1 waitlist 2 waitlist:since
//	ARGV: 1 user 2 position (0 = drop)
//	Returns the new position, 0 when dropped, -1 when not waiting.
var moveScript = redis.NewScript(`
local user, pos = ARGV[1], tonumber(ARGV[2])
if not redis.call('ZSCORE', KEYS[1], user) then return -1 end
if pos == 0 then
  redis.call('ZREM', KEYS[1], user)
  redis.call('HDEL', KEYS[2], user)
  return 0
end
local q = redis.call('ZRANGE', KEYS[1], 0, -1, 'WITHSCORES')
local others = {}
for i = 1, #q, 2 do
  if q[i] ~= user then others[#others + 1] = {q[i], tonumber(q[i + 1])} end
end
if #others == 0 then return 1 end
if pos > #others + 1 then pos = #others + 1 end
local score
if pos == 1 then score = others[1][2] - 1 else score = others[pos - 1][2] + 1 end
redis.call('ZADD', KEYS[1], string.format('%.0f', score), user)
local prev = score
for i = pos, #others do
  if others[i][2] <= prev then
    others[i][2] = prev + 1
    redis.call('ZADD', KEYS[1], string.format('%.0f', others[i][2]), others[i][1])
  end
  prev = others[i][2]
end
return pos
`)

// capScript sets the cap and promotes into seats it freed. Lowering the cap
// removes nobody: seats above it are not refilled as people leave.
//
//	KEYS: 1 seats 2 waitlist 3 waitlist:since 4 cap 5 outbox 6 invites   ARGV: 1 cap 2 now (ms)
//	Returns how many were promoted.
var capScript = redis.NewScript(luaPromote + `
redis.call('SET', KEYS[4], ARGV[1])
return promote(KEYS[1], KEYS[2], KEYS[3], KEYS[4], ARGV[1], KEYS[5], KEYS[6], ARGV[2])
`)

// seatExistingScript seats someone found in the channel by reconciliation,
// without a welcome: they were there before closeknit (or its last check).
//
//	KEYS: 1 seats 2 waitlist 3 waitlist:since 4 member:<user>   ARGV: 1 user 2 now (ms)
//	Returns 1 seated, 2 already seated.
var seatExistingScript = redis.NewScript(`
if redis.call('ZSCORE', KEYS[1], ARGV[1]) then return 2 end
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('HDEL', KEYS[3], ARGV[1])
if redis.call('HEXISTS', KEYS[4], 'seated_at') == 0 then
  redis.call('HSET', KEYS[4], 'seated_at', ARGV[2], 'existing', '1')
end
return 1
`)

var membershipScripts = []*redis.Script{joinScript, unseatScript, claimKickScript, inviteScript, moveScript, capScript, seatExistingScript, requeueScript, fillScript, invitedScript, promotionStandsScript}

// seatsFeature keeps seats in step with joins and leaves in the channel.
// Staff do not take a seat.
var seatsFeature = feature{
	name:    "seats",
	scripts: membershipScripts,
	queue: func(ctx context.Context, s *Store, pipe redis.Pipeliner, e *Event) *redis.Cmd {
		if (e.Kind != KindMemberJoined && e.Kind != KindMemberLeft) || e.Community.IsStaff(e.User) {
			return nil
		}
		c, k := e.Community, s.keys(e.Community)
		now, ts := e.At.UnixMilli(), unixMicros(e.At)
		if e.Kind == KindMemberJoined {
			return joinScript.EvalSha(ctx, pipe, k.joinKeys(k.featureDedupe(e.ID, "seats"), e.User),
				s.dedupeTTL, e.User, now, c.Cap, c.FullPolicy, ts, "")
		}
		return unseatScript.EvalSha(ctx, pipe, k.unseatKeys(k.featureDedupe(e.ID, "seats"), e.User),
			s.dedupeTTL, e.User, now, c.Cap, ts)
	},
	done: func(s *Store, e *Event, cmd *redis.Cmd) {
		if n, _ := cmd.Int(); n == 5 {
			s.staleMember.Add(1)
		}
	},
}

func (k keys) joinKeys(dedupe, user string) []string {
	return []string{dedupe, k.seats(), k.waitlist(), k.waitSince(), k.capKey(),
		k.member(user), k.introPending(), k.outbox(), k.memberTS(), k.kicks(), k.welcomed(), k.people()}
}

func (k keys) unseatKeys(dedupe, user string) []string {
	return []string{dedupe, k.seats(), k.waitlist(), k.waitSince(), k.capKey(),
		k.member(user), k.introPending(), k.outbox(), k.memberTS(), k.kicks(), k.invites(), k.invited()}
}

// StaleMemberEvents is how many member events this store found older than
// what it already knew about the person, and so ignored.
func (s *Store) StaleMemberEvents() int64 { return s.staleMember.Load() }

// ClaimKick reports whether the cap kick of a "full" job is still to be
// done at now: not when they were promoted before the outbox got to it,
// nor when a newer join of theirs has a kick of its own, nor when another
// job kicked them after the join j answers.
func (s *Store) ClaimKick(ctx context.Context, c *Community, j Job, now time.Time) (bool, error) {
	k := s.keys(c)
	n, err := s.run(ctx, "kick", claimKickScript, []string{k.seats(), k.kicks(), k.kicked()}, j.User, j.Join, unixMicros(now), j.ID).Int()
	if err != nil {
		return false, fmt.Errorf("engagement: kick %s: %w", j.User, err)
	}
	return n == 1, nil
}

// PromotionStands reports whether the promote job j is still the one that
// reserved its person's seat: not once the reservation was given up (they
// left, were removed or requeued) or made anew by a later promotion, whose
// own job does the invite. A job that no longer stands invites and
// messages nobody.
func (s *Store) PromotionStands(ctx context.Context, c *Community, j Job) (bool, error) {
	k := s.keys(c)
	n, err := s.run(ctx, "promote", promotionStandsScript, []string{k.seats(), k.invites()}, j.User, j.ID).Int()
	if err != nil {
		return false, fmt.Errorf("engagement: promotion %s: %w", j.User, err)
	}
	return n == 1, nil
}

// promotionStandsScript  KEYS: 1 seats 2 invites   ARGV: 1 user 2 job ID
var promotionStandsScript = redis.NewScript(`
if redis.call('ZSCORE', KEYS[1], ARGV[1]) and redis.call('HGET', KEYS[2], ARGV[1]) == ARGV[2] then return 1 end
return 0
`)

// Invited records that the app invited user into their reserved seat,
// having set out to at at (before the call: Slack's echo of the invite is
// newer). A leave older than that is stale and frees nothing: it is the
// echo of an earlier cap kick, or they left while their promotion was on
// its way and the invite brought them back.
func (s *Store) Invited(ctx context.Context, c *Community, user string, at time.Time) error {
	k := s.keys(c)
	if err := s.run(ctx, "kick", invitedScript, []string{k.kicks(), k.invited()}, user, unixMicros(at)).Err(); err != nil {
		return fmt.Errorf("engagement: invited %s: %w", user, err)
	}
	return nil
}

// invitedScript  KEYS: 1 kicks 2 invited   ARGV: 1 user 2 invite time (µs)
var invitedScript = redis.NewScript(`
local kick = redis.call('HGET', KEYS[1], ARGV[1])
if kick and not string.find(kick, ':') then redis.call('HSET', KEYS[1], ARGV[1], kick .. ':' .. ARGV[2]) end
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
return 0
`)

// KickFailed forgets the pending echo of a cap kick Slack refused (they
// had left already): no leave will answer it.
func (s *Store) KickFailed(ctx context.Context, c *Community, user string) error {
	return s.rdb.HDel(ctx, s.keys(c).kicks(), user).Err()
}

// Roster is who holds a seat and who waits for one. Its JSON form is the
// output of `closeknit members --json`.
type Roster struct {
	Community string   `json:"community"`
	Cap       int      `json:"cap"`
	Seated    []Seat   `json:"seated"`   // longest-seated first
	Waitlist  []Waiter `json:"waitlist"` // queue order
}

// Seat is one seated member.
type Seat struct {
	User     string    `json:"user"`
	Since    time.Time `json:"since"`
	Intro    bool      `json:"intro"`              // introduced themselves within IntroWindow
	IntroAt  time.Time `json:"intro_at,omitzero"`  // when
	Existing bool      `json:"existing,omitempty"` // was in the channel before closeknit seated anyone: no intro expected
	Nudged   bool      `json:"nudged,omitempty"`
}

// Waiter is one person on the waitlist.
type Waiter struct {
	User     string    `json:"user"`
	Position int       `json:"position"` // 1 is next
	Since    time.Time `json:"since"`
}

// Cap returns the community's cap: the one set by staff, else c.Cap.
func (s *Store) Cap(ctx context.Context, c *Community) (int, error) {
	v, err := s.rdb.Get(ctx, s.keys(c).capKey()).Int()
	if errors.Is(err, redis.Nil) {
		return c.Cap, nil
	}
	if err != nil {
		return 0, fmt.Errorf("engagement: cap: %w", err)
	}
	return v, nil
}

// Roster reads the seats and the waitlist of c.
func (s *Store) Roster(ctx context.Context, c *Community) (*Roster, error) {
	k := s.keys(c)
	start := time.Now()
	pipe := s.rdb.Pipeline()
	seats := pipe.ZRangeWithScores(ctx, k.seats(), 0, -1)
	wait := pipe.ZRangeWithScores(ctx, k.waitlist(), 0, -1)
	since := pipe.HGetAll(ctx, k.waitSince())
	capv := pipe.Get(ctx, k.capKey())
	_, err := pipe.Exec(ctx)
	if err != nil && !errors.Is(err, redis.Nil) {
		s.observe("roster", time.Since(start), err)
		return nil, fmt.Errorf("engagement: roster %s: %w", c.ID, err)
	}
	r := &Roster{Community: c.ID, Cap: c.Cap, Seated: []Seat{}, Waitlist: []Waiter{}}
	if n, err := capv.Int(); err == nil {
		r.Cap = n
	}
	pipe = s.rdb.Pipeline()
	recs := make([]*redis.MapStringStringCmd, len(seats.Val()))
	for i, z := range seats.Val() {
		recs[i] = pipe.HGetAll(ctx, k.member(z.Member.(string)))
	}
	if len(recs) > 0 {
		if _, err := pipe.Exec(ctx); err != nil {
			s.observe("roster", time.Since(start), err)
			return nil, fmt.Errorf("engagement: roster %s: %w", c.ID, err)
		}
	}
	s.observe("roster", time.Since(start), nil)
	for i, z := range seats.Val() {
		m := recs[i].Val()
		seat := Seat{User: z.Member.(string), Since: time.UnixMilli(int64(z.Score)).UTC(), Existing: m["existing"] == "1", Nudged: m["nudged_at"] != ""}
		if ms, err := strconv.ParseInt(m["intro_at"], 10, 64); err == nil {
			seat.Intro, seat.IntroAt = true, time.UnixMilli(ms).UTC()
		}
		r.Seated = append(r.Seated, seat)
	}
	slices.SortStableFunc(r.Seated, func(a, b Seat) int { return cmp.Or(a.Since.Compare(b.Since), cmp.Compare(a.User, b.User)) })
	for i, z := range wait.Val() {
		u := z.Member.(string)
		w := Waiter{User: u, Position: i + 1}
		if ms, err := strconv.ParseInt(since.Val()[u], 10, 64); err == nil {
			w.Since = time.UnixMilli(ms).UTC()
		}
		r.Waitlist = append(r.Waitlist, w)
	}
	return r, nil
}

// Invite seats user if a seat is free and nobody waits, else puts them on
// the waitlist. Seated, the outbox invites them to the channel. It returns
// Invited, AlreadySeated or Waitlisted and, for the latter, the position.
func (s *Store) Invite(ctx context.Context, c *Community, user string, now time.Time) (InviteResult, int, error) {
	return s.invite(ctx, c, user, now, false)
}

// AddToWaitlist queues user at the end of the waitlist (promoted at once if
// a seat is free and nobody is ahead).
func (s *Store) AddToWaitlist(ctx context.Context, c *Community, user string, now time.Time) (InviteResult, int, error) {
	return s.invite(ctx, c, user, now, true)
}

// InviteResult says what Invite did.
type InviteResult int

const (
	Invited InviteResult = iota + 1
	AlreadySeated
	Waitlisted
)

func (s *Store) invite(ctx context.Context, c *Community, user string, now time.Time, queue bool) (InviteResult, int, error) {
	k := s.keys(c)
	q := "0"
	if queue {
		q = "1"
	}
	v, err := s.run(ctx, "invite", inviteScript, []string{k.seats(), k.waitlist(), k.waitSince(), k.capKey(), k.outbox(), k.invites()},
		user, now.UnixMilli(), c.Cap, q).Int64Slice()
	if err != nil {
		return 0, 0, fmt.Errorf("engagement: invite %s: %w", user, err)
	}
	return InviteResult(v[0]), int(v[1]), nil
}

// Unseat frees user's seat (a removal by staff, a failed invite, a bot) and
// promotes from the waitlist. It reports whether they held a seat. The
// removal at now is their latest member event: a join from before it,
// delivered late (the echo of their invite), changes nothing.
func (s *Store) Unseat(ctx context.Context, c *Community, user string, now time.Time) (bool, error) {
	k := s.keys(c)
	n, err := s.run(ctx, "unseat", unseatScript, k.unseatKeys(k.seats(), user), "", user, now.UnixMilli(), c.Cap, "", unixMicros(now)).Int()
	if err != nil {
		return false, fmt.Errorf("engagement: unseat %s: %w", user, err)
	}
	return n == 1, nil
}

// IsSeated reports whether user holds a seat (or one is reserved for them).
func (s *Store) IsSeated(ctx context.Context, c *Community, user string) (bool, error) {
	_, err := s.rdb.ZScore(ctx, s.keys(c).seats(), user).Result()
	if errors.Is(err, redis.Nil) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("engagement: seat %s: %w", user, err)
	}
	return true, nil
}

// MoveWaiting moves user to position (1 is next), or drops them from the
// waitlist with position 0. It returns the new position; ErrNotWaiting if
// they are not on it.
func (s *Store) MoveWaiting(ctx context.Context, c *Community, user string, position int) (int, error) {
	if position < 0 {
		return 0, fmt.Errorf("engagement: position %d: %w", position, ErrInvalid)
	}
	k := s.keys(c)
	n, err := s.run(ctx, "waitlist", moveScript, []string{k.waitlist(), k.waitSince()}, user, position).Int()
	if err != nil {
		return 0, fmt.Errorf("engagement: waitlist move %s: %w", user, err)
	}
	if n < 0 {
		return 0, ErrNotWaiting
	}
	return n, nil
}

// SetCap sets the cap of c and promotes into any seats that frees. It
// returns how many were promoted.
func (s *Store) SetCap(ctx context.Context, c *Community, capacity int, now time.Time) (int, error) {
	if capacity < 1 || capacity > 10000 {
		return 0, fmt.Errorf("engagement: cap %d: %w: use 1 to 10000", capacity, ErrInvalid)
	}
	k := s.keys(c)
	n, err := s.run(ctx, "cap", capScript, []string{k.seats(), k.waitlist(), k.waitSince(), k.capKey(), k.outbox(), k.invites()}, capacity, now.UnixMilli()).Int()
	if err != nil {
		return 0, fmt.Errorf("engagement: set cap: %w", err)
	}
	return n, nil
}

// Reconcile brings the seats in line with who is in the channel. The
// first check after install seats every customer present, without a
// welcome: they were there before closeknit. Later checks treat a customer
// present without a seat as a join at now (the cap policy, the waitlist,
// the welcome), so joins the app missed while it was down follow the rules
// too; their join event, arriving later, is older and changes nothing.
// Seated people no longer present lose their seat, unless seated within
// grace (an invite may still be on its way). With seat false it only
// takes seats away. It returns how many were seated and unseated.
func (s *Store) Reconcile(ctx context.Context, c *Community, present []string, now time.Time, grace time.Duration, seat bool) (seated, unseated int, err error) {
	r, err := s.Roster(ctx, c)
	if err != nil {
		return 0, 0, err
	}
	k := s.keys(c)
	in := map[string]bool{}
	for _, u := range present {
		in[u] = true
	}
	have := map[string]bool{}
	for _, st := range r.Seated {
		have[st.User] = true
		if !in[st.User] && now.Sub(st.Since) > grace {
			ok, err := s.Unseat(ctx, c, st.User, now)
			if err != nil {
				return seated, unseated, err
			}
			if ok {
				unseated++
			}
		}
	}
	if !seat {
		return seated, unseated, nil
	}
	n, err := s.rdb.Exists(ctx, k.rosterSeeded()).Result()
	if err != nil {
		return seated, unseated, fmt.Errorf("engagement: reconcile: %w", err)
	}
	first := n == 0
	for _, u := range present {
		if have[u] || c.IsStaff(u) {
			continue
		}
		var cmd *redis.Cmd
		if first {
			cmd = s.run(ctx, "reconcile", seatExistingScript, []string{k.seats(), k.waitlist(), k.waitSince(), k.member(u)}, u, now.UnixMilli())
		} else {
			cmd = s.run(ctx, "reconcile", joinScript, k.joinKeys(k.seats(), u), "", u, now.UnixMilli(), c.Cap, c.FullPolicy, unixMicros(now), "1")
		}
		code, err := cmd.Int()
		if err != nil {
			return seated, unseated, fmt.Errorf("engagement: reconcile %s: %w", u, err)
		}
		if code == 1 || code == 4 {
			seated++
		}
	}
	if first {
		if err := s.rdb.Set(ctx, k.rosterSeeded(), now.UnixMilli(), 0).Err(); err != nil {
			return seated, unseated, fmt.Errorf("engagement: reconcile: %w", err)
		}
	}
	return seated, unseated, nil
}

// run runs a script (loading it if Redis lost it) and observes it.
func (s *Store) run(ctx context.Context, op string, sc *redis.Script, keys []string, args ...any) *redis.Cmd {
	start := time.Now()
	cmd := sc.Run(ctx, s.rdb, keys, args...)
	err := cmd.Err()
	if errors.Is(err, redis.Nil) {
		err = nil
	}
	s.observe(op, time.Since(start), err)
	return cmd
}

// IntroStats summarises introductions among seated newcomers (members who
// were in the channel before closeknit seated anyone are not counted):
// how many there are, how many introduced themselves, and the median time
// from taking the seat to the intro.
func (r *Roster) IntroStats() (newcomers, introduced int, median time.Duration) {
	var waits []time.Duration
	for _, s := range r.Seated {
		if s.Existing {
			continue
		}
		newcomers++
		if s.Intro {
			introduced++
			waits = append(waits, s.IntroAt.Sub(s.Since))
		}
	}
	if len(waits) == 0 {
		return newcomers, introduced, 0
	}
	slices.Sort(waits)
	if n := len(waits); n%2 == 1 {
		median = waits[n/2]
	} else {
		median = (waits[n/2-1] + waits[n/2]) / 2
	}
	return newcomers, introduced, median
}

// SeatedUsers returns the seated users' IDs, sorted.
func (r *Roster) SeatedUsers() []string {
	out := make([]string, 0, len(r.Seated))
	for _, s := range r.Seated {
		out = append(out, s.User)
	}
	slices.Sort(out)
	return out
}

// WaitingUsers returns the waiting users' IDs in queue order.
func (r *Roster) WaitingUsers() []string {
	out := make([]string, 0, len(r.Waitlist))
	for _, w := range r.Waitlist {
		out = append(out, w.User)
	}
	return out
}

// SeatedCount is the number of seated members (the roster's seats), what
// feedback yield is computed against.
func (s *Store) SeatedCount(ctx context.Context, c *Community) (int, error) {
	start := time.Now()
	n, err := s.rdb.ZCard(ctx, s.keys(c).seats()).Result()
	s.observe("seated", time.Since(start), err)
	if err != nil {
		return 0, fmt.Errorf("engagement: seated members of %s: %w", c.ID, err)
	}
	return int(n), nil
}
