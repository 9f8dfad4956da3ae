package idea

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/closeknit/closeknit/engagement"
	"github.com/closeknit/closeknit/slackapp/feature"
	"github.com/slack-go/slack"
)

// Shortcut is the message shortcut "Make this an idea": the form, its
// title taken from the post, the idea linked to it.
func Shortcut(d Deps) feature.Interaction {
	return func(ctx context.Context, cb *slack.InteractionCallback) (any, error) {
		c := d.Community(cb.Channel.ID)
		ts := cb.Message.Timestamp
		if ts == "" {
			ts = cb.MessageTs
		}
		return nil, d.openModal(ctx, cb.TriggerID, newModal(c, cb.Message.Text, cb.Channel.ID, ts))
	}
}

// Submission records a submitted form as an idea, then closes the modal;
// the card is posted after the ack (chat.postMessage can take longer than
// Slack's 3 s). The idea is keyed by the view's ID, so a submission
// handled twice records and posts one idea. Only seated members and staff
// post ideas; anyone else is told so in the form.
func Submission(d Deps) feature.Interaction {
	return func(ctx context.Context, cb *slack.InteractionCallback) (any, error) {
		fail := func(msg string) (any, error) {
			return slack.NewErrorsViewSubmissionResponse(map[string]string{fieldTitle: msg}), nil
		}
		meta := strings.SplitN(cb.View.PrivateMetadata, "|", metadataFields)
		c := d.ByID(meta[0])
		if c == nil || len(meta) != metadataFields {
			return fail("This form is out of date; please open it again.")
		}
		seated, err := d.Store.IsSeated(ctx, c, cb.User.ID)
		if err != nil {
			return nil, err
		}
		if !seated && !c.IsStaff(cb.User.ID) {
			return fail("Ideas are posted by members holding a seat in the community.")
		}
		values := cb.View.State.Values
		spec := engagement.IdeaSpec{
			Title:   strings.TrimSpace(values[fieldTitle][fieldTitle].Value),
			Details: strings.TrimSpace(values[fieldDetails][fieldDetails].Value),
			Author:  cb.User.ID,
		}
		if meta[1] != "" && meta[2] != "" {
			if ws := d.Workspace(ctx); ws != "" {
				spec.Source = feature.Permalink(ws, meta[1], meta[2])
			}
		}
		i, err := d.Store.CreateIdea(ctx, c, spec, cb.View.ID)
		if msg, ok := feature.Invalid(err); ok {
			return fail(msg)
		}
		if err != nil {
			return nil, err
		}
		author := feature.Notice{User: cb.User.ID}
		if len(cb.ResponseURLs) > 0 {
			author.ResponseURL = cb.ResponseURLs[0].ResponseURL
		}
		if !d.Run.Go(func() { d.postCard(c, i, author, false) }) {
			return fail("I am busy right now; please try again in a minute.")
		}
		d.countStatusesLater(c)
		return nil, nil
	}
}

// postCard posts a recorded idea's card, once (ClaimIdeaCard), and tells
// the author. If Slack refused it for good (the channel, the app's rights),
// the claim is released so that the same form submitted again posts it. If
// Slack did not answer, or answered with trouble of its own, the claim is
// kept: the ideas job posts the card once the claim is stale (Job), which
// after no answer may make a second card, harmless (votes on either count,
// the first one recorded is kept up to date). With ideas: thread
// the card is a reply to the idea thread's parent post (thread.go); a
// parent that cannot be posted leaves no card, so the claim is released
// then too, and a parent Slack no longer finds is replaced once. retried
// marks the ideas job's try: the author heard of the first try's trouble
// already and is not told of it again at every try, only of the outcome.
func (d Deps) postCard(c *engagement.Community, i *engagement.Idea, author feature.Notice, retried bool) {
	ctx, cancel := context.WithTimeout(context.Background(), feature.Post)
	defer cancel()
	claimed, err := d.Store.ClaimIdeaCard(ctx, c, i.ID)
	if err != nil || !claimed {
		if err != nil {
			d.Log.Error("idea card not claimed", "idea", i.ID, "err", err)
			if !retried {
				d.Notify.Tell(author, feature.Sorry)
			}
		}
		return
	}
	text, blocks := card(i)
	var ch, ts, thread string
	for try := 1; ; try++ {
		if thread, err = d.thread(ctx, c); err != nil {
			// No card was posted, so the claim is released whatever Slack
			// said: the same form submitted again posts the card, once.
			d.Log.Error("idea card not posted: no idea thread", "idea", i.ID, "err", err)
			if rerr := d.Store.ReleaseIdeaCard(ctx, c, i.ID); rerr != nil {
				d.Log.Warn("idea card claim not released", "idea", i.ID, "err", rerr)
			}
			d.Notify.Tell(author, fmt.Sprintf("Sorry, the card for your idea %s could not be posted in <#%s>; please submit it again in a minute.", i.ID, c.Channel))
			return
		}
		opts := []slack.MsgOption{slack.MsgOptionText(text, false), slack.MsgOptionBlocks(blocks...)}
		if thread != "" {
			opts = append(opts, slack.MsgOptionTS(thread))
		}
		ch, ts, err = d.post(ctx, c.Channel, opts...)
		if thread == "" || !threadGone[feature.Code(err)] || try == 2 {
			break
		}
		// The parent post was deleted: forget it, and post the card under
		// a new one.
		if _, derr := d.Store.DropIdeaParent(ctx, c, thread); derr != nil {
			break
		}
	}
	if err != nil {
		d.Log.Error("idea card not posted", "idea", i.ID, "err", err)
		if code := feature.Code(err); feature.Final(code) {
			if rerr := d.Store.ReleaseIdeaCard(ctx, c, i.ID); rerr != nil {
				d.Log.Warn("idea card claim not released", "idea", i.ID, "err", rerr)
			}
			d.Notify.Tell(author, fmt.Sprintf("Sorry, Slack would not take the card for your idea %s in <#%s>; please submit it again in a minute.", i.ID, c.Channel))
			return
		}
		if !retried {
			d.Notify.Tell(author, fmt.Sprintf("Slack did not confirm the card for your idea %s in <#%s>. If it is not up, I will post it again in a few minutes; "+
				"votes count on either.", i.ID, c.Channel))
		}
		return
	}
	link := ""
	if ws := d.Workspace(ctx); ws != "" {
		link = feature.ReplyPermalink(ws, ch, ts, thread)
	}
	if err := d.Store.SetIdeaCard(ctx, c, i.ID, ch, ts, link); err != nil {
		d.Log.Error("idea card posted but not recorded", "idea", i.ID, "ts", ts, "err", err)
	} else if now, err := d.Store.Idea(ctx, c, i.ID); err == nil &&
		(now.Votes != i.Votes || now.StaffVotes != i.StaffVotes || now.Status != i.Status || now.MergedInto != i.MergedInto) {
		// Slack shows the card before it answers the post: a vote or a
		// status given meanwhile found no card to update.
		d.refreshSoon(c, i.ID)
	}
	where := fmt.Sprintf("<#%s>", c.Channel)
	if thread != "" {
		where = "the pinned Ideas thread in " + where
	}
	d.Notify.Tell(author, fmt.Sprintf("Posted your idea %s in %s. Members can upvote it; the team will give it a status.", i.ID, where))
}

// press is a button press on a card: its community, the button's value,
// and where the card is (its channel, and its thread with ideas: thread).
type press struct {
	c               *engagement.Community
	value           string
	channel, thread string
}

// tell answers the person who pressed, privately, beside the card.
func (d Deps) tell(p press, user, text string, more ...slack.MsgOption) {
	d.Notify.TellUserIn(p.channel, p.thread, user, text, more...)
}

func (d Deps) pressed(cb *slack.InteractionCallback) press {
	p := press{channel: cmp.Or(cb.Container.ChannelID, cb.Channel.ID), thread: cmp.Or(cb.Container.ThreadTs, cb.Message.ThreadTimestamp)}
	if p.thread == cmp.Or(cb.Container.MessageTs, cb.Message.Timestamp) {
		p.thread = "" // a card in the channel with replies of its own: answered in the channel
	}
	if len(cb.ActionCallback.BlockActions) == 0 {
		return p
	}
	a := cb.ActionCallback.BlockActions[0]
	p.c, p.value = d.Community(p.channel), cmp.Or(a.SelectedOption.Value, a.Value)
	return p
}

// Upvote is the card's Upvote button: a seated member's vote, counted once
// however often it arrives; anyone else is told, privately, that it did
// not count.
func Upvote(d Deps) feature.Interaction {
	return func(ctx context.Context, cb *slack.InteractionCallback) (any, error) {
		return nil, d.vote(ctx, cb, true)
	}
}

// Unvote is the "Take my vote back" button of the answer to a vote.
func Unvote(d Deps) feature.Interaction {
	return func(ctx context.Context, cb *slack.InteractionCallback) (any, error) {
		return nil, d.vote(ctx, cb, false)
	}
}

func (d Deps) vote(ctx context.Context, cb *slack.InteractionCallback, up bool) error {
	p := d.pressed(cb)
	c, id := p.c, p.value
	if c == nil || id == "" {
		return nil
	}
	v, err := d.Store.VoteIdea(ctx, c, id, cb.User.ID, up)
	if errors.Is(err, engagement.ErrNoIdea) {
		return nil // a button on a card whose idea is gone
	}
	if err != nil {
		return err
	}
	if v.NotSeated {
		d.tell(p, cb.User.ID, "Votes count for members holding a seat in the community, so yours was not counted.")
		return nil
	}
	if v.Changed {
		if up {
			d.Metrics.votes.WithLabelValues(c.ID).Inc()
		}
		d.refreshSoon(c, v.Idea)
	}
	if !up {
		d.tell(p, cb.User.ID, fmt.Sprintf("Your vote for %s is taken back.", v.Idea))
		return nil
	}
	text, blocks := votedMessage(v)
	d.tell(p, cb.User.ID, text, slack.MsgOptionBlocks(blocks...))
	return nil
}

// Status is the card's status menu, for staff.
func Status(d Deps) feature.Interaction {
	return func(ctx context.Context, cb *slack.InteractionCallback) (any, error) {
		p := d.pressed(cb)
		c, value := p.c, p.value
		if c == nil {
			return nil, nil
		}
		if !c.IsStaff(cb.User.ID) {
			d.tell(p, cb.User.ID, "Statuses are set by the brand team.")
			return nil, nil
		}
		id, status, ok := strings.Cut(value, statusSep)
		if !ok {
			return nil, nil
		}
		// The menu keeps the note there is; a note is given with the command.
		i, err := d.Store.Idea(ctx, c, id)
		if err != nil {
			return nil, sayErr(err, id)
		}
		_, err = d.setStatus(ctx, c, id, status, i.Note)
		return nil, err
	}
}
