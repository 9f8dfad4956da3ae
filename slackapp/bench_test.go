package slackapp_test

import (
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/closeknit/closeknit/engagement"
	"github.com/closeknit/closeknit/slackapp"
	"github.com/closeknit/closeknit/slackapp/slacktest"
)

// BenchmarkIngest pushes b.N message envelopes (rich_text blocks, at most
// 64 un-acked) through the whole path: emulator -> WebSocket -> decode ->
// Redis (real) -> ack. CPU and allocations here include the in-process
// emulator; `closeknit loadtest` measures the app process alone.
// benchCalm runs a benchmark's emulator calm: a benchmark measures the app's
// throughput, and delays, echoes and rate limits would be what it measured.
var benchCalm = slacktest.Calm("benchmark: measures throughput, not tolerance of Slack's disorder")

func BenchmarkIngest(b *testing.B) {
	srv := slacktest.NewServer(b, benchCalm)
	ta := MustRunApp(b, srv, nil)
	now := time.Now()
	frames := make([][]byte, b.N)
	ids := make([]string, b.N)
	for i := range b.N {
		env := srv.Event(message("U00000042", now.Add(time.Duration(i)*time.Microsecond), ""))
		frames[i], ids[i] = env.Frame, env.ID
	}
	var ru0, ru1 syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru0)
	b.ResetTimer()
	res, err := srv.Burst(ctxT(b), frames, ids, 64)
	b.StopTimer()
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru1)
	if err != nil || res.Acked != b.N {
		b.Fatalf("acked %d of %d: %v", res.Acked, b.N, err)
	}
	cpu := time.Duration(ru1.Utime.Nano()+ru1.Stime.Nano()-ru0.Utime.Nano()-ru0.Stime.Nano()) * time.Nanosecond
	lat := slices.Clone(res.AckLatencies)
	slices.Sort(lat)
	b.ReportMetric(float64(b.N)/res.Elapsed.Seconds(), "events/s")
	b.ReportMetric(float64(cpu.Microseconds())/float64(b.N), "cpu-µs/event(app+emulator)")
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "ack-p50-µs")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "ack-p99-µs")
	if got := ta.report(b, engagement.WeekOf(now, time.UTC)).Messages; got < int64(b.N) && engagement.WeekOf(now, time.UTC) == engagement.WeekOf(now.Add(time.Duration(b.N)*time.Microsecond), time.UTC) {
		b.Fatalf("counted %d messages, want %d", got, b.N)
	}
}

// BenchmarkDecode is the hot path's decoding of one message envelope.
func BenchmarkDecode(b *testing.B) {
	srv := slacktest.NewServer(b, benchCalm)
	frame := srv.Event(message("U00000042", time.Now(), "")).Frame
	b.SetBytes(int64(len(frame)))
	b.ReportAllocs()
	for b.Loop() {
		if err := slackapp.DecodeForBench(frame); err != nil {
			b.Fatal(err)
		}
	}
}
