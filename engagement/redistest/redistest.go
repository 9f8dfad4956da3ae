// Package redistest gives tests a real Redis: where to find it and how to
// clean up after them. Tests fail, never skip, when it does not answer.
package redistest

import (
	"context"
	"os"
	"testing"

	"github.com/redis/go-redis/v9"
)

// URL is the test Redis: CLOSEKNIT_TEST_REDIS_URL, or the local default.
func URL() string {
	if u := os.Getenv("CLOSEKNIT_TEST_REDIS_URL"); u != "" {
		return u
	}
	return "redis://127.0.0.1:6379/0"
}

// DeleteKeys removes the keys matching pattern, a thousand per round trip.
func DeleteKeys(tb testing.TB, rdb redis.UniversalClient, pattern string) {
	ctx := context.Background()
	var cursor uint64
	for {
		keys, next, err := rdb.Scan(ctx, cursor, pattern, 1000).Result()
		if err != nil {
			tb.Errorf("cleanup: %v", err)
			return
		}
		if len(keys) > 0 {
			rdb.Unlink(ctx, keys...)
		}
		if cursor = next; cursor == 0 {
			return
		}
	}
}
