package request

import (
	"context"
	"fmt"
	"strings"

	"github.com/closeknit/closeknit/engagement"
	"github.com/closeknit/closeknit/slackapp/feature"
	"github.com/slack-go/slack"
)

// HomeBlocks is the part of the App Home in c for someone who is not in
// the community: Request a seat, or where their request stands. Staff,
// seated members and people on the waitlist get nothing here (membership
// shows them their seat or place).
func (d Deps) HomeBlocks(ctx context.Context, c *engagement.Community, user string) ([]slack.Block, error) {
	if c.IsStaff(user) {
		return nil, nil
	}
	r, err := d.Store.Roster(ctx, c)
	if err != nil {
		return nil, err
	}
	for _, s := range r.Seated {
		if s.User == user {
			return nil, nil
		}
	}
	for _, w := range r.Waitlist {
		if w.User == user {
			return nil, nil
		}
	}
	open, err := d.Store.OpenRequestOf(ctx, c, user)
	if err != nil {
		return nil, err
	}
	if open != nil {
		return []slack.Block{slack.NewSectionBlock(feature.Mrkdwn(fmt.Sprintf(
			":hourglass_flowing_sand: Your request for a seat in <#%s> (%s, %s) is with the brand team. I will DM you their answer.",
			c.Channel, open.ID, feature.Date(open.Created))), nil, nil)}, nil
	}
	declined, err := d.Store.DeclinedAt(ctx, c, user)
	if err != nil {
		return nil, err
	}
	if again := declined.Add(engagement.RequestRepeatAfter); !declined.IsZero() && d.Store.Now().Before(again) {
		return []slack.Block{slack.NewSectionBlock(feature.Mrkdwn(fmt.Sprintf(
			"Your last request for a seat in <#%s> was declined. You can ask again from %s.", c.Channel, feature.Date(again))), nil, nil)}, nil
	}
	ask := slack.NewButtonBlockElement(ActionAsk, c.ID, feature.Plain("Request a seat"))
	ask.Style = slack.StylePrimary
	return []slack.Block{
		slack.NewSectionBlock(feature.Mrkdwn(fmt.Sprintf("*Would you like to join <#%s>?* It is a small community of customers who "+
			"talk with each other and with the team behind the product. Ask for a seat and the brand team will answer.", c.Channel)), nil,
			slack.NewAccessory(ask)),
	}, nil
}

// form is the Request a seat modal for c.
func form(c *engagement.Community) slack.ModalViewRequest {
	about := slack.NewPlainTextInputBlockElement(feature.Plain("What you make, use or love about the product"), fieldAbout)
	about.Multiline = true
	about.MaxLength = engagement.MaxRequestText
	block := slack.NewInputBlock(fieldAbout, feature.Plain("A line about you (optional)"), nil, about)
	block.Optional = true
	return slack.ModalViewRequest{
		Type:            slack.VTModal,
		CallbackID:      ViewAsk,
		Title:           feature.Plain("Request a seat"),
		Submit:          feature.Plain("Send"),
		Close:           feature.Plain("Cancel"),
		PrivateMetadata: c.ID,
		Blocks: slack.Blocks{BlockSet: []slack.Block{
			block,
			slack.NewContextBlock("", feature.Mrkdwn("The brand team sees your name and this line. `/closeknit forget` deletes it.")),
		}},
	}
}

// Ask is the Home's Request a seat button: it opens the form.
func Ask(d Deps) feature.Interaction {
	return func(ctx context.Context, cb *slack.InteractionCallback) (any, error) {
		if len(cb.ActionCallback.BlockActions) == 0 {
			return nil, nil
		}
		c := d.ByID(cb.ActionCallback.BlockActions[0].Value)
		if c == nil {
			return nil, nil
		}
		_, err := d.API.OpenViewContext(ctx, cb.TriggerID, form(c))
		if feature.Code(err) == "expired_trigger_id" {
			d.Notify.Tell(feature.Notice{User: cb.User.ID}, "Slack gave up waiting before the form could open; please press *Request a seat* again.")
			return nil, nil
		}
		return nil, err
	}
}

// Submission opens the request of the form's sender; a refusal (a seat,
// a waitlist place, an open request, a recent decline) is shown in the
// form and changes nothing. The card is posted after the ack.
func Submission(d Deps) feature.Interaction {
	return func(ctx context.Context, cb *slack.InteractionCallback) (any, error) {
		fail := func(msg string) (any, error) {
			return slack.NewErrorsViewSubmissionResponse(map[string]string{fieldAbout: msg}), nil
		}
		c := d.ByID(cb.View.PrivateMetadata)
		if c == nil {
			return fail("This form is out of date; please open it again from the app's Home.")
		}
		if c.IsStaff(cb.User.ID) {
			return fail("You are on the brand team: no seat needed.")
		}
		about := strings.TrimSpace(cb.View.State.Values[fieldAbout][fieldAbout].Value)
		res, err := d.Store.OpenRequest(ctx, c, engagement.RequestSpec{User: cb.User.ID, About: about}, cb.View.ID)
		if msg, ok := feature.Invalid(err); ok {
			return fail(msg)
		}
		if err != nil {
			return nil, err
		}
		if res.Refusal != engagement.RequestAccepted {
			return fail(refusal(c, res, cb.User.ID, ""))
		}
		if res.Created {
			d.opened(c, res.Request)
		}
		user := cb.User.ID
		d.Run.Go(func() {
			ctx, cancel := context.WithTimeout(context.Background(), feature.Courtesy)
			defer cancel()
			if err := d.RefreshHome(ctx, user); err != nil {
				d.Log.Warn("app home not refreshed", "user_id", user, "err", err)
			}
		})
		return nil, nil
	}
}

// opened counts a new request and posts its card after the ack.
func (d Deps) opened(c *engagement.Community, r *engagement.SeatRequest) {
	d.Metrics.requests.WithLabelValues(c.ID, outcomeOpened).Inc()
	if c.BrandChannel == "" {
		d.Log.Info("seat request opened (no brand channel: see /closeknit requests)", "community", c.ID, "request", r.ID)
		return
	}
	d.Run.Go(func() { d.postCard(context.Background(), c, r.ID) })
}

// refusal is the kind sentence for a request not opened. nominee is set
// when a nominator asked (then "they", not "you").
func refusal(c *engagement.Community, res engagement.OpenResult, user, nominee string) string {
	subject, have, are := "You", "have", "are"
	if nominee != "" {
		subject, have, are = "<@"+nominee+">", "has", "is"
	}
	switch res.Refusal {
	case engagement.RequestAlreadyOpen:
		if nominee != "" {
			return fmt.Sprintf("<@%s> already has a request with the brand team (%s, %s): nothing more is needed, thank you.", nominee, res.Request.ID, feature.Date(res.Request.Created))
		}
		return fmt.Sprintf("Your request (%s, %s) is already with the brand team: nothing more is needed. I will DM you their answer.", res.Request.ID, feature.Date(res.Request.Created))
	case engagement.RequestIsSeated:
		return fmt.Sprintf("%s already %s a seat in <#%s>.", subject, have, c.Channel)
	case engagement.RequestIsWaiting:
		return fmt.Sprintf("%s %s already #%d on the waitlist for <#%s>: the next free seat goes to the head of the line.", subject, are, res.Position, c.Channel)
	case engagement.RequestDeclinedLate:
		return fmt.Sprintf("The brand team declined a request for %s recently; a new one can be made from %s.",
			strings.ToLower(subject[:1])+subject[1:], res.Until.Format("2 Jan 2006"))
	}
	return ""
}
