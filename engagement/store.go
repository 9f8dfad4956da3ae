package engagement

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
)

// Defaults for Options.
const (
	DefaultRetention = 53 * 7 * 24 * time.Hour
	DefaultDedupeTTL = 6 * time.Hour // Slack's last retry comes ~5 min after the event; keep well beyond
	DefaultNamespace = "closeknit"
)

// Options tune a Store. Zero values take the defaults above.
type Options struct {
	Namespace string           // first part of every key
	Retention time.Duration    // how long a week's keys live after the week ends
	DedupeTTL time.Duration    // how long an event_id is remembered (at least an hour)
	Now       func() time.Time // the clock; time.Now by default
	// Observe, if set, is called after each Redis round trip with the
	// operation's name, how long it took and its error; slackapp turns it
	// into metrics without this package knowing Prometheus.
	Observe func(op string, took time.Duration, err error)
}

// Store keeps the engagement data of any number of communities in Redis.
// It is safe for concurrent use.
type Store struct {
	rdb       redis.UniversalClient
	ns        string
	retention time.Duration
	// Script arguments that never change, boxed once: converting a string
	// to an interface allocates, and this runs for every event.
	dedupeTTL any
	dedupeFor time.Duration // the same, for the counting script's hourly dedupe hashes (keys.go)
	rxTTL     any
	now       func() time.Time
	observe   func(string, time.Duration, error)

	mu    sync.Mutex
	weeks map[*Community]*weekKeys // keys of the week each community last wrote

	protos protoState // prototype card index and feedback hook (feedback.go)
	// priorDrops caches each drop's earlier drops under the cooldown rule
	// (drop.go): d:<id> -> []string, fixed at the drop's creation.
	priorDrops sync.Map
	salts      salts // each community's pseudonym salt (privacy.go)

	thanksSeen func(community, via string) // told of each thanks counted (thanks.go)

	staleMember atomic.Int64 // member events ignored as older than what was known (members.go)

	// noLean sends every message in the full layout (messageBody), as
	// before the lean columns (scripts.go): TestLeanMatchesFull compares.
	noLean bool
}

// NewStore returns a Store on rdb. It does not contact Redis; call Ping or
// LoadScripts to check the connection.
func NewStore(rdb redis.UniversalClient, o Options) *Store {
	if o.Namespace == "" {
		o.Namespace = DefaultNamespace
	}
	if o.Retention <= 0 {
		o.Retention = DefaultRetention
	}
	if o.DedupeTTL < time.Hour {
		o.DedupeTTL = DefaultDedupeTTL
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Observe == nil {
		o.Observe = func(string, time.Duration, error) {}
	}
	return &Store{
		rdb:       rdb,
		ns:        o.Namespace,
		retention: o.Retention,
		dedupeTTL: any(strconv.Itoa(int(o.DedupeTTL / time.Second))),
		dedupeFor: o.DedupeTTL,
		// A reaction marker must outlive the week it points to, or a late
		// removal could not find the week to take the reaction off.
		rxTTL:   any(strconv.Itoa(int((o.Retention + 7*24*time.Hour) / time.Second))),
		now:     o.Now,
		observe: o.Observe,
		weeks:   map[*Community]*weekKeys{},
	}
}

// SetObserver replaces Options.Observe. Call it before the store is used.
func (s *Store) SetObserver(fn func(op string, took time.Duration, err error)) { s.observe = fn }

// Now returns the store's clock reading.
func (s *Store) Now() time.Time { return s.now() }

// Ping checks that Redis answers.
func (s *Store) Ping(ctx context.Context) error {
	start := time.Now()
	err := s.rdb.Ping(ctx).Err()
	s.observe("ping", time.Since(start), err)
	if err != nil {
		return fmt.Errorf("engagement: redis ping: %w", err)
	}
	return nil
}

// LoadScripts loads the Lua scripts so that batches can use EVALSHA. It is
// also done on demand after a Redis restart (NOSCRIPT).
func (s *Store) LoadScripts(ctx context.Context) error {
	for _, sc := range allScripts {
		if err := sc.Load(ctx, s.rdb).Err(); err != nil {
			return fmt.Errorf("engagement: load scripts: %w", err)
		}
	}
	for _, f := range features {
		for _, sc := range f.scripts {
			if err := sc.Load(ctx, s.rdb).Err(); err != nil {
				return fmt.Errorf("engagement: load scripts: %w", err)
			}
		}
	}
	return nil
}

// Result is the fate of one event of a batch: an Outcome, or an error. An
// error wrapping ErrInvalid means the event can never be recorded; any other
// error is Redis failing, and the event may be retried.
type Result struct {
	Outcome Outcome
	Intro   bool // a message that was the member's introduction
	Err     error
}

// Record records a batch of events, each atomically and at most once, in
// one pipelined round trip (two if the batch holds reaction removals).
// results[i] belongs to events[i]. It returns an error only if the batch
// as a whole could not reach Redis; results then hold that error too.
func (s *Store) Record(ctx context.Context, events []Event) ([]Result, error) {
	results := make([]Result, len(events))
	pending := make([]int, 0, len(events))
	for i := range events {
		if err := events[i].Validate(); err != nil {
			results[i].Err = err
			continue
		}
		pending = append(pending, i)
	}
	pending, copies := firstCopies(events, pending)
	// More passes only after reloading scripts (NOSCRIPT after a Redis
	// restart), for removals whose marker moved under them, or for lean
	// messages the script wants in the full layout (code 4, scripts.go).
	var err error
	var full map[int]bool
	for attempt := 0; attempt < 4 && len(pending) > 0; attempt++ {
		pending, err = s.record(ctx, events, results, pending, &full)
		if err != nil {
			break
		}
	}
	if err == nil && len(pending) > 0 {
		err = fmt.Errorf("engagement: record: %d events still contended", len(pending))
	}
	if err != nil {
		for _, i := range pending {
			results[i].Err = err
		}
	}
	for _, c := range copies {
		if results[c.first].Err != nil {
			results[c.copy].Err = results[c.first].Err
		} else {
			results[c.copy] = Result{Outcome: Duplicate}
		}
	}
	return results, err
}

// eventCopy is a later delivery of an event in the same batch.
type eventCopy struct{ copy, first int }

// firstCopies leaves out of pending the later copies of an event delivered
// twice in one batch (same community, event_id and hour: the same dedupe
// marker), which Slack's redeliveries make possible: each gets its first's
// fate, a duplicate once that is recorded. The lean messages of a script
// call (scripts.go) read all their markers before writing any, so each
// event_id may appear there once.
func firstCopies(events []Event, pending []int) ([]int, []eventCopy) {
	if len(pending) < 2 {
		return pending, nil
	}
	type marker struct {
		c    *Community
		hour int64
		id   string
	}
	first := make(map[marker]int, len(pending))
	var copies []eventCopy
	kept := pending[:0]
	for _, i := range pending {
		e := &events[i]
		m := marker{e.Community, e.At.Unix() / 3600, e.ID}
		if f, ok := first[m]; ok {
			copies = append(copies, eventCopy{copy: i, first: f})
			continue
		}
		first[m] = i
		kept = append(kept, i)
	}
	return kept, copies
}

// record runs one pipelined pass over events[pending] and returns the
// indexes to try again.
func (s *Store) record(ctx context.Context, events []Event, results []Result, pending []int, full *map[int]bool) ([]int, error) {
	if err := s.loadSalts(ctx, events, pending); err != nil {
		return pending, err
	}
	markers, err := s.readReactionMarkers(ctx, events, pending)
	if err != nil {
		return pending, err
	}
	for i := range features {
		if p := features[i].prepare; p != nil {
			if err := p(ctx, s, events, pending); err != nil {
				return pending, err
			}
		}
	}
	start := time.Now()
	pipe := s.rdb.Pipeline()
	// The counting work: one countingScript call per community (batch.go).
	codes := s.queueCounting(ctx, pipe, events, pending, markers, *full)
	// Feature scripts: extra[j*nf+k] is feature k's call for pending[j], or
	// nil. One allocation per batch, not a map and a slice per event.
	nf := len(features)
	extra := make([]*redis.Cmd, len(pending)*nf)
	for j, i := range pending {
		for k := range features {
			extra[j*nf+k] = features[k].queue(ctx, s, pipe, &events[i])
		}
	}
	// Exec's error is the first command's error; each command is checked
	// on its own below.
	_, _ = pipe.Exec(ctx)
	var retry []int
	noscript := false
	for j, i := range pending {
		code, err := codes.code(j)
		if err == nil && (code == 1 || code == 3) {
			results[i] = Result{Outcome: Counted, Intro: code == 3} // even if a feature script must be retried
		}
		for _, cmd := range extra[j*nf : (j+1)*nf] {
			if err == nil && cmd != nil {
				err = cmd.Err()
			}
		}
		if err == nil {
			for k, cmd := range extra[j*nf : (j+1)*nf] {
				if cmd != nil && features[k].done != nil {
					features[k].done(s, &events[i], cmd)
				}
			}
		}
		switch {
		case err != nil && isNoScript(err):
			noscript = true
			retry = append(retry, i)
		case err != nil:
			s.observe("record", time.Since(start), err)
			return pending[j:], fmt.Errorf("engagement: record %s: %w", events[i].ID, err)
		case results[i].Outcome == Counted:
			// Counted now, or on an earlier pass whose feature script
			// failed: the retry's "duplicate" is the counting script's own
			// marker.
		case code == 0:
			results[i] = Result{Outcome: Duplicate}
		case code == 2:
			results[i] = Result{Outcome: NoChange}
		case code == 4: // a lean message the script wants in the full layout
			if *full == nil {
				*full = map[int]bool{}
			}
			(*full)[i] = true
			retry = append(retry, i)
		default: // -1: a reaction marker moved between the read and the script
			retry = append(retry, i)
		}
	}
	s.observe("record", time.Since(start), nil)
	if noscript {
		if err := s.LoadScripts(ctx); err != nil {
			return retry, err
		}
	}
	return retry, nil
}

// readReactionMarkers reads, for each reaction removal in the batch, the
// week its reaction was counted in ("" if it never was).
func (s *Store) readReactionMarkers(ctx context.Context, events []Event, pending []int) (map[int]string, error) {
	var idx []int
	for _, i := range pending {
		if events[i].Kind == KindReactionRemoved {
			idx = append(idx, i)
		}
	}
	if len(idx) == 0 {
		return nil, nil
	}
	start := time.Now()
	pipe := s.rdb.Pipeline()
	gets := make([]*redis.StringCmd, len(idx))
	for j, i := range idx {
		e := &events[i]
		gets[j] = pipe.Get(ctx, s.keys(e.Community).reaction(s.cachedPseudonym(e.Community, e.User), e.ItemTS, e.Reaction))
	}
	_, err := pipe.Exec(ctx)
	if err != nil && !errors.Is(err, redis.Nil) {
		s.observe("reaction_markers", time.Since(start), err)
		return nil, fmt.Errorf("engagement: read reaction markers: %w", err)
	}
	s.observe("reaction_markers", time.Since(start), nil)
	m := make(map[int]string, len(idx))
	for j, i := range idx {
		m[i] = gets[j].Val()
	}
	return m, nil
}

func (s *Store) keys(c *Community) keys { return newKeys(s.ns, c.ID) }

// weekKeys returns the keys of the week t falls in, cached per community.
func (s *Store) weekKeys(c *Community, t time.Time) *weekKeys {
	w := WeekOf(t, c.Location)
	s.mu.Lock()
	defer s.mu.Unlock()
	wk := s.weeks[c]
	if wk == nil || wk.week != w {
		wk = newWeekKeys(s.keys(c), w, c.Location, s.retention)
		s.weeks[c] = wk
	}
	return wk
}

// unixMicros orders reaction events: Slack's event_ts has microseconds.
func unixMicros(t time.Time) string { return strconv.FormatInt(t.UnixMicro(), 10) }

// answerKeys returns the keys of the week of the post at postTS (usually
// wk) and "1" if e may answer that post for response times: a reply or
// reaction by someone other than its author.
func (s *Store) answerKeys(e *Event, wk *weekKeys, postTS, author string) (*weekKeys, any) {
	if postTS == "" || author == e.User {
		return wk, zeroArg
	}
	t, err := ParseTS(postTS)
	if err != nil {
		return wk, zeroArg // not a message that could have been recorded
	}
	if pw := WeekOf(t, e.Community.Location); pw != wk.week {
		return newWeekKeys(wk.keys, pw, e.Community.Location, s.retention), oneArg
	}
	return wk, oneArg
}

// threadArg boxes a message's thread_ts; top-level posts (most of them)
// share one boxed "".
func threadArg(ts string) any {
	if ts == "" {
		return emptyArg
	}
	return ts
}

func isNoScript(err error) bool { return strings.HasPrefix(err.Error(), "NOSCRIPT") }
