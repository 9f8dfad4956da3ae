package prototype

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/closeknit/closeknit/engagement"
	"github.com/closeknit/closeknit/slackapp/feature"
	"github.com/slack-go/slack"
)

// Results shows a prototype's results to staff, ephemerally (the card's
// Results button).
func (f *Feature) Results(ctx context.Context, cb *slack.InteractionCallback) (any, error) {
	c, ts := f.cardOf(cb)
	if c == nil || ts == "" {
		return nil, nil
	}
	if !c.IsStaff(cb.User.ID) {
		f.d.Notify.TellUser(c.Channel, cb.User.ID, "The figures are for the brand team; they share the results when feedback closes.")
		return nil, nil
	}
	seated, err := f.d.Store.SeatedCount(ctx, c)
	if err != nil {
		return nil, err
	}
	r, err := f.d.Store.PrototypeResultsByTS(ctx, c, ts, seated)
	if errors.Is(err, engagement.ErrNoPrototype) {
		return nil, nil // a button on some other message: not ours
	}
	if err != nil {
		return nil, err
	}
	text, blocks := results(r)
	if _, err := f.d.API.PostEphemeralContext(ctx, c.Channel, cb.User.ID, slack.MsgOptionText(text, false), slack.MsgOptionBlocks(blocks...)); err != nil {
		return nil, fmt.Errorf("results not shown: %w", err)
	}
	return nil, nil
}

// Vote records a poll vote (one of the card's VoteActionID buttons) and
// tells the voter what it did.
func (f *Feature) Vote(ctx context.Context, cb *slack.InteractionCallback) (any, error) {
	c, ts := f.cardOf(cb)
	if c == nil || ts == "" {
		return nil, nil
	}
	option, err := strconv.Atoi(strings.TrimPrefix(cb.ActionCallback.BlockActions[0].ActionID, actionVote))
	if err != nil {
		return nil, nil
	}
	if c.IsStaff(cb.User.ID) {
		f.d.Notify.TellUser(c.Channel, cb.User.ID, "Polls are for members: the brand team's votes are not counted.")
		return nil, nil
	}
	v, err := f.d.Store.Vote(ctx, c, ts, cb.User.ID, option)
	if errors.Is(err, engagement.ErrNoPrototype) || errors.Is(err, engagement.ErrInvalid) {
		return nil, nil // not a poll card, or an option it does not have: nothing to count
	}
	if err != nil {
		return nil, err
	}
	if v.NotSeated {
		f.d.Notify.TellUser(c.Channel, cb.User.ID, "Polls are for members holding a seat in the community: your vote was not counted.")
		return nil, nil
	}
	p, err := f.d.Store.PrototypeByTS(ctx, c, ts)
	if err != nil {
		return nil, err
	}
	choice := func(i int) string { return "*" + feature.Escape(p.Options[i-1]) + "*" }
	var msg string
	switch {
	case v.Late:
		msg = "Sorry, this poll has closed; your vote was not counted."
	case !v.Recorded:
		msg = "You already voted for " + choice(option) + "."
	case v.Previous != 0:
		msg = fmt.Sprintf("Changed your vote from %s to %s.", choice(v.Previous), choice(option))
	default:
		msg = "Thanks! You voted for " + choice(option) + ". You can change your vote until the poll closes."
	}
	if !v.Late && !p.HideResults {
		r, err := f.d.Store.PrototypeResultsByTS(ctx, c, ts, 0)
		if err == nil {
			msg += "\n" + voteBars(p, r.Summary.Votes)
		}
	} else if !v.Late {
		msg += " Results are shared when the poll closes."
	}
	f.d.Notify.TellUser(c.Channel, cb.User.ID, msg)
	return nil, nil
}
