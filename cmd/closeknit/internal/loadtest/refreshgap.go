package loadtest

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/closeknit/closeknit/slackapp/slacktest"
)

// refreshGrace is how long the load test's emulator keeps the old
// connection of a refresh open: Slack closes it ~10 s after a warning.
const refreshGrace = 10 * time.Second

// refreshDuring makes srv send refresh_requested every d until ctx ends,
// and returns a function that reports when it did.
func refreshDuring(ctx context.Context, srv *slacktest.Server, d time.Duration) func() []time.Time {
	var mu sync.Mutex
	var at []time.Time
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(d)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case now := <-t.C:
				srv.Disconnect("refresh_requested")
				mu.Lock()
				at = append(at, now)
				mu.Unlock()
			}
		}
	}()
	return func() []time.Time {
		mu.Lock()
		defer mu.Unlock()
		return slices.Clone(at)
	}
}

// The ack rate is measured in windows of gapWindow; a window counts as
// around a refresh if it starts within [r-gapBefore, r+gapAfter].
const (
	gapWindow = 100 * time.Millisecond
	gapBefore = 200 * time.Millisecond
	gapAfter  = time.Second
)

// refreshGap is the ack rate over a burst with refreshes in it.
type refreshGap struct {
	steady  float64         // events/s: median of the full windows away from any refresh
	floor   float64         // events/s: the lowest of those windows (the noise without refreshes)
	lowest  []float64       // events/s: per refresh, the lowest window around it
	longest []time.Duration // per refresh, the longest pause between acks around it
}

// refreshGaps measures the ack rate around each refresh. acks are the ack
// times in order and refreshes the refresh times, both since the burst
// started. Refreshes after the last ack are left out.
func refreshGaps(acks, refreshes []time.Duration) refreshGap {
	var g refreshGap
	if len(acks) == 0 {
		return g
	}
	end := acks[len(acks)-1]
	counts := make([]int, end/gapWindow+1)
	for _, a := range acks {
		counts[a/gapWindow]++
	}
	rate := func(i int) float64 { return float64(counts[i]) / gapWindow.Seconds() }
	near := func(i int) bool {
		start := time.Duration(i) * gapWindow
		for _, r := range refreshes {
			if start >= r-gapBefore && start <= r+gapAfter {
				return true
			}
		}
		return false
	}
	var steady []float64
	for i := 1; i < len(counts)-1; i++ { // the first and last windows are partial
		if !near(i) {
			steady = append(steady, rate(i))
		}
	}
	if len(steady) > 0 {
		slices.Sort(steady)
		g.steady, g.floor = steady[len(steady)/2], steady[0]
	}
	for _, r := range refreshes {
		if r > end {
			continue
		}
		low := -1.0
		for i := max(0, int((r-gapBefore)/gapWindow)); i < len(counts)-1 && time.Duration(i)*gapWindow <= r+gapAfter; i++ {
			if low < 0 || rate(i) < low {
				low = rate(i)
			}
		}
		var longest time.Duration
		for j := 1; j < len(acks); j++ {
			if acks[j] >= r-gapBefore && acks[j-1] <= r+gapAfter {
				longest = max(longest, acks[j]-acks[j-1])
			}
		}
		g.lowest = append(g.lowest, max(low, 0))
		g.longest = append(g.longest, longest)
	}
	return g
}

func (g refreshGap) String() string {
	if len(g.lowest) == 0 {
		return "no refresh during the burst"
	}
	var low, pause []string
	worst := g.lowest[0]
	for i := range g.lowest {
		low = append(low, fmt.Sprintf("%.0f", g.lowest[i]))
		pause = append(pause, g.longest[i].Round(time.Millisecond).String())
		worst = min(worst, g.lowest[i])
	}
	pct := 0.0
	if g.steady > 0 {
		pct = 100 * worst / g.steady
	}
	return fmt.Sprintf("steady %.0f events/s (median 100 ms window away from refreshes, lowest of those %.0f); lowest 100 ms window around each of %d refreshes: %s events/s (worst %.0f%% of steady); longest pause between acks around each: %s",
		g.steady, g.floor, len(g.lowest), strings.Join(low, ", "), pct, strings.Join(pause, ", "))
}
