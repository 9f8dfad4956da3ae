// Package redisconn opens the Redis a REDIS_URL names, for every closeknit
// command that talks to one, and hides its password when one is printed.
package redisconn

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/closeknit/closeknit/engagement"
	"github.com/redis/go-redis/v9"
)

// Options reads REDIS_URL (engagement.ParseRedisURL: plain, Sentinel or
// Cluster).
func Options(raw string) (*redis.UniversalOptions, error) {
	o, err := engagement.ParseRedisURL(raw)
	if err != nil {
		return nil, fmt.Errorf("REDIS_URL: %w (see closeknit help)", err)
	}
	return o, nil
}

// Open connects to Redis and checks it answers within a few seconds, so a
// wrong REDIS_URL stops start-up with a clear line.
func Open(ctx context.Context, raw string) (redis.UniversalClient, error) {
	o, err := Options(raw)
	if err != nil {
		return nil, err
	}
	rdb := redis.NewUniversalClient(o)
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	if err := rdb.Ping(ctx).Err(); err != nil {
		rdb.Close()
		return nil, fmt.Errorf("REDIS_URL: redis at %s does not answer: %v", strings.Join(o.Addrs, ","), err)
	}
	return rdb, nil
}

// Redacted hides a password in a Redis URL for printing: banners and
// tables end up in terminals, scrollback and pasted bug reports.
func Redacted(raw string) string {
	if u, err := url.Parse(raw); err == nil {
		return u.Redacted()
	}
	return raw
}
