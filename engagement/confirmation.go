package engagement

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// A drop can ask its winners to confirm (DropSpec.ConfirmWithin): a unit
// whose winner does not press Confirm within that time of their DM goes
// to the next in line, like a unit staff release. Units do not sit with
// people who have lost interest while others wait.
//
// The clock of each winner starts when their DM is marked sent (not when
// they won), so that a DM that waited for a retry does not eat into their
// time. Every step is one script over the drop's keys: a confirmation and
// an expiry of the same winner cannot both happen.

// noticeSentScript records that a winner was DMed and, if the drop asks
// winners to confirm, starts their clock (once: a DM sent twice keeps the
// first deadline).
//
//	KEYS[1] d:<id>  KEYS[2] claims  KEYS[3] notify  KEYS[4] pending  KEYS[5] confirmed  KEYS[6] d:confirming
//	ARGV[1] user  ARGV[2] now (unix ms)  ARGV[3] drop ID
//	Returns the deadline (unix ms), or 0 if none.
var noticeSentScript = redis.NewScript(`
local user = ARGV[1]
redis.call('ZREM', KEYS[3], user)
local within = tonumber(redis.call('HGET', KEYS[1], 'confirm') or '0') or 0
if within <= 0 or not redis.call('ZSCORE', KEYS[2], user) or redis.call('SISMEMBER', KEYS[5], user) == 1 then
  return 0
end
redis.call('ZADD', KEYS[4], 'NX', tonumber(ARGV[2]) + within, user)
redis.call('SADD', KEYS[6], ARGV[3])
return tonumber(redis.call('ZSCORE', KEYS[4], user))
`)

// confirmDropScript is a winner's press of Confirm. A press after the
// deadline, before the job got to it, loses the unit there and then: the
// deadline is the deadline, whenever the job runs.
//
//	KEYS as luaPassOn  ARGV[1] user  ARGV[2] now (unix ms)
//	Returns {code, next}: 1 confirmed, 2 confirmed before, 3 too late (the
//	unit went to next, "" if nobody), 0 not a winner, -1 no such drop.
var confirmDropScript = redis.NewScript(luaPassOn + `
if redis.call('EXISTS', KEYS[1]) == 0 then return {-1, ''} end
local user, now = ARGV[1], ARGV[2]
if not redis.call('ZSCORE', KEYS[2], user) then return {0, ''} end
if redis.call('SISMEMBER', KEYS[9], user) == 1 then return {2, ''} end
local due = redis.call('ZSCORE', KEYS[8], user)
if due and tonumber(due) <= tonumber(now) then return {3, pass_on(user, now)} end
redis.call('ZREM', KEYS[8], user)
redis.call('SADD', KEYS[9], user)
return {1, ''}
`)

// expireConfirmsScript passes on every unit of one drop whose winner's
// deadline has passed, and takes the drop off d:confirming when nobody is
// left to confirm.
//
//	KEYS as luaPassOn  ARGV[1] now (unix ms)  ARGV[2] drop ID
//	Returns {user, next, user, next, ...}.
var expireConfirmsScript = redis.NewScript(luaPassOn + `
local out = {}
if redis.call('EXISTS', KEYS[1]) == 1 then
  for _, u in ipairs(redis.call('ZRANGEBYSCORE', KEYS[8], '-inf', ARGV[1])) do
    if redis.call('ZSCORE', KEYS[2], u) then
      out[#out + 1] = u
      out[#out + 1] = pass_on(u, ARGV[1])
    else
      redis.call('ZREM', KEYS[8], u)
    end
  end
end
if redis.call('ZCARD', KEYS[8]) == 0 then redis.call('SREM', KEYS[10], ARGV[2]) end
return out
`)

// DropNoticeSent records that user was DMed about their unit of drop id
// and, if the drop asks winners to confirm, starts their clock. It returns
// their deadline (zero if none).
func (s *Store) DropNoticeSent(ctx context.Context, c *Community, id, user string) (time.Time, error) {
	k := s.keys(c)
	id = strings.ToUpper(id)
	ms, err := noticeSentScript.Run(ctx, s.rdb, []string{k.drop(id), k.dropClaims(id), k.dropNotify(id), k.dropPending(id),
		k.dropConfirmed(id), k.dropConfirming()}, user, unixMS(s.now()), id).Int64()
	if err != nil || ms == 0 {
		return time.Time{}, wrapErr("drop notice", err)
	}
	return time.UnixMilli(ms).UTC(), nil
}

// ConfirmOutcome is what a press of Confirm did.
type ConfirmOutcome int

// Confirm outcomes; the values are the confirm script's codes.
const (
	ConfirmNotWinner ConfirmOutcome = iota // the unit was released or passed on, or never theirs
	Confirmed
	ConfirmedBefore
	ConfirmTooLate // the deadline had passed: the unit went to Next
)

// ConfirmResult is what a press of Confirm did; Next is who got the unit
// of a winner who was too late ("" if nobody was waiting).
type ConfirmResult struct {
	Outcome ConfirmOutcome
	Next    string
}

// ConfirmDrop records that user confirms their unit of drop id.
func (s *Store) ConfirmDrop(ctx context.Context, c *Community, id, user string) (ConfirmResult, error) {
	id = strings.ToUpper(id)
	res, err := confirmDropScript.Run(ctx, s.rdb, s.passOnKeys(s.keys(c), id), user, unixMS(s.now())).Slice()
	if err != nil {
		return ConfirmResult{}, fmt.Errorf("engagement: confirm drop %s: %w", id, err)
	}
	code, _ := res[0].(int64)
	next, _ := res[1].(string)
	if code == -1 {
		return ConfirmResult{}, fmt.Errorf("engagement: drop %s: %w", id, ErrNoDrop)
	}
	return ConfirmResult{Outcome: ConfirmOutcome(code), Next: next}, nil
}

// DropExpiry is a unit passed on because its winner did not confirm in
// time: User lost it, Next got it ("" if nobody was waiting).
type DropExpiry struct {
	Drop, User, Next string
}

// ExpireDropConfirms passes on, in every drop of c, the units whose
// winners did not confirm in time. Each expiry is returned to exactly one
// caller.
func (s *Store) ExpireDropConfirms(ctx context.Context, c *Community) ([]DropExpiry, error) {
	k := s.keys(c)
	ids, err := s.rdb.SMembers(ctx, k.dropConfirming()).Result()
	if err != nil {
		return nil, wrapErr("drop confirmations", err)
	}
	now := unixMS(s.now())
	var out []DropExpiry
	for _, id := range ids {
		res, err := expireConfirmsScript.Run(ctx, s.rdb, s.passOnKeys(k, id), now, id).StringSlice()
		if err != nil {
			return out, fmt.Errorf("engagement: expire confirmations of drop %s: %w", id, err)
		}
		for i := 0; i+1 < len(res); i += 2 {
			out = append(out, DropExpiry{Drop: id, User: res[i], Next: res[i+1]})
		}
	}
	return out, nil
}
