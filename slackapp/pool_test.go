package slackapp

import (
	"sync"
	"sync/atomic"
	"testing"
)

// A burst larger than the workers is queued and worked through, never more
// than the workers at once; Go refuses only when the queue is full too,
// and Wait returns once every accepted task has run.
func TestPoolQueuesABurst(t *testing.T) {
	t.Parallel()
	const workers, queued = 4, 600
	p := newPool(workers, queued)
	release := make(chan struct{})
	var running, most, ran atomic.Int64
	task := func() {
		n := running.Add(1)
		for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
		}
		<-release
		running.Add(-1)
		ran.Add(1)
	}
	accepted := 0
	for range workers + queued + 50 {
		if p.Go(task) {
			accepted++
		}
	}
	// The queue's worth is accepted, plus the tasks the (blocked) workers
	// took off the queue by then, at most one each; the rest is refused.
	if accepted < queued || accepted > workers+queued {
		t.Fatalf("accepted %d of %d tasks; want %d to %d", accepted, workers+queued+50, queued, workers+queued)
	}
	close(release)
	p.Wait()
	if ran.Load() != int64(accepted) {
		t.Errorf("ran %d tasks, accepted %d", ran.Load(), accepted)
	}
	if most.Load() > workers {
		t.Errorf("%d tasks ran at once; want at most %d", most.Load(), workers)
	}
}

// Tasks queued from many goroutines while the workers come and go are all
// run: none is left behind by the last worker to leave.
func TestPoolLeavesNoTaskBehind(t *testing.T) {
	t.Parallel()
	p := newPool(2, 10_000)
	var ran atomic.Int64
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 1000 {
				for !p.Go(func() { ran.Add(1) }) {
				}
			}
		})
	}
	wg.Wait()
	p.Wait()
	if ran.Load() != 8000 {
		t.Errorf("ran %d of 8000 tasks", ran.Load())
	}
}
