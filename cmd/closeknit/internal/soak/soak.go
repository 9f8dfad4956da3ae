// Package soak is `closeknit loadtest --soak`: a steady rate for a long
// time instead of one burst, to see whether the app's memory or goroutines
// grow.
package soak

import (
	"context"
	"fmt"
	"io"
	"os"
	"slices"
	"time"

	"github.com/closeknit/closeknit/cmd/closeknit/internal/child"
	"github.com/closeknit/closeknit/cmd/closeknit/internal/scrape"
	"github.com/closeknit/closeknit/cmd/closeknit/internal/sim"
	"github.com/closeknit/closeknit/engagement"
	"github.com/closeknit/closeknit/slackapp/slacktest"
	"github.com/redis/go-redis/v9"
)

// Config is what loadtest's flags ask of a soak.
type Config struct {
	Duration, Sample time.Duration
	Rate, Inflight   int
	RedisURL         string
}

// sample is one row of the soak table.
type sample struct {
	at                 time.Duration
	sent               int
	rss, heap          float64 // bytes
	goroutines         float64
	ackP99             time.Duration
	behind             time.Duration // how far the sender lags the target rate
	reconnectsOrErrors float64
}

// Run starts `closeknit serve` (the program exe) against the emulator and a
// real Redis, sends message envelopes at cfg.Rate per second for
// cfg.Duration in batches every 100 ms, samples the child's RSS (/proc), Go
// heap in use and goroutines (its /metrics) every cfg.Sample, prints the
// table and a growth verdict, and checks the count in Redis is exact.
func Run(ctx context.Context, cfg Config, exe string, rdb redis.UniversalClient, stdout io.Writer) error {
	srv := &slacktest.Server{PingInterval: 5 * time.Second, RetrySchedule: []time.Duration{}}
	if err := srv.Start(); err != nil {
		return err
	}
	defer srv.Close()
	ns := fmt.Sprintf("soak-%d-%d", os.Getpid(), time.Now().UnixNano())
	defer child.CleanNamespace(rdb, ns)
	proc, err := child.Start(ctx, child.ServeCommand(ctx, exe, srv, cfg.RedisURL, ns), srv)
	if err != nil {
		return err
	}
	defer proc.Stop()
	pid := proc.Pid()
	metricsURL := proc.MetricsURL()
	if metricsURL == "" {
		return fmt.Errorf("soak: no metrics port found for pid %d", pid)
	}
	week := engagement.WeekOf(time.Now(), time.UTC)

	fmt.Fprintf(stdout, "soak: %d message envelopes/s for %v, at most %d un-acked, sampled every %v; app pid %d\n\n",
		cfg.Rate, cfg.Duration, cfg.Inflight, cfg.Sample, pid)
	// Rows are printed as they are sampled (fixed widths, no tabwriter), so
	// a long soak shows its progress.
	fmt.Fprintf(stdout, "%8s %10s %8s %8s %10s %10s %8s %11s\n", "t", "sent", "RSS MB", "heap MB", "goroutines", "ack p99", "behind", "reconn+err")
	const tick = 100 * time.Millisecond
	perTick := max(1, cfg.Rate/int(time.Second/tick))
	start := time.Now()
	nextSample := start
	roundTo := time.Second
	if cfg.Sample < time.Second {
		roundTo = 100 * time.Millisecond
	}
	var samples []sample
	var lat []time.Duration
	sent := 0
	for i := 0; ; i++ {
		now := time.Now()
		if !now.Before(nextSample) {
			s, err := takeSample(ctx, proc, metricsURL)
			if err != nil {
				return err
			}
			s.at, s.sent = now.Sub(start).Round(roundTo), sent
			s.behind = max(0, now.Sub(start)-time.Duration(sent/perTick)*tick).Round(time.Millisecond)
			if len(lat) > 0 {
				slices.Sort(lat)
				s.ackP99 = lat[len(lat)*99/100]
				lat = lat[:0]
			}
			samples = append(samples, s)
			fmt.Fprintf(stdout, "%8v %10d %8.1f %8.1f %10.0f %10v %8v %11.0f\n", s.at, s.sent, s.rss/1e6, s.heap/1e6, s.goroutines,
				s.ackP99.Round(time.Microsecond), s.behind, s.reconnectsOrErrors)
			nextSample = nextSample.Add(cfg.Sample)
		}
		if now.Sub(start) >= cfg.Duration {
			break
		}
		frames, ids := sim.LoadMessages(srv, child.Channel, perTick)
		res, err := srv.Burst(ctx, frames, ids, cfg.Inflight)
		if err != nil {
			return fmt.Errorf("soak: %w; app output:\n%s", err, proc.Output())
		}
		sent += res.Acked
		lat = append(lat, res.AckLatencies...)
		// Steady rate: wait for the next tick unless behind.
		if d := time.Until(start.Add(time.Duration(i+1) * tick)); d > 0 {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(d):
			}
		}
	}

	counted, err := child.Counted(ctx, rdb, ns, week)
	if err != nil {
		return fmt.Errorf("soak: reading the count: %w", err)
	}
	fmt.Fprintf(stdout, "\nsent and acked %d envelopes in %v (%.0f/s); counted in Redis: %d", sent,
		time.Since(start).Round(time.Second), float64(sent)/time.Since(start).Seconds(), counted)
	if counted != int64(sent) {
		fmt.Fprintln(stdout, " ✗")
		return fmt.Errorf("soak: counted %d, sent %d", counted, sent)
	}
	fmt.Fprintln(stdout, " ✓")
	if n := len(samples); n > 0 && samples[n-1].reconnectsOrErrors > 0 {
		// The app logs at warn: what it said is what went wrong.
		fmt.Fprintf(stdout, "the app reconnected or met Redis errors %.0f times; its first 8 KB of output:\n%s\n", samples[n-1].reconnectsOrErrors, proc.Output())
	}
	v := growthVerdict(samples)
	fmt.Fprintln(stdout, v.text)
	if v.grew {
		return fmt.Errorf("soak: %s", v.text)
	}
	return nil
}

// takeSample reads the child's resident memory from /proc and its heap and
// goroutines from its own /metrics.
func takeSample(ctx context.Context, proc *child.Process, metricsURL string) (sample, error) {
	var s sample
	rss, err := proc.RSS()
	if err != nil {
		return s, err
	}
	m, err := scrape.Get(ctx, metricsURL, "go_memstats_heap_inuse_bytes", "go_goroutines", "closeknit_socket_reconnects_total", "closeknit_redis_errors_total")
	if err != nil {
		return s, err
	}
	s.rss, s.heap, s.goroutines = rss, m.Sum("go_memstats_heap_inuse_bytes"), m.Sum("go_goroutines")
	s.reconnectsOrErrors = m.Sum("closeknit_socket_reconnects_total") + m.Sum("closeknit_redis_errors_total")
	return s, nil
}

type verdict struct {
	text string
	grew bool
}

// growthVerdict compares the first and last thirds of the samples taken
// after warm-up (the first sample, before any load, is left out): memory
// that keeps rising or goroutines that keep piling up is a leak. Medians
// keep one GC cycle's sawtooth from deciding it.
func growthVerdict(samples []sample) verdict {
	if len(samples) < 7 {
		return verdict{text: "growth verdict: too few samples (need ≥ 7: run longer or sample more often)"}
	}
	s := samples[1:]
	third := len(s) / 3
	first, last := s[:third], s[len(s)-third:]
	med := func(xs []sample, f func(sample) float64) float64 {
		v := make([]float64, len(xs))
		for i, x := range xs {
			v[i] = f(x)
		}
		slices.Sort(v)
		return v[len(v)/2]
	}
	rss0, rss1 := med(first, func(x sample) float64 { return x.rss }), med(last, func(x sample) float64 { return x.rss })
	h0, h1 := med(first, func(x sample) float64 { return x.heap }), med(last, func(x sample) float64 { return x.heap })
	g0, g1 := med(first, func(x sample) float64 { return x.goroutines }), med(last, func(x sample) float64 { return x.goroutines })
	// Allowed: 10% or 4 MB of RSS, 25% or 4 MB of heap, 2 goroutines.
	grew := rss1 > max(rss0*1.10, rss0+4e6) || h1 > max(h0*1.25, h0+4e6) || g1 > g0+2
	word := "no growth"
	if grew {
		word = "GROWTH"
	}
	return verdict{grew: grew, text: fmt.Sprintf("growth verdict: %s (median of the first vs last third of samples: RSS %.1f → %.1f MB, heap in use %.1f → %.1f MB, goroutines %.0f → %.0f)",
		word, rss0/1e6, rss1/1e6, h0/1e6, h1/1e6, g0, g1)}
}
