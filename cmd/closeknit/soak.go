package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/closeknit/closeknit/engagement"
	"github.com/closeknit/closeknit/slackapp/slacktest"
	"github.com/redis/go-redis/v9"
)

// soakConfig is `closeknit loadtest --soak`: a steady rate for a long time
// instead of one burst, to see whether memory or goroutines grow.
type soakConfig struct {
	duration, sample time.Duration
	rate, inflight   int
	redisURL         string
}

// soakSample is one row of the soak table.
type soakSample struct {
	at                 time.Duration
	sent               int
	rss, heap          float64 // bytes
	goroutines         float64
	ackP99             time.Duration
	behind             time.Duration // how far the sender lags the target rate
	reconnectsOrErrors float64
}

// soak starts `closeknit serve` against the emulator and a real Redis,
// sends message envelopes at cfg.rate per second for cfg.duration in
// batches every 100 ms, samples the child's RSS (/proc), Go heap in use and
// goroutines (its /metrics) every cfg.sample, prints the table and a growth
// verdict, and checks the count in Redis is exact.
func soak(ctx context.Context, cfg soakConfig, exe string, rdb redis.UniversalClient, stdout io.Writer) error {
	srv := &slacktest.Server{PingInterval: 5 * time.Second, RetrySchedule: []time.Duration{}}
	if err := srv.Start(); err != nil {
		return err
	}
	defer srv.Close()
	ns := fmt.Sprintf("soak-%d-%d", os.Getpid(), time.Now().UnixNano())
	defer cleanNamespace(rdb, ns)
	cmd := serveCommand(ctx, exe, srv, cfg.redisURL, ns)
	var logs strings.Builder
	cmd.Stderr = &limitedWriter{w: &logs, n: 8 << 10}
	cmd.Stdout = cmd.Stderr
	if err := cmd.Start(); err != nil {
		return err
	}
	defer stopChild(cmd)
	wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := srv.WaitConnections(wctx, 1); err != nil {
		return fmt.Errorf("did not connect: %w; its output:\n%s", err, logs.String())
	}
	pid := cmd.Process.Pid
	metricsURL := findMetricsURL(pid)
	if metricsURL == "" {
		return fmt.Errorf("soak: no metrics port found for pid %d", pid)
	}
	week := engagement.WeekOf(time.Now(), time.UTC)

	fmt.Fprintf(stdout, "soak: %d message envelopes/s for %v, at most %d un-acked, sampled every %v; app pid %d\n\n",
		cfg.rate, cfg.duration, cfg.inflight, cfg.sample, pid)
	// Rows are printed as they are sampled (fixed widths, no tabwriter), so
	// a long soak shows its progress.
	fmt.Fprintf(stdout, "%8s %10s %8s %8s %10s %10s %8s %11s\n", "t", "sent", "RSS MB", "heap MB", "goroutines", "ack p99", "behind", "reconn+err")
	const tick = 100 * time.Millisecond
	perTick := max(1, cfg.rate/int(time.Second/tick))
	start := time.Now()
	nextSample := start
	roundTo := time.Second
	if cfg.sample < time.Second {
		roundTo = 100 * time.Millisecond
	}
	var samples []soakSample
	var lat []time.Duration
	sent := 0
	for i := 0; ; i++ {
		now := time.Now()
		if !now.Before(nextSample) {
			s, err := takeSample(pid, metricsURL)
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
			nextSample = nextSample.Add(cfg.sample)
		}
		if now.Sub(start) >= cfg.duration {
			break
		}
		frames, ids := messageFrames(srv, perTick)
		res, err := srv.Burst(ctx, frames, ids, cfg.inflight)
		if err != nil {
			return fmt.Errorf("soak: %w; app output:\n%s", err, logs.String())
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

	counted, err := rdb.HGet(ctx, ns+":{load}:w:"+week.String(), "messages").Int64()
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
	v := growthVerdict(samples)
	fmt.Fprintln(stdout, v.text)
	if v.grew {
		return fmt.Errorf("soak: %s", v.text)
	}
	return nil
}

// takeSample reads the child's resident memory from /proc and its heap and
// goroutines from its own /metrics.
func takeSample(pid int, metricsURL string) (soakSample, error) {
	var s soakSample
	rss, err := processRSS(pid)
	if err != nil {
		return s, err
	}
	v, err := scrapeValues(metricsURL)
	if err != nil {
		return s, err
	}
	s.rss, s.heap, s.goroutines = rss, v["go_memstats_heap_inuse_bytes"], v["go_goroutines"]
	for k, x := range v {
		if strings.HasPrefix(k, "closeknit_socket_reconnects_total") || strings.HasPrefix(k, "closeknit_redis_errors_total") {
			s.reconnectsOrErrors += x
		}
	}
	return s, nil
}

// processRSS reads VmRSS from /proc/PID/status, in bytes.
func processRSS(pid int) (float64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, fmt.Errorf("read RSS: %w", err)
	}
	for line := range strings.Lines(string(b)) {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			f := strings.Fields(rest) // "12345 kB"
			kb, err := strconv.ParseFloat(f[0], 64)
			return kb * 1024, err
		}
	}
	return 0, fmt.Errorf("no VmRSS in /proc/%d/status", pid)
}

// scrapeValues reads every series of a Prometheus text exposition, keyed
// by name{labels}.
func scrapeValues(metricsURL string) (map[string]float64, error) {
	resp, err := http.Get(metricsURL)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	out := map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		if f, err := strconv.ParseFloat(line[i+1:], 64); err == nil {
			out[line[:i]] = f
		}
	}
	return out, sc.Err()
}

type verdict struct {
	text string
	grew bool
}

// growthVerdict compares the first and last thirds of the samples taken
// after warm-up (the first sample, before any load, is left out): memory
// that keeps rising or goroutines that keep piling up is a leak. Medians
// keep one GC cycle's sawtooth from deciding it.
func growthVerdict(samples []soakSample) verdict {
	if len(samples) < 7 {
		return verdict{text: "growth verdict: too few samples (need ≥ 7: run longer or sample more often)"}
	}
	s := samples[1:]
	third := len(s) / 3
	first, last := s[:third], s[len(s)-third:]
	med := func(xs []soakSample, f func(soakSample) float64) float64 {
		v := make([]float64, len(xs))
		for i, x := range xs {
			v[i] = f(x)
		}
		slices.Sort(v)
		return v[len(v)/2]
	}
	rss0, rss1 := med(first, func(x soakSample) float64 { return x.rss }), med(last, func(x soakSample) float64 { return x.rss })
	h0, h1 := med(first, func(x soakSample) float64 { return x.heap }), med(last, func(x soakSample) float64 { return x.heap })
	g0, g1 := med(first, func(x soakSample) float64 { return x.goroutines }), med(last, func(x soakSample) float64 { return x.goroutines })
	// Allowed: 10% or 4 MB of RSS, 25% or 4 MB of heap, 2 goroutines.
	grew := rss1 > max(rss0*1.10, rss0+4e6) || h1 > max(h0*1.25, h0+4e6) || g1 > g0+2
	word := "no growth"
	if grew {
		word = "GROWTH"
	}
	return verdict{grew: grew, text: fmt.Sprintf("growth verdict: %s (median of the first vs last third of samples: RSS %.1f → %.1f MB, heap in use %.1f → %.1f MB, goroutines %.0f → %.0f)",
		word, rss0/1e6, rss1/1e6, h0/1e6, h1/1e6, g0, g1)}
}

// serveCommand is a `closeknit serve` child process counting into the
// namespace ns, against the emulator srv.
func serveCommand(ctx context.Context, exe string, srv *slacktest.Server, redisURL, ns string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, exe, "serve")
	cmd.Env = append(os.Environ(),
		"SLACK_APP_TOKEN="+srv.AppToken, "SLACK_BOT_TOKEN="+srv.BotToken, "SLACK_API_URL="+srv.APIURL(),
		"REDIS_URL="+redisURL, "CLOSEKNIT_NAMESPACE="+ns, "CLOSEKNIT_COMMUNITY=load",
		"CLOSEKNIT_CHANNEL="+loadChannel, "CLOSEKNIT_LOG_LEVEL=warn", "HTTP_ADDR=127.0.0.1:0")
	return cmd
}

// stopChild asks a child to stop (SIGTERM) and kills it after 10 s.
func stopChild(cmd *exec.Cmd) {
	cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		cmd.Process.Kill()
	}
}
