package drop

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/closeknit/closeknit/engagement"
	"github.com/closeknit/closeknit/slackapp/feature"
	"github.com/slack-go/slack"
)

const usage = "Usage: /closeknit drop (opens a form) | /closeknit drop release ID @user | /closeknit drop close ID (brand team only)"

// Command is /closeknit drop [release ID @user | close ID], for staff.
func (b *Board) Command(ctx context.Context, cmd *slack.SlashCommand, args []string) (*slack.Msg, error) {
	c, err := b.Staff.Community(cmd)
	if err != nil {
		return nil, err
	}
	switch {
	case len(args) == 0:
		_, err := b.API.OpenViewContext(ctx, cmd.TriggerID, newModal(c))
		if feature.Code(err) == "expired_trigger_id" {
			return nil, feature.Say("Slack gave up waiting before the form could open; please try again.")
		}
		return nil, err
	case len(args) == 3 && strings.EqualFold(args[0], "release"):
		return b.release(ctx, c, args[1], userID(args[2]))
	case len(args) == 2 && strings.EqualFold(args[0], "close"):
		closed, err := b.Store.CloseDrop(ctx, c, args[1])
		if err != nil {
			return nil, sayErr(err, args[1])
		}
		if !closed {
			return &slack.Msg{Text: fmt.Sprintf("%s is closed already.", strings.ToUpper(args[1]))}, nil
		}
		// Announced now rather than on the job's next tick; the claim per
		// drop keeps the job from announcing it too.
		b.Run.Go(func() {
			ctx, cancel := context.WithTimeout(context.Background(), announceTTL)
			defer cancel()
			if err := b.announce(ctx, c); err != nil {
				b.Log.Warn("drop closing not announced; the job tries again", "drop", args[1], "err", err)
			}
		})
		return &slack.Msg{Text: fmt.Sprintf("Closed %s: the card shows the final count and the claimants go to the brand channel.", strings.ToUpper(args[1]))}, nil
	}
	return nil, feature.Say(usage)
}

// userID reads a mention (<@U123|name>) or a bare user ID.
func userID(arg string) string {
	arg = strings.TrimSuffix(strings.TrimPrefix(arg, "<@"), ">")
	id, _, _ := strings.Cut(arg, "|")
	return id
}

func (b *Board) release(ctx context.Context, c *engagement.Community, id, user string) (*slack.Msg, error) {
	if !engagement.ValidUserID(user) {
		return nil, feature.Say(usage)
	}
	r, err := b.Store.ReleaseDrop(ctx, c, id, user)
	if errors.Is(err, engagement.ErrNotClaimant) {
		return nil, feature.Sayf("<@%s> neither holds a unit of %s nor waits for one.", user, strings.ToUpper(id))
	}
	if err != nil {
		return nil, sayErr(err, id)
	}
	id = strings.ToUpper(id)
	b.cardSoon(c, id)
	switch {
	case r.Unqueued:
		return &slack.Msg{Text: fmt.Sprintf("<@%s> is no longer in line for %s.", user, id)}, nil
	case r.Next == "":
		return &slack.Msg{Text: fmt.Sprintf("Released <@%s>'s unit of %s; nobody was in line, so it can be claimed again.", user, id)}, nil
	}
	b.noticesSoon(c, id)
	return &slack.Msg{Text: fmt.Sprintf("Released <@%s>'s unit of %s: it went to <@%s>, the next in line, who is being DMed.", user, id, r.Next)}, nil
}

// sayErr turns the store's drop errors into words.
func sayErr(err error, id string) error {
	switch {
	case errors.Is(err, engagement.ErrNoDrop):
		return feature.Sayf("There is no drop %q. `closeknit drops` lists them.", id)
	}
	if msg, ok := feature.Invalid(err); ok {
		return feature.Say("Sorry, that cannot be done: " + msg)
	}
	return err
}

// Submission records a submitted drop form (keyed by the view's ID, so a
// submission handled twice makes one drop), closes the modal, and posts
// the card after the ack.
func (b *Board) Submission(ctx context.Context, cb *slack.InteractionCallback) (any, error) {

	c := b.ByID(cb.View.PrivateMetadata)
	if c == nil || !c.IsStaff(cb.User.ID) {
		return slack.NewErrorsViewSubmissionResponse(map[string]string{fieldName: "Sorry, posting drops is for the brand team."}), nil
	}
	spec, errs := specFrom(cb.View.State.Values, cb.User.ID)
	if errs != nil {
		return slack.NewErrorsViewSubmissionResponse(errs), nil
	}
	d, err := b.Store.CreateDrop(ctx, c, spec, cb.View.ID)
	if err != nil {
		return nil, err
	}
	poster := feature.Notice{User: cb.User.ID}
	if len(cb.ResponseURLs) > 0 {
		poster.ResponseURL = cb.ResponseURLs[0].ResponseURL
	}
	b.Run.Go(func() {
		if err := b.PostCard(c, d.ID); err != nil {
			b.Notify.Tell(poster, err.Error())
			return
		}
		b.Notify.Tell(poster, fmt.Sprintf("Posted %s (%s) in <#%s>. `/closeknit drop release %s @user` gives a unit back to the next in line; `/closeknit drop close %s` closes it early.",
			d.ID, feature.Escape(d.Name), c.Channel, d.ID, d.ID))
	})
	return nil, nil
}

// PostCard posts the card of a recorded drop, once (ClaimDropCard). If
// Slack refused it for good, the claim is released so that it can be
// posted again. If Slack did not answer, or answered with trouble of its
// own, the claim is kept and the drops job posts the card once the claim
// is stale (Job). The error says, for the poster, what happened.
func (b *Board) PostCard(c *engagement.Community, id string) error {
	ctx, cancel := context.WithTimeout(context.Background(), feature.Post)
	defer cancel()
	claimed, err := b.Store.ClaimDropCard(ctx, c, id)
	if err != nil {
		return err
	}
	if !claimed {
		return nil // posted, or being posted, by the first submission
	}
	d, err := b.Store.Drop(ctx, c, id)
	if err != nil {
		return err
	}
	text, blocks := card(d)
	ch, ts, err := b.API.PostMessageContext(ctx, c.Channel, slack.MsgOptionText(text, false), slack.MsgOptionBlocks(blocks...))
	if err != nil {
		b.Log.Error("drop card not posted", "drop", id, "err", err)
		if code := feature.Code(err); feature.Final(code) {
			if rerr := b.Store.ReleaseDropCard(ctx, c, id); rerr != nil {
				b.Log.Warn("drop card claim not released", "drop", id, "err", rerr)
			}
			return fmt.Errorf("Slack would not take the card of drop %s in <#%s> (%s); nothing is up", id, c.Channel, code)
		}
		return fmt.Errorf("Slack did not confirm the card of drop %s in <#%s>; if it is not up, I will post it again in a few minutes", id, c.Channel)
	}
	if err := b.Store.SetDropCard(ctx, c, id, ch, ts); err != nil {
		return fmt.Errorf("the card of drop %s is up but not recorded: %w", id, err)
	}
	if err := b.Store.SetDropShown(ctx, c, id, d.Version()); err != nil {
		return err
	}
	// Slack shows the card before it answers the post: a claim pressed
	// meanwhile found no card to update.
	if now, err := b.Store.Drop(ctx, c, id); err == nil && now.Version() != d.Version() {
		b.cardSoon(c, id)
	}
	return nil
}

// Claim is the card's Claim button: the store decides the press in one
// step; the presser is answered privately; a winner is DMed (once, across
// replicas) and the card's count follows within a second.
func (b *Board) Claim(ctx context.Context, cb *slack.InteractionCallback) (any, error) {
	ch := cb.Container.ChannelID
	if ch == "" {
		ch = cb.Channel.ID
	}
	c := b.Community(ch)
	if c == nil || len(cb.ActionCallback.BlockActions) == 0 {
		return nil, nil
	}
	id := cb.ActionCallback.BlockActions[0].Value
	r, err := b.Store.ClaimDrop(ctx, c, id, cb.User.ID)
	if errors.Is(err, engagement.ErrNoDrop) {
		return nil, nil // a button on a card whose drop is gone
	}
	if err != nil {
		return nil, err
	}
	b.Metrics.claims.WithLabelValues(c.ID, outcome(r)).Inc()
	b.Notify.TellUser(ch, cb.User.ID, answer(id, r))
	if r.Outcome == engagement.ClaimWon || r.Outcome == engagement.ClaimWaiting || r.Outcome == engagement.ClaimCooling {
		b.cardSoon(c, id)
	}
	if r.Outcome == engagement.ClaimWon {
		b.noticesSoon(c, id)
	}
	return nil, nil
}

// noticesSoon DMs the winners of drop id not DMed yet, after the ack.
func (b *Board) noticesSoon(c *engagement.Community, id string) {
	b.Run.Go(func() {
		ctx, cancel := context.WithTimeout(context.Background(), feature.Post)
		defer cancel()
		b.sendNotices(ctx, c, id)
	})
}

// sendNotices DMs the winners of drop id not DMed yet. Each is taken from
// the store for noticeTTL first, so that no other replica DMs them too; one
// whose DM fails is tried again by the job once that has passed.
func (b *Board) sendNotices(ctx context.Context, c *engagement.Community, id string) {
	users, err := b.Store.TakeDropNotices(ctx, c, id, noticeTTL, noticeBatch)
	if err != nil || len(users) == 0 {
		if err != nil {
			b.Log.Warn("drop winners not read", "drop", id, "err", err)
		}
		return
	}
	d, err := b.Store.Drop(ctx, c, id)
	if err != nil {
		b.Log.Warn("drop not read", "drop", id, "err", err)
		return
	}
	text, blocks := winnerDM(c, d)
	for _, u := range users {
		_, _, err := b.API.PostMessageContext(ctx, u, slack.MsgOptionText(text, false), slack.MsgOptionBlocks(blocks...))
		if code := feature.Code(err); err != nil && !feature.Final(code) {
			b.Log.Warn("drop winner not DMed; tried again later", "drop", id, "user_id", u, "err", err)
			continue
		} else if err != nil {
			b.Notify.Refused(c, "drop.dm", code) // for good (the person left, blocked DMs): not tried again
		}
		if _, err := b.Store.DropNoticeSent(ctx, c, id, u); err != nil { // starts the clock to confirm, if any
			b.Log.Warn("drop DM not marked sent", "drop", id, "user_id", u, "err", err)
		}
	}
}
