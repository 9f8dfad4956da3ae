package digest

import (
	"fmt"
	"strings"

	"github.com/closeknit/closeknit/engagement"
	"github.com/closeknit/closeknit/slackapp/feature"
	"github.com/slack-go/slack"
)

// reportSummary is the one-line text of a week's report: the notification
// text, and what screen readers read.
func reportSummary(r *engagement.Report) string {
	return fmt.Sprintf("%s in %s: %d messages (%d thread replies), %d reactions, %d active posters, %d active participants",
		r.Week, r.Community, r.Messages, r.ThreadReplies, r.Reactions, r.ActivePosters, r.ActiveParticipants)
}

// ReportBlocks lays out a week's report in Block Kit: `/closeknit report`,
// and each community's part of a member's App Home.
func ReportBlocks(r *engagement.Report) slack.Blocks {
	header := slack.NewHeaderBlock(slack.NewTextBlockObject(slack.PlainTextType, fmt.Sprintf("%s · %s", r.Community, r.Week), false, false))
	fields := []*slack.TextBlockObject{
		feature.Mrkdwn(fmt.Sprintf("*Messages*\n%d", r.Messages)),
		feature.Mrkdwn(fmt.Sprintf("*Thread replies*\n%d", r.ThreadReplies)),
		feature.Mrkdwn(fmt.Sprintf("*Reactions*\n%d", r.Reactions)),
		feature.Mrkdwn(fmt.Sprintf("*Active posters*\n%d", r.ActivePosters)),
		feature.Mrkdwn(fmt.Sprintf("*Active participants*\n%d", r.ActiveParticipants)),
		feature.Mrkdwn(fmt.Sprintf("*Joined / left*\n%d / %d", r.Joins, r.Leaves)),
	}
	blocks := []slack.Block{header, slack.NewSectionBlock(nil, fields, nil)}
	if len(r.Members) > 0 {
		var b strings.Builder
		b.WriteString("*Most active*\n")
		for i, m := range r.Members {
			if i == 5 {
				break
			}
			fmt.Fprintf(&b, "%d. <@%s>: %d messages, %d reactions\n", i+1, m.User, m.Messages, m.Reactions)
		}
		blocks = append(blocks, slack.NewSectionBlock(feature.Mrkdwn(b.String()), nil, nil))
	}
	blocks = append(blocks, slack.NewContextBlock("", feature.Mrkdwn(fmt.Sprintf("Week starting %s (%s)", r.Start.Format("Mon 2 Jan 2006"), r.Timezone))))
	return slack.Blocks{BlockSet: blocks}
}
