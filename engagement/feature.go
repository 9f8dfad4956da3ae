package engagement

import (
	"context"

	"github.com/redis/go-redis/v9"
)

// A feature is work beyond the weekly counters that some events need
// (seats on joins, intros on first posts, prototype tallies on reactions,
// response times on replies). Its script runs in the same pipelined round
// trip as the event's counting script, so a batch still costs one round
// trip, and an event is acked only once every feature recorded it.
//
// A feature script must be idempotent on its own, usually with a dedupe
// marker of its own (featureDedupe): after a partial failure the whole event
// is retried, and the counting script then reports a duplicate while the
// feature script runs again.
type feature struct {
	name    string
	scripts []*redis.Script // loaded with the counting scripts
	// queue adds the feature's script call for e to the pipeline, or
	// returns nil when the event is none of its business. It must not do
	// I/O of its own.
	queue func(ctx context.Context, s *Store, pipe redis.Pipeliner, e *Event) *redis.Cmd
	// prepare, if set, runs once before each pipelined pass over a batch,
	// and may do I/O (e.g. refresh an in-memory index that queue reads).
	prepare func(ctx context.Context, s *Store, events []Event, pending []int) error
	// done, if set, is told the outcome of the script queue added for e,
	// once the pipeline ran and the script succeeded.
	done func(s *Store, e *Event, cmd *redis.Cmd)
}

// features run for every recorded event, in this order: each one's prepare
// before the batch, then, per event, each one's script after the counting
// script. No event is the business of two features today (seats take
// joins and leaves, feedback takes reactions and replies), so the order
// only fixes the order of scripts in the pipeline; a feature added here
// that reads another's records must come after it.
var features = []feature{
	seatsFeature,
	feedbackFeature,
	promptFeature, // after feedbackFeature: it reads the card index that one's prepare refreshes
	thanksFeature, // the thanks reaction only; decided in Go, nothing queued for anything else
}
