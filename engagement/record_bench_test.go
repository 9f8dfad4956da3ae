package engagement_test

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/closeknit/closeknit/engagement"
	"github.com/redis/go-redis/v9"
)

// BenchmarkRecordMessages records batches of messages shaped like the load
// test's (40 posters, a quarter thread replies) and reports Redis's own
// time per event: the commandstats usec of script calls, which is what
// the ingest costs the Redis process. Run it against a Redis of its own
// for a clean figure:
//
//	CLOSEKNIT_TEST_REDIS_URL=redis://127.0.0.1:6390/0 go test ./engagement -run XXX -bench RecordMessages
func BenchmarkRecordMessages(b *testing.B) {
	for _, size := range []int{1, 16, 64} {
		b.Run(fmt.Sprintf("batch=%d", size), func(b *testing.B) {
			s, rdb := MustOpenStore(b, engagement.Options{})
			c := testCommunity(b, "UTC")
			ctx := context.Background()
			base := time.Now().Add(-time.Hour)
			batch := make([]engagement.Event, size)
			usec0, cpu0, calls0 := redisWork(b, rdb.UniversalClient)
			b.ResetTimer()
			for n := 0; n < b.N; n++ {
				for i := range batch {
					seq := n*size + i
					t := base.Add(time.Duration(seq) * time.Microsecond)
					batch[i] = msg(c, "Ev"+strconv.Itoa(seq), fmt.Sprintf("U%08d", seq%40), t, seq%4 == 3)
					batch[i].TS = fmt.Sprintf("%d.%06d", t.Unix(), t.Nanosecond()/1000)
				}
				if _, err := s.Record(ctx, batch); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			usec1, cpu1, calls1 := redisWork(b, rdb.UniversalClient)
			b.ReportMetric((calls1-calls0)/float64(b.N*size), "redis-cmds/event")
			b.ReportMetric((usec1-usec0)/float64(b.N*size), "redis-µs/event")
			b.ReportMetric((cpu1-cpu0)/float64(b.N*size), "redis-cpu-µs/event")
		})
	}
}

// redisWork sums, over the masters, the commandstats usec of script calls
// (wall time inside Redis, which a busy machine inflates), the main
// thread's CPU time in µs (less so), and the commands scripts and clients
// ran (which it does not change at all: the steadiest figure on a shared
// machine). INFO's own calls are left out.
func redisWork(tb testing.TB, rdb redis.UniversalClient) (usec, cpu, calls float64) {
	read := func(ctx context.Context, c *redis.Client) error {
		info, err := c.Info(ctx, "commandstats", "cpu").Result()
		for line := range strings.SplitSeq(info, "\n") {
			line = strings.TrimSpace(line)
			if name, rest, ok := strings.Cut(line, ":calls="); ok && strings.HasPrefix(name, "cmdstat_") &&
				!strings.HasPrefix(name, "cmdstat_eval") && name != "cmdstat_info" {
				v, _ := strconv.ParseFloat(rest[:strings.IndexByte(rest, ',')], 64)
				calls += v
			}
			if strings.HasPrefix(line, "cmdstat_evalsha:") || strings.HasPrefix(line, "cmdstat_eval:") {
				_, rest, _ := strings.Cut(line, "usec=")
				v, _ := strconv.ParseFloat(rest[:strings.IndexByte(rest, ',')], 64)
				usec += v
			}
			if v, ok := strings.CutPrefix(line, "used_cpu_user_main_thread:"); ok {
				f, _ := strconv.ParseFloat(v, 64)
				cpu += f * 1e6
			}
			if v, ok := strings.CutPrefix(line, "used_cpu_sys_main_thread:"); ok {
				f, _ := strconv.ParseFloat(v, 64)
				cpu += f * 1e6
			}
		}
		return err
	}
	var err error
	if cc, ok := rdb.(*redis.ClusterClient); ok {
		err = cc.ForEachMaster(context.Background(), read)
	} else {
		err = read(context.Background(), rdb.(*redis.Client))
	}
	if err != nil {
		tb.Fatal(err)
	}
	return usec, cpu, calls
}
