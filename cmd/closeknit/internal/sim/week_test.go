package sim

import (
	"encoding/json"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/closeknit/closeknit/engagement"
	"github.com/closeknit/closeknit/slackapp/slacktest"
)

// TestNewWeekStaysInItsWeekAndAddsUp: every event of a simulated week
// falls inside the week in the community's zone (the sandbox checks the
// week's report against the counts), the counts add up to the envelopes,
// and a seed plays the same week again.
func TestNewWeekStaysInItsWeekAndAddsUp(t *testing.T) {
	t.Parallel()
	srv := slacktest.NewServer(t)
	loc, err := time.LoadLocation("Pacific/Auckland")
	if err != nil {
		t.Fatal(err)
	}
	c := &engagement.Community{ID: "sim", Channel: "C05R8T2KLMN", Location: loc}
	week, err := engagement.ParseWeek("2026-W14")
	if err != nil {
		t.Fatal(err)
	}
	w := NewWeek(srv, c, week, 30, 300, rand.New(rand.NewPCG(7, 42)))
	if n := w.Messages + w.Reactions + w.Removed + w.Ignored + w.Joins; n != len(w.Envelopes) || w.Messages != 300 {
		t.Errorf("%d envelopes, counts add up to %d (%d messages, want 300)", len(w.Envelopes), n, w.Messages)
	}
	start, end := week.Start(loc), week.End(loc)
	for _, env := range w.Envelopes {
		var frame struct {
			Payload struct {
				Event struct {
					EventTS string `json:"event_ts"`
				} `json:"event"`
			} `json:"payload"`
		}
		if err := json.Unmarshal(env.Frame, &frame); err != nil {
			t.Fatal(err)
		}
		at, err := engagement.ParseTS(frame.Payload.Event.EventTS)
		if err != nil || at.Before(start) || !at.Before(end) {
			t.Errorf("event at %v (%v) is outside %s [%v, %v)", at, err, week, start, end)
		}
	}
	again := NewWeek(srv, c, week, 30, 300, rand.New(rand.NewPCG(7, 42)))
	if again.Messages != w.Messages || again.Replies != w.Replies || again.Reactions != w.Reactions ||
		again.Removed != w.Removed || len(again.Prototypes.plans[0].actions) != len(w.Prototypes.plans[0].actions) {
		t.Errorf("the same seed played another week: %d/%d/%d/%d messages/replies/reactions/removed, then %d/%d/%d/%d",
			w.Messages, w.Replies, w.Reactions, w.Removed, again.Messages, again.Replies, again.Reactions, again.Removed)
	}
}
