package prototype

import (
	"cmp"
	"context"
	"fmt"

	"github.com/closeknit/closeknit/engagement"
	"github.com/closeknit/closeknit/slackapp/feature"
	"github.com/slack-go/slack"
)

// Shortcut opens the modal from the global shortcut.
func (f *Feature) Shortcut(ctx context.Context, cb *slack.InteractionCallback) (any, error) {
	view := notStaffModal()
	if c, err := f.d.Staff.Community(&slack.SlashCommand{UserID: cb.User.ID}); err == nil {
		view = newModal(c)
	}
	if _, err := f.d.API.OpenViewContext(ctx, cb.TriggerID, view); err != nil {
		return nil, openError(err)
	}
	return nil, nil
}

// openError explains a views.open that failed. A trigger_id lasts 3 s:
// when Slack or Redis was slow, it expired before the form could open, and
// trying again is all there is to do.
func openError(err error) error {
	if cmp.Or(feature.Code(err), "no answer") == "expired_trigger_id" {
		return feature.Say("Slack gave up waiting before the form could open; please try again.")
	}
	return fmt.Errorf("open prototype modal: %w", err)
}

// Submission validates the modal and claims it, acks at once with a
// "Posting…" view, and posts the card in the background. Slack gives a
// submission 3 s, and chat.postMessage alone can take longer: waiting for
// it made Slack show an error while the card went up, and the staff
// member's second Post a second card. Anything wrong with the input goes
// back into the modal as field errors, and nothing is posted.
func (f *Feature) Submission(ctx context.Context, cb *slack.InteractionCallback) (any, error) {
	fail := func(field, msg string) (any, error) {
		return slack.NewErrorsViewSubmissionResponse(map[string]string{field: msg}), nil
	}
	c := f.communityByID(cb.View.PrivateMetadata)
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
	claimed, err := f.d.Store.ClaimSubmission(ctx, c, cb.View.ID)
	if err != nil {
		f.d.Log.Error("prototype not posted", "user_id", cb.User.ID, "err", err)
		return fail(engagement.FieldName, feature.Sorry)
	}
	if !claimed {
		return posting, nil // posted, or being posted, by the first submission
	}
	poster := feature.Notice{User: cb.User.ID}
	if len(cb.ResponseURLs) > 0 {
		poster.ResponseURL = cb.ResponseURLs[0].ResponseURL
	}
	if !f.d.Run.Go(func() { f.postCard(c, spec, cb.View.ID, poster) }) {
		f.releaseView(c, cb.View.ID)
		return fail(engagement.FieldName, "I am busy right now; please try again in a minute.")
	}
	return posting, nil
}

// postCard posts and records a claimed submission, after its ack, and
// tells the poster how it went. A card Slack accepts late is still
// recorded. If Slack refused it, nothing is up: the claim is released. If
// Slack did not answer, the card may be up: the claim is kept (a second
// submission of the form posts nothing) and the poster is told to look.
func (f *Feature) postCard(c *engagement.Community, spec engagement.PrototypeSpec, viewID string, poster feature.Notice) {
	ctx, cancel := context.WithTimeout(context.Background(), feature.Post)
	defer cancel()
	opened := f.d.Store.Now()
	draft := &engagement.Prototype{PrototypeSpec: spec, Status: engagement.StatusOpen, OpenedAt: opened, ClosesAt: opened.Add(spec.OpenFor)}
	text, blocks := card(draft, nil)
	channel, ts, err := f.d.API.PostMessageContext(ctx, c.Channel, slack.MsgOptionText(text, false), slack.MsgOptionBlocks(blocks...))
	name := feature.Escape(spec.Name)
	if err != nil {
		f.d.Log.Error("prototype card not posted", "user_id", poster.User, "channel", c.Channel, "err", err)
		if feature.Refused(err) {
			f.releaseView(c, viewID)
			f.d.Notify.Tell(poster, fmt.Sprintf("Sorry, Slack would not take the card for *%s* in <#%s> (%s), so nothing was posted. Please try again with `/closeknit prototype`.",
				name, c.Channel, cmp.Or(feature.Code(err), "no answer")))
			return
		}
		f.d.Notify.Tell(poster, fmt.Sprintf("Slack did not confirm the card for *%s* in <#%s> (%s), so it may or may not be up; either way it is not recorded, "+
			"and feedback on it would not count. Please check the channel and post it again with `/closeknit prototype`.", name, c.Channel, cmp.Or(feature.Code(err), "no answer")))
		return
	}
	p, err := f.d.Store.CreatePrototype(ctx, c, spec, opened, channel, ts)
	if err != nil {
		// The card is up but unrecorded: say so on the card, let staff retry.
		f.releaseView(c, viewID)
		f.d.Log.Error("prototype card posted but not recorded", "user_id", poster.User, "ts", ts, "err", err)
		if _, _, _, uerr := f.d.API.UpdateMessageContext(ctx, channel, ts, slack.MsgOptionText("(This prototype could not be recorded and was withdrawn.)", false), slack.MsgOptionBlocks()); uerr != nil {
			f.d.Log.Warn("unrecorded card not withdrawn", "ts", ts, "err", uerr)
		}
		f.d.Notify.Tell(poster, fmt.Sprintf("The card for *%s* was posted but could not be recorded, so it was withdrawn. Please try again in a minute.", name))
		return
	}
	if err := f.d.Store.SubmissionPosted(ctx, c, viewID, p.TS); err != nil {
		f.d.Log.Warn("view not marked posted", "prototype", p.ID, "err", err) // the short claim still holds a minute
	}
	// The card gets its ID before the poster learns it: nobody can close
	// it before, so this update never races the closing one.
	if err := f.updateCard(ctx, c, p.TS); err != nil {
		f.d.Log.Warn("prototype card not updated with its ID", "prototype", p.ID, "err", err)
	}
	f.finishPosting(ctx, p, poster)
}

func (f *Feature) releaseView(c *engagement.Community, viewID string) {
	ctx, cancel := context.WithTimeout(context.Background(), feature.Release)
	defer cancel()
	if err := f.d.Store.ReleaseSubmission(ctx, c, viewID); err != nil {
		f.d.Log.Warn("view claim not released", "err", err)
	}
}

// finishPosting seeds the reaction set on the card (the app's own
// reactions never count: the bot user's reaction events are ignored) and
// tells the poster the ID.
func (f *Feature) finishPosting(ctx context.Context, p *engagement.Prototype, poster feature.Notice) {
	for _, r := range p.Reactions {
		err := f.d.API.AddReactionContext(ctx, r.Emoji, slack.NewRefToMessage(p.Channel, p.TS))
		if err != nil && cmp.Or(feature.Code(err), "no answer") != "already_reacted" {
			f.d.Log.Warn("reaction not seeded", "prototype", p.ID, "emoji", r.Emoji, "err", err)
		}
	}
	f.d.Notify.Tell(poster, fmt.Sprintf("Posted %s (%s) in <#%s>. Feedback closes %s. `/closeknit prototype close %s` closes it early, `/closeknit prototype extend %s DAYS` extends it.",
		p.ID, feature.Escape(p.Name), p.Channel, feature.Date(p.ClosesAt), p.ID, p.ID))
}
