package digest

import (
	"context"

	"github.com/closeknit/closeknit/engagement"
	"github.com/closeknit/closeknit/slackapp/feature"
	"github.com/slack-go/slack"
)

// Command answers `/closeknit digest [YYYY-Www]`: the digest of last week
// (or the given one), shown only to the staff member who asked.
func (d *Digest) Command(ctx context.Context, cmd *slack.SlashCommand, args []string) (*slack.Msg, error) {
	c, err := d.staff.Community(cmd)
	if err != nil {
		return nil, err
	}
	w, err := weekArg("digest", args, engagement.WeekOf(d.store.Now(), c.Location).Prev())
	if err != nil {
		return nil, err
	}
	k, err := d.KPIs(ctx, c, w)
	if err != nil {
		return nil, err
	}
	return &slack.Msg{Text: summary(k), Blocks: messageBlocks(k)}, nil
}

// Report answers `/closeknit report [YYYY-Www]`: this week's (or the given
// week's) figures, shown only to the staff member who asked.
func (d *Digest) Report(ctx context.Context, cmd *slack.SlashCommand, args []string) (*slack.Msg, error) {
	c, err := d.staff.Community(cmd)
	if err != nil {
		return nil, err
	}
	w, err := weekArg("report", args, engagement.WeekOf(d.store.Now(), c.Location))
	if err != nil {
		return nil, err
	}
	r, err := d.store.Report(ctx, c, w)
	if err != nil {
		return nil, err
	}
	return &slack.Msg{Text: reportSummary(r), Blocks: ReportBlocks(r)}, nil
}

// weekArg reads the optional week argument of the subcommand sub; without
// one, the week is def.
func weekArg(sub string, args []string, def engagement.Week) (engagement.Week, error) {
	switch {
	case len(args) > 1:
		return def, feature.Sayf("Usage: /closeknit %s [YYYY-Www]", sub)
	case len(args) == 1:
		w, err := engagement.ParseWeek(args[0])
		if err != nil {
			return def, feature.Sayf("%q is not a week. Usage: /closeknit %s [YYYY-Www], e.g. 2026-W47", args[0], sub)
		}
		return w, nil
	}
	return def, nil
}
