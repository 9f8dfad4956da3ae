package sim

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"time"

	"github.com/closeknit/closeknit/engagement"
	"github.com/closeknit/closeknit/slackapp/slacktest"
)

// The sandbox's weekly prompt: the brand team queued a question, the app
// posts it at the community's prompt_at (set to a minute before the
// sandbox starts, so that it is due at once), and members answer in its
// thread and react to it, as Slack delivers it: a reply redelivered, a
// reaction taken back, a staff reply and a bot's, neither of which counts.

// PromptText is the question the sandbox queues.
const PromptText = "What is the one product you would take to a desert island, and why?"

// PromptAt is a prompt_at that fell a minute before now in loc, within
// the current week, so that the prompt job posts at its first run.
func PromptAt(now time.Time, loc *time.Location) string {
	at := now.In(loc).Add(-time.Minute)
	if engagement.WeekOf(at, loc) != engagement.WeekOf(now, loc) {
		return "Mon 00:00" // a minute ago was last week: the week's start is due
	}
	return at.Format("Mon 15:04")
}

// PromptStory plays the weekly prompt against the running app.
type PromptStory struct {
	Srv   *slacktest.Server
	Store *engagement.Store
	C     *engagement.Community
	Out   io.Writer
}

// Queue adds the question to the queue, before the app starts.
func (p *PromptStory) Queue(ctx context.Context) error {
	_, err := p.Store.AddPrompt(ctx, p.C, PromptText)
	return err
}

// Play waits for the prompt's post, plays the answers, and checks the
// tallies the digest will show against what was played.
func (p *PromptStory) Play(ctx context.Context, rng *rand.Rand) error {
	ctx, cancel := context.WithTimeout(ctx, 90*time.Second)
	defer cancel()
	fmt.Fprintf(p.Out, "\nWeekly prompt: the brand team queued a question; the app posts it at prompt_at (%s).\n", p.C.PromptAt)
	week := engagement.WeekOf(p.Store.Now(), p.C.Location)
	var slot engagement.PromptSlot
	for {
		var err error
		if slot, err = p.Store.PromptSlotStatus(ctx, p.C, week); err != nil {
			return err
		}
		if slot.State == engagement.PromptSent {
			break
		}
		if slot.State == engagement.PromptEmpty || slot.State == engagement.PromptRefused {
			return fmt.Errorf("sandbox: prompt: the slot of %s is %s", week, slot.State)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("sandbox: prompt: not posted: %w", ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
	roster, err := p.Store.Roster(ctx, p.C)
	if err != nil {
		return err
	}
	seated := roster.SeatedUsers()
	rng.Shuffle(len(seated), func(i, j int) { seated[i], seated[j] = seated[j], seated[i] })
	if len(seated) < 2 {
		return fmt.Errorf("sandbox: prompt: %d seated members, need 2", len(seated))
	}
	r := min(12, len(seated)/2)
	repliers, reactors := seated[:r], seated[r:min(r+18, len(seated))]

	var envs []slacktest.Envelope
	reply := func(user string, at time.Time) slacktest.Envelope {
		ts := engagement.FormatTS(at)
		return p.Srv.Event(map[string]any{"type": "message", "user": user, "channel": p.C.Channel, "channel_type": "channel",
			"text": "(simulated answer)", "blocks": RichText("(simulated answer)"), "ts": ts, "event_ts": ts, "thread_ts": slot.TS})
	}
	now := time.Now()
	for i, u := range repliers {
		envs = append(envs, reply(u, now.Add(time.Duration(i)*time.Millisecond)))
	}
	envs = append(envs, reply(Staff, now.Add(time.Second)), reply("USLACKBOT", now.Add(time.Second))) // neither counts
	for _, u := range reactors {
		envs = append(envs, p.Srv.Event(sandboxReaction(u, "heart_eyes", p.C.Channel, slot.TS, true, now)))
	}
	taker := reactors[0]
	envs = append(envs, p.Srv.Event(sandboxReaction(taker, "heart_eyes", p.C.Channel, slot.TS, false, now.Add(time.Second))))
	for _, env := range envs {
		if err := p.Srv.SendEnvelope(env); err != nil {
			return err
		}
	}
	// Slack delivering the first answer twice: counted once.
	if err := p.Srv.SendEnvelope(envs[0]); err != nil {
		return err
	}
	if err := p.Srv.WaitAllAcked(ctx); err != nil {
		return fmt.Errorf("sandbox: prompt: not every answer was acked: %w", err)
	}
	got, err := p.Store.PromptOfWeek(ctx, p.C, week)
	if err != nil {
		return err
	}
	// The one who took their reaction back still took part.
	want := engagement.PromptSummary{Replies: int64(len(repliers)), Reactions: int64(len(reactors) - 1), Participants: int64(len(repliers) + len(reactors))}
	if got == nil || got.Replies != want.Replies || got.Reactions != want.Reactions || got.Participants != want.Participants {
		return fmt.Errorf("sandbox: prompt: tallies %+v, want %d replies, %d reactions, %d people", got, want.Replies, want.Reactions, want.Participants)
	}
	fmt.Fprintf(p.Out, "  %q\n  %d replies, %d reactions, %d people taking part, first reply %.1f s after the post\n",
		got.Text, got.Replies, got.Reactions, got.Participants, got.FirstReplyAfter)
	fmt.Fprintf(p.Out, "  (a redelivered reply, a staff reply and Slackbot's were not counted; a reaction taken back was)\n")
	return nil
}
