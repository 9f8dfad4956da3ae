package membership

import (
	"context"
	"fmt"

	"github.com/closeknit/closeknit/engagement"
	"github.com/closeknit/closeknit/slackapp/feature"
	"github.com/slack-go/slack"
)

// Nudges is a scheduled job: one friendly DM to members who have not
// introduced themselves c.NudgeAfter after taking their seat. ClaimNudge
// makes it at most one, ever; a nudge Slack did not take (rate limited,
// down) is given back and tried again on the next run.
func (f *Feature) Nudges(ctx context.Context, c *engagement.Community) error {
	now := f.Store.Now()
	due, err := f.Store.DueNudges(ctx, c, now, c.NudgeAfter)
	if err != nil {
		return err
	}
	var failed error
	for _, u := range due {
		ok, err := f.Store.ClaimNudge(ctx, c, u, now)
		if err != nil {
			return err
		}
		if !ok {
			continue
		}
		_, _, err = f.API.PostMessageContext(ctx, u, slack.MsgOptionText(fmt.Sprintf(
			"Hi <@%s>! :wave: We would love to hear from you in <#%s>: who you are, and what you think of what we make. "+
				"A line or two is plenty. (This is the only reminder I will send.)", u, c.Channel), false))
		switch code := feature.Code(err); {
		case err == nil:
		case feature.Final(code): // they cannot be DMed: no retry
			f.Notify.Refused(c, "nudge.dm", code)
			f.Log.Warn("nudge refused", "community", c.ID, "user_id", u, "err", err)
		default:
			f.Log.Warn("nudge not sent; will retry", "community", c.ID, "user_id", u, "err", err)
			if err := f.Store.UnclaimNudge(context.WithoutCancel(ctx), c, u); err != nil {
				return err
			}
			failed = fmt.Errorf("nudge %s: %w", u, err)
		}
	}
	return failed
}
