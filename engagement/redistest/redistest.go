// Package redistest gives tests a real Redis: where to find it and how to
// clean up after them. Tests fail, never skip, when it does not answer.
//
// CLOSEKNIT_TEST_REDIS_URL takes the same forms as serve's REDIS_URL, so the
// same tests run against one server, Sentinel or a Redis Cluster:
//
//	redis://127.0.0.1:6379/0
//	redis://127.0.0.1:26379/0?master_name=mymaster&addr=127.0.0.1:26380   (Sentinel)
//	redis://127.0.0.1:7101?addr=127.0.0.1:7102&addr=127.0.0.1:7103        (Cluster)
package redistest

import (
	"context"
	"os"
	"testing"

	"github.com/closeknit/closeknit/engagement"
	"github.com/redis/go-redis/v9"
)

// URL is the test Redis: CLOSEKNIT_TEST_REDIS_URL if set; else the Redis
// at 127.0.0.1:6379 if one answers; else a redis-server from PATH that this
// test binary starts on a free loopback port, once, for all its tests, and
// that stops when the binary exits. With none of these, Client fails the
// test with one line saying what to install.
func URL() string {
	if u := os.Getenv("CLOSEKNIT_TEST_REDIS_URL"); u != "" {
		return u
	}
	return localURL()
}

// Client connects to the Redis at url (any form URL takes) and fails the
// test if it does not answer. The caller closes it.
func Client(tb testing.TB, url string) redis.UniversalClient {
	tb.Helper()
	if no := noLocal.Load(); no != nil && no.url == url {
		tb.Fatal(no.err) // no Redis to be had: one line on what to install
	}
	o, err := engagement.ParseRedisURL(url)
	if err != nil {
		tb.Fatalf("test Redis URL %q: %v", url, err)
	}
	rdb := redis.NewUniversalClient(o)
	if err := rdb.Ping(context.Background()).Err(); err != nil {
		rdb.Close()
		tb.Fatalf("test Redis at %s does not answer (start one, or set CLOSEKNIT_TEST_REDIS_URL): %v", url, err)
	}
	return rdb
}

// ScanKeys lists the keys matching pattern, on every master of a Cluster.
func ScanKeys(ctx context.Context, rdb redis.UniversalClient, pattern string) ([]string, error) {
	var out []string
	err := engagement.ScanKeys(ctx, rdb, pattern, func(keys []string) error {
		out = append(out, keys...)
		return nil
	})
	return out, err
}

// DeleteKeys removes the keys matching pattern (engagement.DeleteKeys),
// reporting a failure as a test error.
func DeleteKeys(tb testing.TB, rdb redis.UniversalClient, pattern string) {
	if _, err := engagement.DeleteKeys(context.Background(), rdb, pattern); err != nil {
		tb.Errorf("cleanup: %v", err)
	}
}
