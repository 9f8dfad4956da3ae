package drop

import (
	"context"
	"crypto/rand"
	"fmt"
	"strings"
	"time"

	"github.com/closeknit/closeknit/engagement"
	"github.com/closeknit/closeknit/slackapp/feature"
	"github.com/slack-go/slack"
)

// cardSoon asks for drop id's card to show its state within about a
// second. Slack allows about one chat.update a second per message, and a
// burst of claims would ask for hundreds: the store hands out one turn a
// second across replicas (TakeCardTurn); a replica that misses the turn
// tries again when it comes, and an update that would show what the card
// shows already (Drop.Version) is skipped, so the last state is always
// shown and nothing more is sent.
func (b *Board) cardSoon(c *engagement.Community, id string) {
	key := c.ID + "/" + id
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.pending[key] {
		return // an update is on its way, and will read the state then
	}
	b.pending[key] = true
	if !b.Run.Go(func() { b.cardTurn(c, id, key) }) {
		b.pending[key] = false // busy: the next claim, or the closing, updates it
	}
}

func (b *Board) cardTurn(c *engagement.Community, id, key string) {
	ctx, cancel := context.WithTimeout(context.Background(), feature.Courtesy)
	defer cancel()
	// Waiting here (at most a second) rather than on a timer keeps the
	// wait inside the runner, which the app waits for when it stops.
	ok, wait, err := b.Store.TakeCardTurn(ctx, c, id)
	for err == nil && !ok {
		time.Sleep(wait)
		ok, wait, err = b.Store.TakeCardTurn(ctx, c, id)
	}
	// The state is read after this: a claim from now on asks again.
	b.done(key)
	if err == nil {
		err = b.updateCard(ctx, c, id)
	}
	if err != nil {
		b.Log.Warn("drop card not updated", "drop", id, "err", err)
	}
}

func (b *Board) done(key string) {
	b.mu.Lock()
	b.pending[key] = false
	b.mu.Unlock()
}

// updateCard renders drop id's card as it is now, unless the card shows
// that already. A card Slack will not update for good (deleted, the app
// out of the channel) is counted and given up: no retry brings it back.
func (b *Board) updateCard(ctx context.Context, c *engagement.Community, id string) error {
	d, err := b.Store.Drop(ctx, c, id)
	if err != nil || !d.Posted() || d.Shown == d.Version() {
		return err
	}
	text, blocks := card(d)
	_, _, _, err = b.API.UpdateMessageContext(ctx, d.Channel, d.TS, slack.MsgOptionText(text, false), slack.MsgOptionBlocks(blocks...))
	if code := feature.Code(err); feature.Final(code) {
		b.Notify.Refused(c, "drop.update", code)
		return nil
	}
	if err != nil {
		return err
	}
	return b.Store.SetDropShown(ctx, c, id, d.Version())
}

// announce finishes the closing of each closed drop, once, under a claim
// per drop: the card shows the final count (waiting for the card's turn),
// then the claimants go to the brand channel. A step that failed is done
// again on the next run; a step done is not.
func (b *Board) announce(ctx context.Context, c *engagement.Community) error {
	holder := rand.Text()
	pending, err := b.Store.ClaimDropAnnouncements(ctx, c, holder, announceTTL)
	if err != nil {
		return err
	}
	for _, a := range pending {
		err := b.announceOne(ctx, c, a)
		if ferr := b.Store.FinishDropAnnouncement(ctx, c, a.ID, err == nil); ferr != nil && err == nil {
			err = ferr
		}
		if err != nil {
			return fmt.Errorf("drop %s closing: %w", a.ID, err)
		}
	}
	return nil
}

func (b *Board) announceOne(ctx context.Context, c *engagement.Community, a engagement.DropAnnouncement) error {
	if !a.CardUpdated {
		for {
			ok, wait, err := b.Store.TakeCardTurn(ctx, c, a.ID)
			if err != nil {
				return err
			}
			if ok {
				break
			}
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(wait):
			}
		}
		if err := b.updateCard(ctx, c, a.ID); err != nil {
			return err
		}
		if err := b.Store.MarkDropAnnounced(ctx, c, a.ID, ""); err != nil {
			return err
		}
	}
	if a.SummaryTS != "" {
		return nil
	}
	summary, err := b.claimants(ctx, c, a.ID)
	if err != nil {
		return err
	}
	ts := "-"
	if c.BrandChannel != "" {
		_, ts, err = b.API.PostMessageContext(ctx, c.BrandChannel, slack.MsgOptionText(summary, false))
		if code := feature.Code(err); feature.Final(code) {
			b.Notify.BrandRefused(ctx, c, "drop.claimants", code, "the claimants of drop "+a.ID, err)
			ts = "refused:" + code
		} else if err != nil {
			return err
		}
	}
	return b.Store.MarkDropAnnounced(ctx, c, a.ID, ts)
}

// maxListed bounds the mentions in the claimants' message (Slack's text
// limit); the command line's export lists everyone.
const maxListed = 300

func (b *Board) claimants(ctx context.Context, c *engagement.Community, id string) (string, error) {
	d, err := b.Store.Drop(ctx, c, id)
	if err != nil {
		return "", err
	}
	claims, waiting, err := b.Store.DropPeople(ctx, c, id)
	if err != nil {
		return "", err
	}
	var s strings.Builder
	fmt.Fprintf(&s, "Drop %s (*%s*) closed: %d of %d claimed", d.ID, feature.Escape(d.Name), d.Claimed, d.Quantity)
	if !d.SoldOutAt.IsZero() {
		fmt.Fprintf(&s, ", sold out in %s", d.SoldOutAt.Sub(d.OpensAt).Round(time.Second))
	}
	fmt.Fprintf(&s, "; %d still in line.\n", len(waiting))
	for i, cl := range claims {
		if i == maxListed {
			fmt.Fprintf(&s, " … and %d more", len(claims)-maxListed)
			break
		}
		if i > 0 {
			s.WriteString(", ")
		}
		s.WriteString("<@" + cl.User + ">")
	}
	fmt.Fprintf(&s, "\nFor fulfilment: `closeknit drops export %s --csv`.", d.ID)
	return s.String(), nil
}
