package slacktest

import (
	"context"
	"errors"
	"slices"
	"time"
)

// BurstResult reports one Burst.
type BurstResult struct {
	// Sent is the number of frames handed to a connection or queued.
	Sent int
	// Acked is the number of those frames acked before Burst returned.
	Acked int
	// Elapsed runs from the first send to the last ack (or to giving up).
	Elapsed time.Duration
	// AckLatencies holds, in ack order, the time from handing each acked
	// frame to a connection's writer to receiving its ack.
	AckLatencies []time.Duration
	// Start is when the first frame was sent; AckTimes holds, in ack
	// order, when each ack arrived, as time since Start.
	Start    time.Time
	AckTimes []time.Duration
}

// burstRun is the state of one Burst call, guarded by Server.mu except for
// the semaphore.
type burstRun struct {
	sem       chan struct{} // one token per un-acked frame
	total     int
	acked     int
	latencies []time.Duration
	start     time.Time
	ackTimes  []time.Duration
	done      chan struct{} // closed when every frame is acked
}

// burstFrame is an in-flight Burst frame.
type burstFrame struct {
	run  *burstRun
	sent time.Time // zero while queued for want of a connection
}

func (b *burstRun) ackedLocked(now time.Time, latency time.Duration) {
	b.latencies = append(b.latencies, latency)
	b.ackTimes = append(b.ackTimes, now.Sub(b.start))
	b.acked++
	select {
	case <-b.sem:
	default:
	}
	if b.acked == b.total {
		close(b.done)
	}
}

// Burst pushes pre-serialized envelopes over the live connections (queued
// until one connects) with at most maxInflight of them un-acked at a time,
// and returns when all are acked, ctx is done or the server closes. ids[i]
// must be the envelope_id of frames[i], and ids must be unique. maxInflight
// <= 0 means no limit.
//
// Burst is the load-generation fast path used by benchmarks and the
// loadtest command: its frames are not parsed, not tracked by Acked or
// WaitAllAcked and never redelivered, and their acks are matched by a byte
// scan, so the emulator's own CPU use stays small next to the app's.
func (s *Server) Burst(ctx context.Context, frames [][]byte, ids []string, maxInflight int) (BurstResult, error) {
	if len(frames) != len(ids) {
		return BurstResult{}, errors.New("slacktest: Burst: frames and ids differ in length")
	}
	if maxInflight <= 0 || maxInflight > len(frames) {
		maxInflight = max(len(frames), 1)
	}
	b := &burstRun{
		sem:       make(chan struct{}, maxInflight),
		total:     len(frames),
		latencies: make([]time.Duration, 0, len(frames)),
		ackTimes:  make([]time.Duration, 0, len(frames)),
		done:      make(chan struct{}),
	}
	if len(frames) == 0 {
		return BurstResult{}, nil
	}
	s.mu.Lock()
	closed := s.closed || !s.started
	quit := s.quit
	s.mu.Unlock()
	if closed {
		return BurstResult{}, ErrClosed
	}

	start := time.Now()
	s.mu.Lock()
	b.start = start
	s.mu.Unlock()
	sent := 0
	var err error
send:
	for sent < len(frames) {
		select {
		case b.sem <- struct{}{}:
		case <-ctx.Done():
			err = ctx.Err()
			break send
		case <-quit:
			err = ErrClosed
			break send
		}
		// Take every other free slot too, so that one lock round delivers
		// a whole batch.
		n := 1
	more:
		for sent+n < len(frames) {
			select {
			case b.sem <- struct{}{}:
				n++
			default:
				break more
			}
		}
		s.mu.Lock()
		for i := sent; i < sent+n; i++ {
			s.bursts[ids[i]] = burstFrame{run: b}
			s.deliverLocked(outFrame{data: frames[i], burst: true, id: ids[i]})
		}
		s.mu.Unlock()
		sent += n
	}
	if err == nil {
		select {
		case <-b.done:
		case <-ctx.Done():
			err = ctx.Err()
		case <-quit:
			err = ErrClosed
		}
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	for _, id := range ids[:sent] {
		if bf, ok := s.bursts[id]; ok && bf.run == b {
			delete(s.bursts, id)
		}
	}
	return BurstResult{
		Sent:         sent,
		Acked:        b.acked,
		Elapsed:      time.Since(start),
		AckLatencies: slices.Clone(b.latencies),
		Start:        start,
		AckTimes:     slices.Clone(b.ackTimes),
	}, err
}
