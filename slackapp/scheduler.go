package slackapp

import (
	"context"
	"crypto/rand"
	"errors"
	"time"

	"github.com/closeknit/closeknit/engagement"
	"github.com/closeknit/closeknit/slackapp/feature"
)

// job is background work that runs every so often for each community, on
// one replica at a time: the scheduler takes a Redis lease per community and
// job before running it. Jobs are idempotent (they decide from Redis what is
// due and mark what they did), so a job that dies half-way is simply run
// again on the next tick, by whichever replica gets the lease.
type job struct {
	name  string
	every time.Duration
	run   feature.Job
	// atStart jobs run at every start of a replica too, whatever another
	// replica (or this one before a restart) did within the interval:
	// what changed while the app was down must be found now, not in 10 min.
	atStart bool
}

// schedule registers a job; call it from routes.
func (a *App) schedule(name string, every time.Duration, run feature.Job) {
	a.jobs = append(a.jobs, job{name: name, every: every, run: run})
}

// scheduleAtStart registers a job that also runs at every start.
func (a *App) scheduleAtStart(name string, every time.Duration, run feature.Job) {
	a.jobs = append(a.jobs, job{name: name, every: every, run: run, atStart: true})
}

// leaseTTL bounds how long one run of a job may take before another
// replica may start it again.
const leaseTTL = feature.JobRun

// runScheduler ticks every cfg.SchedulerTick until ctx is cancelled and
// runs each job that is due. The first tick is immediate, so work missed
// while the app was down (a digest, a closing prototype) is done at start.
func (a *App) runScheduler(ctx context.Context) {
	holder := rand.Text() // this replica
	last := map[string]time.Time{}
	started := map[string]bool{}
	t := time.NewTicker(a.cfg.SchedulerTick)
	defer t.Stop()
	for {
		a.refreshAllStaff(ctx) // before the jobs: the roster check needs the staff
		a.runDueJobs(ctx, holder, last, started)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// runDueJobs runs, for every community, the jobs whose interval has passed
// since they last ran here, and the start runs of atStart jobs not done yet
// (started, by job and community).
func (a *App) runDueJobs(ctx context.Context, holder string, last map[string]time.Time, started map[string]bool) {
	now := time.Now()
	for _, j := range a.jobs {
		due := last[j.name].IsZero() || now.Sub(last[j.name]) >= j.every
		if due {
			last[j.name] = now
		}
		for _, c := range a.cfg.Communities {
			if key := j.name + " " + c.ID; j.atStart && !started[key] {
				err := a.runJob(ctx, holder, j, c)
				if errors.Is(err, errLeaseBusy) {
					continue // another replica is running it: this replica's own run comes at a later tick
				}
				started[key] = true
				if err == nil {
					// Counts as this interval's run for the other replicas.
					if _, err := a.store.AcquireLease(ctx, c, "ran:"+j.name, holder, j.every); err != nil {
						a.log.Warn("scheduler: interval mark not taken", "job", j.name, "community", c.ID, "err", err)
					}
				}
				continue
			}
			if due {
				a.runOncePerInterval(ctx, holder, j, c)
			}
		}
	}
}

// errLeaseBusy is runJob's answer when another replica holds the job's
// lease, so the job did not run here.
var errLeaseBusy = errors.New("scheduler: another replica runs this job")

// runOncePerInterval runs j for c unless another replica already did in
// the job's interval. Each replica keeps its own clock of what is due, and
// the run lease is released after each run, so without this every replica
// would run a 10-minute job every 10 minutes. A second lease, "ran:<job>",
// taken for the interval and given back if the run fails, marks it done.
// Jobs due every tick (digest checks, prototype closing) skip the marker:
// they decide from Redis what is due.
func (a *App) runOncePerInterval(ctx context.Context, holder string, j job, c *engagement.Community) {
	if j.every <= a.cfg.SchedulerTick {
		a.runJob(ctx, holder, j, c)
		return
	}
	fresh, err := a.store.AcquireLease(ctx, c, "ran:"+j.name, holder, j.every)
	if err != nil {
		a.log.Warn("scheduler: interval mark not taken", "job", j.name, "community", c.ID, "err", err)
		return
	}
	if !fresh {
		return // another replica ran it within the interval
	}
	if err := a.runJob(ctx, holder, j, c); err != nil && !errors.Is(err, errLeaseBusy) {
		// Failed (or Redis failed): the next replica that finds it due runs it.
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
		defer cancel()
		if err := a.store.ReleaseLease(rctx, c, "ran:"+j.name, holder); err != nil {
			a.log.Warn("scheduler: interval mark not released", "job", j.name, "community", c.ID, "err", err)
		}
	}
}

// runJob runs j for c if it gets the lease, and returns the job's error.
func (a *App) runJob(ctx context.Context, holder string, j job, c *engagement.Community) error {
	ok, err := a.store.AcquireLease(ctx, c, "job:"+j.name, holder, leaseTTL)
	if err != nil {
		a.log.Warn("scheduler: lease not taken", "job", j.name, "community", c.ID, "err", err)
		return err
	}
	if !ok {
		return errLeaseBusy
	}
	defer func() {
		// Released even when ctx is done, so a restarting replica need not
		// wait for the lease to expire.
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
		defer cancel()
		if err := a.store.ReleaseLease(rctx, c, "job:"+j.name, holder); err != nil {
			a.log.Warn("scheduler: lease not released", "job", j.name, "community", c.ID, "err", err)
		}
	}()
	jctx, cancel := context.WithTimeout(ctx, leaseTTL)
	defer cancel()
	start := time.Now()
	err = j.run(jctx, c)
	a.m.jobRun(j.name, time.Since(start), err)
	if err != nil {
		a.log.Error("scheduled job failed", "job", j.name, "community", c.ID, "err", err)
	}
	return err
}
