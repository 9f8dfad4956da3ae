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

// Outcomes counted in closeknit_drop_confirmations_total.
const (
	confirmedOK, confirmExpired, confirmPassedOn = "confirmed", "expired", "passed_on"
)

// winnerDM is the DM a winner of d gets: the brand's next steps and, if d
// asks winners to confirm, the Confirm and Pass it on buttons. The
// buttons carry the community and the drop, since a DM is no community's
// channel.
func winnerDM(c *engagement.Community, d *engagement.Drop) (string, []slack.Block) {
	text := fmt.Sprintf(":tada: You have one of *%s* (%s, early access).", feature.Escape(d.Name), d.ID)
	if d.Message != "" {
		text += "\n\n" + feature.Escape(d.Message)
	}
	if d.ConfirmWithin == 0 {
		return text, []slack.Block{slack.NewSectionBlock(feature.Mrkdwn(text), nil, nil)}
	}
	text += fmt.Sprintf("\n\nPlease press *Confirm* within %s to keep it; after that it goes to the next member in line. "+
		"Not for you after all? *Pass it on* gives it to them now.", feature.Duration(d.ConfirmWithin))
	value := c.ID + "/" + d.ID
	confirm := slack.NewButtonBlockElement(ActionConfirm, value, feature.Plain("Confirm"))
	confirm.Style = slack.StylePrimary
	pass := slack.NewButtonBlockElement(ActionPassOn, value, feature.Plain("Pass it on"))
	return text, []slack.Block{
		slack.NewSectionBlock(feature.Mrkdwn(text), nil, nil),
		slack.NewActionBlock("drop_confirm_actions", confirm, pass),
	}
}

// fromDM reads which community and drop a DM button is about.
func (b *Board) fromDM(cb *slack.InteractionCallback) (*engagement.Community, string, bool) {
	if len(cb.ActionCallback.BlockActions) == 0 {
		return nil, "", false
	}
	cid, id, ok := strings.Cut(cb.ActionCallback.BlockActions[0].Value, "/")
	c := b.ByID(cid)
	return c, id, ok && c != nil && id != ""
}

// Confirm is a winner's press of Confirm in their DM. The store decides it
// in one step (a press after the deadline is too late, whether or not the
// job has passed the unit on yet); the DM's buttons are replaced by the
// outcome. Slack never redelivers an interaction, and a second press finds
// the unit confirmed already.
func (b *Board) Confirm(ctx context.Context, cb *slack.InteractionCallback) (any, error) {
	c, id, ok := b.fromDM(cb)
	if !ok {
		return nil, nil
	}
	r, err := b.Store.ConfirmDrop(ctx, c, id, cb.User.ID)
	if errors.Is(err, engagement.ErrNoDrop) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	id = strings.ToUpper(id)
	var text string
	switch r.Outcome {
	case engagement.Confirmed:
		b.Metrics.confirms.WithLabelValues(c.ID, confirmedOK).Inc()
		b.cardSoon(c, id)
		text = ":white_check_mark: Confirmed: it is yours. Thank you!"
	case engagement.ConfirmedBefore:
		text = ":white_check_mark: You confirmed already: it is yours."
	case engagement.ConfirmTooLate:
		b.passedOn(c, id, confirmExpired, r.Next)
		text = "Sorry, the time to confirm had passed, so it went to the next member in line."
	default:
		text = "This one is no longer yours: it was given back or passed on."
	}
	b.settleDM(cb, text)
	return nil, nil
}

// PassOn is a winner's press of Pass it on in their DM: the unit goes to
// the next in line at once, as if staff had released it.
func (b *Board) PassOn(ctx context.Context, cb *slack.InteractionCallback) (any, error) {
	c, id, ok := b.fromDM(cb)
	if !ok {
		return nil, nil
	}
	r, err := b.Store.ReleaseDrop(ctx, c, id, cb.User.ID)
	if errors.Is(err, engagement.ErrNoDrop) {
		return nil, nil
	}
	text := "Thank you: it went to the next member in line."
	switch {
	case errors.Is(err, engagement.ErrNotClaimant):
		text = "This one is no longer yours: it was given back or passed on."
	case err != nil:
		return nil, err
	case r.Released:
		b.passedOn(c, strings.ToUpper(id), confirmPassedOn, r.Next)
		if r.Next == "" {
			text = "Thank you: nobody was in line, so it can be claimed again."
		}
	}
	b.settleDM(cb, text)
	return nil, nil
}

// passedOn follows a unit that changed hands: counted, the card's count
// follows, and the next winner (if any) is DMed.
func (b *Board) passedOn(c *engagement.Community, id, outcome, next string) {
	b.Metrics.confirms.WithLabelValues(c.ID, outcome).Inc()
	b.cardSoon(c, id)
	if next != "" {
		b.noticesSoon(c, id)
	}
}

// settleDM replaces the buttons of the DM pressed with the outcome, after
// the ack. If Slack will not update it, the outcome is told privately.
func (b *Board) settleDM(cb *slack.InteractionCallback, outcome string) {
	ch, ts := cb.Container.ChannelID, cb.Container.MessageTs
	if ch == "" {
		ch, ts = cb.Channel.ID, cb.Message.Timestamp
	}
	before := cb.Message.Text
	b.Run.Go(func() {
		ctx, cancel := context.WithTimeout(context.Background(), feature.Courtesy)
		defer cancel()
		_, _, _, err := b.API.UpdateMessageContext(ctx, ch, ts, slack.MsgOptionText(before+"\n\n"+outcome, false),
			slack.MsgOptionBlocks(slack.NewSectionBlock(feature.Mrkdwn(before), nil, nil),
				slack.NewContextBlock("", feature.Mrkdwn(outcome))))
		if err != nil {
			b.Log.Warn("drop DM not updated; told privately", "channel", ch, "err", err)
			b.Notify.TellUser(ch, cb.User.ID, outcome)
		}
	})
}

// expire passes on the units whose winners did not confirm in time (each
// once, whichever replica runs the job) and tells each such winner. The
// new winners are DMed by the job's next step.
func (b *Board) expire(ctx context.Context, c *engagement.Community) error {
	gone, err := b.Store.ExpireDropConfirms(ctx, c)
	names := map[string]string{} // drop ID -> how the DM names it, read once per drop
	for _, e := range gone {
		b.Metrics.confirms.WithLabelValues(c.ID, confirmExpired).Inc()
		b.cardSoon(c, e.Drop)
		name, ok := names[e.Drop]
		if !ok {
			name = e.Drop
			if d, derr := b.Store.Drop(ctx, c, e.Drop); derr == nil {
				name = fmt.Sprintf("*%s* (%s)", feature.Escape(d.Name), d.ID)
			}
			names[e.Drop] = name
		}
		// One try: the unit has gone on either way, and this only explains.
		_, _, perr := b.API.PostMessageContext(ctx, e.User, slack.MsgOptionText(
			fmt.Sprintf("The time to confirm your %s passed, so it went to the next member in line.", name), false))
		if perr != nil {
			b.Log.Warn("drop expiry not told", "drop", e.Drop, "user_id", e.User, "err", perr)
		}
	}
	return err
}

// confirmNote is the card's line about confirming, "" if d asks none.
func confirmNote(d *engagement.Drop) string {
	if d.ConfirmWithin == 0 {
		return ""
	}
	return fmt.Sprintf(" Winners confirm within %s (%d confirmed).", feature.Duration(d.ConfirmWithin), d.Confirmed)
}
