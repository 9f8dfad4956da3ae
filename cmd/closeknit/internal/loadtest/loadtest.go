// Package loadtest is `closeknit loadtest`: it measures the ingest path of
// a separate `closeknit serve` process (and, to compare, an earlier build
// or the Node peer) against the built-in emulator and a real Redis; with
// --soak it hands over to package soak.
package loadtest

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"text/tabwriter"
	"time"

	"github.com/closeknit/closeknit/cmd/closeknit/internal/child"
	"github.com/closeknit/closeknit/cmd/closeknit/internal/redisconn"
	"github.com/closeknit/closeknit/cmd/closeknit/internal/scrape"
	"github.com/closeknit/closeknit/cmd/closeknit/internal/sim"
	"github.com/closeknit/closeknit/cmd/closeknit/internal/soak"
	"github.com/closeknit/closeknit/engagement"
	"github.com/closeknit/closeknit/slackapp/slacktest"
	"github.com/redis/go-redis/v9"
)

// Run measures the ingest path the way the brief's peer was measured:
// the built-in emulator pushes a burst of message envelopes (rich_text
// blocks, at most --inflight un-acked) at a separate `closeknit serve`
// process counting into a real Redis, and the Node peer gets the same burst
// in the same run. CPU is the app process's own (user+sys from /proc), so
// the emulator's work is not charged to it.
func Run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("loadtest", flag.ContinueOnError)
	fs.SetOutput(stderr)
	events := fs.Int("events", 100000, "message envelopes in the measured burst")
	warmup := fs.Int("warmup", 5000, "envelopes sent first and not measured")
	inflight := fs.Int("inflight", 64, "most envelopes un-acked at once")
	flood := fs.Int("privacy-flood", 0, "during the burst, one member also sends this many `/closeknit privacy` (each scans the namespace)")
	rounds := fs.Int("rounds", 1, "measured bursts per implementation; the table shows each")
	redisURL := fs.String("redis-url", cmp.Or(getenv("REDIS_URL"), "redis://127.0.0.1:6379/0"), "a real Redis `URL` (REDIS_URL)")
	peer := fs.String("peer", "", "also run the Node Socket Mode peer from this `dir` (the repository's is bench/node-peer)")
	baseline := fs.String("baseline", "", "also run this other closeknit `binary` (e.g. built from an earlier commit), for a before/after in one run")
	soakFor := fs.Duration("soak", 0, "instead of a burst, send at --rate for this `long` and report memory and goroutines over time (e.g. 10m)")
	rate := fs.Int("rate", 2000, "with --soak: envelopes per second")
	sample := fs.Duration("sample", 30*time.Second, "with --soak: how often to sample the app")
	refreshEvery := fs.Duration("refresh-every", 0, "during the measured burst, have the emulator send refresh_requested this `often` (e.g. 2s) and report the ack rate around each refresh")
	if err := fs.Parse(args); err != nil {
		return err
	}
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	rdb, err := redisconn.Open(ctx, *redisURL)
	if err != nil {
		return err
	}
	defer rdb.Close()
	if *soakFor > 0 {
		if *rate < 1 || *sample <= 0 {
			return errors.New("loadtest: --soak needs --rate ≥ 1 and a positive --sample")
		}
		return soak.Run(ctx, soak.Config{Duration: *soakFor, Sample: *sample, Rate: *rate, Inflight: *inflight, RedisURL: *redisURL}, exe, rdb, stdout)
	}

	type impl struct {
		name  string
		start func(srv *slacktest.Server, ns string) (*exec.Cmd, error)
		count func(ns string) (int64, error) // messages counted, read from Redis
	}
	week := engagement.WeekOf(time.Now(), time.UTC)
	impls := []impl{{
		name: "closeknit (Go)",
		start: func(srv *slacktest.Server, ns string) (*exec.Cmd, error) {
			return child.ServeCommand(ctx, exe, srv, *redisURL, ns), nil
		},
		count: func(ns string) (int64, error) {
			return child.Counted(ctx, rdb, ns, week)
		},
	}}
	if *baseline != "" {
		bin, err := filepath.Abs(*baseline)
		if err != nil {
			return err
		}
		impls = append(impls, impl{
			name: "closeknit baseline",
			start: func(srv *slacktest.Server, ns string) (*exec.Cmd, error) {
				return child.ServeCommand(ctx, bin, srv, *redisURL, ns), nil
			},
			count: impls[0].count,
		})
	}
	if *peer != "" {
		dir, err := preparePeer(ctx, *peer, stderr)
		if err != nil {
			return err
		}
		impls = append(impls, impl{
			name: "Node @slack/socket-mode peer",
			start: func(srv *slacktest.Server, ns string) (*exec.Cmd, error) {
				cmd := exec.CommandContext(ctx, "node", "peer.js")
				cmd.Dir = dir
				cmd.Env = append(os.Environ(),
					"SLACK_APP_TOKEN="+srv.AppToken, "SLACK_BOT_TOKEN="+srv.BotToken, "SLACK_API_URL="+srv.APIURL(),
					"REDIS_URL="+*redisURL, "ENG_PREFIX="+ns+":")
				return cmd, nil
			},
			count: func(ns string) (int64, error) {
				return rdb.Get(ctx, ns+":w:"+isoWeekUTC(time.Now())+":messages").Int64()
			},
		})
	}

	fmt.Fprintf(stdout, "loadtest: %d message envelopes with rich_text blocks, at most %d un-acked, Redis %s, %d CPUs\n\n",
		*events, *inflight, redisconn.Redacted(*redisURL), runtime.NumCPU())
	var gaps []string
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "implementation\tround\tevents\telapsed\tevents/s\tCPU µs/event\tRedis µs/event\tRedis cmds/event\tRedis CPU µs/event\tack p50\tack p99\tack max\tallocs/event\tcounted\t")
	// Rounds alternate between the implementations, so that a machine
	// whose speed drifts during the run treats them alike.
	for round := 1; round <= *rounds; round++ {
		for _, im := range impls {
			res, err := measure(ctx, im.start, im.count, rdb, *events, *warmup, *inflight, *refreshEvery, *flood)
			if err != nil {
				return fmt.Errorf("%s: %w", im.name, err)
			}
			allocs := "-"
			if res.allocs >= 0 {
				allocs = fmt.Sprintf("%.1f", res.allocs)
			}
			fmt.Fprintf(tw, "%s\t%d\t%d\t%v\t%.0f\t%.1f\t%.1f\t%.1f\t%.1f\t%v\t%v\t%v\t%s\t%s\t\n", im.name, round, *events,
				res.elapsed.Round(time.Millisecond), res.rate, res.cpuPerEvent, res.redisPerEvent, res.redisCmdsPerEvent, res.redisCPUPerEvent,
				res.p50.Round(time.Microsecond), res.p99.Round(time.Microsecond), res.max.Round(time.Microsecond),
				allocs, res.counted)
			if res.refresh != "" {
				gaps = append(gaps, fmt.Sprintf("%s, round %d: %s", im.name, round, res.refresh))
			}
		}
	}
	tw.Flush()
	if len(gaps) > 0 {
		fmt.Fprintf(stdout, "\nrefresh_requested every %v during the burst (the old connection closes %v after it):\n", *refreshEvery, refreshGrace)
		for _, g := range gaps {
			fmt.Fprintln(stdout, "  "+g)
		}
	}
	fmt.Fprintln(stdout, "\nCPU is the app process's user+sys time from /proc during the measured burst, divided by its events;")
	fmt.Fprintln(stdout, "Redis µs/event: INFO commandstats usec of script calls (EVALSHA & co., which include the commands they run), summed over masters;")
	fmt.Fprintln(stdout, "Redis cmds/event: the commands Redis ran, inside scripts or not (commandstats calls);")
	fmt.Fprintln(stdout, "Redis CPU µs/event: the Redis main thread's user+sys CPU (INFO cpu), network included. Both count everything Redis did meanwhile.")
	fmt.Fprintln(stdout, "ack latency runs from the emulator writing an envelope to reading its ack. allocs/event: Go heap allocations (go_memstats_mallocs_total).")
	return nil
}

type measurement struct {
	elapsed           time.Duration
	rate, cpuPerEvent float64
	// Redis's work per event during the burst: script time from
	// commandstats, and its main thread's CPU.
	redisPerEvent, redisCmdsPerEvent, redisCPUPerEvent float64
	p50, p99, max                                      time.Duration
	allocs                                             float64
	counted                                            string
	refresh                                            string // the ack rate around refreshes, with --refresh-every
}

// measure runs one implementation: start it against a fresh emulator, warm
// it up, then time the burst and read its CPU and the counts in Redis.
func measure(ctx context.Context, start func(*slacktest.Server, string) (*exec.Cmd, error), count func(string) (int64, error),
	rdb redis.UniversalClient, events, warmup, inflight int, refreshEvery time.Duration, flood int) (*measurement, error) {
	srv := &slacktest.Server{PingInterval: 5 * time.Second, RetrySchedule: []time.Duration{}, DisconnectGrace: refreshGrace}
	if err := srv.Start(); err != nil {
		return nil, err
	}
	defer srv.Close()
	ns := fmt.Sprintf("loadtest-%d-%d", os.Getpid(), time.Now().UnixNano())
	defer child.CleanNamespace(rdb, ns)

	cmd, err := start(srv, ns)
	if err != nil {
		return nil, err
	}
	proc, err := child.Start(ctx, cmd, srv)
	if err != nil {
		return nil, err
	}
	defer proc.Stop()

	frames, ids := sim.LoadMessages(srv, child.Channel, warmup+events)
	if warmup > 0 {
		if _, err := srv.Burst(ctx, frames[:warmup], ids[:warmup], inflight); err != nil {
			return nil, fmt.Errorf("warm-up: %w", err)
		}
	}
	before, err := readUsage(ctx, proc, rdb)
	if err != nil {
		return nil, err
	}
	bctx, refreshes := ctx, func() []time.Time { return nil }
	if refreshEvery > 0 {
		// Burst frames are never redelivered: one lost across a refresh
		// would stall the burst, so it gets a deadline.
		var cancel context.CancelFunc
		bctx, cancel = context.WithTimeout(ctx, 5*time.Minute)
		defer cancel()
		refreshes = refreshDuring(bctx, srv, refreshEvery)
	}
	floodIDs := privacyFlood(srv, flood)
	res, err := srv.Burst(bctx, frames[warmup:], ids[warmup:], inflight)
	if err != nil {
		return nil, fmt.Errorf("%w (%d of %d acked)", err, res.Acked, events)
	}
	if len(floodIDs) > 0 {
		fctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		for _, id := range floodIDs {
			if err := srv.WaitAcked(fctx, id); err != nil {
				return nil, fmt.Errorf("privacy flood: a command was not answered: %w", err)
			}
		}
	}
	after, err := readUsage(ctx, proc, rdb)
	if err != nil {
		return nil, err
	}
	work := after.redis.Sub(before.redis)
	if res.Acked != events {
		return nil, fmt.Errorf("only %d of %d acked", res.Acked, events)
	}
	lat := slices.Clone(res.AckLatencies)
	slices.Sort(lat)
	m := &measurement{
		elapsed:           res.Elapsed,
		rate:              float64(events) / res.Elapsed.Seconds(),
		cpuPerEvent:       float64((after.cpu - before.cpu).Microseconds()) / float64(events),
		p50:               lat[len(lat)/2],
		p99:               lat[len(lat)*99/100],
		max:               lat[len(lat)-1],
		allocs:            -1,
		redisPerEvent:     work.ScriptUsec / float64(events),
		redisCPUPerEvent:  work.CPUUsec / float64(events),
		redisCmdsPerEvent: work.Commands / float64(events),
	}
	if before.mallocs >= 0 && after.mallocs >= 0 {
		m.allocs = (after.mallocs - before.mallocs) / float64(events)
	}
	if rs := refreshes(); len(rs) > 0 {
		at := make([]time.Duration, len(rs))
		for i, r := range rs {
			at[i] = r.Sub(res.Start)
		}
		m.refresh = refreshGaps(res.AckTimes, at).String()
	}
	if n, err := count(ns); err != nil {
		m.counted = "error: " + err.Error()
	} else if n == int64(warmup+events) {
		m.counted = fmt.Sprintf("%d ✓", n)
	} else {
		m.counted = fmt.Sprintf("%d ✗ (want %d)", n, warmup+events)
	}
	return m, nil
}

// privacyFlood sends n `/closeknit privacy` commands from one member, as
// fast as the socket takes them, and returns their envelope IDs.
func privacyFlood(srv *slacktest.Server, n int) []string {
	ids := make([]string, 0, n)
	for range n {
		env := srv.SlashCommand(map[string]any{"token": "x", "team_id": srv.TeamID, "channel_id": child.Channel, "user_id": "U0FLOOD001",
			"command": "/closeknit", "text": "privacy", "trigger_id": "1.2.3"})
		if srv.SendEnvelope(env) == nil {
			ids = append(ids, env.ID)
		}
	}
	return ids
}

// preparePeer copies the Node peer to a cache folder and installs its
// packages once (the shared copy may be read-only).
func preparePeer(ctx context.Context, src string, stderr io.Writer) (string, error) {
	if _, err := exec.LookPath("node"); err != nil {
		return "", errors.New("--peer: node is not installed")
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		cache = os.TempDir()
	}
	dst := filepath.Join(cache, "closeknit", "node-peer")
	if err := os.MkdirAll(dst, 0o755); err != nil {
		return "", err
	}
	names, err := filepath.Glob(filepath.Join(src, "*.js"))
	if err != nil {
		return "", err
	}
	names = append(names, filepath.Join(src, "package.json"), filepath.Join(src, "package-lock.json"))
	changed := false
	for _, name := range names {
		b, err := os.ReadFile(name)
		if err != nil {
			return "", fmt.Errorf("--peer: %w", err)
		}
		to := filepath.Join(dst, filepath.Base(name))
		if old, err := os.ReadFile(to); err == nil && string(old) == string(b) {
			continue
		}
		changed = true
		if err := os.WriteFile(to, b, 0o644); err != nil {
			return "", err
		}
	}
	// A different peer (or a new lockfile) gets its own packages.
	if _, err := os.Stat(filepath.Join(dst, "node_modules", "@slack", "socket-mode")); err != nil || changed {
		fmt.Fprintf(stderr, "loadtest: installing the Node peer's packages in %s (npm ci)\n", dst)
		cmd := exec.CommandContext(ctx, "npm", "ci", "--no-audit", "--no-fund")
		cmd.Dir, cmd.Stdout, cmd.Stderr = dst, stderr, stderr
		if err := cmd.Run(); err != nil {
			return "", fmt.Errorf("--peer: npm ci: %w", err)
		}
	}
	return dst, nil
}

// isoWeekUTC formats a week the way the Node peer names its keys.
func isoWeekUTC(t time.Time) string { return engagement.WeekOf(t, time.UTC).String() }

// usage is what measure reads of the child and of Redis before and after
// the burst.
type usage struct {
	cpu     time.Duration
	mallocs float64 // go_memstats_mallocs_total, or -1 if the child has no metrics
	redis   engagement.RedisWork
}

func readUsage(ctx context.Context, proc *child.Process, rdb redis.UniversalClient) (usage, error) {
	u := usage{mallocs: -1}
	var err error
	if u.cpu, err = proc.CPU(); err != nil {
		return u, err
	}
	if url := proc.MetricsURL(); url != "" {
		if m, err := scrape.Get(ctx, url, "go_memstats_mallocs_total"); err == nil && m.Has("go_memstats_mallocs_total") {
			u.mallocs = m.Sum("go_memstats_mallocs_total")
		}
	}
	if u.redis, err = engagement.ReadRedisWork(ctx, rdb); err != nil {
		return u, fmt.Errorf("redis INFO: %w", err)
	}
	return u, nil
}
