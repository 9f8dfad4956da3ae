package slackapp

import (
	"cmp"
	"context"
	"errors"
	"strings"
	"sync"
	"time"

	"github.com/closeknit/closeknit/engagement"
	"github.com/closeknit/closeknit/slackapp/socketmode"
	"github.com/slack-go/slack"
	"github.com/tidwall/gjson"
)

// item is one events_api envelope on its way to a worker: either an event
// to record, or an envelope that only needs its ack (ignored or rejected).
type item struct {
	envelopeID string
	received   time.Time
	count      bool
	event      engagement.Event
	outcome    outcome // when !count
	retry      bool    // retry_attempt > 0
}

// maxBatch bounds how many envelopes one Redis round trip carries.
const maxBatch = 128

// handOverSize is the most envelopes the reader collects before handing
// them to a worker even though more are already received. Handing over
// per network read alone made one worker take a whole window of 64 while
// the other idled; per socketmode.Envelope cost a wake-up each. Measured on 2 cores
// (closeknit loadtest): 8 -> ~48k/s, 16 -> ~59k/s, 32 -> ~64k/s.
const handOverSize = 32

// dispatch runs on the socket's read goroutine for every data frame. It
// must never block: events go to the bounded queue (or are shed, un-acked,
// for Slack to redeliver), commands and interactions to their own goroutine.
//
// env's strings point into the socket's read buffer, which the next frame
// overwrites. An event keeps its own copy of the few strings it needs
// (item.detach); every other envelope is rare and copied whole, so that
// its goroutine, its log lines and its metric labels own what they hold.
func (a *App) dispatch(env socketmode.Envelope, err error) {
	now := time.Now()
	a.m.lastEnvelope.Store(now.UnixNano())
	if err != nil || env.ID == "" || env.Type != "events_api" {
		env = env.Clone()
	}
	switch {
	case errors.Is(err, socketmode.ErrFrameTooBig):
		// Read to its end and discarded. Ack it when its ID was found, so
		// that Slack does not send it three more times: it would not fit
		// any better then.
		// Slack puts "type" after the payload, beyond the head kept.
		a.log.Error("rejected frame over the read limit", "envelope_id", env.ID, "envelope_type", env.Type)
		typ := cmp.Or(env.Type, "unknown")
		if env.ID != "" {
			a.ackNow(typ, outRejected, socketmode.Ack{EnvelopeID: env.ID}, now)
		} else {
			a.m.envelope(typ, outRejected)
		}
		return
	case err != nil || env.ID == "":
		// Without an envelope_id there is nothing to ack: Slack would
		// redeliver a real socketmode.Envelope, so this is junk. Never log content.
		a.m.envelope(env.Type, outRejected)
		a.log.Warn("rejected malformed frame", "envelope_type", env.Type, "err", errOr(err, "no envelope_id"))
		return
	case env.Type == "events_api":
		it := a.eventItem(env)
		it.received = now
		it.detach()
		a.pending = append(a.pending, it)
		if len(a.pending) >= handOverSize {
			a.handOver()
		}
	case env.Type == "slash_commands" || env.Type == "interactive":
		// Slash commands are limited per person: one person's burst (40
		// /closeknit privacy in a row) must not take the slots everyone's
		// commands share; past the limit they are answered at once.
		// Interactions are not (a modal's ack cannot be a message).
		person := ""
		if env.Type == "slash_commands" {
			person = gjson.Get(env.Payload, "user_id").String()
		}
		if !a.inFlight.claim(person) {
			a.ackNow(env.Type, outHandled, socketmode.Ack{EnvelopeID: env.ID, Payload: &slack.Msg{ResponseType: slack.ResponseTypeEphemeral,
				Text: "One moment: I am still answering your previous commands."}}, now)
			return
		}
		if !a.run.Go(func() { defer a.inFlight.release(person); a.handleInteractive(env, now) }) {
			a.inFlight.release(person)
			a.m.envelope(env.Type, outShed)
			a.log.Warn("too many commands in flight; dropping", "envelope_id", env.ID)
		}
	default:
		// An envelope type this app does not know: ack it so it is not
		// redelivered forever, and count it.
		a.ackNow(env.Type, outRejected, socketmode.Ack{EnvelopeID: env.ID}, now)
		a.log.Warn("rejected unknown envelope type", "envelope_id", env.ID, "envelope_type", env.Type)
	}
}

// perPerson counts each person's commands and interactions in flight, so
// that no one person holds more than perPersonInFlight of the shared slots.
type perPerson struct {
	mu sync.Mutex
	n  map[string]int
}

const perPersonInFlight = 4

func (p *perPerson) claim(person string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.n == nil {
		p.n = map[string]int{}
	}
	if person != "" && p.n[person] >= perPersonInFlight {
		return false
	}
	p.n[person]++
	return true
}

func (p *perPerson) release(person string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.n[person]--; p.n[person] <= 0 {
		delete(p.n, person)
	}
}

// pool runs slow work after the ack: at most cap(sem) tasks at once, and
// up to cap(queue) more waiting their turn, so that a burst (hundreds of
// people pressing Claim at once; interactions are never redelivered) is
// worked through rather than dropped. Go reports false, without running
// fn, only when the queue is full too. Wait waits for every task, running
// or queued. It is the feature.Runner that feature packages receive.
type pool struct {
	sem   chan struct{}
	queue chan func()
	wg    sync.WaitGroup
}

func newPool(workers, queued int) *pool {
	return &pool{sem: make(chan struct{}, workers), queue: make(chan func(), queued)}
}

func (p *pool) Go(fn func()) bool {
	p.wg.Add(1)
	select {
	case p.queue <- fn:
	default:
		p.wg.Done()
		return false
	}
	select {
	case p.sem <- struct{}{}:
		go p.work()
	default: // every worker is busy; one of them takes fn when done
	}
	return true
}

// work runs queued tasks until the queue is empty. After giving up its
// slot it looks once more: a task queued while every slot was taken must
// not be left behind by the last worker to leave.
func (p *pool) work() {
	for {
		for drained := false; !drained; {
			select {
			case fn := <-p.queue:
				p.run(fn)
			default:
				drained = true
			}
		}
		<-p.sem
		if len(p.queue) == 0 {
			return
		}
		select {
		case p.sem <- struct{}{}:
		default:
			return // another worker is on it
		}
	}
}

func (p *pool) run(fn func()) {
	defer p.wg.Done()
	fn()
}

// Track runs fn on a goroutine of its own outside the bound (its caller
// bounds it), still waited for by Wait.
func (p *pool) Track(fn func()) { p.wg.Go(fn) }

func (p *pool) Wait() { p.wg.Wait() }

// handOver gives the envelopes read so far to the workers as one batch. It
// runs on the read goroutine whenever the socket is about to read from the
// network again, so a burst that arrived together is recorded together.
// If every worker is busy and the queue is full, the batch is shed: left
// un-acked for Slack to redeliver, never blocking the read loop.
func (a *App) handOver() {
	if len(a.pending) == 0 {
		return
	}
	select {
	case a.queue <- a.pending:
	default:
		for range a.pending {
			a.m.envelope("events_api", outShed)
		}
		a.log.Warn("event queue full; leaving envelopes for redelivery", "count", len(a.pending))
	}
	a.pending = make([]item, 0, 16)
}

// detach copies the strings the item keeps, which point into the read
// buffer, into one allocation of their own (a few dozen bytes, where
// keeping the frame held a kilobyte until the ack).
func (it *item) detach() {
	e := &it.event
	kept := [...]*string{&it.envelopeID, &e.ID, &e.User, &e.TS, &e.ThreadTS, &e.ParentUser, &e.ItemTS, &e.ItemUser, &e.Reaction}
	n := 0
	for _, p := range kept {
		n += len(*p)
	}
	var b strings.Builder
	b.Grow(n)
	for _, p := range kept {
		b.WriteString(*p)
	}
	all := b.String()
	for _, p := range kept {
		*p, all = all[:len(*p)], all[len(*p):]
	}
}

// eventItem classifies an events_api envelope.
func (a *App) eventItem(env socketmode.Envelope) item {
	it := item{envelopeID: env.ID, retry: env.RetryAttempt > 0}
	ev := parseEvent(env.Payload)
	h, known := a.events[ev.Type]
	switch {
	case ev.EventID == "" || ev.Type == "":
		it.outcome = outRejected
		a.log.Warn("rejected event without event_id or type", "envelope_id", env.ID)
	case !known:
		it.outcome = outRejected
		a.log.Warn("rejected unknown event type", "envelope_id", env.ID, "event_type", ev.Type)
	default:
		e, o, err := h(a, &ev)
		switch {
		case err != nil:
			it.outcome = outRejected
			a.log.Warn("rejected event", "envelope_id", env.ID, "event_id", ev.EventID, "event_type", ev.Type, "err", err)
		case o == outCounted:
			it.count, it.event = true, e
		default:
			it.outcome = o
		}
	}
	return it
}

// worker takes whatever batches are queued (about maxBatch envelopes),
// records them in one Redis round trip, and acks them in one write.
func (a *App) worker() {
	defer a.workers.Done()
	var batch []item
	for b := range a.queue {
		batch = append(batch[:0], b...)
	fill:
		for len(batch) < maxBatch {
			select {
			case b, ok := <-a.queue:
				if !ok {
					break fill
				}
				batch = append(batch, b...)
			default:
				break fill
			}
		}
		a.process(batch)
	}
}

// process records a batch and acks what is durable. Redis errors are
// retried within the retry budget; what still fails is left un-acked, and
// Slack's redelivery plus the dedupe marker make that safe.
func (a *App) process(batch []item) {
	events := make([]engagement.Event, 0, len(batch))
	idx := make([]int, 0, len(batch))
	for i := range batch {
		if batch[i].count {
			events = append(events, batch[i].event)
			idx = append(idx, i)
		}
	}
	outcomes := make([]outcome, len(batch))
	for i := range batch {
		outcomes[i] = batch[i].outcome
	}
	if len(events) > 0 {
		a.record(events, idx, outcomes)
	}
	acks := make([]socketmode.Ack, 0, len(batch))
	for i, it := range batch {
		a.m.envelope("events_api", outcomes[i]) // before the ack: whoever sees the ack sees the count
		if outcomes[i] != outFailed {
			acks = append(acks, socketmode.Ack{EnvelopeID: it.envelopeID})
		}
	}
	if err := a.sock.SendAcks(acks); err != nil {
		// Slack redelivers what was not acked; the dedupe makes it harmless.
		a.log.Warn("acks not sent", "count", len(acks), "err", err)
	}
	now := time.Now()
	for i, it := range batch {
		if outcomes[i] != outFailed {
			a.m.ackLatency.Observe(now.Sub(it.received).Seconds())
		}
	}
}

// record writes events to Redis, retrying failures with backoff inside the
// retry budget, and fills in the outcome of each.
func (a *App) record(events []engagement.Event, idx []int, outcomes []outcome) {
	ctx, cancel := context.WithTimeout(context.Background(), a.cfg.RetryBudget)
	defer cancel()
	pending := make([]int, len(events)) // positions in events still to record
	for j := range pending {
		pending[j] = j
	}
	backoff := 25 * time.Millisecond
	var lastErr error
	for {
		sub := events
		if len(pending) < len(events) {
			sub = make([]engagement.Event, len(pending))
			for j, p := range pending {
				sub[j] = events[p]
			}
		}
		results, _ := a.store.Record(ctx, sub)
		var again []int
		for j, r := range results {
			p := pending[j]
			switch {
			case r.Err == nil && r.Outcome == engagement.Duplicate:
				outcomes[idx[p]] = outDuplicate
			case r.Err == nil:
				outcomes[idx[p]] = outCounted
				if r.Intro {
					a.members.Introduced(events[p].Community)
				}
			case errors.Is(r.Err, engagement.ErrInvalid):
				outcomes[idx[p]] = outRejected
				a.log.Warn("rejected event", "event_id", events[p].ID, "err", r.Err)
			default:
				lastErr = r.Err
				again = append(again, p)
			}
		}
		pending = again
		if len(pending) == 0 {
			return
		}
		select {
		case <-ctx.Done():
			for _, p := range pending {
				outcomes[idx[p]] = outFailed
			}
			a.log.Error("redis did not take events within the retry budget; leaving them for redelivery",
				"count", len(pending), "budget", a.cfg.RetryBudget, "err", lastErr)
			return
		case <-time.After(backoff):
			backoff = min(backoff*2, 400*time.Millisecond)
		}
	}
}

// ackNow acks a single envelope from a handler goroutine.
func (a *App) ackNow(typ string, o outcome, ak socketmode.Ack, received time.Time) {
	a.m.envelope(typ, o)
	if err := a.sock.SendAcks([]socketmode.Ack{ak}); err != nil {
		a.log.Warn("ack not sent", "envelope_id", ak.EnvelopeID, "err", err)
	}
	a.m.ackLatency.Observe(time.Since(received).Seconds())
}

func errOr(err error, msg string) string {
	if err != nil {
		return err.Error()
	}
	return msg
}
