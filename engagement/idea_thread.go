package engagement

import (
	"context"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// The idea board's parent post (a community with Ideas: IdeasThread): one
// pinned "Ideas" post in the community channel whose thread holds the
// cards. It is posted on the first idea, once whatever the replicas and
// redeliveries: the caller that claims it posts it, the others wait for
// its ts. Keys are in keys.go.

// IdeaParentClaimTTL is how long a claim to post the parent lasts: longer
// than a post may take, so that two callers never post at once, and short
// enough that a replica dying mid-post does not hold up the ideas for long.
const IdeaParentClaimTTL = 45 * time.Second

// claimIdeaParentScript returns the parent's ts, or claims posting it.
// A parent recorded for another channel (the community's channel was
// changed) counts as none.
//
//	KEYS[1] i:parent  KEYS[2] i:parent:claim
//	ARGV[1] channel  ARGV[2] token  ARGV[3] claim TTL (ms)
//	Returns {ts, 0} when there is a parent, {"", 1} claimed, {"", 0} another caller holds the claim.
var claimIdeaParentScript = redis.NewScript(`
local p = redis.call('HMGET', KEYS[1], 'channel', 'ts')
if p[2] and p[1] == ARGV[1] then return {p[2], 0} end
if redis.call('SET', KEYS[2], ARGV[2], 'NX', 'PX', ARGV[3]) then return {'', 1} end
return {'', 0}
`)

// setIdeaParentScript records the posted parent and frees the claim if the
// caller still holds it (it may have expired and been taken since).
//
//	KEYS[1] i:parent  KEYS[2] i:parent:claim  ARGV[1] channel  ARGV[2] ts  ARGV[3] token
var setIdeaParentScript = redis.NewScript(`
redis.call('HSET', KEYS[1], 'channel', ARGV[1], 'ts', ARGV[2])
if redis.call('GET', KEYS[2]) == ARGV[3] then redis.call('DEL', KEYS[2]) end
return 1
`)

// releaseIdeaParentScript frees the claim if the caller holds it.
//
//	KEYS[1] i:parent:claim  ARGV[1] token
var releaseIdeaParentScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) return 1 end
return 0
`)

// dropIdeaParentScript forgets the parent at ts, unless another parent
// replaced it since (a late deletion event must not drop the new one).
//
//	KEYS[1] i:parent  ARGV[1] ts
var dropIdeaParentScript = redis.NewScript(`
if redis.call('HGET', KEYS[1], 'ts') == ARGV[1] then redis.call('DEL', KEYS[1]) return 1 end
return 0
`)

// ClaimIdeaParent returns the ts of c's parent post in c.Channel when there
// is one. Otherwise it claims posting it for token and reports claimed; the
// caller posts it and calls SetIdeaParent, or ReleaseIdeaParent if Slack
// refused it. With neither a parent nor the claim (another caller is
// posting it), ts is "" and claimed false: ask again shortly.
func (s *Store) ClaimIdeaParent(ctx context.Context, c *Community, token string) (ts string, claimed bool, err error) {
	if token == "" {
		return "", false, fmt.Errorf("engagement: idea parent: %w: no claim token", ErrInvalid)
	}
	k := s.keys(c)
	start := time.Now()
	res, err := claimIdeaParentScript.Run(ctx, s.rdb, []string{k.ideaParent(), k.ideaParentClaim()},
		c.Channel, token, IdeaParentClaimTTL.Milliseconds()).Slice()
	s.observe("idea_parent", time.Since(start), err)
	if err != nil {
		return "", false, fmt.Errorf("engagement: idea parent: %w", err)
	}
	ts, _ = res[0].(string)
	n, _ := res[1].(int64)
	return ts, n == 1, nil
}

// SetIdeaParent records ts as c's parent post in c.Channel and frees
// token's claim.
func (s *Store) SetIdeaParent(ctx context.Context, c *Community, ts, token string) error {
	k := s.keys(c)
	err := setIdeaParentScript.Run(ctx, s.rdb, []string{k.ideaParent(), k.ideaParentClaim()}, c.Channel, ts, token).Err()
	return wrapErr("set idea parent", err)
}

// ReleaseIdeaParent frees token's claim without a parent (Slack refused
// the post), so that the next idea tries again.
func (s *Store) ReleaseIdeaParent(ctx context.Context, c *Community, token string) error {
	return wrapErr("release idea parent", releaseIdeaParentScript.Run(ctx, s.rdb, []string{s.keys(c).ideaParentClaim()}, token).Err())
}

// DropIdeaParent forgets c's parent post if it is the one at ts (it was
// deleted, or Slack no longer finds its thread), so that the next idea
// posts a new one. It reports whether it did.
func (s *Store) DropIdeaParent(ctx context.Context, c *Community, ts string) (bool, error) {
	n, err := dropIdeaParentScript.Run(ctx, s.rdb, []string{s.keys(c).ideaParent()}, ts).Int()
	return n == 1, wrapErr("drop idea parent", err)
}
