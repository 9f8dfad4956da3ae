package request

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/closeknit/closeknit/engagement"
	"github.com/closeknit/closeknit/slackapp/feature"
	"github.com/slack-go/slack"
)

// Approve and Decline are the card's buttons (and those of /closeknit
// requests), for staff. The store decides once: a double click, or two
// staff at once, decide once, and the later presser is told who decided.
func Approve(d Deps) feature.Interaction { return d.decide(true) }

// Decline is Approve's counterpart.
func Decline(d Deps) feature.Interaction { return d.decide(false) }

func (d Deps) decide(approve bool) feature.Interaction {
	return func(ctx context.Context, cb *slack.InteractionCallback) (any, error) {
		if len(cb.ActionCallback.BlockActions) == 0 {
			return nil, nil
		}
		cid, id, ok := strings.Cut(cb.ActionCallback.BlockActions[0].Value, valueSep)
		c := d.ByID(cid)
		if !ok || c == nil {
			return nil, nil
		}
		// The presser is answered where they pressed, seen by them only: in
		// the brand channel beside the card, else (the buttons of
		// /closeknit requests, which may run where the app is not) by DM.
		// Never through the response_url, whose answer may replace the card.
		tell := func(text string) {
			if ch := cb.Container.ChannelID; ch != "" && !cb.Container.IsEphemeral {
				d.Notify.TellUser(ch, cb.User.ID, text)
				return
			}
			user := cb.User.ID
			d.Run.Go(func() { d.Notify.Tell(feature.Notice{User: user}, text) })
		}
		if !c.IsStaff(cb.User.ID) {
			tell("Thank you, but seat requests are decided by the brand team, so nothing changed.")
			return nil, nil
		}
		res, err := d.Store.DecideRequest(ctx, c, id, cb.User.ID, approve)
		if errors.Is(err, engagement.ErrNoRequest) {
			return nil, nil // a button on a card whose request is gone
		}
		if err != nil {
			return nil, err
		}
		r := res.Request
		if !res.Decided {
			if r.DecidedBy == cb.User.ID {
				return nil, nil // a double click: the card shows the decision
			}
			tell(fmt.Sprintf("%s was decided already: %s", r.ID, decision(r)))
			return nil, nil
		}
		outcome := outcomeDeclined
		if r.Status == engagement.RequestApproved {
			outcome = outcomeApproved
		}
		d.Metrics.requests.WithLabelValues(c.ID, outcome).Inc()
		if cb.Container.IsEphemeral || !r.Posted() {
			tell(fmt.Sprintf("%s %s", r.ID, decision(r))) // from /closeknit requests: no card shows it to them
		}
		d.Run.Go(func() {
			// Held first, so that the job, running meanwhile, does not DM twice.
			if held, err := d.Store.HoldRequestNotices(context.Background(), c, r.ID); err != nil || !held {
				return // the job does them (or did)
			}
			d.sendNotices(context.Background(), c, r.ID)
		})
		return nil, nil
	}
}

// errCardUnderWay is the card notice of a request whose card is being
// posted: not done, and not refused.
var errCardUnderWay = errors.New("the card is being posted")

// sendNotices does what a decision owes, each once: the card shows it,
// the person is DMed, and the nominator. What Slack did not answer is
// tried again by the job; what it refused for good is counted and given
// up.
func (d Deps) sendNotices(ctx context.Context, c *engagement.Community, id string) {
	ctx, cancel := context.WithTimeout(ctx, feature.Post)
	defer cancel()
	r, err := d.Store.Request(ctx, c, id)
	if err != nil {
		d.Log.Warn("request not read for its notices", "community", c.ID, "request", id, "err", err)
		return
	}
	if r.Status == engagement.RequestOpen {
		return
	}
	if r.NoticeDone(engagement.NoticeCard) && r.NoticeDone(engagement.NoticeUser) && r.NoticeDone(engagement.NoticeNominator) {
		// Put back while the last was being marked (postCard): take it
		// off the list again.
		if err := d.Store.RequestNoticeDone(ctx, c, id, engagement.NoticeCard); err != nil {
			d.Log.Warn("request notices not closed", "request", id, "err", err)
		}
		return
	}
	retry := false
	do := func(n, step string, call func() error) {
		if r.NoticeDone(n) {
			return
		}
		err := call()
		if code := feature.Code(err); err != nil && !feature.Final(code) {
			d.Log.Warn("request notice not done; tried again later", "community", c.ID, "request", id, "notice", n, "err", err)
			retry = true
			return
		} else if err != nil {
			d.Notify.Refused(c, step, code)
			d.Log.Warn("slack refused a request notice; given up", "community", c.ID, "request", id, "notice", n, "err", err)
		}
		if err := d.Store.RequestNoticeDone(ctx, c, id, n); err != nil {
			d.Log.Warn("request notice not marked done", "request", id, "err", err)
			retry = true
		}
	}
	do(engagement.NoticeCard, stepUpdate, func() error {
		if !r.Posted() && r.TS != "" {
			// Its post is under way: Slack may show the card before the
			// app learns its ts. postCard updates it once it does.
			return errCardUnderWay
		}
		if !r.Posted() {
			return nil
		}
		text, blocks := card(c, r)
		_, _, _, err := d.API.UpdateMessageContext(ctx, r.Channel, r.TS, slack.MsgOptionText(text, false), slack.MsgOptionBlocks(blocks...))
		return err
	})
	do(engagement.NoticeUser, stepDM, func() error {
		if r.User == "" || r.Outcome == engagement.RequestSeated {
			return nil
		}
		_, _, err := d.API.PostMessageContext(ctx, r.User, slack.MsgOptionText(personText(c, r), false))
		return err
	})
	do(engagement.NoticeNominator, stepDM, func() error {
		if r.NominatedBy == "" {
			return nil
		}
		_, _, err := d.API.PostMessageContext(ctx, r.NominatedBy, slack.MsgOptionText(nominatorText(c, r), false))
		return err
	})
	if retry {
		if err := d.Store.RetryRequestNotices(ctx, c, id, engagement.RequestRetrySoon); err != nil {
			d.Log.Warn("request notices not rescheduled", "request", id, "err", err)
		}
	}
}

// personText is the DM to the person a decision is about.
func personText(c *engagement.Community, r *engagement.SeatRequest) string {
	news := fmt.Sprintf("Good news <@%s>: the brand team approved your request for a seat in <#%s>! :tada:", r.User, c.Channel)
	if r.NominatedBy != "" {
		news = fmt.Sprintf("Good news <@%s>: <@%s> nominated you for a seat in <#%s>, and the brand team approved! :tada:", r.User, r.NominatedBy, c.Channel)
	}
	switch {
	case r.Status == engagement.RequestDeclined && r.NominatedBy != "":
		return fmt.Sprintf("Hi <@%s>, <@%s> nominated you for a seat in <#%s>. The brand team cannot offer you one right now; thank you for your interest. :pray:",
			r.User, r.NominatedBy, c.Channel)
	case r.Status == engagement.RequestDeclined:
		return fmt.Sprintf("Hi <@%s>, thank you for asking for a seat in <#%s>. The brand team cannot offer you one right now; you can ask again from %s. :pray:",
			r.User, c.Channel, feature.Date(r.Decided.Add(engagement.RequestRepeatAfter)))
	case r.Outcome == engagement.RequestWaitlist:
		return fmt.Sprintf("%s Every seat is taken right now, so you are *#%d* on the waitlist; I will invite you as soon as a seat opens up. "+
			"`/closeknit status` shows your place.", news, r.Position)
	}
	return fmt.Sprintf("%s You have a seat; an invitation to the channel is on its way.", news)
}

// nominatorText is the DM to the member who nominated.
func nominatorText(c *engagement.Community, r *engagement.SeatRequest) string {
	if r.Status == engagement.RequestDeclined {
		return fmt.Sprintf("The brand team declined your nomination of %s (%s) for now. Thank you for thinking of them.", who(r), r.ID)
	}
	if r.Outcome == engagement.RequestWaitlist {
		return fmt.Sprintf("The brand team approved your nomination of %s (%s): every seat is taken, so they are #%d on the waitlist. Thank you!", who(r), r.ID, r.Position)
	}
	return fmt.Sprintf("The brand team approved your nomination of %s (%s): they have a seat in <#%s>. Thank you!", who(r), r.ID, c.Channel)
}
