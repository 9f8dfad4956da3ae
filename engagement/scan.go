package engagement

import (
	"context"
	"sync"

	"github.com/redis/go-redis/v9"
)

// ScanKeys calls fn with the keys matching pattern, a batch at a time. On
// a Redis Cluster it scans every master (a plain SCAN sees one node); fn is
// never called concurrently. Keys may be deleted while scanning.
func ScanKeys(ctx context.Context, rdb redis.UniversalClient, pattern string, fn func(keys []string) error) error {
	scan := func(ctx context.Context, c redis.Cmdable, fn func([]string) error) error {
		iter := c.Scan(ctx, 0, pattern, 1000).Iterator()
		batch := make([]string, 0, 1000)
		for iter.Next(ctx) {
			if batch = append(batch, iter.Val()); len(batch) == cap(batch) {
				if err := fn(batch); err != nil {
					return err
				}
				batch = batch[:0]
			}
		}
		if err := iter.Err(); err != nil {
			return err
		}
		if len(batch) == 0 {
			return nil
		}
		return fn(batch)
	}
	cc, ok := rdb.(*redis.ClusterClient)
	if !ok {
		return scan(ctx, rdb, fn)
	}
	var mu sync.Mutex // ForEachMaster runs the masters concurrently
	return cc.ForEachMaster(ctx, func(ctx context.Context, node *redis.Client) error {
		return scan(ctx, node, func(keys []string) error {
			mu.Lock()
			defer mu.Unlock()
			return fn(keys)
		})
	})
}

// DeleteKeys unlinks every key matching pattern and returns how many it
// unlinked. Keys go one per command in a pipeline: on a Cluster a
// multi-key UNLINK across hash slots is refused, and a pipeline is routed
// by slot.
func DeleteKeys(ctx context.Context, rdb redis.UniversalClient, pattern string) (int, error) {
	n := 0
	err := ScanKeys(ctx, rdb, pattern, func(keys []string) error {
		pipe := rdb.Pipeline()
		for _, k := range keys {
			pipe.Unlink(ctx, k)
		}
		if _, err := pipe.Exec(ctx); err != nil {
			return err
		}
		n += len(keys)
		return nil
	})
	return n, err
}
