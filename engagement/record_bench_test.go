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

// BenchmarkRecordLoadShape records batches of 30 messages exactly as the
// load test sends them (40 posters; every fourth a thread reply to a post
// by U00000001, so it may answer it, and slackapp marks it as on a
// person's post: no prototype feedback), for a fixed workload whose Redis
// instructions per event can be counted under callgrind (docs/performance.md):
//
//	CLOSEKNIT_TEST_REDIS_URL=redis://127.0.0.1:6391/0 go test ./engagement -run XXX -bench RecordLoadShape -benchtime 200x
//
// Two runs of different lengths against one Redis, each followed by a
// callgrind dump, give the instructions of the difference in events, free
// of the setup's.
func BenchmarkRecordLoadShape(b *testing.B) {
	const size = 30
	s, rdb := MustOpenStore(b, engagement.Options{})
	c := testCommunity(b, "UTC")
	ctx := context.Background()
	base := time.Now().Add(-time.Minute)
	if engagement.WeekOf(base, time.UTC) != engagement.WeekOf(time.Now(), time.UTC) {
		base = time.Now()
	}
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
			e := msg(c, fmt.Sprintf("Ev%08d", seq), fmt.Sprintf("U%08d", seq%40), t, seq%4 == 3)
			e.TS = engagement.FormatTS(t)
			if e.Reply {
				e.ThreadTS, e.ParentUser, e.OnPersonsPost = e.TS[:len(e.TS)-1]+"0", "U00000001", true
			}
			batch[i] = e
		}
		res, err := s.Record(ctx, batch)
		if err != nil {
			b.Fatal(err)
		}
		for i, r := range res {
			if r.Err != nil || r.Outcome != engagement.Counted {
				b.Fatalf("event %d: %v %v", i, r.Outcome, r.Err)
			}
		}
	}
	b.StopTimer()
	w1, err := engagement.ReadRedisWork(ctx, rdb.UniversalClient)
	if err != nil {
		b.Fatal(err)
	}
	w := w1.Sub(w0)
	events := float64(b.N * size)
	if r := mustReport(b, s, c, engagement.WeekOf(base, time.UTC).String()); r.Messages != int64(b.N*size) {
		b.Fatalf("%d messages counted, want %d", r.Messages, b.N*size)
	}
	b.ReportMetric(w.Commands/events, "redis-cmds/event")
	b.ReportMetric(w.ScriptUsec/events, "redis-µs/event")
}
