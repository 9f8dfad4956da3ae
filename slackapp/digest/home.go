package digest

import (
	"context"
	"fmt"
	"time"

	"github.com/closeknit/closeknit/engagement"
	"github.com/closeknit/closeknit/slackapp/feature"
	"github.com/slack-go/slack"
)

// The staff App Home is a live dashboard of each community the person is
// staff of: the current week so far, seats and waitlist, open prototypes,
// and the posts still waiting for an answer. It is rebuilt on every
// app_home_opened. Members get the core's Home, with ReportBlocks.

// PublishStaffHome publishes the staff App Home of userID.
func (d *Digest) PublishStaffHome(ctx context.Context, userID string) error {
	var boards []*engagement.KPIs
	var problems []slack.Block // setup problems first: they stop the app doing its job
	var extra []slack.Block    // other features' sections, last
	for _, c := range d.communities {
		if !c.IsStaff(userID) {
			continue
		}
		warnings, err := d.store.Warnings(ctx, c)
		if err != nil {
			return err
		}
		for _, w := range warnings {
			problems = append(problems, section(":warning: "+w))
		}
		w := engagement.WeekOf(d.store.Now(), c.Location)
		k, err := d.KPIs(ctx, c, w)
		if err != nil {
			return err
		}
		// Posts from last week can still be waiting: list them first.
		prev, err := d.KPIs(ctx, c, w.Prev())
		if err != nil {
			return err
		}
		k.Unanswered = append(prev.Unanswered, k.Unanswered...)
		boards = append(boards, k)
		if d.homeExtra != nil {
			more, err := d.homeExtra(ctx, c, userID)
			if err != nil {
				return err
			}
			extra = append(extra, more...)
		}
	}
	view := staffHomeView(boards, d.store.Now())
	view.Blocks.BlockSet = append(problems, view.Blocks.BlockSet...)
	view.Blocks.BlockSet = append(view.Blocks.BlockSet, extra[:min(len(extra), max(0, maxHomeBlocks-len(view.Blocks.BlockSet)))]...)
	_, err := d.api.PublishViewContext(ctx, slack.PublishViewContextRequest{UserID: userID, View: view})
	return err
}

// staffHomeView lays out the dashboards, within the Home tab's 100 blocks.
func staffHomeView(boards []*engagement.KPIs, now time.Time) slack.HomeTabViewRequest {
	var blocks []slack.Block
	for _, k := range boards {
		blocks = append(blocks,
			slack.NewHeaderBlock(feature.Plain(fmt.Sprintf("%s · this week (%s)", k.Community, k.Week))),
			slack.NewContextBlock("", feature.Mrkdwn(fmt.Sprintf("So far, as of %s (%s). Open the tab again to refresh.",
				now.In(k.Start.Location()).Format("Mon 2 Jan 15:04"), k.Timezone))),
			slack.NewSectionBlock(nil, headlineFields(k), nil),
			section("*Seats*\n"+seatsLine(k)),
		)
		if len(k.Prototypes) > 0 {
			blocks = append(blocks, section(prototypesText(k)))
		} else {
			blocks = append(blocks, section("*Prototypes*\nNone open."))
		}
		if len(k.Unanswered) > 0 {
			blocks = append(blocks, unansweredSections(k, max(1, maxHomeBlocks-len(blocks)-8*len(boards)-10))...)
		} else {
			blocks = append(blocks, section("*Waiting for an answer*\nNothing: every post older than 24 h has an answer. :tada:"))
		}
		if s := peopleText(k); s != "" {
			blocks = append(blocks, section(s))
		}
		blocks = append(blocks, slack.NewDividerBlock())
		if len(blocks) > maxHomeBlocks-8 {
			break // 8 blocks per community at most: the rest would not fit
		}
	}
	return slack.HomeTabViewRequest{Type: slack.VTHomeTab, Blocks: slack.Blocks{BlockSet: blocks}}
}
