package slackapp_test

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/closeknit/closeknit/engagement"
	"github.com/closeknit/closeknit/engagement/redistest"
	"github.com/closeknit/closeknit/slackapp"
	"github.com/closeknit/closeknit/slackapp/slacktest"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"
)

// replica is one closeknit process of a digest test: replicas share the
// emulator and the Redis namespace, each has its own store, clock and
// metrics.
type replica struct {
	*slackapp.App
	store     *engagement.Store
	community *engagement.Community
	reg       *prometheus.Registry
	cancel    context.CancelFunc
	done      chan error
}

// digestEnv is a Redis namespace for replicas, cleaned up after the test.
type digestEnv struct {
	rdb redis.UniversalClient
	ns  string
	now func() time.Time
}

func newDigestEnv(tb testing.TB, now time.Time) *digestEnv {
	tb.Helper()
	rdb := redistest.Client(tb, redistest.URL())
	env := &digestEnv{rdb: rdb, ns: fmt.Sprintf("cktest-digest-%d-%d", os.Getpid(), nsSeq.Add(1)), now: func() time.Time { return now }}
	tb.Cleanup(func() {
		redistest.DeleteKeys(tb, rdb, env.ns+":*")
		rdb.Close()
	})
	return env
}

// community is the test community in zone tz, with a brand channel.
func (env *digestEnv) community(tb testing.TB, tz string) *engagement.Community {
	loc, err := time.LoadLocation(tz)
	if err != nil {
		tb.Fatal(err)
	}
	return &engagement.Community{ID: "acme", Channel: channel, Location: loc, Cap: 100, BrandChannel: brandChannel, Staff: []string{"U0STAFF0001"}}
}

func (env *digestEnv) store() *engagement.Store {
	return engagement.NewStore(env.rdb, engagement.Options{Namespace: env.ns, Now: env.now})
}

// start runs a replica until the end of the test (or stop).
func (env *digestEnv) start(tb testing.TB, srv *slacktest.Server, c *engagement.Community, mod func(*slackapp.Config)) *replica {
	tb.Helper()
	r := &replica{store: env.store(), community: c, reg: prometheus.NewRegistry(), done: make(chan error, 1)}
	cfg := slackapp.Config{
		AppToken: srv.AppToken, BotToken: srv.BotToken, APIURL: srv.APIURL(),
		Communities: []*engagement.Community{c}, RetryBudget: 500 * time.Millisecond,
		SchedulerTick: 10 * time.Millisecond,
	}
	if mod != nil {
		mod(&cfg)
	}
	declareChannels(srv, cfg)
	app, err := slackapp.New(cfg, r.store, nil, r.reg)
	if err != nil {
		tb.Fatal(err)
	}
	r.App = app
	ctx, cancel := context.WithCancel(context.Background())
	r.cancel = cancel
	go func() { r.done <- app.Run(ctx) }()
	tb.Cleanup(func() { r.stop(tb) })
	return r
}

func (r *replica) stop(tb testing.TB) {
	tb.Helper()
	if r.cancel == nil {
		return
	}
	r.cancel()
	r.cancel = nil
	select {
	case err := <-r.done:
		if err != nil {
			tb.Errorf("Run returned %v", err)
		}
	case <-time.After(10 * time.Second):
		tb.Errorf("Run did not return within 10s of cancel")
	}
}

// waitJobRuns waits until the digest job has run at least n more times on
// every replica: after that, anything the job was going to post is posted.
func waitJobRuns(tb testing.TB, n float64, rs ...*replica) {
	tb.Helper()
	waitTaskRuns(tb, "digest", n, rs...)
}

// waitTaskRuns is waitJobRuns for the job named task.
func waitTaskRuns(tb testing.TB, task string, n float64, rs ...*replica) {
	tb.Helper()
	runs := func(r *replica) float64 {
		return metric(tb, r.reg, "closeknit_job_runs_total", "task="+task, "outcome=ok") +
			metric(tb, r.reg, "closeknit_job_runs_total", "task="+task, "outcome=error")
	}
	start := make([]float64, len(rs))
	for i, r := range rs {
		start[i] = runs(r)
	}
	// Patient: under -race on a loaded machine a run (a chart drawn, a
	// Slack call retried) can take seconds; the wait ends as soon as the
	// runs are in.
	deadline := time.Now().Add(45 * time.Second)
	for i, r := range rs {
		for runs(r) < start[i]+n {
			if time.Now().After(deadline) {
				tb.Fatalf("%s job ran %v times on replica %d, want %v more", task, runs(r), i, n)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
}

// record writes events straight to the store, as ingest would have.
func (env *digestEnv) record(tb testing.TB, events ...engagement.Event) {
	tb.Helper()
	res, err := env.store().Record(context.Background(), events)
	if err != nil {
		tb.Fatal(err)
	}
	for i, r := range res {
		if r.Err != nil || r.Outcome != engagement.Counted {
			tb.Fatalf("event %d: %v %v", i, r.Outcome, r.Err)
		}
	}
}
