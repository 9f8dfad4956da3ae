package request

import (
	"context"
	"fmt"

	"github.com/closeknit/closeknit/engagement"
	"github.com/closeknit/closeknit/slackapp/feature"
	"github.com/slack-go/slack"
)

// who is how a request names its person ("someone forgotten" once they
// were).
func who(r *engagement.SeatRequest) string {
	if r.User == "" {
		return "someone (forgotten since)"
	}
	return "<@" + r.User + ">"
}

// asked is the request's first line.
func asked(r *engagement.SeatRequest, c *engagement.Community) string {
	if r.NominatedBy != "" {
		return fmt.Sprintf("<@%s> nominates %s for a seat in <#%s>.", r.NominatedBy, who(r), c.Channel)
	}
	return fmt.Sprintf("%s asks for a seat in <#%s>.", who(r), c.Channel)
}

// decision describes a decided request in a line.
func decision(r *engagement.SeatRequest) string {
	by := "the brand team"
	if r.DecidedBy != "" {
		by = "<@" + r.DecidedBy + ">"
	}
	if r.Status == engagement.RequestDeclined {
		return fmt.Sprintf(":x: Declined by %s, %s.", by, feature.Date(r.Decided))
	}
	line := fmt.Sprintf(":white_check_mark: Approved by %s, %s", by, feature.Date(r.Decided))
	switch r.Outcome {
	case engagement.RequestSeat:
		return line + ": they have a seat and are being invited."
	case engagement.RequestWaitlist:
		return line + fmt.Sprintf(": every seat was taken, so they are #%d on the waitlist.", r.Position)
	case engagement.RequestSeated:
		return line + ": they held a seat already."
	}
	return line + "."
}

// buttons are Approve and Decline for request r of c.
func buttons(c *engagement.Community, r *engagement.SeatRequest) *slack.ActionBlock {
	value := c.ID + valueSep + r.ID
	approve := slack.NewButtonBlockElement(ActionApprove, value, feature.Plain("Approve"))
	approve.Style = slack.StylePrimary
	decline := slack.NewButtonBlockElement(ActionDecline, value, feature.Plain("Decline"))
	decline.Style = slack.StyleDanger
	return slack.NewActionBlock("request_"+r.ID, approve, decline)
}

// card renders request r's card: who, why, when, and the buttons while it
// is open, the decision once made.
func card(c *engagement.Community, r *engagement.SeatRequest) (string, []slack.Block) {
	text := fmt.Sprintf("Seat request %s: %s", r.ID, asked(r, c))
	blocks := []slack.Block{
		slack.NewHeaderBlock(feature.Plain(fmt.Sprintf(":door: Seat request %s", r.ID))),
		slack.NewSectionBlock(feature.Mrkdwn(asked(r, c)), nil, nil),
	}
	if r.About != "" {
		blocks = append(blocks, slack.NewSectionBlock(feature.Mrkdwn("> "+feature.Escape(r.About)), nil, nil))
	}
	blocks = append(blocks, slack.NewContextBlock("", feature.Mrkdwn(fmt.Sprintf("%s · asked %s", r.ID, feature.Date(r.Created)))))
	if r.Status == engagement.RequestOpen {
		return text, append(blocks, buttons(c, r))
	}
	return text, append(blocks, slack.NewSectionBlock(feature.Mrkdwn(decision(r)), nil, nil))
}

// postCard posts open request id's card in c's brand channel, once
// (ClaimRequestCard). Refused for good, staff are told once (BrandRefused)
// and the job tries again later; `/closeknit requests` lists it meanwhile.
// Not answered, it is tried again too: a second card is possible then,
// and harmless (the first decision counts, whichever card it came from).
func (d Deps) postCard(ctx context.Context, c *engagement.Community, id string) {
	ctx, cancel := context.WithTimeout(ctx, feature.Post)
	defer cancel()
	claimed, err := d.Store.ClaimRequestCard(ctx, c, id)
	if err != nil || !claimed {
		if err != nil {
			d.Log.Warn("request card not claimed", "community", c.ID, "request", id, "err", err)
		}
		return
	}
	r, err := d.Store.Request(ctx, c, id)
	if err == nil && r.Status != engagement.RequestOpen {
		return // decided meanwhile (from /closeknit requests): no card needed
	}
	var ch, ts string
	if err == nil {
		text, blocks := card(c, r)
		ch, ts, err = d.API.PostMessageContext(ctx, c.BrandChannel, slack.MsgOptionText(text, false), slack.MsgOptionBlocks(blocks...))
	}
	if err != nil {
		after := engagement.RequestRetrySoon
		if code := feature.Code(err); feature.Final(code) {
			d.Notify.BrandRefused(ctx, c, stepCard, code, whatCard, err)
			after = engagement.RequestRetryLater
		} else {
			d.Log.Warn("request card not posted; tried again soon", "community", c.ID, "request", id, "err", err)
		}
		if rerr := d.Store.ReleaseRequestCard(ctx, c, id); rerr != nil {
			d.Log.Warn("request card claim not released", "request", id, "err", rerr)
		}
		if rerr := d.Store.RetryRequestCard(ctx, c, id, after); rerr != nil {
			d.Log.Warn("request card not rescheduled", "request", id, "err", rerr)
		}
		return
	}
	if err := d.Store.SetRequestCard(ctx, c, id, ch, ts); err != nil {
		d.Log.Error("request card posted but not recorded", "request", id, "ts", ts, "err", err)
		return
	}
	d.Notify.ClearSetupProblems(ctx, c, "brand:")
	// Slack shows the card before it answers the post: a decision taken on
	// it meanwhile found no ts to update (sendNotices left the card notice
	// to do). Do it now rather than at the job's next try.
	if r, err := d.Store.Request(ctx, c, id); err == nil && r.Status != engagement.RequestOpen && !r.NoticeDone(engagement.NoticeCard) {
		if err := d.Store.RetryRequestNotices(ctx, c, id, 0); err != nil {
			d.Log.Warn("request notices not rescheduled", "request", id, "err", err)
			return
		}
		if held, err := d.Store.HoldRequestNotices(ctx, c, id); err == nil && held {
			d.sendNotices(ctx, c, id)
		}
	}
}
