package slacktest

import (
	"context"
	"testing"
	"time"
)

// burstFrames builds n distinct message envelopes.
func burstFrames(srv *Server, n int) ([][]byte, []string) {
	frames := make([][]byte, n)
	ids := make([]string, n)
	for i := range n {
		env := srv.Event(map[string]any{"type": "message", "channel": "C05R8T2KLMN", "channel_type": "channel",
			"user": "U02H7K4N5PQ", "text": "load", "ts": srv.NewTS()})
		frames[i], ids[i] = env.Frame, env.ID
	}
	return frames, ids
}

func TestBurst(t *testing.T) {
	t.Parallel()
	srv := NewServer(t)
	ctx := testContext(t)
	for range 2 {
		go ackAll(dialRaw(t, srv))
	}
	if err := srv.WaitConnections(ctx, 2); err != nil {
		t.Fatal(err)
	}
	const n = 2000
	frames, ids := burstFrames(srv, n)
	res, err := srv.Burst(ctx, frames, ids, 64)
	if err != nil {
		t.Fatal(err)
	}
	if res.Sent != n || res.Acked != n || len(res.AckLatencies) != n {
		t.Errorf("Burst = sent %d, acked %d, %d latencies; want %d each", res.Sent, res.Acked, len(res.AckLatencies), n)
	}
	for i, l := range res.AckLatencies {
		if l <= 0 || l > res.Elapsed {
			t.Errorf("latency %d = %v, outside (0, %v]", i, l, res.Elapsed)
			break
		}
	}
	if got := srv.AckCount(); got != n {
		t.Errorf("AckCount = %d, want %d", got, n)
	}
	if u := srv.Unacked(); len(u) != 0 {
		t.Errorf("Burst frames tracked as envelopes: %d", len(u))
	}
}

// TestBurstGivesUp checks that Burst returns with ctx when nobody acks.
func TestBurstGivesUp(t *testing.T) {
	t.Parallel()
	srv := NewServer(t)
	frames, ids := burstFrames(srv, 10)
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	res, err := srv.Burst(ctx, frames, ids, 4) // no connection: all queued
	if err == nil || res.Sent != 4 || res.Acked != 0 {
		t.Errorf("Burst = %+v, %v; want 4 sent, none acked, an error", res, err)
	}
}

// BenchmarkBurst measures envelope throughput through one connection with a
// minimal acking client; it reports envelopes per second.
func BenchmarkBurst(b *testing.B) {
	srv := NewServer(b)
	go ackAll(dialRaw(b, srv))
	frames, ids := burstFrames(srv, b.N)
	b.ResetTimer()
	res, err := srv.Burst(b.Context(), frames, ids, 256)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(res.Acked)/res.Elapsed.Seconds(), "envelopes/s")
}
