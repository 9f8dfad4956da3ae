package engagement_test

import (
	"context"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/closeknit/closeknit/engagement"
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
			w0, err := engagement.ReadRedisWork(ctx, rdb.UniversalClient)
			if err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			for n := 0; n < b.N; n++ {
				for i := range batch {
					seq := n*size + i
					t := base.Add(time.Duration(seq) * time.Microsecond)
					batch[i] = msg(c, "Ev"+strconv.Itoa(seq), fmt.Sprintf("U%08d", seq%40), t, seq%4 == 3)
					batch[i].TS = engagement.FormatTS(t)
				}
				if _, err := s.Record(ctx, batch); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			w1, err := engagement.ReadRedisWork(ctx, rdb.UniversalClient)
			if err != nil {
				b.Fatal(err)
			}
			w := w1.Sub(w0)
			n := float64(b.N * size)
			b.ReportMetric(w.Commands/n, "redis-cmds/event")
			b.ReportMetric(w.ScriptUsec/n, "redis-µs/event")
			b.ReportMetric(w.CPUUsec/n, "redis-cpu-µs/event")
		})
	}
}
