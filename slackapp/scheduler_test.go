package slackapp_test

import (
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/closeknit/closeknit/engagement/redistest"
	"github.com/closeknit/closeknit/slackapp"
	"github.com/closeknit/closeknit/slackapp/slacktest"
)

// TestIntervalJobsRunOncePerIntervalAcrossReplicas runs two replicas with
// a fast scheduler tick. Both start with every job due; a job with an
// interval (nudges) must run once over both, not once per replica, while
// jobs due every tick (prototype closing) run on both, one at a time. The
// roster check also runs at every start: once per replica here.
func TestIntervalJobsRunOncePerIntervalAcrossReplicas(t *testing.T) {
	t.Parallel()
	srv := slacktest.NewServer(t)
	ns := fmt.Sprintf("cktest-app-%d-%d", os.Getpid(), nsSeq.Add(1))
	fast := func(c *slackapp.Config) { c.SchedulerTick = 20 * time.Millisecond }
	r1 := MustRunAppNS(t, srv, redistest.URL(), ns, fast)
	r2 := MustRunAppNS(t, srv, redistest.URL(), ns, fast)
	runs := func(ta *testApp, job string) float64 {
		return metricValue(t, ta, "closeknit_job_runs_total", "task="+job, "outcome=ok")
	}
	// Each replica's scheduler has ticked many times past its start.
	eventually(t, "both schedulers ticking", func() bool {
		return runs(r1, "prototypes") >= 10 && runs(r2, "prototypes") >= 10
	})
	for job, every := range map[string]time.Duration{"roster": 10 * time.Minute, "nudges": 15 * time.Minute} {
		want := 1.0
		if job == "roster" {
			want = 2 // at each replica's start, and not again within the interval
		}
		if got := runs(r1, job) + runs(r2, job); got != want {
			t.Errorf("%s ran %v times over two replicas, want %v", job, got, want)
		}
		if got := metricValue(t, r1, "closeknit_job_interval_seconds", "task="+job); got != every.Seconds() {
			t.Errorf("closeknit_job_interval_seconds{task=%s} = %v, want %v", job, got, every.Seconds())
		}
		ttl, err := r1.rdb.PTTL(ctxT(t), ns+":{acme}:lease:ran:"+job).Result()
		if err != nil || ttl < every-time.Minute || ttl > every {
			t.Errorf("%s interval mark TTL %v (%v), want about %v", job, ttl, err, every)
		}
	}
}

// TestStartRunWaitsForABusyLease starts a replica while another holds the
// roster check's lease (running its own check): the new replica's start
// run must come once the lease is free, not be skipped for the interval.
func TestStartRunWaitsForABusyLease(t *testing.T) {
	t.Parallel()
	srv := slacktest.NewServer(t)
	ns := fmt.Sprintf("cktest-app-%d-%d", os.Getpid(), nsSeq.Add(1))
	rdb := redistest.Client(t, redistest.URL())
	defer rdb.Close()
	lease := ns + ":{acme}:lease:job:roster"
	if err := rdb.Set(ctxT(t), lease, "another-replica", time.Minute).Err(); err != nil {
		t.Fatal(err)
	}
	fast := func(c *slackapp.Config) { c.SchedulerTick = 20 * time.Millisecond }
	r := MustRunAppNS(t, srv, redistest.URL(), ns, fast)
	runs := func(job string) float64 {
		return metricValue(t, r, "closeknit_job_runs_total", "task="+job, "outcome=ok")
	}
	eventually(t, "the scheduler ticking", func() bool { return runs("prototypes") >= 5 })
	if got := runs("roster"); got != 0 {
		t.Fatalf("roster ran %v times while another replica held its lease", got)
	}
	if err := rdb.Del(ctxT(t), lease).Err(); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the start run once the lease is free", func() bool { return runs("roster") == 1 })
}
