package slackapp

import (
	"cmp"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/closeknit/closeknit/engagement"
	"github.com/closeknit/closeknit/slackapp/feature"
	"github.com/slack-go/slack"
)

// communityByID finds a configured community.
func (a *App) communityByID(id string) *engagement.Community {
	for _, c := range a.cfg.Communities {
		if c.ID == id {
			return c
		}
	}
	return nil
}

// staffCommunityOf is staffCommunity for interactions: the community of
// channel if user is its staff, else the first where they are.
func (a *App) staffCommunityOf(user, channel string) (*engagement.Community, error) {
	return a.staffCommunity(&slack.SlashCommand{UserID: user, ChannelID: channel})
}

// prototypeCommand is /closeknit prototype [close|extend ID [DAYS]].
func prototypeCommand(ctx context.Context, a *App, cmd *slack.SlashCommand, args []string) (*slack.Msg, error) {
	c, err := a.staffCommunity(cmd)
	if err != nil {
		return nil, err
	}
	const usage = "Usage: /closeknit prototype (opens a form) | /closeknit prototype close ID | /closeknit prototype extend ID [DAYS]"
	if len(args) == 0 {
		if _, err := a.api.OpenViewContext(ctx, cmd.TriggerID, prototypeModal(c)); err != nil {
			return nil, modalError(err)
		}
		return nil, nil
	}
	switch strings.ToLower(args[0]) {
	case "close":
		if len(args) != 2 {
			return nil, feature.Say(usage)
		}
		p, closed, err := a.store.ClosePrototype(ctx, c, args[1])
		if err != nil {
			return nil, protoError(err, args[1])
		}
		if !closed {
			return &slack.Msg{Text: fmt.Sprintf("%s (%s) was already closed.", p.ID, feature.Escape(p.Name))}, nil
		}
		a.run.Go(func() { a.announceInBackground(c) })
		where := "the brand channel"
		if c.BrandChannel != "" {
			where = "<#" + c.BrandChannel + ">"
		}
		return &slack.Msg{Text: fmt.Sprintf("Closed %s (%s). The card now says feedback is closed, and the results go to %s.", p.ID, feature.Escape(p.Name), where)}, nil
	case "extend":
		if len(args) < 2 || len(args) > 3 {
			return nil, feature.Say(usage)
		}
		days := 3
		if len(args) == 3 {
			if days, err = strconv.Atoi(args[2]); err != nil || days < 1 || days > 30 {
				return nil, feature.Say("DAYS is a whole number from 1 to 30. " + usage)
			}
		}
		p, err := a.store.ExtendPrototype(ctx, c, args[1], time.Duration(days)*24*time.Hour)
		if err != nil {
			return nil, protoError(err, args[1])
		}
		a.run.Go(func() { a.refreshCard(c, p) })
		return &slack.Msg{Text: fmt.Sprintf("Extended %s (%s): feedback now closes %s.", p.ID, feature.Escape(p.Name), feature.Date(p.ClosesAt))}, nil
	}
	return nil, feature.Say(usage)
}

// protoError turns the store's prototype errors into words for staff.
func protoError(err error, id string) error {
	switch {
	case errors.Is(err, engagement.ErrNoPrototype):
		return feature.Say(fmt.Sprintf("There is no prototype %q. /closeknit prototypes lists them.", id))
	case errors.Is(err, engagement.ErrPrototypeClosed):
		return feature.Say(fmt.Sprintf("%s is closed already.", strings.ToUpper(id)))
	case errors.Is(err, engagement.ErrInvalid):
		_, msg, _ := strings.Cut(err.Error(), "invalid: ")
		return feature.Say("Sorry, that cannot be done: " + msg)
	}
	return err
}

// prototypesCommand is /closeknit prototypes: open and recent ones.
func prototypesCommand(ctx context.Context, a *App, cmd *slack.SlashCommand, args []string) (*slack.Msg, error) {
	c, err := a.staffCommunity(cmd)
	if err != nil {
		return nil, err
	}
	if len(args) > 0 {
		return nil, feature.Say("Usage: /closeknit prototypes")
	}
	seated, err := a.store.SeatedCount(ctx, c)
	if err != nil {
		return nil, err
	}
	all, err := a.store.AllPrototypeResults(ctx, c, seated)
	if err != nil {
		return nil, err
	}
	// Open ones and those closed in the last 30 days; the CLI lists all.
	recent := all[:0]
	for _, r := range all {
		if r.Status == engagement.StatusOpen || a.store.Now().Sub(r.ClosedAt) < 30*24*time.Hour {
			recent = append(recent, r)
		}
	}
	text, blocks := prototypeList(c, recent)
	return &slack.Msg{Text: text, Blocks: slack.Blocks{BlockSet: blocks}}, nil
}

// handleNewPrototypeShortcut opens the modal from the global shortcut.
func handleNewPrototypeShortcut(ctx context.Context, a *App, cb *slack.InteractionCallback) (any, error) {
	view := notStaffModal()
	if c, err := a.staffCommunityOf(cb.User.ID, ""); err == nil {
		view = prototypeModal(c)
	}
	if _, err := a.api.OpenViewContext(ctx, cb.TriggerID, view); err != nil {
		return nil, modalError(err)
	}
	return nil, nil
}

// modalError explains a views.open that failed. A trigger_id lasts 3 s:
// when Slack or Redis was slow, it expired before the form could open, and
// trying again is all there is to do.
func modalError(err error) error {
	if cmp.Or(feature.Code(err), "no answer") == "expired_trigger_id" {
		return feature.Say("Slack gave up waiting before the form could open; please try again.")
	}
	return fmt.Errorf("open prototype modal: %w", err)
}

// handleNewPrototypeSubmission validates the modal and claims it, acks at
// once with a "Posting…" view, and posts the card in the background.
// Slack gives a submission 3 s, and chat.postMessage alone can take
// longer: waiting for it made Slack show an error while the card went up,
// and the staff member's second Post a second card. Anything wrong with
// the input goes back into the modal as field errors, and nothing is posted.
func handleNewPrototypeSubmission(ctx context.Context, a *App, cb *slack.InteractionCallback) (any, error) {
	fail := func(field, msg string) (any, error) {
		return slack.NewErrorsViewSubmissionResponse(map[string]string{field: msg}), nil
	}
	c := a.communityByID(cb.View.PrivateMetadata)
	if c == nil || !c.IsStaff(cb.User.ID) {
		return fail(engagement.FieldName, "Sorry, posting prototypes is for the brand team.")
	}
	spec, errs := specFromSubmission(cb.View.State.Values, cb.User.ID)
	if errs != nil {
		return slack.NewErrorsViewSubmissionResponse(map[string]string(errs)), nil
	}
	posting := slack.NewUpdateViewSubmissionResponse(postingModal(c, spec.Name))
	// One card per submitted view, however often it is submitted (a
	// double click, a replica each): the claim is taken before posting.
	claimed, err := a.store.ClaimView(ctx, c, cb.View.ID)
	if err != nil {
		a.log.Error("prototype not posted", "user_id", cb.User.ID, "err", err)
		return fail(engagement.FieldName, "Something went wrong on our side; please try again in a minute.")
	}
	if !claimed {
		return posting, nil // posted, or being posted, by the first submission
	}
	poster := feature.Notice{User: cb.User.ID}
	if len(cb.ResponseURLs) > 0 {
		poster.ResponseURL = cb.ResponseURLs[0].ResponseURL
	}
	if !a.run.Go(func() { a.postCard(c, spec, cb.View.ID, poster) }) {
		a.releaseView(c, cb.View.ID)
		return fail(engagement.FieldName, "I am busy right now; please try again in a minute.")
	}
	return posting, nil
}

// postCard posts and records a claimed submission, after its ack, and
// tells the poster how it went. A card Slack accepts late is still
// recorded. If Slack refused it, nothing is up: the claim is released. If
// Slack did not answer, the card may be up: the claim is kept (a second
// submission of the form posts nothing) and the poster is told to look.
func (a *App) postCard(c *engagement.Community, spec engagement.PrototypeSpec, viewID string, poster feature.Notice) {
	ctx, cancel := context.WithTimeout(context.Background(), feature.Post)
	defer cancel()
	opened := a.store.Now()
	draft := &engagement.Prototype{PrototypeSpec: spec, Status: engagement.StatusOpen, OpenedAt: opened, ClosesAt: opened.Add(spec.OpenFor)}
	text, blocks := prototypeCard(draft, nil)
	channel, ts, err := a.api.PostMessageContext(ctx, c.Channel, slack.MsgOptionText(text, false), slack.MsgOptionBlocks(blocks...))
	name := feature.Escape(spec.Name)
	if err != nil {
		a.log.Error("prototype card not posted", "user_id", poster.User, "channel", c.Channel, "err", err)
		if feature.Refused(err) {
			a.releaseView(c, viewID)
			a.notify.Tell(poster, fmt.Sprintf("Sorry, Slack would not take the card for *%s* in <#%s> (%s), so nothing was posted. Please try again with `/closeknit prototype`.",
				name, c.Channel, cmp.Or(feature.Code(err), "no answer")))
			return
		}
		a.notify.Tell(poster, fmt.Sprintf("Slack did not confirm the card for *%s* in <#%s> (%s), so it may or may not be up; either way it is not recorded, "+
			"and feedback on it would not count. Please check the channel and post it again with `/closeknit prototype`.", name, c.Channel, cmp.Or(feature.Code(err), "no answer")))
		return
	}
	p, err := a.store.CreatePrototype(ctx, c, spec, opened, channel, ts)
	if err != nil {
		// The card is up but unrecorded: say so on the card, let staff retry.
		a.releaseView(c, viewID)
		a.log.Error("prototype card posted but not recorded", "user_id", poster.User, "ts", ts, "err", err)
		if _, _, _, uerr := a.api.UpdateMessageContext(ctx, channel, ts, slack.MsgOptionText("(This prototype could not be recorded and was withdrawn.)", false), slack.MsgOptionBlocks()); uerr != nil {
			a.log.Warn("unrecorded card not withdrawn", "ts", ts, "err", uerr)
		}
		a.notify.Tell(poster, fmt.Sprintf("The card for *%s* was posted but could not be recorded, so it was withdrawn. Please try again in a minute.", name))
		return
	}
	if err := a.store.ViewPosted(ctx, c, viewID, p.TS); err != nil {
		a.log.Warn("view not marked posted", "prototype", p.ID, "err", err) // the short claim still holds a minute
	}
	// The card gets its ID before the poster learns it: nobody can close
	// it before, so this update never races the closing one.
	if err := a.updateCard(ctx, c, p.TS); err != nil {
		a.log.Warn("prototype card not updated with its ID", "prototype", p.ID, "err", err)
	}
	a.finishPosting(ctx, p, poster)
}

func (a *App) releaseView(c *engagement.Community, viewID string) {
	ctx, cancel := context.WithTimeout(context.Background(), feature.Release)
	defer cancel()
	if err := a.store.ReleaseView(ctx, c, viewID); err != nil {
		a.log.Warn("view claim not released", "err", err)
	}
}

// finishPosting seeds the reaction set on the card (the app's own
// reactions never count: the bot user's reaction events are ignored) and
// tells the poster the ID.
func (a *App) finishPosting(ctx context.Context, p *engagement.Prototype, poster feature.Notice) {
	for _, r := range p.Reactions {
		err := a.api.AddReactionContext(ctx, r.Emoji, slack.NewRefToMessage(p.Channel, p.TS))
		if err != nil && cmp.Or(feature.Code(err), "no answer") != "already_reacted" {
			a.log.Warn("reaction not seeded", "prototype", p.ID, "emoji", r.Emoji, "err", err)
		}
	}
	a.notify.Tell(poster, fmt.Sprintf("Posted %s (%s) in <#%s>. Feedback closes %s. `/closeknit prototype close %s` closes it early, `/closeknit prototype extend %s DAYS` extends it.",
		p.ID, feature.Escape(p.Name), p.Channel, feature.Date(p.ClosesAt), p.ID, p.ID))
}

// refreshCard re-renders a prototype's card from its current state (after
// an extension). Rendering what Redis says now, not what the caller saw,
// keeps a late refresh from reopening a card that closed meanwhile.
func (a *App) refreshCard(c *engagement.Community, p *engagement.Prototype) {
	ctx, cancel := context.WithTimeout(context.Background(), feature.Courtesy)
	defer cancel()
	if err := a.updateCard(ctx, c, p.TS); err != nil {
		a.log.Warn("prototype card not updated", "prototype", p.ID, "err", err)
	}
}

// updateCard renders the card of the prototype at ts as it is now. A card
// Slack will not update for good (deleted: message_not_found,
// cant_update_message; its channel gone or the app out of it) is counted
// and logged, and the caller goes on as if updated: no retry can bring
// the card back.
func (a *App) updateCard(ctx context.Context, c *engagement.Community, ts string) error {
	r, err := a.store.PrototypeResultsByTS(ctx, c, ts, 0)
	if err != nil {
		return err
	}
	var votes map[string]int64
	if r.Status == engagement.StatusClosed {
		votes = r.Summary.Votes
	}
	text, blocks := prototypeCard(r.Prototype, votes)
	_, _, _, err = a.api.UpdateMessageContext(ctx, r.Channel, r.TS, slack.MsgOptionText(text, false), slack.MsgOptionBlocks(blocks...))
	if code := feature.Code(err); feature.Final(code) {
		a.notify.Refused(c, "card.update", code)
		a.log.Warn("prototype card not updated; given up", "community", c.ID, "prototype", r.ID, "ts", r.TS, "err", err)
		return nil
	}
	return err
}

// cardOf finds the prototype whose card an action was taken on.
func (a *App) cardOf(cb *slack.InteractionCallback) (*engagement.Community, string) {
	channel := cb.Container.ChannelID
	if channel == "" {
		channel = cb.Channel.ID
	}
	ts := cb.Container.MessageTs
	if ts == "" {
		ts = cb.Message.Timestamp
	}
	return a.byChannel[channel], ts
}

// handleProtoResults shows a prototype's results to staff, ephemerally.
func handleProtoResults(ctx context.Context, a *App, cb *slack.InteractionCallback) (any, error) {
	c, ts := a.cardOf(cb)
	if c == nil || ts == "" {
		return nil, nil
	}
	if !c.IsStaff(cb.User.ID) {
		a.notify.TellUser(c.Channel, cb.User.ID, "The figures are for the brand team; they share the results when feedback closes.")
		return nil, nil
	}
	seated, err := a.store.SeatedCount(ctx, c)
	if err != nil {
		return nil, err
	}
	r, err := a.store.PrototypeResultsByTS(ctx, c, ts, seated)
	if errors.Is(err, engagement.ErrNoPrototype) {
		return nil, nil // a button on some other message: not ours
	}
	if err != nil {
		return nil, err
	}
	text, blocks := prototypeResults(r)
	if _, err := a.api.PostEphemeralContext(ctx, c.Channel, cb.User.ID, slack.MsgOptionText(text, false), slack.MsgOptionBlocks(blocks...)); err != nil {
		return nil, fmt.Errorf("results not shown: %w", err)
	}
	return nil, nil
}

// handleProtoVote records a poll vote and tells the voter what it did.
func handleProtoVote(ctx context.Context, a *App, cb *slack.InteractionCallback) (any, error) {
	c, ts := a.cardOf(cb)
	if c == nil || ts == "" {
		return nil, nil
	}
	option, err := strconv.Atoi(strings.TrimPrefix(cb.ActionCallback.BlockActions[0].ActionID, actionProtoVote))
	if err != nil {
		return nil, nil
	}
	if c.IsStaff(cb.User.ID) {
		a.notify.TellUser(c.Channel, cb.User.ID, "Polls are for members: the brand team's votes are not counted.")
		return nil, nil
	}
	v, err := a.store.Vote(ctx, c, ts, cb.User.ID, option)
	if errors.Is(err, engagement.ErrNoPrototype) || errors.Is(err, engagement.ErrInvalid) {
		return nil, nil // not a poll card, or an option it does not have: nothing to count
	}
	if err != nil {
		return nil, err
	}
	if v.NotSeated {
		a.notify.TellUser(c.Channel, cb.User.ID, "Polls are for members holding a seat in the community: your vote was not counted.")
		return nil, nil
	}
	p, err := a.store.PrototypeByTS(ctx, c, ts)
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
		r, err := a.store.PrototypeResultsByTS(ctx, c, ts, 0)
		if err == nil {
			msg += "\n" + voteBars(p, r.Summary.Votes)
		}
	} else if !v.Late {
		msg += " Results are shared when the poll closes."
	}
	a.notify.TellUser(c.Channel, cb.User.ID, msg)
	return nil, nil
}

// closeDuePrototypes is the scheduled job: it closes every prototype whose
// deadline passed (the Lua transition lets exactly one caller close each)
// and announces every closing not yet announced.
func closeDuePrototypes(ctx context.Context, a *App, c *engagement.Community) error {
	if _, err := a.store.CloseDue(ctx, c); err != nil {
		return err
	}
	err := a.announceClosed(ctx, c)
	if n, oerr := a.store.OpenPrototypes(ctx, c); oerr == nil {
		a.m.proto.open.WithLabelValues(c.ID).Set(float64(n))
	}
	return err
}

// announceInBackground announces closings outside the scheduler (after a
// staff command closed one).
func (a *App) announceInBackground(c *engagement.Community) {
	ctx, cancel := context.WithTimeout(context.Background(), leaseTTL)
	defer cancel()
	if err := a.announceClosed(ctx, c); err != nil {
		a.log.Warn("prototype closing not announced; the scheduler will retry", "community", c.ID, "err", err)
	}
}

// announceClosed updates the card of each closed prototype and posts its
// results to the brand channel. Each step is marked done in Redis, and each
// prototype is claimed while it is announced, so the scheduler on any
// replica and a staff command can all call this: a step is done once. (A
// replica dying between Slack's answer and the mark would repeat that one
// step on the next run: chat.update is harmless to repeat; a summary could
// then be posted twice.) A refusal no retry can fix (a deleted card, the
// app not in the brand channel) ends its step: counted and logged, and the
// results are posted even if the card could not be updated.
func (a *App) announceClosed(ctx context.Context, c *engagement.Community) error {
	holder := rand.Text()
	pending, err := a.store.ClaimAnnouncements(ctx, c, holder, leaseTTL)
	if err != nil {
		return err
	}
	var firstErr error
	for _, an := range pending {
		if err := a.announce(ctx, c, an); err != nil {
			if firstErr == nil {
				firstErr = err
			}
			if rerr := a.store.ReleaseAnnouncement(context.WithoutCancel(ctx), c, an.TS); rerr != nil {
				a.log.Warn("announcement claim not released", "err", rerr)
			}
			continue
		}
		if err := a.store.FinishAnnouncement(ctx, c, an.TS); err != nil && firstErr == nil {
			firstErr = err
		}
	}
	return firstErr
}

func (a *App) announce(ctx context.Context, c *engagement.Community, an engagement.Announcement) error {
	seated, err := a.store.SeatedCount(ctx, c)
	if err != nil {
		return err
	}
	r, err := a.store.PrototypeResultsByTS(ctx, c, an.TS, seated)
	if err != nil {
		return err
	}
	if !an.CardUpdated {
		if err := a.updateCard(ctx, c, an.TS); err != nil {
			return fmt.Errorf("update card of %s: %w", r.ID, err)
		}
		if err := a.store.MarkCardUpdated(ctx, c, an.TS); err != nil {
			return err
		}
	}
	if an.SummaryTS == "" {
		summaryTS := "-" // no brand channel configured: nothing to post
		if c.BrandChannel != "" {
			text, blocks := prototypeResults(r)
			_, ts, err := a.api.PostMessageContext(ctx, c.BrandChannel, slack.MsgOptionText(text, false), slack.MsgOptionBlocks(blocks...))
			switch code := feature.Code(err); {
			case feature.Final(code):
				// Refused for good: the announcement ends, staff are told once.
				a.notify.BrandRefused(ctx, c, "results.post", code, fmt.Sprintf("the results of %s (%s)", r.ID, feature.Escape(r.Name)), err)
				ts = "refused:" + code
			case err != nil:
				return fmt.Errorf("post results of %s: %w", r.ID, err)
			}
			summaryTS = ts
		}
		if err := a.store.MarkSummaryPosted(ctx, c, an.TS, summaryTS); err != nil {
			return err
		}
	}
	return nil
}
