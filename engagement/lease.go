package engagement

import (
	"context"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// A lease lets one replica among several run a scheduled job: whoever holds
// ns:{c}:lease:<name> runs it; the lease expires on its own if the holder
// dies. A lease only stops two replicas running a job at the same time;
// jobs stay idempotent (sent-markers, state transitions in Lua) so that a
// job cut short and run again later does not do its work twice.

// acquireLeaseScript takes the lease if it is free, or extends it if the
// caller already holds it.
//
//	KEYS[1] lease   ARGV[1] holder   ARGV[2] TTL (ms)
//	Returns 1 held by the caller, 0 held by another.
var acquireLeaseScript = redis.NewScript(`
local cur = redis.call('GET', KEYS[1])
if cur and cur ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1
`)

// releaseLeaseScript frees the lease only if the caller still holds it.
var releaseLeaseScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`)

// AcquireLease takes or extends the named lease of community c for holder,
// for ttl. It reports whether holder now holds it.
func (s *Store) AcquireLease(ctx context.Context, c *Community, name, holder string, ttl time.Duration) (bool, error) {
	start := time.Now()
	n, err := acquireLeaseScript.Run(ctx, s.rdb, []string{s.keys(c).lease(name)}, holder, ttl.Milliseconds()).Int()
	s.observe("lease", time.Since(start), err)
	if err != nil {
		return false, fmt.Errorf("engagement: lease %s: %w", name, err)
	}
	return n == 1, nil
}

// ReleaseLease frees the named lease if holder still holds it.
func (s *Store) ReleaseLease(ctx context.Context, c *Community, name, holder string) error {
	start := time.Now()
	err := releaseLeaseScript.Run(ctx, s.rdb, []string{s.keys(c).lease(name)}, holder).Err()
	s.observe("lease", time.Since(start), err)
	if err != nil {
		return fmt.Errorf("engagement: release lease %s: %w", name, err)
	}
	return nil
}
