package slackapp

import (
	"context"
	"fmt"

	"github.com/closeknit/closeknit/engagement"
	"github.com/closeknit/closeknit/slackapp/feature"
	"github.com/slack-go/slack"
)

// digestCommand answers `/closeknit digest [YYYY-Www]`: the digest of last
// week (or the given one), shown only to the staff member who asked.
func digestCommand(ctx context.Context, a *App, cmd *slack.SlashCommand, args []string) (*slack.Msg, error) {
	c, err := a.staffCommunity(cmd)
	if err != nil {
		return nil, err
	}
	w := engagement.WeekOf(a.store.Now(), c.Location).Prev()
	switch {
	case len(args) > 1:
		return nil, feature.Say("Usage: /closeknit digest [YYYY-Www]")
	case len(args) == 1:
		if w, err = engagement.ParseWeek(args[0]); err != nil {
			return nil, feature.Say(fmt.Sprintf("%q is not a week. Usage: /closeknit digest [YYYY-Www], e.g. 2026-W47", args[0]))
		}
	}
	k, err := a.store.KPIs(ctx, c, w, a.kpiOptions(ctx))
	if err != nil {
		return nil, err
	}
	return &slack.Msg{Text: digestSummary(k), Blocks: digestBlocks(k)}, nil
}

// KPIs computes week w's KPIs of community c with the app's settings, for
// the command line.
func (a *App) KPIs(ctx context.Context, c *engagement.Community, w engagement.Week) (*engagement.KPIs, error) {
	return a.store.KPIs(ctx, c, w, a.kpiOptions(ctx))
}
