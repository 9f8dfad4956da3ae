package idea

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/closeknit/closeknit/engagement"
	"github.com/closeknit/closeknit/slackapp/feature"
	"github.com/slack-go/slack"
)

// cards coalesces the updates of each idea card on this replica. Updates
// asked for at once (a merge refreshes both cards, a status change the
// one) would otherwise run side by side, and a render read before a change
// could reach Slack after the render read after it: the card would show
// the older state for good. So one update runs per card; one asked for
// while it runs marks the card dirty, and the running one reads the idea
// again and renders once more when it is done. The last state is always
// shown, and a burst of votes costs about one chat.update a second (the
// store hands out one turn a second per card across replicas, Slack's
// rate limit for chat.update).
type cards struct {
	mu    sync.Mutex
	state map[string]bool // community/idea ID -> an update runs; true: asked again since it read the idea
}

// New returns the idea board's Deps ready to serve: d with the per-replica
// state of its cards.
func New(d Deps) Deps {
	d.cards = &cards{state: map[string]bool{}}
	return d
}

// refreshSoon asks for idea id's card to show what the store says, soon.
func (d Deps) refreshSoon(c *engagement.Community, id string) {
	if d.cards == nil { // Deps not made by New: no coalescing
		d.Run.Go(func() { d.refreshLoop(c, id, "") })
		return
	}
	key := c.ID + "/" + id
	d.cards.mu.Lock()
	defer d.cards.mu.Unlock()
	if _, running := d.cards.state[key]; running {
		d.cards.state[key] = true // the running update renders again after
		return
	}
	d.cards.state[key] = false
	if !d.Run.Go(func() { d.refreshLoop(c, id, key) }) {
		delete(d.cards.state, key) // stopping: the card keeps its last render
	}
}

// refreshLoop updates the card until no update was asked for since it last
// read the idea.
func (d Deps) refreshLoop(c *engagement.Community, id, key string) {
	for {
		if key != "" {
			d.cards.mu.Lock()
			d.cards.state[key] = false // from here on, a change asks again
			d.cards.mu.Unlock()
		}
		d.refreshCard(c, id)
		if key == "" {
			return
		}
		d.cards.mu.Lock()
		again := d.cards.state[key]
		if !again {
			delete(d.cards.state, key)
		}
		d.cards.mu.Unlock()
		if !again {
			return
		}
	}
}

// rateLimitTries bounds the retries of a rate-limited card update.
const rateLimitTries = 5

// refreshCard re-renders idea id's card from what the store says now, in
// the card's turn. A rate-limited update is sent again after Slack's
// Retry-After; a card Slack will not update for good (deleted, the app out
// of the channel) is counted and given up.
func (d Deps) refreshCard(c *engagement.Community, id string) {
	ctx, cancel := context.WithTimeout(context.Background(), feature.Courtesy)
	defer cancel()
	err := d.takeTurn(ctx, c, id)
	var i *engagement.Idea
	if err == nil {
		i, err = d.Store.Idea(ctx, c, id)
	}
	if err != nil || !i.Posted() {
		if err != nil {
			d.Log.Warn("idea card not updated", "idea", id, "err", err)
		}
		return
	}
	text, blocks := card(i)
	for try := 1; ; try++ {
		_, _, _, err = d.API.UpdateMessageContext(ctx, i.Channel, i.TS, slack.MsgOptionText(text, false), slack.MsgOptionBlocks(blocks...))
		var rl *slack.RateLimitedError
		if !errors.As(err, &rl) || try == rateLimitTries || !sleep(ctx, rl.RetryAfter) {
			break
		}
	}
	if code := feature.Code(err); feature.Final(code) {
		d.Notify.Refused(c, "idea.update", code)
	}
	if err != nil {
		d.Log.Warn("idea card not updated", "idea", id, "err", err)
	}
}

// post is chat.postMessage, sent again after Slack's Retry-After when it
// is rate limited (a 429 posted nothing): the idea thread posts its parent
// and the first card back to back, and Slack allows about one post a
// second per channel.
func (d Deps) post(ctx context.Context, channel string, opts ...slack.MsgOption) (ch, ts string, err error) {
	for try := 1; ; try++ {
		ch, ts, err = d.API.PostMessageContext(ctx, channel, opts...)
		var rl *slack.RateLimitedError
		if !errors.As(err, &rl) || try == rateLimitTries || !sleep(ctx, rl.RetryAfter) {
			return ch, ts, err
		}
	}
}

// takeTurn waits for the card's turn (at most about a second). Waiting
// here rather than on a timer keeps the wait inside the runner, which the
// app waits for when it stops.
func (d Deps) takeTurn(ctx context.Context, c *engagement.Community, id string) error {
	for {
		ok, wait, err := d.Store.TakeIdeaCardTurn(ctx, c, id)
		if err != nil || ok {
			return err
		}
		if !sleep(ctx, wait) {
			return ctx.Err()
		}
	}
}

// sleep waits for t, or reports false if ctx ends first.
func sleep(ctx context.Context, t time.Duration) bool {
	timer := time.NewTimer(t)
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-timer.C:
		return true
	}
}
